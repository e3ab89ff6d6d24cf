"""What a cache may store: never errors, empty or truncated answers; tool calls, PII and ``skip_if`` by choice."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_bedrock_routing.caching.pii import contains_pii

SkipReason = Literal["error", "empty", "truncated", "tool_calls", "skip_if", "pii"]
SkipPredicate = Callable[[str, Sequence[Generation]], bool]
"""``skip_if(prompt, generations)``: ``prompt`` is LangChain's serialized prompt (JSON text)."""

_STOP_REASON_KEYS = ("stopReason", "stop_reason", "finish_reason")
_TRUNCATED = frozenset({"max_tokens", "length", "model_context_window_exceeded"})
_ERRORS = frozenset({"error"})


def _prompt_texts(prompt: str) -> list[str]:
    """The string values inside a serialized (JSON) prompt, unescaped; the raw text if it is not JSON."""
    try:
        doc = json.loads(prompt)
    except ValueError:
        return [prompt]
    texts: list[str] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return texts


def _stop_reasons(gen: Generation) -> Iterable[object]:
    sources = [gen.generation_info or {}]
    if isinstance(gen, ChatGeneration):
        sources.append(gen.message.response_metadata)
    return (source.get(key) for source in sources for key in _STOP_REASON_KEYS)


def _has_error(gen: Generation) -> bool:
    infos = [gen.generation_info or {}]
    if isinstance(gen, ChatGeneration):
        infos.append(gen.message.response_metadata)
    return any(info.get("error") for info in infos) or any(r in _ERRORS for r in _stop_reasons(gen))


def _tool_calls(gen: Generation) -> bool:
    return isinstance(gen, ChatGeneration) and isinstance(gen.message, AIMessage) and bool(gen.message.tool_calls)


@dataclass(frozen=True)
class CachePolicy:
    """Rules applied before every store. Errors, empty answers and answers cut by ``max_tokens`` are never stored.

    ``cache_tool_calls``: also store answers that call tools. ``skip_pii``: skip when any text of the prompt
    or of the answer contains PII (:func:`~langchain_bedrock_routing.caching.pii.contains_pii`).
    ``skip_if``: your own veto, ``skip_if(prompt, generations)``.
    """

    cache_tool_calls: bool = False
    skip_pii: bool = False
    skip_if: SkipPredicate | None = None

    def skip_reason(self, prompt: str, generations: Sequence[Generation]) -> SkipReason | None:
        """Why ``generations`` must not be stored for ``prompt``, or ``None`` when they may be."""
        if any(_has_error(g) for g in generations):
            return "error"
        if not generations or all(not g.text.strip() and not _tool_calls(g) for g in generations):
            return "empty"
        if any(r in _TRUNCATED for g in generations for r in _stop_reasons(g)):
            return "truncated"
        if not self.cache_tool_calls and any(_tool_calls(g) for g in generations):
            return "tool_calls"
        if self.skip_if is not None and self.skip_if(prompt, generations):
            return "skip_if"
        if self.skip_pii and any(contains_pii(t) for t in [*_prompt_texts(prompt), *(g.text for g in generations)]):
            return "pii"
        return None
