"""Screening a request before anything can bill: the checks on a call that need no model.

``RoutedChatBedrock`` screens each request before LangChain asks the response cache (whose embedder
may bill) and its route reuses that screen: the priority, ``max_tokens``, a pinned ``model=``, and that
some configured model can serve the request. Every failure is a ``ValueError`` naming the problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_bedrock_routing.catalog import TIERS, Tier, get_catalog
from langchain_bedrock_routing.core.routing_metadata import Priority
from langchain_bedrock_routing.errors import InvalidRequestError, NoCandidateError
from langchain_bedrock_routing.routing.params import check_call_numbers
from langchain_bedrock_routing.routing.policy import Plan, validate_priority
from langchain_bedrock_routing.routing.request import RequestProfile, profile_request
from langchain_bedrock_routing.routing.targets import Target, make_target

Planner = Callable[[Tier, Priority, Mapping[Tier, Sequence[Target]], RequestProfile], Plan]
"""Plans candidates from a tier (raises ``NoCandidateError`` and kin when no model fits)."""


@dataclass(frozen=True)
class Screened:
    """A screened request: its priority, its profile, a pinned target (if any) and the targets to plan over."""

    priority: Priority
    profile: RequestProfile
    pinned: Target | None
    targets: Mapping[Tier, Sequence[Target]]


_HELD: ContextVar[tuple[list[BaseMessage], Screened] | None] = ContextVar("lbr_screened_request", default=None)
"""The messages of the request being answered and their screen, made before the cache lookup."""


def screen_request(
    messages: list[BaseMessage],
    kwargs: Mapping[str, Any],
    *,
    priority: str,
    max_tokens: int | None,
    targets: Mapping[Tier, Sequence[Target]],
    plan: Planner,
) -> Screened:
    """Screen one call: ``kwargs`` may override ``priority``, ``max_tokens``, ``temperature``, ``top_p`` and pin a
    ``model`` (its configured deployments when it has some); ``plan`` must find a candidate from the lowest tier (it
    falls back to every configured tier), else it raises."""
    chosen: Priority = validate_priority(kwargs.get("priority", priority))
    check_call_numbers(kwargs)
    profile = profile_request(messages, kwargs.get("tools"), kwargs.get("max_tokens", max_tokens))
    pinned = None if kwargs.get("model") is None else pinned_target(kwargs["model"])
    candidates: Mapping[Tier, Sequence[Target]] = (
        targets if pinned is None else {pinned.tier: deployments_of(pinned.model_id, targets) or (pinned,)}
    )
    try:
        plan(TIERS[0] if pinned is None else pinned.tier, chosen, candidates, profile)
    except NoCandidateError as error:
        if pinned is None or type(error) is not NoCandidateError:
            raise
        raise NoCandidateError(
            f"the request needs {', '.join(profile.needs)} but the pinned model {pinned.model_id!r} (model= of the "
            "call) lacks it; pin a capable model, or leave model= out to let the router choose"
        ) from None
    return Screened(chosen, profile, pinned, candidates)


@contextmanager
def holding(messages: list[BaseMessage], screened: Screened) -> Iterator[None]:
    """Keep ``screened`` for the route of these ``messages`` while the block runs (this context and its copies)."""
    token = _HELD.set((messages, screened))
    try:
        yield
    finally:
        _HELD.reset(token)


def held(messages: list[BaseMessage]) -> Screened | None:
    """The screen kept by :func:`holding` for these same ``messages`` (the same list object), else ``None``."""
    kept = _HELD.get()
    return kept[1] if kept is not None and kept[0] is messages else None


def deployments_of(model_id: str, targets: Mapping[Tier, Sequence[Target]]) -> tuple[Target, ...]:
    """The configured deployments of ``model_id`` (each once), so a pinned model runs where it is deployed."""
    found = {t.key: t for ts in targets.values() for t in ts if t.deployment is not None and t.model_id == model_id}
    return tuple(found.values())


def pinned_target(model_id: object) -> Target:
    """The target for a ``model=`` call override: a catalog model id (its catalog tier) or a known router."""
    if not isinstance(model_id, str):
        raise InvalidRequestError(f"model must be a model id string, got {model_id!r}")
    catalog = get_catalog()
    tier = catalog.get(model_id).tier if model_id in catalog else "medium"
    return make_target(model_id, tier, catalog, subject=f"pinned model {model_id!r} (model= of the call)")
