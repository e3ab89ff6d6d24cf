"""The prompts a cache is warmed with: :class:`WarmPrompt` and the JSONL file format read by :func:`load_prompts`.

One JSON object per line: ``{"prompt": "..."}`` or ``{"messages": [{"role": "system"|"user"|"assistant",
"content": "..."}, ...]}`` (ending with a user turn), with optional ``"tenant"`` (a non-empty string) and
``"metadata"`` (an object passed to the run's ``config["metadata"]``). Blank lines are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from langchain_bedrock_routing.caching.context import DIRECTIVE_METADATA_KEY, TENANT_METADATA_KEY, validate_tenant

_ROLES: dict[str, type[BaseMessage]] = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
_FIELDS = ("prompt", "messages", "tenant", "metadata")
_RESERVED_METADATA = (TENANT_METADATA_KEY, DIRECTIVE_METADATA_KEY)
_MAX_LISTED_PROBLEMS = 20


class PromptFileError(ValueError):
    """A prompts file with bad lines; ``problems`` lists ``(line number, what is wrong)`` for each."""

    def __init__(self, source: str, problems: Sequence[tuple[int, str]]) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = [f"{source}:{line}: {problem}" for line, problem in self.problems[:_MAX_LISTED_PROBLEMS]]
        more = len(self.problems) - len(shown)
        summary = f"{len(self.problems)} bad line(s) in {source}, nothing was sent to a model:\n  "
        super().__init__(summary + "\n  ".join(shown) + (f"\n  ... and {more} more" if more else ""))


@dataclass(frozen=True)
class WarmPrompt:
    """One conversation to warm: ``messages`` as the model will see them, the cache ``tenant`` (``None``:
    shared), extra run ``metadata``, and the ``line`` of the JSONL file it came from (if any)."""

    messages: tuple[BaseMessage, ...]
    tenant: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    line: int | None = None

    def __post_init__(self) -> None:
        if not self.messages or not isinstance(self.messages[-1], HumanMessage):
            raise ValueError("a warm prompt needs at least one message and must end with a user (human) turn")
        validate_tenant(self.tenant)
        reserved = sorted(k for k in self.metadata if k in _RESERVED_METADATA)
        if reserved:
            raise ValueError(
                f"metadata must not set {', '.join(reserved)}: give the tenant as the prompt's tenant, "
                "and warming always looks up and stores"
            )

    @classmethod
    def of(cls, prompt: str | Sequence[BaseMessage] | WarmPrompt, tenant: str | None = None) -> WarmPrompt:
        """``prompt`` as a :class:`WarmPrompt`: text becomes one user turn; ``tenant`` applies when it has none."""
        if isinstance(prompt, WarmPrompt):
            return replace(prompt, tenant=tenant) if prompt.tenant is None and tenant is not None else prompt
        if isinstance(prompt, str):
            if not prompt.strip():
                raise ValueError("a warm prompt must not be empty")
            return cls((HumanMessage(prompt),), tenant)
        if not all(isinstance(m, BaseMessage) for m in prompt):
            raise TypeError(f"a warm prompt is a str, a list of messages or a WarmPrompt, got {prompt!r}")
        return cls(tuple(prompt), tenant)

    @property
    def preview(self) -> str:
        """The last user turn's text, shortened to 60 characters (for tables and progress lines)."""
        text = " ".join(self.messages[-1].text.split())
        return text if len(text) <= 60 else text[:57] + "..."


def _message(entry: object, position: int) -> BaseMessage:
    if not isinstance(entry, dict):
        raise ValueError(f"messages[{position}] must be an object with role and content, got {entry!r}")
    role, content = entry.get("role"), entry.get("content")
    if role not in _ROLES:
        raise ValueError(f"messages[{position}].role must be one of {', '.join(_ROLES)}, got {role!r}")
    if not isinstance(content, str) or not content.strip():
        raise ValueError(f"messages[{position}].content must be a non-empty string")
    unknown = sorted(set(entry) - {"role", "content"})
    if unknown:
        raise ValueError(f"messages[{position}] has unknown field(s) {', '.join(unknown)} (valid: role, content)")
    return _ROLES[role](content)


def parse_prompt_line(text: str, line: int) -> WarmPrompt:
    """One JSONL line as a :class:`WarmPrompt`; ``ValueError`` saying what is wrong (without the line number)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"expected a JSON object, got {type(doc).__name__}")
    unknown = sorted(set(doc) - set(_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)} (valid: {', '.join(_FIELDS)})")
    if ("prompt" in doc) == ("messages" in doc):
        raise ValueError('give exactly one of "prompt" (a string) or "messages" (a list)')
    metadata = doc.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ValueError(f'"metadata" must be an object, got {type(metadata).__name__}')
    tenant = validate_tenant(doc.get("tenant"), '"tenant"')
    if "prompt" in doc:
        prompt = doc["prompt"]
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError('"prompt" must be a non-empty string')
        messages: tuple[BaseMessage, ...] = (HumanMessage(prompt),)
    else:
        raw = doc["messages"]
        if not isinstance(raw, list) or not raw:
            raise ValueError('"messages" must be a non-empty list')
        messages = tuple(_message(entry, i) for i, entry in enumerate(raw))
        if not isinstance(messages[-1], HumanMessage):
            raise ValueError('"messages" must end with a "user" turn (the question whose answer is cached)')
    return WarmPrompt(messages, tenant, MappingProxyType(metadata), line)


def parse_prompt_lines(lines: Iterable[str], source: str = "<prompts>") -> list[WarmPrompt]:
    """Every non-blank line as a :class:`WarmPrompt`; :class:`PromptFileError` listing all bad lines."""
    prompts: list[WarmPrompt] = []
    problems: list[tuple[int, str]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            prompts.append(parse_prompt_line(text, number))
        except ValueError as exc:
            problems.append((number, str(exc)))
    if problems:
        raise PromptFileError(source, problems)
    if not prompts:
        raise PromptFileError(source, [(0, "no prompts: the file is empty")])
    return prompts


def load_prompts(path: str | Path) -> list[WarmPrompt]:
    """The prompts in the JSONL file at ``path`` (UTF-8); :class:`PromptFileError` (a ``ValueError``) names
    every bad line and its problem, so nothing is paid for before the whole file is valid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"prompts file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise PromptFileError(str(path), [(_decode_error_line(exc), "not UTF-8 text")]) from exc
    return parse_prompt_lines(text.splitlines(), str(path))


def _decode_error_line(exc: UnicodeDecodeError) -> int:
    """The 1-based line of the byte where ``exc`` happened."""
    return exc.object[: exc.start].count(b"\n") + 1
