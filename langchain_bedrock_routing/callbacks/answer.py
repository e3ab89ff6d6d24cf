"""Reads what one chat-model answer says about itself: model, cache hit, routing, usage.

Contracts read (all optional): ``response_metadata["cache"] = {"hit": True, "kind": ...}`` set by
this package's caches; ``response_metadata["routing"]`` set by ``RoutedChatBedrock``;
``response_metadata["model_id" | "model_name"]`` set by langchain-aws. A generation served by a
plain LangChain cache carries no marker, but langchain-core stamps ``usage_metadata["total_cost"] = 0``
on every cache hit it returns: such hits count with kind ``"langchain"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from langchain_bedrock_routing.catalog.pricing import TokenUsage
from langchain_bedrock_routing.core.routing_metadata import RoutingMetadata, read_routing

UNMARKED_HIT_KIND = "langchain"
"""Cache kind of a hit served through a LangChain cache that does not mark its hits."""


@dataclass(frozen=True)
class FailedAttempt:
    """One failed model call before the answer: the model and the error's code or type."""

    model_id: str | None
    error: str


@dataclass(frozen=True)
class Answer:
    """What the handler learns from one chat-model run's final message."""

    model_id: str | None
    usage: TokenUsage
    cache_kind: str | None
    """``None`` for a fresh answer; else ``"exact"``, ``"semantic"`` or :data:`UNMARKED_HIT_KIND`."""
    cache_similarity: float | None
    tier: str | None
    classifier: str | None
    failed_attempts: tuple[FailedAttempt, ...]
    has_tool_calls: bool
    routing: RoutingMetadata
    """The router's record as it came (empty when no router answered)."""

    @property
    def cached(self) -> bool:
        """True when the answer came from a response cache (no model was called)."""
        return self.cache_kind is not None


def first_message(response: LLMResult) -> AIMessage | None:
    """The first generation's message of a chat-model result, if any."""
    generation = response.generations[0][0] if response.generations and response.generations[0] else None
    if isinstance(generation, ChatGeneration) and isinstance(generation.message, AIMessage):
        return generation.message
    return None


def read_answer(message: AIMessage, fallback_model_id: str | None = None) -> Answer:
    """Parse ``message``; ``fallback_model_id`` names the model when the message does not."""
    meta = message.response_metadata or {}
    routing = read_routing(meta.get("routing"))
    cache: Mapping[str, Any] = meta.get("cache") or {}
    usage_metadata: Mapping[str, Any] = message.usage_metadata or {}
    if cache.get("hit"):
        kind: str | None = str(cache.get("kind") or UNMARKED_HIT_KIND)
    elif usage_metadata.get("total_cost") == 0:
        kind = UNMARKED_HIT_KIND
    else:
        kind = None
    similarity = cache.get("similarity")
    model_id = routing.get("model_id") or meta.get("model_id") or meta.get("model_name") or fallback_model_id
    return Answer(
        model_id=model_id,
        usage=TokenUsage.from_usage_metadata(usage_metadata),
        cache_kind=kind,
        cache_similarity=None if similarity is None else float(similarity),
        tier=routing.get("tier"),
        classifier=routing.get("classifier"),
        failed_attempts=failed_attempts(routing.get("attempts")),
        has_tool_calls=bool(message.tool_calls),
        routing=routing,
    )


def failed_attempts(attempts: object) -> tuple[FailedAttempt, ...]:
    """The failed entries of a router's ``attempts`` list (a routing record's, or an error's ``attempts``)."""
    if not isinstance(attempts, list):
        return ()
    return tuple(
        FailedAttempt(a.get("model_id"), str(a["error"])) for a in attempts if isinstance(a, Mapping) and a.get("error")
    )


def error_code(error: BaseException) -> str:
    """A botocore error code (``ThrottlingException`` ...) when one is attached, else the exception type."""
    for exc in (error, error.__cause__, error.__context__):
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            if code:
                return str(code)
    return type(error).__name__
