"""Parse and validate a Converse / ConverseStream JSON body into a typed request.

Every problem raises a ``ValidationException`` whose message names the offending field path
(e.g. ``messages.0.content.1.text``) and, where there is a closed set, the valid choices.
The prompt is also linearised, in Bedrock's cache order (tools, system, messages), into
segments with token estimates so prompt-cache prefixes can be measured.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_bedrock_routing.catalog import estimate_messages_tokens, estimate_tokens
from langchain_bedrock_routing.emulator.errors import BedrockError, validation
from langchain_bedrock_routing.emulator.features import Features, parse_features

IMAGE_TOKENS = 1_600
"""Flat token estimate for an image, video or audio block (the estimator cannot see pixels)."""
_TEXT_DOCUMENT_FORMATS = frozenset({"txt", "md", "html", "csv"})
_PDF_TEXT = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj")
_TOP_LEVEL = frozenset(
    {
        "messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields",
        "promptVariables", "additionalModelResponseFieldPaths", "requestMetadata", "performanceConfig",
        "serviceTier", "outputConfig", "projectIdentifier",
    }
)  # fmt: skip
_CONTENT_KEYS = frozenset(
    {"text", "image", "document", "video", "audio", "toolUse", "toolResult", "guardContent", "cachePoint",
     "reasoningContent", "citationsContent", "searchResult"}
)  # fmt: skip
_SYSTEM_KEYS = frozenset({"text", "guardContent", "cachePoint"})
CacheTTL = Literal["5m", "1h"]


@dataclass(frozen=True)
class Segment:
    """One prompt unit in cache order: a canonical key and its estimated tokens."""

    key: str
    tokens: int


@dataclass(frozen=True)
class CachePoint:
    """A ``cachePoint``: the prefix is the first ``position`` segments; ``ttl`` as asked."""

    position: int
    ttl: CacheTTL


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: name, description and JSON schema of its input."""

    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Message:
    """A conversation turn: role and its content blocks as sent."""

    role: Literal["user", "assistant"]
    content: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class ConverseRequest:
    """A validated Converse request."""

    system: tuple[str, ...]
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...]
    tool_choice: str | None
    """``"auto"``, ``"any"``, a tool name (a specific tool is required) or ``None``."""
    max_tokens: int | None
    temperature: float | None
    top_p: float | None
    stop_sequences: tuple[str, ...]
    segments: tuple[Segment, ...]
    cache_points: tuple[CachePoint, ...]
    features: Features = field(default_factory=Features)

    @property
    def input_tokens(self) -> int:
        """Estimated input tokens of the whole prompt."""
        return sum(s.tokens for s in self.segments)


def _fail(path: str, problem: str) -> BedrockError:
    return validation(f"1 validation error detected: Value at '{path}' {problem}")


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be an object")
    return value


def _list(value: Any, path: str, *, non_empty: bool = False) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, "must be a list")
    if non_empty and not value:
        raise _fail(path, "must contain at least 1 element")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(path, "must be a non-empty string")
    return value


def _number(value: Any, path: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise _fail(path, f"must be a number between {low} and {high}")
    return float(value)


def _union(block: Any, path: str, allowed: frozenset[str]) -> tuple[str, Any]:
    """The single member of a union block, e.g. ``("text", "hi")``."""
    block = _obj(block, path)
    if len(block) != 1 or next(iter(block)) not in allowed:
        raise _fail(path, f"must have exactly one member, one of: {', '.join(sorted(allowed))}")
    key = next(iter(block))
    return key, block[key]


def _decode_bytes(source: Any, path: str) -> bytes:
    raw = _obj(source, f"{path}.source").get("bytes")
    if not isinstance(raw, str):
        raise _fail(f"{path}.source.bytes", "must be base64-encoded bytes")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(f"{path}.source.bytes", "must be valid base64") from None


def _cache_ttl(value: Any, path: str) -> CacheTTL:
    point = _obj(value, path)
    if point.get("type") != "default":
        raise _fail(f"{path}.type", "must be one of: default")
    ttl = point.get("ttl", "5m")
    if ttl not in ("5m", "1h"):
        raise _fail(f"{path}.ttl", "must be one of: 5m, 1h")
    return "1h" if ttl == "1h" else "5m"


def document_chunks(block: dict[str, Any], path: str) -> list[str]:
    """A ``document`` block's text in its citable units: the ``source.content`` blocks, the pages of a PDF
    (text of uncompressed ``Tj`` operators), or the whole text of ``source.text`` / a text-format file."""
    source = _obj(block.get("source"), f"{path}.source")
    if isinstance(source.get("text"), str):
        return [source["text"]]
    if isinstance(source.get("content"), list):
        parts = _list(source["content"], f"{path}.source.content", non_empty=True)
        return [_str(_obj(p, f"{path}.source.content.{i}").get("text"), f"{path}.source.content.{i}.text")
                for i, p in enumerate(parts)]  # fmt: skip
    if isinstance(source.get("s3Location"), dict):
        return [f"[{block.get('format')} document {block.get('name', 'document')} in S3]"]
    data = _decode_bytes(source, path)
    fmt = block.get("format")
    if fmt == "pdf":
        text = " ".join(m.decode("latin-1") for m in _PDF_TEXT.findall(data))
        return [text or f"[pdf document {block.get('name', 'document')}: {len(data)} bytes]"]
    if fmt in _TEXT_DOCUMENT_FORMATS:
        return [data.decode("utf-8", errors="replace")]
    return [f"[{fmt} document {block.get('name', 'document')}: {len(data)} bytes]"]


def document_text(block: dict[str, Any], path: str) -> str:
    """Readable text of a ``document`` block (see :func:`document_chunks`)."""
    return " ".join(document_chunks(block, path))


def block_text(key: str, value: Any, path: str) -> str:
    """Text a content block contributes to the prompt (and to its token estimate)."""
    if key == "text":
        if not isinstance(value, str):
            raise _fail(path, "must be a string")
        return value
    if key == "document":
        return document_text(_obj(value, path), path)
    if key == "toolUse":
        use = _obj(value, path)
        _str(use.get("toolUseId"), f"{path}.toolUseId")
        return f"{_str(use.get('name'), f'{path}.name')} {json.dumps(use.get('input'), sort_keys=True)}"
    if key == "toolResult":
        result = _obj(value, path)
        _str(result.get("toolUseId"), f"{path}.toolUseId")
        parts = _list(result.get("content"), f"{path}.content")
        return " ".join(
            block_text(*_union(p, f"{path}.content.{i}", _CONTENT_KEYS), f"{path}.content.{i}")
            if not (isinstance(p, dict) and "json" in p)
            else json.dumps(p["json"], sort_keys=True)
            for i, p in enumerate(parts)
        )
    if key == "guardContent":
        text = _obj(_obj(value, path).get("text"), f"{path}.text")
        return _str(text.get("text"), f"{path}.text.text")
    if key in ("reasoningContent", "citationsContent", "searchResult"):
        return json.dumps(value, sort_keys=True)
    return ""


def _tool_specs(raw: Any, segments: list[Segment], points: list[CachePoint]) -> tuple[tuple[ToolSpec, ...], str | None]:
    config = _obj(raw, "toolConfig")
    tools: list[ToolSpec] = []
    for i, tool in enumerate(_list(config.get("tools"), "toolConfig.tools", non_empty=True)):
        key, value = _union(tool, f"toolConfig.tools.{i}", frozenset({"toolSpec", "cachePoint", "systemTool"}))
        if key == "cachePoint":
            points.append(CachePoint(len(segments), _cache_ttl(value, f"toolConfig.tools.{i}.cachePoint")))
            continue
        path = f"toolConfig.tools.{i}.{key}"
        spec = _obj(value, path)
        name = _str(spec.get("name"), f"{path}.name")
        schema = _obj(_obj(spec.get("inputSchema"), f"{path}.inputSchema").get("json"), f"{path}.inputSchema.json")
        tools.append(ToolSpec(name, str(spec.get("description", "")), schema))
        text = json.dumps(spec, sort_keys=True)
        segments.append(Segment(text, estimate_messages_tokens([text])))
    names = [t.name for t in tools]
    if len(set(names)) != len(names):
        raise _fail("toolConfig.tools", "must have unique tool names")
    choice_raw = config.get("toolChoice")
    if choice_raw is None:
        return tuple(tools), None
    kind, value = _union(choice_raw, "toolConfig.toolChoice", frozenset({"auto", "any", "tool"}))
    if kind != "tool":
        return tuple(tools), kind
    name = _str(_obj(value, "toolConfig.toolChoice.tool").get("name"), "toolConfig.toolChoice.tool.name")
    if name not in names:
        raise _fail("toolConfig.toolChoice.tool.name", f"must name a tool in toolConfig.tools: {', '.join(names)}")
    return tuple(tools), name


def _inference(raw: Any) -> tuple[int | None, float | None, float | None, tuple[str, ...]]:
    config = _obj(raw if raw is not None else {}, "inferenceConfig")
    max_tokens = config.get("maxTokens")
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
        raise _fail("inferenceConfig.maxTokens", "must be an integer >= 1")
    temperature = config.get("temperature")
    top_p = config.get("topP")
    stops = _list(config.get("stopSequences", []), "inferenceConfig.stopSequences")
    return (
        max_tokens,
        None if temperature is None else _number(temperature, "inferenceConfig.temperature", 0.0, 1.0),
        None if top_p is None else _number(top_p, "inferenceConfig.topP", 0.0, 1.0),
        tuple(_str(s, f"inferenceConfig.stopSequences.{i}") for i, s in enumerate(stops)),
    )


def _messages(raw: Any, segments: list[Segment], points: list[CachePoint], has_tools: bool) -> tuple[Message, ...]:
    messages: list[Message] = []
    for i, item in enumerate(_list(raw, "messages", non_empty=True)):
        path = f"messages.{i}"
        msg = _obj(item, path)
        role = msg.get("role")
        if role not in ("user", "assistant"):
            raise _fail(f"{path}.role", "must be one of: user, assistant")
        expected = "user" if i % 2 == 0 else "assistant"
        if role != expected:
            raise validation("A conversation must start with a user message and alternate user and assistant roles.")
        blocks = _list(msg.get("content"), f"{path}.content", non_empty=True)
        overhead = estimate_messages_tokens([""])
        for j, block in enumerate(blocks):
            key, value = _union(block, f"{path}.content.{j}", _CONTENT_KEYS)
            if key == "cachePoint":
                points.append(CachePoint(len(segments), _cache_ttl(value, f"{path}.content.{j}.cachePoint")))
                continue
            if key in ("toolUse", "toolResult") and not has_tools:
                raise validation(
                    "The toolConfig field must be defined when using toolUse and toolResult content blocks."
                )
            text = block_text(key, value, f"{path}.content.{j}")
            tokens = IMAGE_TOKENS if key in ("image", "video", "audio") else estimate_tokens(text)
            segments.append(Segment(json.dumps({role: block}, sort_keys=True), tokens + overhead))
            overhead = 0
        messages.append(Message(role, tuple(b for b in blocks if "cachePoint" not in b)))
    return tuple(messages)


def parse_converse(body: Any) -> ConverseRequest:
    """Validate a decoded Converse body; raises ``ValidationException`` naming the bad field."""
    body = _obj(body, "body")
    unknown = sorted(set(body) - _TOP_LEVEL)
    if unknown:
        raise _fail(unknown[0], f"is not a Converse field; valid fields: {', '.join(sorted(_TOP_LEVEL))}")
    segments: list[Segment] = []
    points: list[CachePoint] = []
    tools: tuple[ToolSpec, ...] = ()
    tool_choice = None
    if body.get("toolConfig") is not None:
        tools, tool_choice = _tool_specs(body["toolConfig"], segments, points)
    system: list[str] = []
    for i, block in enumerate(_list(body.get("system", []), "system")):
        key, value = _union(block, f"system.{i}", _SYSTEM_KEYS)
        if key == "cachePoint":
            points.append(CachePoint(len(segments), _cache_ttl(value, f"system.{i}.cachePoint")))
            continue
        text = _str(value, f"system.{i}.text") if key == "text" else block_text(key, value, f"system.{i}.{key}")
        system.append(text)
        segments.append(Segment(json.dumps({"system": text}), estimate_messages_tokens([text])))
    messages = _messages(body.get("messages"), segments, points, bool(tools))
    if len(points) > 4:
        raise _fail("cachePoint", f"appears {len(points)} times; a request may hold at most 4 cache points")
    max_tokens, temperature, top_p, stops = _inference(body.get("inferenceConfig"))
    return ConverseRequest(
        system=tuple(system),
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        stop_sequences=stops,
        segments=tuple(segments),
        cache_points=tuple(points),
        features=parse_features(body),
    )
