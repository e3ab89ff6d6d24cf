"""Chat-completions bodies: OpenAI's (gpt-oss, GPT-5.x, Qwen) and Mistral AI's chat completion.

Requests carry ``messages`` (``system``/``developer``, ``user``, ``assistant`` with ``tool_calls``, ``tool``),
``tools`` as functions and ``tool_choice``; replies carry ``choices[0].message``. OpenAI's choices end with
``finish_reason`` and the body has ``usage``; Mistral's end with ``stop_reason`` (its Bedrock reference). Stream
chunks are ``choices[0].delta`` pieces; the last one has the finish reason and the invocation metrics.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_bedrock_routing.emulator.errors import validation
from langchain_bedrock_routing.emulator.native.base import (
    METRICS_KEY,
    Body,
    ServedChat,
    alternate,
    finish,
    inference_config,
    not_this_format,
    required,
    tool_arguments,
)
from langchain_bedrock_routing.emulator.text import stream_pieces

_INFERENCE = (
    ("maxTokens", "max_completion_tokens"), ("maxTokens", "max_tokens"), ("temperature", "temperature"),
    ("topP", "top_p"), ("stopSequences", "stop"),
)  # fmt: skip
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "user"}


def _text(content: Any, path: str) -> str:
    """A message's text: a string, or the ``text`` parts of a list of content parts."""
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    raise validation(f"{path}: content must be a string or a list of content parts")


def _blocks(message: Body, path: str) -> list[Body]:
    """Converse blocks of one chat message."""
    if message.get("role") == "tool":
        result = {"toolUseId": message.get("tool_call_id"), "content": [{"text": _text(message.get("content"), path)}]}
        return [{"toolResult": result}]
    text = _text(message.get("content"), path)
    blocks: list[Body] = [{"text": text}] if text else []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = function.get("arguments") or "{}"
        use = {"toolUseId": call.get("id"), "name": function.get("name"), "input": json.loads(arguments)}
        blocks.append({"toolUse": use})
    return blocks


def _tool_config(body: Body) -> Body | None:
    tools = body.get("tools")
    if not tools:
        return None
    specs = []
    for tool in tools:
        function = tool.get("function") or {}
        schema = function.get("parameters") or {"type": "object", "properties": {}}
        spec = {
            "name": function.get("name"),
            "description": function.get("description", ""),
            "inputSchema": {"json": schema},
        }
        specs.append({"toolSpec": spec})
    config: Body = {"tools": specs}
    choice = body.get("tool_choice")
    if choice in ("required", "any"):
        config["toolChoice"] = {"any": {}}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        config["toolChoice"] = {"tool": {"name": choice["function"].get("name")}}
    elif choice == "auto":
        config["toolChoice"] = {"auto": {}}
    return config


@dataclass(frozen=True)
class ChatCompletions:
    """A chat-completions body; ``stop_key`` names the choice's stop field (``finish_reason`` or ``stop_reason``)."""

    name: str
    stop_key: str
    usage: bool

    def to_converse(self, body: Body) -> Body:
        """System messages into ``system``, tool results into user turns, the rest as Converse messages."""
        if "prompt" in body:
            raise not_this_format(self.name, "it reads messages, not a prompt string")
        system: list[Body] = []
        turns: list[tuple[str, list[Body]]] = []
        for i, message in enumerate(required(body, "messages")):
            role = _ROLES.get(str(message.get("role"))) if isinstance(message, dict) else None
            if role is None:
                raise validation(f"messages.{i}.role must be one of: {', '.join(_ROLES)}")
            if role == "system":
                system.append({"text": _text(message.get("content"), f"messages.{i}")})
            else:
                turns.append((role, _blocks(message, f"messages.{i}")))
        converse: Body = {"messages": alternate(turns)}
        if system:
            converse["system"] = system
        tools = _tool_config(body)
        if tools:
            converse["toolConfig"] = tools
        config = inference_config(body, _INFERENCE)
        if config:
            converse["inferenceConfig"] = config
        return converse

    def response(self, outcome: ServedChat) -> Body:
        """A ``chat.completion`` object with one choice."""
        message: Body = {"role": "assistant", "content": outcome.text()}
        calls = [
            {"id": use["toolUseId"], "type": "function",
             "function": {"name": use["name"], "arguments": tool_arguments(use)}}
            for use in outcome.tool_uses()
        ]  # fmt: skip
        if calls:
            message["tool_calls"] = calls
        choice = {"index": 0, "message": message, self.stop_key: finish(outcome.stop_reason)}
        body: Body = {
            "id": "chatcmpl-" + uuid.uuid4().hex[:24],
            "object": "chat.completion",
            "created": int(time.time()),
            "model": outcome.model_id,
            "choices": [choice],
        }
        if self.usage:
            tokens = outcome.input_tokens + outcome.cache_read + outcome.cache_write
            body["usage"] = {
                "prompt_tokens": tokens,
                "completion_tokens": outcome.output_tokens,
                "total_tokens": tokens + outcome.output_tokens,
            }
        return body

    def chunks(self, response: Body, outcome: ServedChat, metrics: Body) -> Iterator[Body]:
        """``chat.completion.chunk`` objects: the role, text pieces, tool calls, then the finish with metrics."""
        choice = response["choices"][0]
        head = {"id": response["id"], "object": "chat.completion.chunk", "created": response["created"],
                "model": response["model"]}  # fmt: skip

        def chunk(delta: Body, stop: str | None = None) -> Body:
            return {**head, "choices": [{"index": 0, "delta": delta, self.stop_key: stop}]}

        yield chunk({"role": "assistant", "content": ""})
        if choice["message"]["content"]:
            for piece in stream_pieces(choice["message"]["content"]):
                yield chunk({"content": piece})
        for index, call in enumerate(choice["message"].get("tool_calls", [])):
            yield chunk({"tool_calls": [{"index": index, **call}]})
        yield {**chunk({}, choice[self.stop_key]), METRICS_KEY: metrics}


OPENAI = ChatCompletions("OpenAI chat completions", "finish_reason", usage=True)
MISTRAL_CHAT = ChatCompletions("Mistral AI chat completion", "stop_reason", usage=False)
