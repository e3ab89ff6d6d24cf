"""InvokeModel / InvokeModelWithResponseStream for Claude: the Anthropic Messages body (``anthropic_version``
``bedrock-2023-05-31``) translated to a Converse body, and the reply translated back to Anthropic's shapes.

Stream chunks are Anthropic's events (``message_start`` ... ``message_stop``), the last one carrying
``amazon-bedrock-invocationMetrics`` as Bedrock adds it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from langchain_bedrock_routing.emulator.errors import validation
from langchain_bedrock_routing.emulator.native.base import METRICS_KEY, Body, ServedChat
from langchain_bedrock_routing.emulator.text import stream_pieces

ANTHROPIC_VERSION = "bedrock-2023-05-31"
_MEDIA_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}


def _content(value: Any, path: str) -> list[Body]:
    if isinstance(value, str):
        return [{"text": value}]
    if not isinstance(value, list):
        raise validation(f"{path}: Input should be a valid string or list of content blocks")
    out: list[Body] = []
    for i, block in enumerate(value):
        out.extend(_block(block, f"{path}.{i}"))
    return out


def _block(block: Any, path: str) -> list[Body]:
    kind = block.get("type") if isinstance(block, dict) else None
    converted: Body | None
    if kind == "text":
        converted = {"text": block.get("text")}
    elif kind in ("image", "document"):
        source = block.get("source", {})
        name = str(block.get("title") or "document")
        if source.get("type") == "text":
            converted = {"document": {"format": "txt", "name": name, "source": {"text": source.get("data")}}}
        else:
            media = str(source.get("media_type", ""))
            fmt = _MEDIA_FORMATS.get(media, media.split("/")[-1])
            payload = {"format": fmt, "source": {"bytes": source.get("data")}}
            converted = {"image": payload} if kind == "image" else {"document": {**payload, "name": name}}
        if kind == "document" and isinstance(block.get("citations"), dict):
            converted["document"]["citations"] = {"enabled": bool(block["citations"].get("enabled"))}
    elif kind == "tool_use":
        converted = {"toolUse": {"toolUseId": block.get("id"), "name": block.get("name"), "input": block.get("input")}}
    elif kind == "tool_result":
        inner = [{"text": b["text"]} for b in _content(block.get("content", ""), f"{path}.content") if "text" in b]
        converted = {"toolResult": {"toolUseId": block.get("tool_use_id"), "content": inner or [{"text": ""}]}}
    elif kind == "thinking":
        text = {"text": block.get("thinking"), "signature": block.get("signature")}
        converted = {"reasoningContent": {"reasoningText": text}}
    elif kind == "redacted_thinking":
        converted = None
    else:
        raise validation(f"{path}.type: Input tag '{kind}' found using 'type' does not match any of the expected tags")
    cache = [{"cachePoint": {"type": "default"}}] if isinstance(block.get("cache_control"), dict) else []
    return ([converted] if converted else []) + cache


def _tool_config(body: Body) -> Body | None:
    tools = body.get("tools")
    if not tools:
        return None
    specs = [
        {"toolSpec": {"name": t.get("name"), "description": t.get("description", ""),
                      "inputSchema": {"json": t.get("input_schema")}}}
        for t in tools
    ]  # fmt: skip
    choice = body.get("tool_choice") or {}
    config: Body = {"tools": specs}
    if choice.get("type") == "tool":
        config["toolChoice"] = {"tool": {"name": choice.get("name")}}
    elif choice.get("type") in ("auto", "any"):
        config["toolChoice"] = {choice["type"]: {}}
    return config


def to_converse(body: Body) -> Body:
    """The Converse body equivalent to an Anthropic Messages ``body``; ``ValidationException`` if malformed."""
    if body.get("anthropic_version") != ANTHROPIC_VERSION:
        raise validation(f"Malformed input request: anthropic_version must be {ANTHROPIC_VERSION!r}")
    if not isinstance(body.get("max_tokens"), int):
        raise validation("Malformed input request: #: required key [max_tokens] not found, please reformat your input.")
    messages = [
        {"role": m.get("role"), "content": _content(m.get("content"), f"messages.{i}.content")}
        for i, m in enumerate(body.get("messages") or [])
    ]
    system = body.get("system")
    inference = {"maxTokens": body["max_tokens"]}
    for ours, theirs in (("temperature", "temperature"), ("topP", "top_p"), ("stopSequences", "stop_sequences")):
        if body.get(theirs) is not None:
            inference[ours] = body[theirs]
    converse: Body = {"messages": messages, "inferenceConfig": inference}
    if system:
        converse["system"] = _content(system, "system")
    tool_config = _tool_config(body)
    if tool_config:
        converse["toolConfig"] = tool_config
    if body.get("thinking") is not None:
        converse["additionalModelRequestFields"] = {"thinking": body["thinking"]}
    return converse


def content_blocks(content: tuple[Body, ...]) -> list[Body]:
    """Converse reply blocks as Anthropic content blocks."""
    out: list[Body] = []
    for block in content:
        if "toolUse" in block:
            use = block["toolUse"]
            out.append({"type": "tool_use", "id": use["toolUseId"], "name": use["name"], "input": use["input"]})
        elif "reasoningContent" in block:
            text = block["reasoningContent"]["reasoningText"]
            out.append({"type": "thinking", "thinking": text["text"], "signature": text["signature"]})
        elif "citationsContent" in block:
            cited = block["citationsContent"]
            text = " ".join(c["text"] for c in cited["content"])
            out.append({"type": "text", "text": text, "citations": [_citation(c) for c in cited["citations"]]})
        else:
            out.append({"type": "text", "text": block.get("text", "")})
    return out


_LOCATIONS = {
    "documentChar": ("char_location", "start_char_index", "end_char_index"),
    "documentChunk": ("content_block_location", "start_block_index", "end_block_index"),
    "documentPage": ("page_location", "start_page_number", "end_page_number"),
}


def _citation(citation: Body) -> Body:
    """A Converse citation as Anthropic's (``char_location``, ``content_block_location`` or ``page_location``)."""
    kind, where = next(iter(citation["location"].items()))
    name, start, end = _LOCATIONS[kind]
    return {
        "type": name,
        "cited_text": "".join(part["text"] for part in citation["sourceContent"]),
        "document_index": where["documentIndex"],
        "document_title": citation["title"],
        start: where["start"],
        end: where["end"],
    }


def usage(input_tokens: int, output_tokens: int, cache_read: int, cache_write: int) -> Body:
    """Anthropic's ``usage`` object."""
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
        "output_tokens": output_tokens,
    }


def message(message_id: str, model_id: str, content: list[Body], stop_reason: str | None, usage: Body) -> Body:
    """An Anthropic ``message`` response body."""
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model_id.split(".", 1)[-1],
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def _block_events(index: int, block: Body, pieces: int) -> Iterator[Body]:
    if block["type"] == "tool_use":
        yield {"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}}
        raw = json.dumps(block["input"])
        for i in range(0, len(raw), pieces):
            delta = {"type": "input_json_delta", "partial_json": raw[i : i + pieces]}
            yield {"type": "content_block_delta", "index": index, "delta": delta}
    elif block["type"] == "thinking":
        yield {"type": "content_block_start", "index": index, "content_block": {"type": "thinking", "thinking": ""}}
        for piece in stream_pieces(block["thinking"]):
            yield {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "thinking_delta", "thinking": piece},
            }
        delta = {"type": "signature_delta", "signature": block["signature"]}
        yield {"type": "content_block_delta", "index": index, "delta": delta}
    else:
        yield {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
        for citation in block.get("citations", []):
            yield {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "citations_delta", "citation": citation},
            }
        for piece in stream_pieces(block["text"]):
            yield {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}
    yield {"type": "content_block_stop", "index": index}


def stream_events(response: Body, metrics: Body) -> Iterator[Body]:
    """Anthropic's streaming events for a finished ``response`` body; ``metrics`` ride on ``message_stop``."""
    start = {**response, "content": [], "stop_reason": None, "usage": {**response["usage"], "output_tokens": 1}}
    yield {"type": "message_start", "message": start}
    for index, block in enumerate(response["content"]):
        yield from _block_events(index, block, 12)
    delta = {"stop_reason": response["stop_reason"], "stop_sequence": None}
    yield {"type": "message_delta", "delta": delta, "usage": {"output_tokens": response["usage"]["output_tokens"]}}
    yield {"type": "message_stop", METRICS_KEY: metrics}


class AnthropicMessages:
    """Claude's native body (Anthropic Messages API, ``anthropic_version`` ``bedrock-2023-05-31``)."""

    name = "Anthropic Messages"

    def to_converse(self, body: Body) -> Body:
        """The Converse body of an Anthropic Messages ``body``."""
        return to_converse(body)

    def response(self, outcome: ServedChat) -> Body:
        """An Anthropic ``message``."""
        used = usage(outcome.input_tokens, outcome.output_tokens, outcome.cache_read, outcome.cache_write)
        message_id = "msg_bdrk_" + uuid.uuid4().hex[:24]
        return message(message_id, outcome.model_id, content_blocks(outcome.content), outcome.stop_reason, used)

    def chunks(self, response: Body, outcome: ServedChat, metrics: Body) -> Iterator[Body]:
        """Anthropic's streaming events."""
        return stream_events(response, metrics)
