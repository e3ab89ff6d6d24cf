"""Cited answers from ``document`` blocks with ``citations.enabled``: Converse ``citationsContent`` blocks.

Locations follow the source kind, as Bedrock reports them: ``documentChar`` (character offsets) for
``source.text`` and text files, ``documentChunk`` (block indexes) for ``source.content``, ``documentPage``
(1-based pages) for PDFs; ``documentIndex`` counts the request's documents in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_bedrock_routing.emulator.request import ConverseRequest, document_chunks
from langchain_bedrock_routing.emulator.text import content_stems, sentences


@dataclass(frozen=True)
class Passage:
    """A citable sentence: its text, document title, and Bedrock location."""

    text: str
    title: str
    location: dict[str, Any]


def _passages(index: int, block: dict[str, Any]) -> list[Passage]:
    chunks = document_chunks(block, "document")
    title = str(block.get("name", "document"))
    source = block.get("source", {})
    if isinstance(source.get("content"), list):
        return [Passage(c, title, {"documentChunk": {"documentIndex": index, "start": i, "end": i + 1}})
                for i, c in enumerate(chunks)]  # fmt: skip
    if block.get("format") == "pdf":
        return [Passage(c, title, {"documentPage": {"documentIndex": index, "start": 1, "end": 2}}) for c in chunks]
    text, out, cursor = chunks[0], [], 0
    for sentence in sentences(text):
        start = text.find(sentence, cursor)
        end = start + len(sentence)
        while end < len(text) and text[end] == " ":
            end += 1
        out.append(
            Passage(text[start:end], title, {"documentChar": {"documentIndex": index, "start": start, "end": end}})
        )
        cursor = end
    return out


def citable_passages(request: ConverseRequest) -> list[Passage]:
    """Passages of every document with citations enabled, in request order."""
    passages: list[Passage] = []
    documents = [b["document"] for m in request.messages for b in m.content if isinstance(b.get("document"), dict)]
    for index, block in enumerate(documents):
        if isinstance(block.get("citations"), dict) and block["citations"].get("enabled"):
            passages.extend(_passages(index, block))
    return passages


def cited_reply(question: str, passages: list[Passage]) -> tuple[dict[str, Any], ...]:
    """An answer quoting the passage that best matches ``question`` (the first one when none does)."""
    asked = content_stems(question)
    best = max(passages, key=lambda p: (len(content_stems(p.text) & asked), -passages.index(p)))
    quoted = best.text.strip()
    quoted = quoted[0].lower() + quoted[1:] if quoted[:1].isupper() and quoted[1:2].islower() else quoted
    citation = {"title": best.title, "sourceContent": [{"text": best.text}], "location": best.location}
    return (
        {"text": f"According to {best.title}, "},
        {"citationsContent": {"content": [{"text": quoted}], "citations": [citation]}},
    )
