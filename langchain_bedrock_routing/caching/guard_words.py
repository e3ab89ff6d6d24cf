"""The guard's word-order checks: content words of a text in order, and what differs between two such sequences.

An embedding of a long text hardly moves when one word changes, and a bag of words does not move at all when two
words trade places. So, on the content words (not function words, numbers or negations: the guard compares those
elsewhere; plural "-s"/"-es"/"-ies" folded):

- *swapped relation*: the words on either side of a directional word ("to", "from", "into", "than", "vs" ...) stand
  the other way round in the other text ("12 inches to centimeters" / "12 centimeters to inches");
- *exchanged words*: both texts have the same content words, but two of them traded places around a word between
  them ("the dog chases the cat" / "the cat chases the dog"); moving a phrase as a block ("at sea level, what is
  the boiling point" / "what is the boiling point at sea level") is not;
- *swapped neighbours*: two neighbouring content words trade places around the same words, articles aside, that are
  not only a connector ("substitute butter *for* oil" / "oil for butter", "cups *are in a* liter" / "liters are in
  a cup"); "TCP and UDP" / "UDP and TCP" and a moved phrase ("reverse a list in Python" / "in Python, reverse a
  list") are the same question;
- *changed words in a long text*: once two texts share :data:`LONG_TEXT_SHARED_WORDS` content words, a content
  word that only one of them has is a difference, wherever it sits (a one-word change deep in a long prompt).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple, Protocol

LONG_TEXT_SHARED_WORDS = 12
"""Two texts sharing at least this many distinct content words are long enough that an embedding cannot see one
changed word; there, every content word must be in both (chosen on tests/data/guard_traps_dev.jsonl)."""

RELATION_WINDOW = 3
"""Tokens looked at on each side of a directional word ("Convert 12 inches to ...": "inches", "12", "convert")."""

Relation = tuple[str, str]

CONNECTORS = frozenset({"and", "or", "nor", "plus"})
"""Words that join two content words symmetrically: neighbours swapped across only these keep the question."""
_ARTICLES = frozenset({"a", "an", "the"})


class Word(Protocol):
    """A token as the word checks see it: lowercased text, whether it starts a sentence."""

    @property
    def lower(self) -> str:
        """The token, lowercased."""

    @property
    def sentence_start(self) -> bool:
        """True when only space or a sentence end stands before it."""


def strip_ending(word: str, endings: Sequence[str], keep: int) -> str:
    """``word`` without the first of ``endings`` it has that leaves at least ``keep`` letters, then without a doubled
    final consonant when more than ``keep`` letters remain ("running" -> "run")."""
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= keep:
            word = word[: -len(ending)]
            break
    if len(word) > keep and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """``word`` with a plural ending folded ("centimeters" -> "centimeter", "boxes" -> "box", "cities" -> "city")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_stems(words: Sequence[Word], skip: frozenset[str]) -> list[str | None]:
    """Per token, its stem when it is a content word (not in ``skip``, not a number), else ``None``."""
    return [None if w.lower in skip or w.lower[:1].isdigit() else stem(w.lower) for w in words]


def neighbour_swap_reason(
    q_words: Sequence[Word], q_stems: Sequence[str | None], c_words: Sequence[Word], c_stems: Sequence[str | None]
) -> str | None:
    """Why two texts whose content words differ only by two neighbours trading places ask different things (see the
    module docstring), else ``None``. ``*_stems``: per token, from :func:`content_stems`."""
    q_at = [i for i, s in enumerate(q_stems) if s is not None]
    c_at = [i for i, s in enumerate(c_stems) if s is not None]
    q = [q_stems[i] for i in q_at]
    c = [c_stems[i] for i in c_at]
    if len(q) != len(c):
        return None
    differ = [k for k, (a, b) in enumerate(zip(q, c, strict=True)) if a != b]
    if len(differ) != 2 or differ[1] != differ[0] + 1 or q[differ[0]] != c[differ[1]] or q[differ[1]] != c[differ[0]]:
        return None
    k = differ[0]
    between = [w.lower for w in q_words[q_at[k] + 1 : q_at[k + 1]] if w.lower not in _ARTICLES]
    c_between = [w.lower for w in c_words[c_at[k] + 1 : c_at[k + 1]] if w.lower not in _ARTICLES]
    if between != c_between or all(w in CONNECTORS for w in between):
        return None  # a phrase moved ("reverse a list in Python" / "in Python, reverse a list"), or "TCP and UDP"
    return f"neighbours swapped: {q[k]!r} and {q[k + 1]!r}"


def relations(words: Sequence[Word], stems: Sequence[str | None], directional: frozenset[str]) -> frozenset[Relation]:
    """``(x, y)`` for content words x before and y after a directional word, within :data:`RELATION_WINDOW` tokens
    and the same sentence."""
    found: set[Relation] = set()
    for i, word in enumerate(words):
        if word.lower not in directional:
            continue
        left: list[str] = []
        for j in range(i - 1, max(-1, i - 1 - RELATION_WINDOW), -1):
            if (stem_j := stems[j]) is not None:
                left.append(stem_j)
            if words[j].sentence_start:
                break
        right: list[str] = []
        for j in range(i + 1, min(len(words), i + 1 + RELATION_WINDOW)):
            if words[j].sentence_start:
                break
            if (stem_j := stems[j]) is not None:
                right.append(stem_j)
        found.update((x, y) for x in left for y in right if x != y)
    return frozenset(found)


def swap_reason(q_relations: frozenset[Relation], c_relations: frozenset[Relation]) -> str | None:
    """Why the two texts relate the same words in opposite directions, else ``None``."""
    q_only, c_only = q_relations - c_relations, c_relations - q_relations
    for x, y in sorted(q_only):
        if (y, x) in c_only:
            return f"word order swapped: {x!r} and {y!r}"
    return None


class Content(NamedTuple):
    """A text's content-word stems in order, and how often each occurs (a plain dict: compared in C)."""

    sequence: tuple[str, ...]
    counts: dict[str, int]


def content(stems: Sequence[str | None]) -> Content:
    """The :class:`Content` of per-token stems from :func:`content_stems`."""
    sequence = tuple(stem for stem in stems if stem is not None)
    counts: dict[str, int] = {}
    for word in sequence:  # faster than Counter for the few words of a question
        counts[word] = counts.get(word, 0) + 1
    return Content(sequence, counts)


def _exchange(q: Sequence[str], c: Sequence[str]) -> str | None:
    """The word that two others traded places around (x before z before y in ``q``, y before z before x in ``c``),
    for sequences of the same words; the k-th occurrence of a word in ``q`` stands for its k-th in ``c``."""
    places: dict[str, list[int]] = {}
    for index, word in enumerate(c):
        places.setdefault(word, []).append(index)
    seen: dict[str, int] = {}
    moved: list[int] = []  # position in c of each position in q
    for word in q:
        moved.append(places[word][seen.get(word, 0)])
        seen[word] = seen.get(word, 0) + 1
    suffix_min = list(itertools.accumulate(reversed(moved), min))[::-1]
    highest = -1
    for j in range(1, len(moved) - 1):
        highest = max(highest, moved[j - 1])
        if highest > moved[j] > suffix_min[j + 1]:
            return q[j]
    return None


def changed_reason(q: Content, c: Content) -> str | None:
    """Why two texts' content words differ in a way an embedding may miss (see the module docstring), else
    ``None``."""
    if q.sequence == c.sequence:
        return None
    if q.counts == c.counts:
        anchor = _exchange(q.sequence, c.sequence)
        return None if anchor is None else f"words exchanged around {anchor!r}"
    shared = q.counts.keys() & c.counts.keys()
    if len(shared) < LONG_TEXT_SHARED_WORDS:
        return None
    differ = sorted(q.counts.keys() ^ c.counts.keys()) or sorted(w for w in shared if q.counts[w] != c.counts[w])
    return f"words differ in a long text: {differ[:6]}"
