"""ConverseStream events of a completion, each with the modeled ms to wait before sending it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from langchain_bedrock_routing.catalog import estimate_tokens
from langchain_bedrock_routing.emulator.eventstream import event_message
from langchain_bedrock_routing.emulator.service import Completion

_CHUNK = re.compile(r"\S+\s*|\s+")
WORDS_PER_DELTA = 3


def _text_pieces(text: str) -> list[str]:
    chunks = _CHUNK.findall(text) or [""]
    return ["".join(chunks[i : i + WORDS_PER_DELTA]) for i in range(0, len(chunks), WORDS_PER_DELTA)]


def _block_events(index: int, block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(event type, payload, output tokens it carries) of one content block."""
    if "toolUse" in block:
        use = block["toolUse"]
        start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
        yield "contentBlockStart", {"start": start, "contentBlockIndex": index}, 0
        raw = json.dumps(use["input"])
        half = len(raw) // 2
        for piece in (raw[:half], raw[half:]):
            yield "contentBlockDelta", {"delta": {"toolUse": {"input": piece}}, "contentBlockIndex": index}, 0
    else:
        for piece in _text_pieces(block.get("text", "")):
            delta = {"delta": {"text": piece}, "contentBlockIndex": index}
            yield "contentBlockDelta", delta, estimate_tokens(piece)
    yield "contentBlockStop", {"contentBlockIndex": index}, 0


def stream_messages(completion: Completion) -> Iterator[tuple[bytes, float]]:
    """Encoded event-stream messages in order, each with the modeled delay (ms) before it."""
    timing = completion.timing
    yield event_message("messageStart", {"role": "assistant"}), timing.ttft_ms
    for index, block in enumerate(completion.reply.content):
        for event_type, payload, tokens in _block_events(index, block):
            yield event_message(event_type, payload), tokens * timing.per_token_ms
    yield event_message("messageStop", {"stopReason": completion.reply.stop_reason}), 0.0
    metadata: dict[str, Any] = {"usage": completion.usage(), "metrics": {"latencyMs": timing.total_ms}}
    trace = completion.trace()
    if trace is not None:
        metadata["trace"] = trace
    yield event_message("metadata", metadata), 0.0
