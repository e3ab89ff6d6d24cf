"""Small text helpers for the responder: words, content words, sentences, key phrases, truncation."""

from __future__ import annotations

import re

from langchain_bedrock_routing.catalog import estimate_tokens

_WORD = re.compile(r"[A-Za-z0-9][\w'-]*")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_CHUNK = re.compile(r"\S+\s*")
_PIECE = re.compile(r"\S+\s*|\s+")
_STOPWORD_TEXT = """a about above after again all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me more most my no
    nor not now of off on once only or other our out over own please same she should so some such
    tell than that the their them then there these they this those through to too under until up use
    using very was we were what when where which while who whom why will with would you your yours
    give show me find get list describe explain"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` in order."""
    return [w.lower() for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A crude stem (first 5 letters) so that plural and tense variants match."""
    return word[:5]


def content_stems(text: str) -> set[str]:
    """Stems of the non-stopword words of ``text``."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


def sentences(text: str) -> list[str]:
    """Sentences of ``text``, stripped, empty ones dropped."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def key_phrase(text: str, limit: int = 6) -> str:
    """Up to ``limit`` content words of ``text``, in order: what the text is about."""
    picked = [w for w in _WORD.findall(text) if w.lower() not in STOPWORDS]
    return " ".join(picked[:limit])


def truncate_tokens(text: str, max_tokens: int) -> str:
    """The longest whitespace-delimited prefix of ``text`` whose estimated tokens fit in ``max_tokens``."""
    used = 0
    out: list[str] = []
    for chunk in _CHUNK.findall(text):
        cost = estimate_tokens(chunk)
        if used + cost > max_tokens:
            break
        used += cost
        out.append(chunk)
    return "".join(out).rstrip()


def stream_pieces(text: str, per: int = 3) -> list[str]:
    """``text`` cut into streamed deltas of ``per`` words with their whitespace (they join back to ``text``;
    an empty text is one empty delta)."""
    chunks = _PIECE.findall(text) or [""]
    return ["".join(chunks[i : i + per]) for i in range(0, len(chunks), per)]
