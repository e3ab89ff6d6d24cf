"""Prompt-string bodies: Meta Llama, Mistral AI text completion and DeepSeek.

The request is ``{"prompt": ..., <output cap>, "temperature", "top_p", ...}`` with the conversation written in the
model's chat template (Llama 3 / 4 headers, ``[INST]`` ... ``[/INST]``, ``<<SYS>>``, DeepSeek's ``<|User|>``,
ChatML, ``Human:`` / ``Assistant:``); the template is read back into turns. Replies, per Bedrock's model
parameters pages: Llama ``generation`` with ``prompt_token_count``, ``generation_token_count`` and ``stop_reason``;
Mistral ``outputs[{text, stop_reason}]``; DeepSeek ``choices[{text, stop_reason}]``. Stop reasons are ``stop``
or ``length``; the last stream chunk has the stop reason and the invocation metrics.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

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
)
from langchain_bedrock_routing.emulator.text import stream_pieces

_MARKER = re.compile(
    r"<\|start_header_id\|>(?P<llama3>\w+)<\|end_header_id\|>"
    r"|<\|header_start\|>(?P<llama4>\w+)<\|header_end\|>"
    r"|<\|im_start\|>(?P<chatml>\w+)"
    r"|<\|(?P<deepseek>User|Assistant|System)\|>"
    r"|(?P<inst>\[INST\])|(?P<inst_end>\[/INST\])|(?P<sys><<SYS>>)|(?P<sys_end><</SYS>>)"
    r"|(?:^|\n\n)(?P<human>Human|Assistant):"
)
_SPECIAL = re.compile(r"<\|[^|<>]*\|>|</?s>")
_ROLE = {"system": "system", "user": "user", "assistant": "assistant", "ipython": "user", "tool": "user",
         "human": "user"}  # fmt: skip


def _role(match: re.Match[str]) -> str:
    kind = match.lastgroup or ""
    fixed = {"inst": "user", "inst_end": "assistant", "sys": "system", "sys_end": "user"}
    if kind in fixed:
        return fixed[kind]
    return _ROLE.get(match.group(kind).lower(), "user")


def prompt_turns(prompt: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(system texts, [(role, text)]) read from a chat-template ``prompt``; text before any marker is the user's."""
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    role, start = "user", 0
    for match in _MARKER.finditer(prompt):
        _add(role, prompt[start : match.start()], system, turns)
        role, start = _role(match), match.end()
    _add(role, prompt[start:], system, turns)
    return system, turns


def _add(role: str, raw: str, system: list[str], turns: list[tuple[str, str]]) -> None:
    text = _SPECIAL.sub("", raw).strip()
    if text:
        (system.append(text) if role == "system" else turns.append((role, text)))


@dataclass(frozen=True)
class PromptCompletion:
    """One prompt-string family: its output-cap key and how its reply and stream chunks are shaped."""

    name: str
    max_key: str
    shape: Callable[[str, str | None, ServedChat, bool], Body]
    """(text, stop reason or None while streaming, outcome, first chunk) -> response body or stream chunk."""

    def to_converse(self, body: Body) -> Body:
        """The template's turns as Converse messages, its system text as ``system``."""
        if "messages" in body:
            raise not_this_format(self.name, "it reads a prompt string, not messages")
        prompt = required(body, "prompt")
        if not isinstance(prompt, str):
            raise validation("Malformed input request: #/prompt: expected type: String, please reformat your input.")
        system, turns = prompt_turns(prompt)
        converse: Body = {"messages": alternate((role, [{"text": text}]) for role, text in turns)}
        if system:
            converse["system"] = [{"text": text} for text in system]
        names = (
            ("maxTokens", self.max_key),
            ("temperature", "temperature"),
            ("topP", "top_p"),
            ("stopSequences", "stop"),
        )
        config = inference_config(body, names)
        if config:
            converse["inferenceConfig"] = config
        return converse

    def response(self, outcome: ServedChat) -> Body:
        """The family's reply body."""
        return self.shape(outcome.text(), finish(outcome.stop_reason, tool_calls="stop"), outcome, True)

    def chunks(self, response: Body, outcome: ServedChat, metrics: Body) -> Iterator[Body]:
        """Text pieces with no stop reason, then an empty piece with it and the metrics."""
        for i, piece in enumerate(stream_pieces(outcome.text())):
            yield self.shape(piece, None, outcome, i == 0)
        last = self.shape("", finish(outcome.stop_reason, tool_calls="stop"), outcome, False)
        yield {**last, METRICS_KEY: metrics}


def _llama(text: str, stop: str | None, outcome: ServedChat, first: bool) -> Body:
    return {
        "generation": text,
        "prompt_token_count": outcome.input_tokens if first else None,
        "generation_token_count": outcome.output_tokens if stop is not None else None,
        "stop_reason": stop,
    }


def _mistral(text: str, stop: str | None, outcome: ServedChat, first: bool) -> Body:
    return {"outputs": [{"text": text, "stop_reason": stop}]}


def _deepseek(text: str, stop: str | None, outcome: ServedChat, first: bool) -> Body:
    return {"choices": [{"text": text, "stop_reason": stop}]}


LLAMA = PromptCompletion("Meta Llama", "max_gen_len", _llama)
MISTRAL_TEXT = PromptCompletion("Mistral AI text completion", "max_tokens", _mistral)
DEEPSEEK = PromptCompletion("DeepSeek", "max_tokens", _deepseek)
