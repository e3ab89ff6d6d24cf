"""What a request needs from a model, estimated offline before any call: tokens, tools, attachments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage

from langchain_bedrock_routing.catalog import estimate_messages_tokens, estimate_tokens
from langchain_bedrock_routing.errors import InvalidRequestError
from langchain_bedrock_routing.routing.blocks import (
    DOCUMENT_KINDS,
    IMAGE_KINDS,
    block_kinds,
    content_text,
    refuse_remote_urls,
)
from langchain_bedrock_routing.routing.params import check_number


@dataclass(frozen=True)
class RequestProfile:
    """Estimated input tokens (messages + tool schemas), requested ``max_tokens`` and needed capabilities.

    ``stable_prefix_tokens`` counts what repeats across turns of a conversation (system messages, tool
    schemas and every message before the last) — the part a Bedrock prompt-cache point can reuse.
    """

    input_tokens: int
    max_tokens: int | None
    stable_prefix_tokens: int
    needs_tools: bool
    needs_images: bool
    needs_documents: bool

    @property
    def needs(self) -> tuple[str, ...]:
        """Human-readable names of the capabilities this request needs."""
        flags = (("tool calling", self.needs_tools), ("image input", self.needs_images))
        return tuple(name for name, on in (*flags, ("document input", self.needs_documents)) if on)


def profile_request(
    messages: Sequence[BaseMessage], tools: Sequence[Any] | None, max_tokens: int | None
) -> RequestProfile:
    """Profile one request; ``tools`` are the bound tool schemas (any JSON-serialisable form)."""
    if not messages:
        raise InvalidRequestError("empty message list: give at least one message")
    if not any(_has_content(m) for m in messages):
        raise InvalidRequestError(
            "empty prompt: no user, assistant or tool message has text or content blocks (a system message alone "
            "is not a conversation); give at least one non-empty message"
        )
    refuse_remote_urls(messages)
    max_tokens = validate_max_tokens(max_tokens)
    last_tokens = estimate_messages_tokens([message_text(messages[-1])])
    earlier_tokens = estimate_messages_tokens(message_text(m) for m in messages[:-1])
    tool_tokens = estimate_tokens(json.dumps(list(tools), default=str)) if tools else 0
    kinds = {kind for m in messages for kind in block_kinds(m.content)}
    return RequestProfile(
        input_tokens=earlier_tokens + last_tokens + tool_tokens,
        max_tokens=max_tokens,
        stable_prefix_tokens=earlier_tokens + tool_tokens,
        needs_tools=bool(tools),
        needs_images=bool(kinds & IMAGE_KINDS),
        needs_documents=bool(kinds & DOCUMENT_KINDS),
    )


def validate_max_tokens(max_tokens: object) -> int | None:
    """``max_tokens`` if it is an int >= 1 or ``None``; ``ValueError`` naming the value otherwise."""
    check_number("max_tokens", max_tokens)
    return max_tokens if isinstance(max_tokens, int) else None


def validate_cost_cap(cap: object) -> float | None:
    """``max_cost_per_request`` as a float > 0 (USD) or ``None``; ``ValueError`` naming the value otherwise."""
    if cap is None:
        return None
    if isinstance(cap, bool) or not isinstance(cap, int | float) or not cap > 0:
        raise InvalidRequestError(
            f"max_cost_per_request must be a positive number of USD or None (no cap), got {cap!r}"
        )
    return float(cap)


def _has_content(message: BaseMessage) -> bool:
    """True when a non-system message carries something to answer: text, a non-text block, tool calls or results."""
    if isinstance(message, SystemMessage):
        return False
    if isinstance(message, ToolMessage) or (isinstance(message, AIMessage) and message.tool_calls):
        return True
    return bool(message_text(message).strip()) or bool(block_kinds(message.content) - {"text"})


def message_text(message: BaseMessage) -> str:
    """The text of a message (typed and Bedrock-native text blocks) plus its tool calls, as sent."""
    text = content_text(message.content)
    if isinstance(message, AIMessage) and message.tool_calls:
        text += json.dumps([{"name": c["name"], "args": c["args"]} for c in message.tool_calls], default=str)
    return text
