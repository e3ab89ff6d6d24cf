"""Tier configuration: presets, validation, and the catalog facts the policy needs about each target.

A target is a Bedrock model id (or inference-profile id) from the catalog, or a prompt-router ARN of a
router the catalog knows; a router is described conservatively by its models (smallest window, every
capability they share, the highest prices, the slowest latency). A tier member given as a dict is a
deployment of such an id (see :mod:`.deployments`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from langchain_bedrock_routing.catalog import (
    TIERS,
    LatencyProfile,
    ModelCatalog,
    ModelSpec,
    Prices,
    Tier,
    get_catalog,
    prompt_router_id,
)
from langchain_bedrock_routing.routing.deployments import Deployment, check_unique, parse_deployment

DEFAULT_PRESET = "claude"
"""The current Claude generation (see ``presets.json``)."""


@dataclass(frozen=True)
class Target:
    """One model a tier may send a request to: the id sent to Bedrock and its catalog spec."""

    model_id: str
    tier: Tier
    spec: ModelSpec
    router_models: tuple[str, ...] = ()
    """For a prompt router: the models it chooses between (empty for a plain model)."""
    deployment: Deployment | None = None
    """Where it runs and its quotas, when the tier member was a deployment dict."""

    @property
    def key(self) -> str:
        """What delegates, cooldowns and limits are kept by: the deployment's name, else the model id."""
        return self.model_id if self.deployment is None else self.deployment.name

    @property
    def is_router(self) -> bool:
        """True for a Bedrock prompt-router ARN."""
        return bool(self.router_models)

    @property
    def provider(self) -> str:
        """Model provider (``anthropic``, ``amazon`` ...), from the base id."""
        return self.spec.model_id.split(".", 1)[0]


REFERENCE_CALL_TOKENS = (1_000, 500)
"""(input, output) tokens of the call a ``cheapest_of`` preset ranks its models by."""


@lru_cache(maxsize=1)
def presets() -> dict[str, dict[str, tuple[str, ...]]]:
    """Preset name -> tier -> ordered model ids (``presets.json``); ``cheapest_of`` tiers priced from the catalog."""
    text = resources.files("langchain_bedrock_routing.routing").joinpath("presets.json").read_text("utf-8")
    raw: dict[str, Any] = json.loads(text)["presets"]
    catalog = get_catalog()
    return {
        name: {tier: tuple(ids) for tier, ids in p["tiers"].items()}
        if "tiers" in p
        else {tier: cheapest_first(ids, catalog) for tier, ids in p["cheapest_of"].items()}
        for name, p in raw.items()
    }


def reference_cost_usd(spec: ModelSpec) -> float | None:
    """Cost (USD) of the reference call :data:`REFERENCE_CALL_TOKENS`; ``None`` if the price is not known."""
    if spec.prices.input is None or spec.prices.output is None:
        return None
    tokens_in, tokens_out = REFERENCE_CALL_TOKENS
    return (tokens_in * spec.prices.input + tokens_out * spec.prices.output) / 1_000_000


def cheapest_first(model_ids: Sequence[str], catalog: ModelCatalog) -> tuple[str, ...]:
    """The tool-calling ids of ``model_ids`` with a known price, cheapest reference call first.

    A model without a published price is left out, so it is never taken for the cheapest.
    """
    priced = [
        (cost, model_id)
        for model_id in model_ids
        if catalog.get(model_id).tool_calling and (cost := reference_cost_usd(catalog.get(model_id))) is not None
    ]
    return tuple(model_id for _, model_id in sorted(priced, key=lambda pair: pair[0]))


TierMember = str | Mapping[str, Any]
"""A model id / prompt-router ARN, or a deployment dict (see :mod:`.deployments`)."""


def resolve_tiers(
    tiers: Mapping[str, Sequence[TierMember] | TierMember] | None,
    preset: str | None,
    catalog: ModelCatalog | None = None,
    default_region: str | None = None,
) -> dict[Tier, tuple[Target, ...]]:
    """Every tier's ordered targets: ``preset`` (default ``"claude"``) overridden tier by tier by ``tiers``.

    Raises ``ValueError`` naming the valid choices for an unknown preset, tier, model id or deployment key, an empty
    tier, or two deployments of one name; ``default_region`` names deployments that give no region.
    """
    catalog = catalog or get_catalog()
    known = presets()
    if preset is not None and preset not in known:
        raise ValueError(f"unknown preset {preset!r}; valid presets: {', '.join(sorted(known))}")
    merged: dict[str, Sequence[TierMember] | TierMember] = (
        dict(known[preset or DEFAULT_PRESET]) if preset or not tiers else {}
    )
    for tier, given in (tiers or {}).items():
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r} in tiers; valid tiers: {', '.join(TIERS)}")
        merged[tier] = given
    resolved: dict[Tier, tuple[Target, ...]] = {}
    for tier in TIERS:
        if tier not in merged:
            continue
        entry = merged[tier]
        members: tuple[TierMember, ...] = (entry,) if isinstance(entry, str | Mapping) else tuple(entry)
        if not members:
            raise ValueError(f"tier {tier!r} has no model ids; give at least one or leave the tier out")
        resolved[tier] = tuple(_member_target(member, tier, catalog, default_region) for member in members)
    check_unique([t.deployment for ts in resolved.values() for t in ts if t.deployment is not None])
    return resolved


def _member_target(member: TierMember, tier: Tier, catalog: ModelCatalog, default_region: str | None) -> Target:
    if isinstance(member, str):
        return make_target(member, tier, catalog)
    if isinstance(member, Mapping):
        deployment = parse_deployment(member, tier, default_region)
        return replace(make_target(deployment.model, tier, catalog), deployment=deployment)
    raise ValueError(f"tier {tier!r} member {member!r} is neither a model id string nor a deployment dict")


def tier_for(tier: Tier, configured: Mapping[Tier, object]) -> Tier:
    """``tier`` itself when configured, else the nearest configured tier above it, else below it."""
    index = TIERS.index(tier)
    for candidate in (*TIERS[index:], *reversed(TIERS[:index])):
        if candidate in configured:
            return candidate
    raise ValueError("no tier is configured")


def make_target(model_id: str, tier: Tier, catalog: ModelCatalog, *, subject: str | None = None) -> Target:
    """The target for one configured id; ``ValueError`` listing the valid ids if the catalog does not know it.

    ``subject`` names the id in that message (default: ``model id '<id>' in tier '<tier>'``)."""
    if prompt_router_id(model_id) is not None:
        router = catalog.prompt_router(model_id)
        if router is None:
            raise ValueError(
                f"prompt router {model_id!r} is not in the catalog; known routers: "
                f"{', '.join(_known_router_ids(catalog))} (a custom router's models are unknown, list them instead)"
            )
        return Target(model_id, tier, _router_spec(model_id, tier, router.models, catalog), router.models)
    if model_id not in catalog:
        raise ValueError(
            f"unknown {subject or f'model id {model_id!r} in tier {tier!r}'}; valid ids are the catalog's "
            f"({', '.join(sorted(catalog.model_ids))}), optionally with a geo prefix such as 'us.', "
            f"or a prompt-router ARN of {', '.join(_known_router_ids(catalog))}"
        )
    return Target(model_id, tier, catalog.get(model_id))


def _known_router_ids(catalog: ModelCatalog) -> list[str]:
    return sorted(catalog._routers)


def _max_or_none(values: Sequence[float | None]) -> float | None:
    return None if any(v is None for v in values) else max(v for v in values if v is not None)


def _router_spec(arn: str, tier: Tier, models: Sequence[str], catalog: ModelCatalog) -> ModelSpec:
    specs = [catalog.get(m) for m in models]
    cache_mins = [s.cache_min_tokens for s in specs]
    first = specs[-1]
    return replace(
        first,
        name=f"prompt router {arn.rsplit('/', 1)[-1]}",
        tier=tier,
        prices=Prices(
            input=_max_or_none([s.prices.input for s in specs]),
            output=_max_or_none([s.prices.output for s in specs]),
            cache_write=_max_or_none([s.prices.cache_write for s in specs]),
            cache_read=_max_or_none([s.prices.cache_read for s in specs]),
            source=first.prices.source,
        ),
        latency=LatencyProfile(
            ttft_ms=max(s.latency.ttft_ms for s in specs),
            output_tokens_per_s=min(s.latency.output_tokens_per_s for s in specs),
        ),
        max_input_tokens=min(s.max_input_tokens for s in specs),
        max_output_tokens=min(s.max_output_tokens for s in specs),
        tool_calling=all(s.tool_calling for s in specs),
        image_inputs=all(s.image_inputs for s in specs),
        pdf_inputs=all(s.pdf_inputs for s in specs),
        cache_min_tokens=None if None in cache_mins else max(m for m in cache_mins if m is not None),
    )
