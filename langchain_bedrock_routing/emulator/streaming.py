"""ConverseStream events of a completion, each with the modeled ms to wait before sending it.

A :class:`~langchain_bedrock_routing.emulator.faults.StreamCut` replaces the rest of the stream, from the
``after + 1``-th ``contentBlockDelta`` (or ``messageStop`` when the reply has fewer deltas), with one exception
event, as Bedrock does when a stream fails after it started.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from langchain_bedrock_routing.catalog import estimate_tokens
from langchain_bedrock_routing.emulator.eventstream import event_message, exception_message
from langchain_bedrock_routing.emulator.faults import StreamCut
from langchain_bedrock_routing.emulator.service import Completion
from langchain_bedrock_routing.emulator.text import stream_pieces

WORDS_PER_DELTA = 3
TOOL_PIECE_CHARS = 12
_PAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_Event = tuple[str, dict[str, Any], int]
"""(event type, payload, output tokens it carries)."""


def padding(number: int) -> str:
    """The ``p`` field Bedrock adds to every stream event so sizes do not reveal content (varying length)."""
    return _PAD[: 1 + (number * 37 + 11) % len(_PAD)]


def _deltas(index: int, key: str, text: str, wrap: str | None = None) -> Iterator[_Event]:
    for piece in stream_pieces(text, WORDS_PER_DELTA):
        value: Any = {wrap: piece} if wrap else piece
        yield "contentBlockDelta", {"delta": {key: value}, "contentBlockIndex": index}, estimate_tokens(piece)


def _tool_pieces(raw: str) -> list[str]:
    """Tool input JSON as Bedrock streams it: an empty first delta, then pieces of ``TOOL_PIECE_CHARS``."""
    return ["", *(raw[i : i + TOOL_PIECE_CHARS] for i in range(0, len(raw), TOOL_PIECE_CHARS))]


def _block_events(index: int, block: dict[str, Any]) -> Iterator[_Event]:
    """The events of one content block."""
    if "toolUse" in block:
        use = block["toolUse"]
        start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"], "type": "tool_use"}}
        yield "contentBlockStart", {"start": start, "contentBlockIndex": index}, 0
        for piece in _tool_pieces(json.dumps(use["input"])):
            yield "contentBlockDelta", {"delta": {"toolUse": {"input": piece}}, "contentBlockIndex": index}, 0
    elif "reasoningContent" in block:
        reasoning = block["reasoningContent"]["reasoningText"]
        yield from _deltas(index, "reasoningContent", reasoning["text"], wrap="text")
        signature = {"reasoningContent": {"signature": reasoning["signature"]}}
        yield "contentBlockDelta", {"delta": signature, "contentBlockIndex": index}, 0
    elif "citationsContent" in block:
        cited = block["citationsContent"]
        for part in cited["content"]:
            yield from _deltas(index, "text", part["text"])
        for citation in cited["citations"]:
            yield "contentBlockDelta", {"delta": {"citation": citation}, "contentBlockIndex": index}, 0
    else:
        yield from _deltas(index, "text", block.get("text", ""))
    yield "contentBlockStop", {"contentBlockIndex": index}, 0


def _events(completion: Completion, cut: StreamCut | None) -> Iterator[_Event]:
    """The reply's events in order; with ``cut``, those before the cut only."""
    deltas = 0
    yield "messageStart", {"role": "assistant"}, 0
    for index, block in enumerate(completion.reply.content):
        for event in _block_events(index, block):
            if event[0] == "contentBlockDelta":
                if cut is not None and deltas == cut.after:
                    return
                deltas += 1
            yield event
    if cut is not None:
        return
    yield "messageStop", {"stopReason": completion.reply.stop_reason}, 0
    metadata: dict[str, Any] = {
        "usage": completion.usage(streamed=True),
        "metrics": {"latencyMs": completion.timing.total_ms},
        **completion.reflected,
    }
    trace = completion.trace()
    if trace is not None:
        metadata["trace"] = trace
    yield "metadata", metadata, 0


def stream_messages(completion: Completion, cut: StreamCut | None = None) -> Iterator[tuple[bytes, float]]:
    """Encoded event-stream messages in order, each with the modeled delay (ms) before it; ``cut`` ends the
    stream early with its exception event."""
    timing = completion.timing
    for number, (event_type, payload, tokens) in enumerate(_events(completion, cut)):
        delay = timing.ttft_ms if event_type == "messageStart" else tokens * timing.per_token_ms
        yield event_message(event_type, {**payload, "p": padding(number)}), delay
    if cut is not None:
        yield exception_message(cut.exception_type, **cut.payload()), 0.0


def streamed_output_tokens(completion: Completion, cut: StreamCut) -> int:
    """Output tokens the stream carried before ``cut``."""
    return sum(tokens for _, _, tokens in _events(completion, cut))
