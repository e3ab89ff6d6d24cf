"""CountTokens: the input tokens a Converse request would be billed for, without running it.

Bedrock counts tokens for Anthropic Claude models (``POST /model/{modelId}/count-tokens``, body
``{"input": {"converse": {...}}}`` or ``{"input": {"invokeModel": {"body": <base64>}}}``, reply
``{"inputTokens": n}``); other models get the ``ValidationException`` real Bedrock sends. The count is the same
estimate the emulator bills Converse with (prompt-cache points counted as plain input).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from langchain_bedrock_routing.catalog import ModelSpec, UnknownModelError, estimate_messages_tokens, get_catalog
from langchain_bedrock_routing.emulator.errors import validation
from langchain_bedrock_routing.emulator.request import parse_converse

_CONVERSE_KEYS = ("messages", "system", "toolConfig", "additionalModelRequestFields")


def counts_tokens(spec: ModelSpec) -> bool:
    """True when Bedrock serves CountTokens for this model (Anthropic Claude)."""
    return spec.family.startswith("claude")


def count_tokens(model_id: str, body: Any) -> dict[str, int]:
    """The CountTokens reply for a decoded request ``body``; raises ``ValidationException`` like Bedrock."""
    try:
        spec = get_catalog().get(model_id)
    except UnknownModelError as exc:
        raise validation(f"The provided model identifier is invalid: {exc}") from None
    if not counts_tokens(spec):
        raise validation(f"The provided model doesn't support counting tokens: {model_id}.")
    given = body.get("input") if isinstance(body, dict) else None
    if not isinstance(given, dict) or len(given) != 1 or next(iter(given)) not in ("converse", "invokeModel"):
        raise validation(
            "1 validation error detected: Value at 'input' must have exactly one member: converse, invokeModel"
        )
    if "converse" in given:
        converse = given["converse"] if isinstance(given["converse"], dict) else {}
        return {"inputTokens": parse_converse({k: converse[k] for k in _CONVERSE_KEYS if k in converse}).input_tokens}
    return {"inputTokens": _invoke_body_tokens(given["invokeModel"])}


def _invoke_body_tokens(invoke: Any) -> int:
    """Estimated tokens of the text in an InvokeModel body (a base64 blob of the model's native JSON)."""
    raw = invoke.get("body") if isinstance(invoke, dict) else None
    try:
        native = json.loads(base64.b64decode(raw, validate=True)) if isinstance(raw, str) else None
    except (binascii.Error, ValueError):
        native = None
    if not isinstance(native, dict):
        raise validation("Malformed input request: invokeModel.body is not a JSON object, please reformat your input.")
    texts = _strings({k: v for k, v in native.items() if k in ("messages", "system", "prompt", "tools")})
    return estimate_messages_tokens(texts) if texts else 0


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
