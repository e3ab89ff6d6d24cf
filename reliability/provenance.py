"""Where each answer came from: every hit carries the id of the run that got it from Bedrock (its producer).

A cached message keeps its id, so the soak knows for every hit which miss produced it and can judge it
exactly: a hit for another tenant or priority than its producer's is a foreign-tenant hit; a hit whose
producer asked something else (another meaning) is a wrong answer; any answer that fails its prompt's
``expect`` pattern (checkable prompts name the word that differs) is a wrong answer too. Misses that share
one id are one Bedrock answer handed to several callers (single-flight followers), billed once.

Repeat bills are the second and later billed misses of one cache key (tenant, priority, prompt text),
each with the cause that allows it: ``burst`` (asked while the first was still in flight, without
``coalesce``), ``redis_outage`` (the first answer ended, or the repeat ran, during a Redis kill or
before the breaker closed again), ``full_redis`` (the first answer ended while Redis refused writes: a
full Redis must still serve lookups), ``unscoped``
(a call that lost its tenant may neither look up nor store). Any other repeat bill (``other``, or
``burst`` with ``coalesce`` on) breaks a guarantee.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from reliability.runner import CallOutcome

DOCUMENTED_CAUSES = frozenset({"burst", "redis_outage", "full_redis", "unscoped"})
"""Repeat-bill causes the README documents (``burst`` only for caches without ``coalesce``)."""


def producers(outcomes: Iterable[CallOutcome]) -> dict[str, CallOutcome]:
    """The first miss of each answer id: the call whose Bedrock answer carries that id."""
    found: dict[str, CallOutcome] = {}
    for outcome in sorted(outcomes, key=lambda o: o.started):
        if outcome.status == "miss" and outcome.answer_id is not None:
            found.setdefault(outcome.answer_id, outcome)
    return found


def billed_misses(outcomes: Iterable[CallOutcome]) -> list[CallOutcome]:
    """Misses that were billed: one per answer id (a follower sharing a leader's answer is not billed)."""
    return list(producers(outcomes).values())


def foreign_hits(outcomes: Sequence[CallOutcome]) -> list[CallOutcome]:
    """Hits whose producer is unknown or asked for another tenant or priority (a leak or a mix-up)."""
    made = producers(outcomes)
    foreign = []
    for outcome in outcomes:
        if outcome.status != "hit":
            continue
        producer = made.get(outcome.answer_id or "")
        scope = (outcome.request.tenant, outcome.request.priority)
        if producer is None or (producer.request.tenant, producer.request.priority) != scope:
            foreign.append(outcome)
    return foreign


def wrong_outcomes(outcomes: Sequence[CallOutcome]) -> list[CallOutcome]:
    """Hits produced for another meaning, and answers failing their prompt's ``expect`` pattern."""
    made = producers(outcomes)
    wrong = []
    for outcome in outcomes:
        if outcome.status not in ("hit", "miss"):
            continue
        request = outcome.request
        producer = made.get(outcome.answer_id or "")
        other_meaning = outcome.status == "hit" and (producer is None or producer.request.meaning != request.meaning)
        if other_meaning or (request.expect and not re.search(request.expect, outcome.text)):
            wrong.append(outcome)
    return wrong


def wrong_answers(outcomes: Sequence[CallOutcome]) -> Counter[str]:
    """:func:`wrong_outcomes` counted by request kind."""
    return Counter(o.request.kind for o in wrong_outcomes(outcomes))


@dataclass(frozen=True)
class Window:
    """A span of ``time.monotonic()`` seconds."""

    start: float
    end: float

    def covers(self, t: float) -> bool:
        """True when ``t`` falls in the span."""
        return self.start <= t <= self.end

    def overlaps(self, start: float, end: float) -> bool:
        """True when the span ``start``..``end`` shares a moment with this one."""
        return start <= self.end and end >= self.start


def repeat_bills(
    outcomes: Sequence[CallOutcome],
    *,
    outages: Sequence[Window],
    full: Sequence[Window],
    coalescing: Callable[[CallOutcome], bool],
) -> Counter[str]:
    """Billed misses beyond the first per cache key, by cause (see the module docstring); ``coalescing`` tells
    which calls went to a cache with ``coalesce=True`` (a burst there is ``burst_coalesced``, not allowed)."""
    by_key: dict[tuple[str | None, str | None, str], list[CallOutcome]] = {}
    for miss in sorted(billed_misses(outcomes), key=lambda o: o.started):
        by_key.setdefault((miss.request.tenant, miss.request.priority, miss.request.text), []).append(miss)
    causes: Counter[str] = Counter()
    for misses in by_key.values():
        for previous, repeat in itertools.pairwise(misses):
            causes[_cause(previous, repeat, outages, full, coalescing)] += 1
    return causes


def _cause(
    previous: CallOutcome,
    repeat: CallOutcome,
    outages: Sequence[Window],
    full: Sequence[Window],
    coalescing: Callable[[CallOutcome], bool],
) -> str:
    """Why ``repeat`` was billed although ``previous`` answered the same key (the first cause that applies)."""
    if "uncopied_scope" in (previous.request.delivery, repeat.request.delivery):
        return "unscoped"
    if repeat.started < previous.ended:
        return "burst_coalesced" if coalescing(repeat) and coalescing(previous) else "burst"
    if any(w.covers(previous.ended) or w.overlaps(repeat.started, repeat.ended) for w in outages):
        return "redis_outage"
    if any(w.covers(previous.ended) for w in full):  # a full Redis refuses the store, not the lookup
        return "full_redis"
    return "other"
