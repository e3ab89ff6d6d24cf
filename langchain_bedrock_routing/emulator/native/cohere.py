"""Cohere Command R / R+ native body: ``message`` with ``chat_history``, ``preamble``, ``documents`` and ``tools``.

Per Bedrock's Command R reference: roles are ``USER`` / ``CHATBOT`` (``SYSTEM`` too), tools declare
``parameter_definitions``, and ``tool_results`` pair a call with its outputs. The reply has ``response_id``,
``text``, ``generation_id``, ``chat_history``, ``finish_reason`` (``COMPLETE`` / ``MAX_TOKENS``), ``tool_calls``
and ``meta.billed_units``; the stream is ``stream-start``, ``text-generation`` pieces, ``tool-calls-generation``
and ``stream-end`` (``is_finished`` true, the whole ``response``, the invocation metrics).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from langchain_bedrock_routing.emulator.native.base import (
    METRICS_KEY,
    Body,
    ServedChat,
    alternate,
    inference_config,
    not_this_format,
    required,
)
from langchain_bedrock_routing.emulator.text import stream_pieces

_ROLES = {"USER": "user", "CHATBOT": "assistant", "SYSTEM": "system"}
_INFERENCE = (("maxTokens", "max_tokens"), ("temperature", "temperature"), ("topP", "p"),
              ("stopSequences", "stop_sequences"))  # fmt: skip


def _schema(tool: Body) -> Body:
    """A JSON schema from Cohere's ``parameter_definitions``."""
    definitions: dict[str, Any] = tool.get("parameter_definitions") or {}
    properties = {name: {"type": d.get("type", "string"), "description": d.get("description", "")}
                  for name, d in definitions.items()}  # fmt: skip
    required_names = [name for name, d in definitions.items() if d.get("required")]
    return {"type": "object", "properties": properties, "required": required_names}


def _tool_turns(results: list[Body]) -> list[tuple[str, list[Body]]]:
    """``tool_results`` as Converse turns: the model's calls, then their outputs (ids made up: Cohere has none)."""
    uses, answers = [], []
    for i, result in enumerate(results):
        call, use_id = result.get("call") or {}, f"cohere_call_{i}"
        uses.append({"toolUse": {"toolUseId": use_id, "name": call.get("name"), "input": call.get("parameters", {})}})
        outputs = [{"json": o} if not isinstance(o.get("text"), str) else {"text": o["text"]}
                   for o in result.get("outputs", [])]  # fmt: skip
        answers.append({"toolResult": {"toolUseId": use_id, "content": outputs or [{"text": ""}]}})
    return [("assistant", uses), ("user", answers)] if results else []


class CohereCommandR:
    """Command R / R+ InvokeModel body."""

    name = "Cohere Command R"

    def to_converse(self, body: Body) -> Body:
        """History and message as Converse turns; preamble, system turns and documents as ``system``."""
        if "prompt" in body:
            raise not_this_format(self.name, "Command R reads message and chat_history, not a prompt string")
        system = [{"text": body["preamble"]}] if body.get("preamble") else []
        system += [
            {"text": f"{d.get('title', 'document')}: {d.get('snippet', '')}"} for d in body.get("documents") or []
        ]
        turns: list[tuple[str, list[Body]]] = []
        for turn in body.get("chat_history") or []:
            role = _ROLES.get(str(turn.get("role")).upper(), "user")
            text = str(turn.get("message", ""))
            if role == "system":
                system.append({"text": text})
            elif text:
                turns.append((role, [{"text": text}]))
        message = str(required(body, "message"))
        turns.append(("user", [{"text": message}] if message else []))
        converse: Body = {"messages": alternate([*turns, *_tool_turns(body.get("tool_results") or [])])}
        if system:
            converse["system"] = system
        tools = [{"toolSpec": {"name": t.get("name"), "description": t.get("description", ""),
                               "inputSchema": {"json": _schema(t)}}} for t in body.get("tools") or []]  # fmt: skip
        if tools:
            converse["toolConfig"] = {"tools": tools}
        config = inference_config(body, _INFERENCE)
        if config:
            converse["inferenceConfig"] = config
        return converse

    def response(self, outcome: ServedChat) -> Body:
        """The Command R reply body."""
        calls = [{"name": use["name"], "parameters": use["input"]} for use in outcome.tool_uses()]
        body: Body = {
            "response_id": str(uuid.uuid4()),
            "text": outcome.text(),
            "generation_id": str(uuid.uuid4()),
            "chat_history": [],
            "finish_reason": "MAX_TOKENS" if outcome.stop_reason == "max_tokens" else "COMPLETE",
            "meta": {
                "api_version": {"version": "1"},
                "billed_units": {"input_tokens": outcome.input_tokens, "output_tokens": outcome.output_tokens},
            },
        }
        if calls:
            body["tool_calls"] = calls
        return body

    def chunks(self, response: Body, outcome: ServedChat, metrics: Body) -> Iterator[Body]:
        """``stream-start``, ``text-generation`` pieces, ``tool-calls-generation``, then ``stream-end``."""
        start = {"is_finished": False, "event_type": "stream-start", "generation_id": response["generation_id"]}
        yield start
        if response["text"]:
            for piece in stream_pieces(response["text"]):
                yield {"is_finished": False, "event_type": "text-generation", "text": piece}
        if response.get("tool_calls"):
            yield {"is_finished": False, "event_type": "tool-calls-generation", "tool_calls": response["tool_calls"]}
        end = {"is_finished": True, "event_type": "stream-end", "finish_reason": response["finish_reason"]}
        yield {**end, "response": response, METRICS_KEY: metrics}
