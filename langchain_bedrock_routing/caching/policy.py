"""What a cache may store: never errors, empty or truncated answers; tool calls, PII and ``skip_if`` by choice."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation

SkipReason = Literal["error", "empty", "truncated", "tool_calls", "skip_if", "pii"]
SkipPredicate = Callable[[str, Sequence[Generation]], bool]
"""``skip_if(prompt, generations)``: ``prompt`` is LangChain's serialized prompt (JSON text)."""

_STOP_REASON_KEYS = ("stopReason", "stop_reason", "finish_reason")
_TRUNCATED = frozenset({"max_tokens", "length", "model_context_window_exceeded"})
_ERRORS = frozenset({"error"})

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[\s.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]\d{3,4}"
    r"(?![\w-])(?![\s.]\d)|(?<![\w+])\+\d{8,15}\b"
)
_CARD_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_NATIONAL_IDS = (
    re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b"),  # US SSN
    re.compile(r"\b(?![DFIQUV])[A-Z](?![DFIOQUV])[A-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),  # UK NINO
)


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum used by payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def contains_pii(text: str) -> bool:
    """True when ``text`` holds an email, a phone number (10-15 digits), a Luhn-valid card number or a
    national id (US SSN, UK NINO)."""
    if _EMAIL.search(text) or any(p.search(text) for p in _NATIONAL_IDS):
        return True
    if any(10 <= sum(ch.isdigit() for ch in m.group()) <= 15 for m in _PHONE.finditer(text)):
        return True
    for match in _CARD_CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return True
    return False


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

    ``cache_tool_calls``: also store answers that call tools. ``skip_pii``: skip when the prompt or the
    answer contains PII (:func:`contains_pii`). ``skip_if``: your own veto, ``skip_if(prompt, generations)``.
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
