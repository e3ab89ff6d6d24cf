"""What every native InvokeModel body format shares: the served outcome it renders, its interface, and helpers.

A format turns a family's native request body into a Converse body (so one responder serves both APIs), renders
the served :class:`ServedChat` as the family's response body, and cuts that body into the family's stream chunks,
the last one carrying ``amazon-bedrock-invocationMetrics`` as Bedrock adds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_bedrock_routing.emulator.errors import BedrockError, validation

Body = dict[str, Any]
METRICS_KEY = "amazon-bedrock-invocationMetrics"


@dataclass(frozen=True)
class ServedChat:
    """A served chat request as native formats need it: Converse reply blocks, Converse stop reason, tokens."""

    model_id: str
    """Base id of the model that answered."""
    content: tuple[Body, ...]
    stop_reason: str
    input_tokens: int
    output_tokens: int
    cache_read: int = 0
    cache_write: int = 0

    def text(self) -> str:
        """The reply's text blocks joined (citations flattened; tool calls and reasoning left out)."""
        parts = []
        for block in self.content:
            if isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif "citationsContent" in block:
                parts.append(" ".join(c["text"] for c in block["citationsContent"]["content"]))
        return "".join(parts)

    def tool_uses(self) -> list[Body]:
        """The reply's ``toolUse`` objects in order."""
        return [b["toolUse"] for b in self.content if isinstance(b.get("toolUse"), dict)]


class NativeFormat(Protocol):
    """One family's InvokeModel body: request translation, response and stream chunks."""

    @property
    def name(self) -> str:
        """The format's name in error messages."""
        ...

    def to_converse(self, body: Body) -> Body:
        """The equivalent Converse body; ``ValidationException`` when ``body`` is not this format."""
        ...

    def response(self, outcome: ServedChat) -> Body:
        """The InvokeModel response body."""
        ...

    def chunks(self, response: Body, outcome: ServedChat, metrics: Body) -> Iterator[Body]:
        """InvokeModelWithResponseStream ``chunk`` payloads for ``response``; ``metrics`` ride on the last."""
        ...


def required(body: Body, key: str) -> Any:
    """``body[key]``; Bedrock's ``ValidationException`` for a missing required key."""
    if body.get(key) is None:
        raise validation(f"Malformed input request: #: required key [{key}] not found, please reformat your input.")
    return body[key]


def inference_config(body: Body, names: Iterable[tuple[str, str]]) -> Body:
    """Converse ``inferenceConfig`` from native ``body`` keys: ``names`` are (Converse key, native key) pairs."""
    config: Body = {}
    for ours, theirs in names:
        value = body.get(theirs)
        if value is None:
            continue
        if ours == "stopSequences" and isinstance(value, str):
            value = [value]
        if ours == "temperature" and isinstance(value, int | float) and value > 1:
            value = 1.0  # OpenAI-style bodies allow up to 2; Converse's scale ends at 1
        config[ours] = value
    return config


def alternate(turns: Iterable[tuple[str, list[Body]]]) -> list[Body]:
    """Converse messages from (role, blocks) turns: consecutive turns of one role merged, empty ones dropped,
    leading assistant turns and a trailing assistant turn (the generation prompt) removed."""
    messages: list[Body] = []
    for role, blocks in turns:
        if not blocks:
            continue
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(blocks)
        elif messages or role == "user":
            messages.append({"role": role, "content": list(blocks)})
    while messages and messages[-1]["role"] == "assistant":
        messages.pop()
    if not messages:
        raise validation("Malformed input request: the request holds no user message, please reformat your input.")
    return messages


def finish(stop_reason: str, *, tool_calls: str = "tool_calls") -> str:
    """An OpenAI-style finish reason for a Converse stop reason: ``stop``, ``length`` or the tool-call value."""
    if stop_reason == "max_tokens":
        return "length"
    return tool_calls if stop_reason == "tool_use" else "stop"


def tool_arguments(use: Body) -> str:
    """A tool call's input as the JSON string OpenAI-style bodies carry."""
    return json.dumps(use["input"])


def not_this_format(family: str, hint: str) -> BedrockError:
    """The ``ValidationException`` for a body of another family's format."""
    return validation(f"Malformed input request: this is not a {family} request body ({hint}), please reformat it.")


@dataclass(frozen=True)
class NativeReply:
    """A served InvokeModel chat request: its format, the outcome and the rendered response body."""

    format: NativeFormat
    outcome: ServedChat
    body: Body

    def chunks(self, metrics: Body) -> Iterator[Body]:
        """The stream chunks of this reply."""
        return self.format.chunks(self.body, self.outcome, metrics)
