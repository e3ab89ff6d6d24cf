"""Split a LangChain cache key into an exact partition and the text a semantic cache embeds.

``BaseChatModel`` looks the cache up with ``prompt = dumps(messages)`` and ``llm_string`` (the
model's serialized parameters, which also carry tools bound with ``bind_tools``). A semantic
cache must not embed that JSON: the answer depends on everything in it. We read it back as
plain JSON (chat-message constructors only; nothing is revived, which is cheaper than
``langchain_core.load`` and safer) and keep the last human turn's text as the *semantic text*; the
rest of the conversation (system prompt, earlier turns, turns after it such as tool results,
non-text blocks of the last human turn), the llm_string and the tenant are hashed into the
*partition*. Two prompts can share an answer only inside one partition.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

_PARTITION_VERSION = "p2"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LAST_HUMAN_PLACEHOLDER = "<last-human-turn>"
_MESSAGES_NAMESPACE = ["langchain", "schema", "messages"]
_HUMAN_CLASSES = frozenset({"HumanMessage", "HumanMessageChunk"})
_MESSAGE_CLASSES = _HUMAN_CLASSES | {
    f"{role}{suffix}" for role in ("AI", "System", "Tool", "Function", "Chat") for suffix in ("Message", "MessageChunk")
}


@dataclass(frozen=True)
class PromptParts:
    """A cache prompt split for semantic lookup.

    ``semantic_text`` is the last human turn's text, or ``None`` when the prompt has none (then
    only an exact match is safe). ``context`` is a canonical JSON string of everything else.
    """

    semantic_text: str | None
    context: str


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _text_and_rest(content: str | list[Any]) -> tuple[str, list[Any]]:
    """The text of a message's content and its non-text blocks (images, documents ...)."""
    if isinstance(content, str):
        return content, []
    texts: list[str] = []
    rest: list[Any] = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        else:
            rest.append(block)
    return "\n".join(texts), rest


def _parse_messages(prompt: str) -> tuple[list[Any], list[tuple[str, dict[str, Any]]]] | None:
    """The raw JSON items and each message's (class name, kwargs) of a ``dumps(messages)`` prompt, or
    ``None`` if it is not a list of serialized chat messages."""
    if not prompt.startswith("["):
        return None
    try:
        raw = json.loads(prompt)
    except ValueError:
        return None
    messages: list[tuple[str, dict[str, Any]]] = []
    for item in raw:
        if not (
            isinstance(item, dict)
            and item.get("lc") == 1
            and item.get("type") == "constructor"
            and isinstance(item.get("id"), list)
            and item["id"][:-1] == _MESSAGES_NAMESPACE
            and item["id"][-1] in _MESSAGE_CLASSES
            and isinstance(item.get("kwargs"), dict)
            and isinstance(item["kwargs"].get("content", ""), (str, list))
        ):
            return None
        messages.append((item["id"][-1], item["kwargs"]))
    return raw, messages


def split_prompt(prompt: str) -> PromptParts:
    """Split a cache ``prompt`` into the last human turn's text and the rest (see module docstring).

    A prompt that is not a serialized message list (a plain LLM prompt) is its own semantic
    text with an empty context. A JSON prompt that does not load as chat messages is kept whole
    in the context, so it can only ever match itself exactly.
    """
    parsed = _parse_messages(prompt)
    if parsed is None:
        if prompt.startswith("["):
            return PromptParts(semantic_text=None, context=_canonical(["unparsed", prompt]))
        return PromptParts(semantic_text=prompt, context="")
    raw, messages = parsed
    last_human = next((i for i in range(len(messages) - 1, -1, -1) if messages[i][0] in _HUMAN_CLASSES), None)
    if last_human is None:
        return PromptParts(semantic_text=None, context=_canonical(raw))
    kwargs = messages[last_human][1]
    text, rest = _text_and_rest(kwargs.get("content", ""))
    others = {k: v for k, v in kwargs.items() if k not in {"content", "id", "type"} and v}
    context = [*raw[:last_human], [_LAST_HUMAN_PLACEHOLDER, rest, others], *raw[last_human + 1 :]]
    if not text.strip():
        return PromptParts(semantic_text=None, context=_canonical([*context, ["text", text]]))
    return PromptParts(semantic_text=text, context=_canonical(context))


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate (``"\\ud800"``, which strict UTF-8 refuses) kept as its 3-byte form:
    the same bytes as ``encode("utf-8")`` for every valid text, and never equal to a valid text's bytes."""
    return text.encode("utf-8", "surrogatepass")


def has_lone_surrogate(text: str) -> bool:
    """True when ``text`` holds an unpaired surrogate code point, which strict UTF-8 (and so Redis) cannot carry."""
    return not text.isascii() and _LONE_SURROGATE.search(text) is not None


def without_lone_surrogates(text: str) -> str:
    """``text`` with each unpaired surrogate replaced by U+FFFD, for consumers that need valid UTF-8 (embeddings)."""
    return _LONE_SURROGATE.sub("\ufffd", text) if has_lone_surrogate(text) else text


def partition_id(llm_string: str, context: str, tenant: str | None) -> str:
    """Hex digest naming the partition of (llm_string, conversation context, tenant); 32 chars."""
    payload = _canonical([_PARTITION_VERSION, llm_string, context, tenant])
    return hashlib.blake2b(utf8(payload), digest_size=16).hexdigest()


def entry_id(semantic_text: str) -> str:
    """Hex digest of a semantic text inside a partition (its exact-match id); 24 chars."""
    return hashlib.blake2b(utf8(semantic_text), digest_size=12).hexdigest()


def is_chat_prompt(prompt: str) -> bool:
    """True when ``prompt`` is a chat model's cache prompt (``dumps(messages)``), not an LLM's plain text."""
    return _parse_messages(prompt) is not None
