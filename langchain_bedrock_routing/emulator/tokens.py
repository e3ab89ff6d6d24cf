"""CountTokens: the input tokens a Converse or InvokeModel request would be billed for, without running it.

Bedrock counts tokens for Anthropic Claude models; other models get the ValidationException real Bedrock sends.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace
from typing import Any

from langchain_bedrock_routing.catalog import ModelSpec, estimate_messages_tokens
from langchain_bedrock_routing.emulator.errors import validation
from langchain_bedrock_routing.emulator.request import ConverseRequest, Segment, parse_converse

_CONVERSE_KEYS = ("messages", "system", "toolConfig", "additionalModelRequestFields")
_TOOL_PROMPTS: tuple[tuple[str, int, int], ...] = (
    ("claude-3-5", 294, 261),
    ("claude-3", 264, 340),
    ("claude", 346, 313),
)
"""(family prefix, tokens with tool choice auto/none, with any/tool): the tool-use system prompt Anthropic adds
when tools are offered (Anthropic's tool-use pricing table; Claude 3.7 and every 4.x / 5.x share 346 / 313)."""


def tool_prompt_tokens(spec: ModelSpec, request: ConverseRequest) -> int:
    """Hidden input tokens of the tool-use system prompt for ``request`` on ``spec`` (0 without tools)."""
    if not request.tools:
        return 0
    forced = request.tool_choice not in (None, "auto")
    for prefix, auto, forcing in _TOOL_PROMPTS:
        if spec.family.startswith(prefix):
            return forcing if forced else auto
    return 0


def with_tool_prompt(spec: ModelSpec, request: ConverseRequest) -> ConverseRequest:
    """``request`` with the tool-use system prompt as its first prompt segment (cache points shifted past it)."""
    tokens = tool_prompt_tokens(spec, request)
    if tokens == 0:
        return request
    points = tuple(replace(p, position=p.position + 1) for p in request.cache_points)
    return replace(
        request, segments=(Segment("<tool-use system prompt>", tokens), *request.segments), cache_points=points
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in ("signature", "data") for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def count_tokens(spec: ModelSpec, body: Any) -> int:
    """Input tokens of a CountTokens ``body`` (``{"input": {"converse": ...} | {"invokeModel": {"body": ...}}}``)."""
    if not spec.family.startswith("claude"):
        raise validation(f"The provided model doesn't support counting tokens: {spec.model_id}.")
    given = body.get("input") if isinstance(body, dict) else None
    if not isinstance(given, dict) or len(given) != 1 or next(iter(given)) not in ("converse", "invokeModel"):
        raise validation(
            "1 validation error detected: Value at 'input' must have exactly one member: converse, invokeModel"
        )
    if "converse" in given:
        converse = given["converse"] if isinstance(given["converse"], dict) else {}
        request = parse_converse({k: converse[k] for k in _CONVERSE_KEYS if k in converse})
        return with_tool_prompt(spec, request).input_tokens
    raw = given["invokeModel"].get("body") if isinstance(given["invokeModel"], dict) else None
    try:  # a blob member: base64 of the InvokeModel body
        native = json.loads(base64.b64decode(raw, validate=True)) if isinstance(raw, str) else None
    except (binascii.Error, ValueError):
        native = None
    if not isinstance(native, dict):
        raise validation("Malformed input request: invokeModel.body is not a JSON object, please reformat your input.")
    texts = _strings({k: v for k, v in native.items() if k in ("messages", "system", "prompt", "tools")})
    return estimate_messages_tokens(texts) if texts else 0
