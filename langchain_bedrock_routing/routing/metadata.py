"""``response_metadata["routing"]``: what the router decided for one result, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_bedrock_routing.routing.decision import RouteDecision
from langchain_bedrock_routing.routing.policy import Plan, Priority
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
    attempts: Sequence[Mapping[str, Any]],
    prompt_cache: bool,
) -> dict[str, Any]:
    """The routing record: tier and model used, classifier verdict, priority, every attempt and skipped model.

    ``tier`` is the tier of the model that answered (it differs from ``requested_tier`` after a priority
    shift, an escalation or a capability/context/cost filter); ``attempts`` lists each model tried in
    order with the error that moved routing on (``None`` for the one that answered).
    """
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
        "attempts": [dict(a) for a in attempts],
        "skipped": [dict(s) for s in plan.skipped],
        "prompt_cache": prompt_cache,
    }
