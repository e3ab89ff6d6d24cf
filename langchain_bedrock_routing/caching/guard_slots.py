"""The guard's slot check: one template, another word in its slot ("Describe a trie for a new engineer: ..." /
"Describe a bloom filter for a new engineer: ...").

Embeddings of two medium-length texts that differ in one slot stay close, and there are too few shared words for the
long-text rule. Here, on the content-word stems (see ``guard_words``), each word mapped to its group's first word by
the lexicon's synonym list: when the two sequences are the same except for one span in the same place, the span
holds at most :data:`MAX_SLOT_WORDS` words on each side, no word of one side is an inflection or spelling variant
of a word of the other ("repair"/"repairing", "colour"/"color", "nylon string"/"nylon-string"), and at least
:data:`SLOT_CONTEXT_WORDS` content words stand around it, the texts ask about different things. Paraphrases reorder,
insert or drop words, which leave no single replaced span, or swap a listed synonym.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from langchain_bedrock_routing.caching.guard_words import Content, strip_ending

SLOT_CONTEXT_WORDS = 5
"""Content words that must surround the replaced span (before plus after) for the slot check to apply: shorter
questions are where paraphrases replace words most and embeddings already separate a changed slot (chosen on
tests/data/guard_subst_dev.jsonl)."""

MAX_SLOT_WORDS = 3
"""Longest replaced span, in content words on either side ("a trie" / "TCP congestion control")."""

_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ed", "es", "e")


@lru_cache(maxsize=16384)
def root(word: str) -> str:
    """``word`` without one inflectional ending and a doubled final consonant ("running" -> "run")."""
    return strip_ending(word, _SUFFIXES, keep=3)


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` becomes ``b`` by one inserted, deleted, replaced or transposed letter ("centre"/"center")."""
    if abs(len(a) - len(b)) > 1:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    swapped = a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]
    return a[i + 1 :] == b[i + 1 :] or a[i + 1 :] == b[i:] or a[i:] == b[i + 1 :] or swapped


def same_word(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are one word: equal, the same root, or (5 letters or more) one edit apart."""
    return a == b or root(a) == root(b) or (min(len(a), len(b)) >= 5 and _one_edit(a, b))


def substitution_reason(q: Content, c: Content, synonyms: Mapping[str, str]) -> str | None:
    """Why two texts' content words are one template with another word in one slot (module docstring), else
    ``None``."""
    qs, cs = q.sequence, c.sequence
    if q.counts == c.counts or abs(len(qs) - len(cs)) >= MAX_SLOT_WORDS or min(len(qs), len(cs)) <= SLOT_CONTEXT_WORDS:
        return None  # the same words (the order checks' case), or too many words added, or too short

    def same(a: str, b: str) -> bool:
        return a == b or synonyms.get(a, a) == synonyms.get(b, b)

    shortest = min(len(qs), len(cs))
    before = next((k for k in range(shortest) if not same(qs[k], cs[k])), shortest)
    after = next((k for k in range(shortest - before) if not same(qs[-1 - k], cs[-1 - k])), shortest - before)
    q_span, c_span = qs[before : len(qs) - after], cs[before : len(cs) - after]
    if not q_span or not c_span or max(len(q_span), len(c_span)) > MAX_SLOT_WORDS:
        return None
    if before + after < SLOT_CONTEXT_WORDS or "".join(q_span).replace("-", "") == "".join(c_span).replace("-", ""):
        return None
    if any(same_word(a, b) or same(a, b) for a in q_span for b in c_span):
        return None
    return f"slot substituted: {' '.join(q_span)!r} vs {' '.join(c_span)!r}"
