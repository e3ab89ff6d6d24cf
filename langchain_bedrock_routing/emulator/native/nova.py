"""Amazon Nova's native body (``schemaVersion`` ``messages-v1``): Converse's shape with base64 bytes.

Nova 1 names the output cap ``max_new_tokens`` (``top_p``, ``top_k``) where Nova 2's docs use ``maxTokens``
(``topP``, ``topK``); both are read. The reply is ``output.message`` with ``stopReason`` and ``usage``; stream
chunks are Converse's events as JSON objects (``messageStart`` ... ``metadata``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from langchain_bedrock_routing.emulator.native.base import (
    METRICS_KEY,
    Body,
    ServedChat,
    inference_config,
    not_this_format,
    required,
)
from langchain_bedrock_routing.emulator.text import stream_pieces

_INFERENCE = (
    ("maxTokens", "maxTokens"), ("maxTokens", "max_new_tokens"), ("temperature", "temperature"),
    ("topP", "topP"), ("topP", "top_p"), ("stopSequences", "stopSequences"),
)  # fmt: skip


def _blocks(content: tuple[Body, ...]) -> list[Body]:
    """Reply blocks as Nova returns them (citations flattened to text)."""
    out = []
    for block in content:
        if "citationsContent" in block:
            out.append({"text": " ".join(c["text"] for c in block["citationsContent"]["content"])})
        else:
            out.append(block)
    return out


class NovaMessages:
    """Nova's ``messages-v1`` InvokeModel body."""

    name = "Amazon Nova messages-v1"

    def to_converse(self, body: Body) -> Body:
        """Messages, system and tool configuration as sent; ``inferenceConfig`` keys of Nova 1 or 2 mapped."""
        if "prompt" in body or "inputText" in body:
            raise not_this_format(self.name, "Nova reads messages, not a prompt string")
        converse: Body = {"messages": required(body, "messages")}
        for key in ("system", "toolConfig"):
            if body.get(key) is not None:
                converse[key] = body[key]
        config = inference_config(body.get("inferenceConfig") or {}, _INFERENCE)
        if config:
            converse["inferenceConfig"] = config
        return converse

    def response(self, outcome: ServedChat) -> Body:
        """``output.message``, ``stopReason`` and ``usage`` with the cache counters Nova reports."""
        return {
            "output": {"message": {"role": "assistant", "content": _blocks(outcome.content)}},
            "stopReason": outcome.stop_reason,
            "usage": self._usage(outcome),
        }

    @staticmethod
    def _usage(outcome: ServedChat) -> Body:
        total = outcome.input_tokens + outcome.output_tokens + outcome.cache_read + outcome.cache_write
        return {
            "inputTokens": outcome.input_tokens,
            "outputTokens": outcome.output_tokens,
            "totalTokens": total,
            "cacheReadInputTokenCount": outcome.cache_read,
            "cacheWriteInputTokenCount": outcome.cache_write,
        }

    def chunks(self, response: Body, outcome: ServedChat, metrics: Body) -> Iterator[Body]:
        """``messageStart``, per block ``contentBlockStart`` (tool calls) / ``contentBlockDelta`` /
        ``contentBlockStop``, ``messageStop``, then ``metadata`` with the invocation metrics."""
        yield {"messageStart": {"role": "assistant"}}
        for index, block in enumerate(response["output"]["message"]["content"]):
            if "toolUse" in block:
                use = block["toolUse"]
                start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
                yield {"contentBlockStart": {"start": start, "contentBlockIndex": index}}
                delta: Body = {"toolUse": {"input": json.dumps(use["input"])}}
                yield {"contentBlockDelta": {"delta": delta, "contentBlockIndex": index}}
            elif "reasoningContent" in block:
                text = block["reasoningContent"]["reasoningText"]["text"]
                for piece in stream_pieces(text):
                    reasoning = {"reasoningContent": {"text": piece}}
                    yield {"contentBlockDelta": {"delta": reasoning, "contentBlockIndex": index}}
            else:
                for piece in stream_pieces(block.get("text", "")):
                    yield {"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": index}}
            yield {"contentBlockStop": {"contentBlockIndex": index}}
        yield {"messageStop": {"stopReason": response["stopReason"]}}
        metadata = {"usage": response["usage"], "metrics": {}, "trace": {}}
        yield {"metadata": metadata, METRICS_KEY: metrics}
