"""Routing policy: from a classifier's tier, a priority and a request profile to ordered candidates.

Priorities (per router or per call):

- ``balanced``: the classifier's tier; the tier's models in configured order.
- ``cost``: one tier below the classifier's (``simple`` stays ``simple``); cheapest estimated cost first.
- ``performance``: one tier above the classifier's (``complex`` stays ``complex``); configured order.
- ``latency``: the classifier's tier; fastest estimated response (catalog TTFT + decode time) first.

A model is a candidate only if it has every capability the request needs (tool calling, image or
document input), its context window holds the estimated input plus ``max_tokens``, and, with a
``max_cost_per_request``, its estimated cost (USD, catalog prices; unknown price = excluded) is within the
cap. Candidates come from the starting tier, then (when ``escalate`` is on, or when the starting tier has
none) the tiers above it in order, and only when those have none either, the tiers below it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from langchain_bedrock_routing.catalog import TIERS, ModelSpec, Tier
from langchain_bedrock_routing.core.routing_metadata import PRIORITIES, Priority, SkippedModel
from langchain_bedrock_routing.errors import (
    ContextWindowExceededError,
    CostCapExceededError,
    InvalidRequestError,
    NoCandidateError,
)
from langchain_bedrock_routing.routing.request import RequestProfile
from langchain_bedrock_routing.routing.targets import Target, tier_for

_TIER_SHIFT: dict[Priority, int] = {"cost": -1, "balanced": 0, "performance": 1, "latency": 0}


def validate_priority(priority: object) -> Priority:
    """``priority`` if it is a known priority, else ``ValueError`` naming the valid ones."""
    if priority not in PRIORITIES:
        raise InvalidRequestError(f"unknown priority {priority!r}; valid priorities: {', '.join(PRIORITIES)}")
    return priority


@dataclass(frozen=True)
class Candidate:
    """A target admitted for this request with its estimated cost (USD, ``None`` if unpriced) and latency (ms)."""

    target: Target
    estimated_cost_usd: float | None
    estimated_latency_ms: float


@dataclass(frozen=True)
class Plan:
    """Ordered candidates to try, the tier routing started from, and why other targets were left out."""

    start_tier: Tier
    candidates: tuple[Candidate, ...]
    skipped: tuple[SkippedModel, ...]


def estimate_cost_usd(spec: ModelSpec, input_tokens: int, output_tokens: int) -> float | None:
    """Estimated on-demand cost in USD of one call (no prompt-cache discount); ``None`` if the price is unknown."""
    if spec.prices.input is None or spec.prices.output is None:
        return None
    return (input_tokens * spec.prices.input + output_tokens * spec.prices.output) / 1_000_000


def estimate_latency_ms(spec: ModelSpec, output_tokens: int) -> float:
    """Catalog time to first token plus decode time of ``output_tokens``, in milliseconds."""
    return spec.latency.ttft_ms + 1000.0 * output_tokens / spec.latency.output_tokens_per_s


def plan_route(
    tier: Tier,
    priority: Priority,
    tiers: Mapping[Tier, Sequence[Target]],
    profile: RequestProfile,
    *,
    max_cost_usd: float | None = None,
    escalate: bool = True,
    output_tokens_estimate: int = 512,
) -> Plan:
    """Ordered candidates for a request the classifier put in ``tier``; raises :class:`NoCandidateError`.

    ``output_tokens_estimate`` stands for the reply length in cost and latency estimates when
    ``profile.max_tokens`` is unset.
    """
    output_tokens = profile.max_tokens or output_tokens_estimate
    shifted = TIERS[min(max(TIERS.index(tier) + _TIER_SHIFT[priority], 0), len(TIERS) - 1)]
    start = tier_for(shifted, tiers)
    index = TIERS.index(start)
    skipped: list[SkippedModel] = []

    def admitted(tier_names: Sequence[Tier]) -> list[Candidate]:
        found: list[Candidate] = []
        for name in tier_names:
            in_tier: list[Candidate] = []
            for target in tiers.get(name, ()):
                candidate = Candidate(
                    target,
                    estimate_cost_usd(target.spec, profile.input_tokens, output_tokens),
                    estimate_latency_ms(target.spec, output_tokens),
                )
                reason = _rejection(candidate, profile, max_cost_usd)
                if reason is None:
                    in_tier.append(candidate)
                else:
                    skipped.append({"model_id": target.model_id, "tier": name, "reason": reason})
            found += _ordered(in_tier, priority)
        return found

    candidates = admitted([start])
    if escalate or not candidates:
        candidates += admitted(TIERS[index + 1 :])
    if not candidates:
        candidates = admitted(TIERS[:index][::-1])
    if not candidates:
        raise _no_candidate_error(tiers, profile, max_cost_usd, output_tokens)
    return Plan(start, tuple(candidates), tuple(skipped))


def _ordered(candidates: list[Candidate], priority: Priority) -> list[Candidate]:
    if priority == "cost":
        return sorted(candidates, key=lambda c: (c.estimated_cost_usd is None, c.estimated_cost_usd or 0.0))
    if priority == "latency":
        return sorted(candidates, key=lambda c: c.estimated_latency_ms)
    return candidates


def _missing(spec: ModelSpec, profile: RequestProfile) -> list[str]:
    wanted = (
        ("tool calling", profile.needs_tools, spec.tool_calling),
        ("image input", profile.needs_images, spec.image_inputs),
        ("document input", profile.needs_documents, spec.pdf_inputs),
    )
    return [name for name, needed, has in wanted if needed and not has]


def _needed_window(profile: RequestProfile) -> int:
    return profile.input_tokens + (profile.max_tokens or 0)


def _rejection(candidate: Candidate, profile: RequestProfile, max_cost_usd: float | None) -> str | None:
    spec = candidate.target.spec
    if missing := _missing(spec, profile):
        return f"lacks {', '.join(missing)}"
    if _needed_window(profile) > spec.max_input_tokens:
        return f"context window {spec.max_input_tokens} < {_needed_window(profile)} estimated tokens"
    if max_cost_usd is not None:
        if candidate.estimated_cost_usd is None:
            return "price unknown, cannot check max_cost_per_request"
        if candidate.estimated_cost_usd > max_cost_usd:
            return f"estimated ${candidate.estimated_cost_usd:.6f} > max_cost_per_request ${max_cost_usd:.6f}"
    return None


def _no_candidate_error(
    tiers: Mapping[Tier, Sequence[Target]], profile: RequestProfile, max_cost_usd: float | None, output_tokens: int
) -> NoCandidateError:
    targets = [t for ts in tiers.values() for t in ts]
    capable = [t for t in targets if not _missing(t.spec, profile)]
    if not capable:
        return NoCandidateError(
            f"the request needs {', '.join(profile.needs)} but no configured model has it: "
            f"{', '.join(t.model_id for t in targets)}; add a capable model to `tiers`"
        )
    largest = max(capable, key=lambda t: t.spec.max_input_tokens)
    fitting = [t for t in capable if _needed_window(profile) <= t.spec.max_input_tokens]
    if not fitting:
        return ContextWindowExceededError(_needed_window(profile), largest.spec.max_input_tokens, largest.model_id)
    costs = [c for t in fitting if (c := estimate_cost_usd(t.spec, profile.input_tokens, output_tokens)) is not None]
    return CostCapExceededError(min(costs, default=None), max_cost_usd or 0.0)
