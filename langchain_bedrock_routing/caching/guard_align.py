"""The second stage of the semantic-cache decision: which content words of two questions nothing in the other explains.

An embedding scores a free paraphrase ("How fast does light travel?" / "What is the speed of light?") and a trap that
adds or replaces one word ("the side effects of aspirin" / "the long-term side effects of aspirin") alike. Here each
content word of one question is *explained* when a word of the other is the same word after inflections and common
derivations ("differ" / "difference"), a listed synonym or irregular form ("fridge" / "refrigerator", "wrote" /
"author"), or when it only frames the question ("the best way to", "what makes", "which city is"). The lists are in
``paraphrase_lexicon.json`` with their source (plus the guard's synonyms, ``guard_lexicon.json``). Numbers,
negations, names and scope words are the guard's own checks (``guard.py``, which also calls :func:`polarity_reason`).
The cache asks two questions to score higher (:attr:`Alignment.margin`) when they are a *minimal edit* of each other:
one word replaced, or words added on one side only, which is how a changed scope, entity, topic or polarity looks; a
*free rewording* (words changed on both sides, three or more in all) is what paraphrases do, and needs no margin.
Pure string work on the two texts: no embedding call, no model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from langchain_bedrock_routing.caching.guard_slots import root, same_word
from langchain_bedrock_routing.caching.guard_words import stem, strip_ending

_DERIVATIONS = (
    "izations", "ization", "isation", "ations", "ation", "ments", "ment", "nesses", "ness", "ences", "ence",
    "ances", "ance", "ents", "ent", "ings", "ing", "ities", "ity", "izes", "ize", "ises", "ise", "ies", "ied",
    "ers", "er", "ed", "es", "ly", "al", "ive", "y", "e", "s",
)  # fmt: skip
"""Endings stripped (the first that fits, leaving at least 4 letters): inflections and common derivations."""
_QUESTION_HEADS = frozenset({"which", "what"})

EDIT_MARGIN = 0.08
"""How much above the threshold (vector-set scale) a minimal edit must score: one unexplained word on each side, or
unexplained words on one side only. A free rewording (both sides reworded, three or more unexplained words in all)
needs no margin: traps change one thing. Chosen with all-MiniLM-L6-v2 on tests/data/semantic_devset.jsonl, folds 0-1
of evals/data/semantic_pairs_b.jsonl and evals/data/semantic_pairs_d.jsonl (the most cross-validated true hits at <= 2%
wrong answers there, among margins 0-0.1 for each shape; see docs/caches.md)."""


@dataclass(frozen=True)
class _AlignLexicon:
    light_words: frozenset[str]
    negative_words: frozenset[str]
    negative_frames: dict[str, str]
    negating_prefixes: tuple[str, ...]
    negating_suffixes: tuple[str, ...]
    phrases: dict[tuple[str, ...], str]
    synonyms: dict[str, str]


@cache
def _lexicon() -> _AlignLexicon:
    files = resources.files("langchain_bedrock_routing.caching")
    raw: dict[str, Any] = json.loads(files.joinpath("paraphrase_lexicon.json").read_text("utf-8"))
    groups = raw["synonyms"] + json.loads(files.joinpath("guard_lexicon.json").read_text("utf-8"))["synonyms"]
    synonyms = {base(word): base(group[0]) for group in groups for word in group}
    synonyms.update({word: base(group[0]) for group in groups for word in group})
    return _AlignLexicon(
        light_words=frozenset(raw["light_words"]) | {base(word) for word in raw["light_words"]},
        negative_words=frozenset(root(word) for word in raw["negative_words"]),
        negative_frames={root(verb): particle for verb, particle in raw["negative_frames"]},
        negating_prefixes=tuple(raw["negating_prefixes"]),
        negating_suffixes=tuple(raw["negating_suffixes"]),
        phrases={tuple(phrase.split()): word for phrase, word in raw["phrases"].items()},
        synonyms=synonyms,
    )


@lru_cache(maxsize=16384)
def base(word: str) -> str:
    """``word`` without one inflectional or derivational ending and a doubled final consonant ("differences" ->
    "differ", "summarize" -> "summar", "running" -> "run")."""
    return strip_ending(stem(word), _DERIVATIONS, keep=4)


@dataclass(frozen=True)
class Alignment:
    """The content words of the query and of the cached question that nothing in the other explains."""

    query_only: tuple[str, ...]
    cached_only: tuple[str, ...]

    @property
    def margin(self) -> float:
        """How much above the similarity threshold the pair must score: :data:`EDIT_MARGIN` for a minimal edit, else
        0 (every content word explained, or a free rewording)."""
        q, c = len(self.query_only), len(self.cached_only)
        minimal_edit = (q or c) and not (q and c and q + c >= 3)
        return EDIT_MARGIN if minimal_edit else 0.0


@dataclass(frozen=True)
class AlignWord:
    """A content word: its text, its key (the synonym group's word, or its base), whether it is a head noun (right
    after "which" / "what": "which *artist* painted ..."), and whether it only frames the question (a light word: it
    needs no explaining, but explains its synonyms in the other question, "get" / "receive")."""

    text: str
    key: str
    head: bool
    light: bool


def content_words(words: Sequence[str], skip: frozenset[str]) -> tuple[AlignWord, ...]:
    """The content words of lowercased ``words`` (listed phrases joined first), without ``skip`` (function words,
    negations, number words: the guard compares those) and numbers; light words are kept and marked."""
    lex = _lexicon()
    joined: list[str] = []
    i = 0
    while i < len(words):
        for size in (4, 3, 2):
            phrase = tuple(words[i : i + size])
            if len(phrase) == size and phrase in lex.phrases:
                joined.append(lex.phrases[phrase])
                i += size
                break
        else:
            joined.append(words[i])
            i += 1
    out: list[AlignWord] = []
    for i, word in enumerate(joined):
        if word in skip or word[:1].isdigit() or word.endswith("n't"):
            continue
        key = lex.synonyms.get(word) or lex.synonyms.get(base(word)) or base(word)
        light = word in lex.light_words or base(word) in lex.light_words
        out.append(AlignWord(word, key, i > 0 and joined[i - 1] in _QUESTION_HEADS, light))
    return tuple(out)


def _unexplained(words: Sequence[AlignWord], others: Sequence[AlignWord]) -> list[AlignWord]:
    """The words of ``words`` (light ones aside) that no word of ``others`` explains: the same key or root by
    lookup, else (the few words left) a spelling variant one edit away."""
    keys = {other.key for other in others}
    roots = {root(other.text) for other in others}
    left = [w for w in words if not w.light and w.key not in keys and root(w.text) not in roots]
    return [w for w in left if not any(same_word(w.text, other.text) for other in others)]


def align(query: Sequence[AlignWord], cached: Sequence[AlignWord]) -> Alignment:
    """The :class:`Alignment` of two questions' :func:`content_words`. A head noun ("which *city* is the capital")
    that only one side has is explained when the other side has no unexplained head noun of its own."""
    q_only = _unexplained(query, cached)
    c_only = _unexplained(cached, query)
    q_heads, c_heads = any(w.head for w in q_only), any(w.head for w in c_only)
    if q_heads != c_heads:
        q_only = [w for w in q_only if not w.head]
        c_only = [w for w in c_only if not w.head]
    return Alignment(tuple(dict.fromkeys(w.text for w in q_only)), tuple(dict.fromkeys(w.text for w in c_only)))


COORDINATORS = frozenset({"and", "or", "&"})
"""Words that join a second item to the first: "causes *and* consequences of ..."."""
_DETERMINERS = frozenset({"a", "an", "the", "my", "your", "its", "their", "our", "his", "her"})


def coordination_reason(
    query: Sequence[str], cached: Sequence[str], q_words: Sequence[AlignWord], c_words: Sequence[AlignWord]
) -> str | None:
    """Why one question asks about more than the other: a content word only it has is joined by "and" / "or" to a
    content word both have, an article aside ("the causes *and consequences* of ..." / "the causes of ..."), else
    ``None``. ``query`` / ``cached``: lowercased words; ``*_words``: their :func:`content_words`."""
    if COORDINATORS.isdisjoint(query) and COORDINATORS.isdisjoint(cached):
        return None  # most questions: no alignment needed
    found = align(q_words, c_words)
    for words, only, mine in ((query, found.query_only, q_words), (cached, found.cached_only, c_words)):
        added = set(only)
        shared = {w.text for w in mine} - added
        for i, word in enumerate(words):
            if word not in COORDINATORS or i == 0 or i + 1 == len(words):
                continue
            before, after = words[i - 1], words[i + 1]
            if after in _DETERMINERS and i + 2 < len(words):  # "the fence or *the* gate"
                after = words[i + 2]
            if (after in added and before in shared) or (before in added and after in shared):
                return f"items added with {word!r}: {sorted(added & {before, after})}"
    return None


FRAME_WINDOW = 5
"""Words looked at after a frame's verb for its particle ("keep my cat *from* ...")."""


def _negatives(words: Sequence[str]) -> int:
    """How many negative words ``words`` has: listed ones, and frames such as "keep ... from" (= prevent)."""
    lex = _lexicon()
    found = 0
    for i, word in enumerate(words):
        verb = root(word)
        particle = lex.negative_frames.get(verb)
        framed = particle is not None and particle in words[i + 1 : i + 1 + FRAME_WINDOW]
        found += verb in lex.negative_words or framed
    return found


def polarity_reason(query: Sequence[str], cached: Sequence[str]) -> str | None:
    """Why two texts' lowercased words differ in polarity: another count of negative words ("avoid", "fail",
    "unable", "keep ... from" ...), or a word negated by a prefix or suffix in the other ("safe" / "unsafe", "sugar" /
    "sugar-free"); else ``None``."""
    if _negatives(query) != _negatives(cached):
        return "negative words differ"
    lex = _lexicon()
    q_set, c_set = set(query), set(cached)
    for one, other in ((q_set - c_set, c_set - q_set), (c_set - q_set, q_set - c_set)):
        for word in sorted(one):
            for plain in other:
                if len(plain) < 4:
                    continue
                prefixed = any(word == p + plain for p in lex.negating_prefixes)
                suffixed = any(word in (plain + s, plain + "-" + s) for s in lex.negating_suffixes)
                if prefixed or suffixed:
                    return f"negated word: {word!r} vs {plain!r}"
    return None
