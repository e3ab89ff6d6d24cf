"""Builds ``response_metadata["routing"]`` (:class:`RoutingMetadata`) for one result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_bedrock_routing.core.routing_metadata import AttemptRecord, Priority, RoutingMetadata, SkippedModel
from langchain_bedrock_routing.routing.decision import RouteDecision
from langchain_bedrock_routing.routing.policy import Plan
from langchain_bedrock_routing.routing.targets import Target


def invoked_model_id(target: Target, response_metadata: Mapping[str, Any]) -> str:
    """The model that answered: a prompt router's ``trace.promptRouter.invokedModelId``, else the target id."""
    if target.is_router:
        trace = response_metadata.get("trace") or {}
        invoked = (trace.get("promptRouter") or {}).get("invokedModelId") if isinstance(trace, Mapping) else None
        if isinstance(invoked, str) and invoked:
            return invoked
    return target.model_id


def routing_metadata(
    *,
    decision: RouteDecision,
    priority: Priority,
    plan: Plan,
    target: Target,
    model_id: str,
    attempts: Sequence[AttemptRecord],
    prompt_cache: bool,
    limited: Sequence[str] = (),
) -> RoutingMetadata:
    """The routing record: tier, model and deployment used, classifier verdict, priority, every attempt, skipped model
    and deployment passed over for its limits."""
    return {
        "tier": target.tier,
        "model_id": model_id,
        "target": target.model_id,
        "score": decision.score,
        "classifier": decision.classifier,
        "reason": decision.reason,
        "requested_tier": decision.tier,
        "start_tier": plan.start_tier,
        "priority": priority,
        "attempts": [AttemptRecord(**a) for a in attempts],
        "skipped": [SkippedModel(**s) for s in plan.skipped],
        "prompt_cache": prompt_cache,
        "deployment": None if target.deployment is None else target.deployment.name,
        "limited": list(limited),
    }
