"""Near-miss guard: refuse a semantic hit when the query and the cached question differ in meaning.

Embeddings put "flights from Paris to London" next to "flights from London to Paris" and
"is X safe" next to "is X not safe". Before a semantic cache serves a neighbour's answer,
:func:`near_miss_reason` compares the two questions on what such neighbours differ in:
numbers, dates, negation, named entities (different, or swapped across a directional word such
as "to", "from", "than"), opposite words and scope
words ("only", "per", "total" ...), then the order and presence of all content words (see ``guard_words``: swapped
"X to Y", words exchanged around another, a changed word in a long text; ``guard_slots``: one template with another
word in one slot), negative words ("avoid", "fail") and negating prefixes ("unsafe"). Word lists (and the synonyms the
slot check accepts) live in ``guard_lexicon.json``. :func:`alignment` is the second stage: how much higher than the
threshold the pair must score when content words are left unexplained (``guard_align``).
Cost per candidate pair, with the second stage: ``python evals/guard_timing.py`` (about 120 microseconds for a short
question seen for the first time, 30 once its analysis is memoized; about 2 ms for a fresh 30-sentence prompt).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import Any, NamedTuple

from langchain_bedrock_routing.caching.guard_align import (
    Alignment,
    AlignWord,
    align,
    content_words,
    coordination_reason,
    polarity_reason,
)
from langchain_bedrock_routing.caching.guard_slots import root, substitution_reason
from langchain_bedrock_routing.caching.guard_words import (
    Content,
    Relation,
    changed_reason,
    content,
    content_stems,
    neighbour_swap_reason,
    relations,
    stem,
    swap_reason,
)

Guard = Callable[[str, str], "str | None"]
"""A guard takes (query, cached question) and returns why they must not share an answer, or None."""

_TOKEN = re.compile(r"\w+(?:['\u2019.\-]\w+)*|[\ud800-\udfff]+", re.UNICODE)
_LONE_SURROGATES = re.compile("[\ud800-\udfff]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"[.?!:;\"“(\[]\s*$")
_GROUPED_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+")
_ORDINAL = re.compile(r"\d+(st|nd|rd|th)")


@dataclass(frozen=True)
class _Lexicon:
    number_words: dict[str, str]
    months: dict[str, str]
    ambiguous_months: frozenset[str]
    date_words: dict[str, str]
    relative_date_heads: frozenset[str]
    date_units: frozenset[str]
    negations: frozenset[str]
    negation_suffix: str
    opposite_of: dict[str, frozenset[str]]
    scope_words: frozenset[str]
    stopwords: frozenset[str]
    directional_words: frozenset[str]
    function_words: frozenset[str]
    synonyms: dict[str, str]

    @cached_property
    def not_content(self) -> frozenset[str]:
        """Words the word-order checks skip: function words, and what the other checks compare (numbers,
        negations, directional words)."""
        return self.stopwords | self.function_words | self.directional_words | self.negations | set(self.number_words)


def _synonym_index(groups: list[list[str]]) -> dict[str, str]:
    """Each word of a synonym group (as a content-word stem) -> the group's first word."""
    return {stem(word): stem(group[0]) for group in groups for word in group}


def _opposite_index(pairs: list[list[str]]) -> dict[str, frozenset[str]]:
    """Each word of the opposite pairs -> its opposites (both directions), all as roots (see ``guard_slots.root``):
    "closed" / "open" and "started" / "stopping" are opposites too."""
    index: dict[str, set[str]] = {}
    for a, b in pairs:
        index.setdefault(root(a), set()).add(root(b))
        index.setdefault(root(b), set()).add(root(a))
    return {word: frozenset(opposites) for word, opposites in index.items()}


@cache
def _lexicon() -> _Lexicon:
    raw: dict[str, Any] = json.loads(
        resources.files("langchain_bedrock_routing.caching").joinpath("guard_lexicon.json").read_text("utf-8")
    )
    return _Lexicon(
        number_words=dict(raw["number_words"]),
        months=dict(raw["months"]),
        ambiguous_months=frozenset(raw["ambiguous_months"]),
        date_words=dict(raw["date_words"]),
        relative_date_heads=frozenset(raw["relative_date_heads"]),
        date_units=frozenset(raw["date_units"]),
        negations=frozenset(raw["negations"]),
        negation_suffix=raw["negation_suffix"],
        opposite_of=_opposite_index(raw["opposites"]),
        scope_words=frozenset(raw["scope_words"]),
        stopwords=frozenset(raw["stopwords"]),
        directional_words=frozenset(raw["directional_words"]),
        function_words=frozenset(raw["function_words"]),
        synonyms=_synonym_index(raw["synonyms"]),
    )


class _Token(NamedTuple):
    text: str
    lower: str
    sentence_start: bool


def _tokens(text: str) -> list[_Token]:
    """Word tokens; one starts a sentence when only space, or a sentence end, stands before it (one scan)."""
    out: list[_Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        gap = text[previous_end : match.start()]  # tokens end in a word character, so the gap decides
        start = (not out and not gap.strip()) or bool(_SENTENCE_END.search(gap))
        previous_end = match.end()
        word = match.group(0).replace("\u2019", "'")
        lower = word.lower()
        if lower.endswith("'s") and len(word) > 2:
            word = word[:-2]
            lower = word.lower()
        out.append(_Token(word, lower, start))
    return out


def _numbers(text: str, tokens: list[_Token]) -> Counter[str]:
    lex = _lexicon()
    found: Counter[str] = Counter()
    for raw in _NUMBER.findall(text):
        value = raw.replace(",", "") if _GROUPED_THOUSANDS.fullmatch(raw) else raw
        found[value.rstrip(".")] += 1
    for token in tokens:
        if token.lower in lex.number_words:
            found[lex.number_words[token.lower]] += 1
        elif _ORDINAL.fullmatch(token.lower):
            found[f"#{token.lower[:-2]}"] += 1
            found[token.lower[:-2]] -= 1
    return +found


def _dates(tokens: list[_Token]) -> set[str]:
    lex = _lexicon()
    found: set[str] = set()
    for i, token in enumerate(tokens):
        word = token.lower
        if word in lex.months:
            near_number = any(_NUMBER.fullmatch(t.lower) for t in tokens[max(0, i - 1) : i + 2])
            capital_mid = token.text[0].isupper() and not token.sentence_start
            if word not in lex.ambiguous_months or near_number or capital_mid:
                found.add(lex.months[word])
        if word in lex.date_words:
            found.add(lex.date_words[word])
        if word in lex.relative_date_heads and i + 1 < len(tokens) and tokens[i + 1].lower in lex.date_units:
            found.add(f"{word} {tokens[i + 1].lower.rstrip('s')}")
    return found


def _negations(tokens: list[_Token]) -> int:
    lex = _lexicon()
    return sum(t.lower in lex.negations or t.lower.endswith(lex.negation_suffix) for t in tokens)


def _entity_candidates(tokens: list[_Token]) -> set[str]:
    """Lowercased words that look like names: capitalized mid-sentence, acronyms, or letters mixed with digits."""
    lex = _lexicon()
    found: set[str] = set()
    for token in tokens:
        text, word = token.text, token.lower
        if word in lex.stopwords or not any(map(str.isalpha, text)):
            continue
        acronym = len(text) >= 2 and text.isupper()
        mixed = any(map(str.isdigit, text)) or any(map(str.isupper, text[1:]))
        if acronym or mixed or (text[0].isupper() and not token.sentence_start):
            found.add(word)
    return found


def _entity_reason(q_tokens: list[_Token], c_tokens: list[_Token], names: frozenset[str]) -> str | None:
    """Why the named entities (``names``: both texts' candidates) differ or are swapped, else ``None``."""
    q_order = list(dict.fromkeys(t.lower for t in q_tokens if t.lower in names))
    c_order = list(dict.fromkeys(t.lower for t in c_tokens if t.lower in names))
    if set(q_order) != set(c_order):
        return f"named entities differ: {sorted(set(q_order) ^ set(c_order))}"
    for a, b in itertools.combinations(q_order, 2):
        if c_order.index(a) > c_order.index(b) and (_directed(q_tokens, a, b) or _directed(c_tokens, b, a)):
            return f"named entities swapped: {a!r} and {b!r}"
    return None


def _directed(tokens: list[_Token], first: str, second: str) -> bool:
    """True when a directional word ("to", "than", "from" ...) stands between ``first`` and ``second``."""
    words = [t.lower for t in tokens]
    start, end = words.index(first), words.index(second)
    return any(w in _lexicon().directional_words for w in words[min(start, end) + 1 : max(start, end)])


def _opposite_reason(q_words: frozenset[str], c_words: frozenset[str]) -> str | None:
    q_only, c_only = q_words - c_words, c_words - q_words
    if not q_only or not c_only:
        return None
    opposite_of = _lexicon().opposite_of
    c_roots = {root(y): y for y in sorted(c_only)}
    for x in sorted(q_only):
        for y in sorted(opposite_of.get(root(x), frozenset()) & c_roots.keys()):
            if root(x) != y:
                return f"opposite words: {x!r} vs {c_roots[y]!r}"
    return None


@dataclass(frozen=True)
class _Analysis:
    """What the guard compares of one text (computed once per text, see :func:`_analyse`)."""

    tokens: list[_Token]
    numbers: Counter[str]
    dates: frozenset[str]
    negations: int
    entities: frozenset[str]
    words: frozenset[str]
    stems: tuple[str | None, ...]
    content: Content
    relations: frozenset[Relation]
    surrogates: tuple[str, ...]
    lowered: tuple[str, ...]
    align_words: tuple[AlignWord, ...]


@lru_cache(maxsize=4096)
def _analyse(text: str) -> _Analysis:
    """The guard's view of ``text``, memoized (bounded LRU): cached questions recur across lookups."""
    lex = _lexicon()
    tokens = _tokens(text)
    words = frozenset(t.lower for t in tokens)
    stems = content_stems(tokens, lex.not_content)
    lowered = tuple(t.lower for t in tokens)
    return _Analysis(
        tokens,
        _numbers(text, tokens),
        frozenset(_dates(tokens)),
        _negations(tokens),
        frozenset(_entity_candidates(tokens)),
        words,
        tuple(stems),
        content(stems),
        relations(tokens, stems, lex.directional_words),
        () if text.isascii() else tuple(sorted(_LONE_SURROGATES.findall(text))),
        lowered,
        content_words(lowered, lex.not_content),
    )


def near_miss_reason(query: str, cached: str) -> str | None:
    """Why ``query`` must not be answered with ``cached``'s answer, or ``None`` if the guard sees no trap."""
    q, c = _analyse(query), _analyse(cached)
    if q.numbers != c.numbers:
        return f"numbers differ: {sorted(q.numbers.elements())} vs {sorted(c.numbers.elements())}"
    if q.dates != c.dates:
        return f"dates differ: {sorted(q.dates)} vs {sorted(c.dates)}"
    if q.negations != c.negations:
        return "negation differs"
    entity = _entity_reason(q.tokens, c.tokens, q.entities | c.entities)
    if entity is not None:
        return entity
    opposite = _opposite_reason(q.words, c.words) or polarity_reason(q.lowered, c.lowered)
    if opposite is not None:
        return opposite
    scope = _lexicon().scope_words
    if (q.words & scope) != (c.words & scope):
        return f"scope differs: {sorted((q.words ^ c.words) & scope)}"
    if q.surrogates != c.surrogates:
        return "unpaired surrogates differ"
    return (
        swap_reason(q.relations, c.relations)
        or changed_reason(q.content, c.content)
        or (
            neighbour_swap_reason(q.tokens, q.stems, c.tokens, c.stems)
            if q.content.counts == c.content.counts
            else None
        )
        or substitution_reason(q.content, c.content, _lexicon().synonyms)
        or coordination_reason(q.lowered, c.lowered, q.align_words, c.align_words)
    )


def alignment(query: str, cached: str) -> Alignment:
    """The second stage: the content words of each question that nothing in the other explains (see
    ``guard_align``); its :attr:`~Alignment.margin` is how much above the threshold the pair must score."""
    return align(_analyse(query).align_words, _analyse(cached).align_words)


def resolve_guard(guard: bool | Guard) -> Guard | None:
    """``True`` -> :func:`near_miss_reason`, ``False`` -> no guard, a callable -> itself."""
    if guard is True:
        return near_miss_reason
    if guard is False:
        return None
    if callable(guard):
        return guard
    raise ValueError(f"guard must be True, False or a callable (query, cached) -> reason | None, got {guard!r}")
