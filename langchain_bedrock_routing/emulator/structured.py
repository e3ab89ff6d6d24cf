"""Native structured output: a Converse ``outputConfig.textFormat`` JSON schema makes the text reply a JSON value.

Bedrock constrains the reply to the schema (``{"type": "json_schema", "structure": {"jsonSchema": {"schema":
"<JSON string>", "name": ...}}}``); a tool call is still a tool call. The emulator's value is drawn from the
conversation's text and tool results, as for a forced tool call's input.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_bedrock_routing.catalog import estimate_tokens
from langchain_bedrock_routing.emulator.errors import validation
from langchain_bedrock_routing.emulator.request import ConverseRequest
from langchain_bedrock_routing.emulator.responder import Reply
from langchain_bedrock_routing.emulator.toolschema import PromptFacts, value_for


def output_schema(body: Any) -> dict[str, Any] | None:
    """The JSON schema a decoded Converse ``body`` asks the reply to follow, else ``None``."""
    fmt = (body.get("outputConfig") or {}).get("textFormat") if isinstance(body, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return None
    raw = ((fmt.get("structure") or {}).get("jsonSchema") or {}).get("schema")
    try:
        schema = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        schema = None
    if not isinstance(schema, dict):
        raise validation("outputConfig.textFormat.structure.jsonSchema.schema must be a JSON object in a string")
    return schema


def structured(reply: Reply, schema: dict[str, Any] | None, request: ConverseRequest) -> Reply:
    """``reply`` with its text replaced by a JSON value valid under ``schema`` (tool calls and no schema: as is)."""
    if schema is None or reply.stop_reason == "tool_use":
        return reply
    text = json.dumps(value_for(schema, PromptFacts.of(" ".join(_texts([m.content for m in request.messages])))))
    return Reply(content=({"text": text},), stop_reason="end_turn", output_tokens=estimate_tokens(text))


def _texts(value: Any) -> list[str]:
    """Every ``text`` string in content blocks, tool results included."""
    if isinstance(value, dict):
        own = [value["text"]] if isinstance(value.get("text"), str) else []
        return own + [s for k, v in value.items() if k != "text" for s in _texts(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _texts(v)]
    return []
