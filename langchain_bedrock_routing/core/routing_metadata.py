"""``response_metadata["routing"]``: the one typed definition the router writes and the stats callbacks read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypedDict, cast

from langchain_bedrock_routing.catalog import Tier

Priority = Literal["cost", "balanced", "performance", "latency"]
PRIORITIES: tuple[Priority, ...] = ("cost", "balanced", "performance", "latency")

PURPOSE_METADATA_KEY = "bedrock_routing_purpose"
"""Run metadata key of a call made to learn, not to answer a user: ``"shadow"`` (the strongest tier answering a
request again) or ``"judge"`` (grading the cheaper answer). The stats handler counts such calls apart."""


class AttemptRecord(TypedDict):
    """One model tried for a request: ``error`` is the error code that moved routing on, ``None`` for the answer."""

    model_id: str
    tier: Tier
    error: str | None


class SkippedModel(TypedDict):
    """A configured model left out before any call, and why (capability, context window, cost cap ...)."""

    model_id: str
    tier: str
    reason: str


class RoutingMetadata(TypedDict, total=False):
    """What the router decided for one result, and why. ``RoutedChatBedrock`` sets every field; readers take
    each as optional (a record written by another producer, or none: ``{}``).

    ``tier`` is the tier of the model that answered (it differs from ``requested_tier`` after a priority shift,
    an escalation or a capability/context/cost filter); ``model_id`` the model that answered (a prompt router's
    invoked model), ``target`` the configured id; ``score`` in [0, 1]; ``attempts`` in the order tried.
    """

    tier: Tier
    model_id: str
    target: str
    score: float
    classifier: str
    reason: str
    requested_tier: Tier
    start_tier: Tier
    priority: Priority
    attempts: list[AttemptRecord]
    skipped: list[SkippedModel]
    prompt_cache: bool


def read_routing(value: object) -> RoutingMetadata:
    """A message's ``response_metadata.get("routing")`` as a routing record (``{}`` when it is not a mapping)."""
    return cast("RoutingMetadata", dict(value)) if isinstance(value, Mapping) else {}
