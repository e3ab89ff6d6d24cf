"""The soak's figures and verdict: requests, faults, Redis restarts, failures, bills, provenance of hits, phases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reliability.audit import BillingAudit, CacheAudit
from reliability.chaos import Outage
from reliability.provenance import (
    DOCUMENTED_CAUSES,
    Window,
    foreign_hits,
    producers,
    repeat_bills,
    wrong_answers,
    wrong_outcomes,
)
from reliability.runner import CallOutcome

if TYPE_CHECKING:
    from reliability.soak import SoakConfig


def _examples(outcomes: Sequence[CallOutcome], limit: int = 10) -> list[str]:
    """Up to ``limit`` foreign-tenant hits and ``limit`` wrong answers, each with its answer's producer."""
    made = producers(outcomes)

    def line(label: str, o: CallOutcome) -> str:
        producer = made.get(o.answer_id or "")
        source = "no known call" if producer is None else f"#{producer.request.index} {producer.request.text[:60]!r}"
        r = o.request
        return f"{label} #{r.index} {r.phase}/{r.kind}/{r.delivery} tenant {r.tenant}: {r.text[:60]!r} <- {source}"

    foreign = [line("FOREIGN", o) for o in foreign_hits(outcomes)[:limit]]
    return foreign + [line("WRONG", o) for o in wrong_outcomes(outcomes)[:limit]]


def _coalescing(outcome: CallOutcome) -> bool:
    """True for calls sent to the cache built with ``coalesce=True``."""
    return outcome.request.phase == "burst_coalesce"


@dataclass(frozen=True)
class SoakReport:
    """Everything a soak run measured; :attr:`ok` is True when every guarantee held."""

    requests: int
    by_mode: Mapping[str, int]
    by_kind: Mapping[str, int]
    hits: int
    hits_by_kind: Mapping[str, int]
    misses: int
    all_down: int
    """Calls that raised ``AllModelsFailedError`` after every candidate failed (documented, allowed)."""
    all_down_pinned: int
    """Of those, calls pinned to the model kept down (they must all fail so)."""
    pinned_requests: int
    foreign_hits: int
    """Hits produced for another tenant or priority, or by no known call (must be 0)."""
    wrong_answers: Mapping[str, int]
    """By request kind: hits produced for another meaning, answers failing their prompt's check (must be empty)."""
    repeat_bills: Mapping[str, int]
    """Billed misses beyond the first per cache key, by cause (see :mod:`reliability.provenance`)."""
    phase_figures: Mapping[str, Mapping[str, Any]]
    """Figures of the extra phases (unscoped calls, full Redis, async lookups, bursts)."""
    examples: Sequence[str]
    """A few foreign-tenant hits and wrong answers, each with the call that produced the answer."""
    broken: Sequence[str]
    """Calls that failed any other way (each is a broken guarantee)."""
    stats_total: Mapping[str, Any]
    billing: BillingAudit
    cache_audit: CacheAudit
    cache_stats: Mapping[str, Any]
    outages: Sequence[Outage]
    wall_s: float
    throttle_rate: float
    error_rate: float

    @classmethod
    def build(
        cls,
        *,
        config: SoakConfig,
        outcomes: Sequence[CallOutcome],
        stats_total: Mapping[str, Any],
        billing: BillingAudit,
        cache_audit: CacheAudit,
        cache_stats: Mapping[str, Any],
        outages: Sequence[Outage],
        windows: Sequence[Window],
        full: Sequence[Window],
        phase_figures: Mapping[str, Mapping[str, Any]],
        wall_s: float,
        all_down: Callable[[CallOutcome], bool],
    ) -> SoakReport:
        """Sort the outcomes into hits, misses, documented failures and broken calls."""
        documented = [o for o in outcomes if o.status == "all_failed" and all_down(o)]
        broken = [o for o in outcomes if o.status == "error" or (o.status == "all_failed" and not all_down(o))]
        pinned = [o for o in outcomes if o.request.kind == "down"]
        broken += [o for o in pinned if o.status != "all_failed" and o not in broken]
        return cls(
            requests=len(outcomes),
            by_mode=dict(Counter(o.request.mode for o in outcomes)),
            by_kind=dict(Counter(o.request.kind for o in outcomes)),
            hits=sum(o.status == "hit" for o in outcomes),
            hits_by_kind=dict(Counter(str(o.cache_kind) for o in outcomes if o.status == "hit")),
            misses=sum(o.status == "miss" for o in outcomes),
            all_down=len(documented),
            all_down_pinned=sum(o.request.kind == "down" for o in documented),
            pinned_requests=len(pinned),
            foreign_hits=len(foreign_hits(outcomes)),
            wrong_answers=dict(wrong_answers(outcomes)),
            repeat_bills=dict(repeat_bills(outcomes, outages=windows, full=full, coalescing=_coalescing)),
            phase_figures=phase_figures,
            examples=_examples(outcomes),
            broken=[f"#{o.request.index} {o.request.mode} {o.request.kind}: {o.status} {o.error}" for o in broken],
            stats_total=stats_total,
            billing=billing,
            cache_audit=cache_audit,
            cache_stats=cache_stats,
            outages=outages,
            wall_s=wall_s,
            throttle_rate=config.throttle_rate,
            error_rate=config.error_rate,
        )

    @property
    def hit_rate(self) -> float:
        """Cache hits / answered calls."""
        answered = self.hits + self.misses
        return self.hits / answered if answered else 0.0

    @property
    def stats_agree(self) -> bool:
        """The stats handler counted the same requests, hits, misses and errors as the callers saw."""
        total = self.stats_total
        counted = (total["requests"], total["cache"]["hits"], total["cache"]["misses"], total["errors"])
        return counted == (self.requests, self.hits, self.misses, self.requests - self.hits - self.misses)

    @property
    def undocumented_repeat_bills(self) -> int:
        """Repeat bills of no documented cause (``burst`` counts only without ``coalesce``)."""
        return sum(n for cause, n in self.repeat_bills.items() if cause not in DOCUMENTED_CAUSES)

    @property
    def phases_held(self) -> bool:
        """No unscoped call hit, no answered question missed while Redis was full, no async lookup failed."""
        must_be_zero = (("threads", "unscoped_hits"), ("full_redis", "hits_missed"), ("async_cpu", "lookups_failed"))
        return all(int(self.phase_figures.get(phase, {}).get(name, 0)) == 0 for phase, name in must_be_zero)

    @property
    def ok(self) -> bool:
        """No broken call or wrong or foreign answer, pinned calls failed as documented, one bill per miss and no
        undocumented repeat bill, stats agree, no corrupt entry, the phases' guarantees held."""
        return (
            not self.broken
            and self.foreign_hits == 0
            and not self.wrong_answers
            and self.undocumented_repeat_bills == 0
            and self.phases_held
            and self.all_down_pinned == self.pinned_requests
            and self.billing.ok
            and self.stats_agree
            and self.cache_audit.ok
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe figures."""
        audit = self.cache_audit
        return {
            "ok": self.ok,
            "requests": self.requests,
            "by_mode": dict(self.by_mode),
            "by_kind": dict(self.by_kind),
            "hits": self.hits,
            "hits_by_kind": dict(self.hits_by_kind),
            "misses": self.misses,
            "hit_rate": round(self.hit_rate, 4),
            "foreign_hits": self.foreign_hits,
            "wrong_answers": dict(self.wrong_answers),
            "repeat_bills": dict(self.repeat_bills),
            "phases": {name: dict(figures) for name, figures in self.phase_figures.items()},
            "examples": list(self.examples),
            "failed_calls": {"all_models_failed": self.all_down, "pinned_to_down_model": self.all_down_pinned},
            "broken_calls": list(self.broken),
            "injected_faults": {
                "throttle_rate": self.throttle_rate,
                "error_rate": self.error_rate,
                "throttles": self.billing.throttles,
                "server_errors": self.billing.server_errors,
                "down_model_errors": self.billing.down_model_errors,
            },
            "billing": {
                "billed_records": self.billing.billed,
                "successful_misses": self.billing.successful_misses,
                "stats_api_calls": self.billing.stats_api_calls,
                "duplicate_bills": self.billing.duplicate_bills,
            },
            "stats_agree": self.stats_agree,
            "redis_restarts": [o.__dict__ for o in self.outages],
            "cache_stats": dict(self.cache_stats),
            "cache_audit": {
                "keys": audit.keys,
                "answers": audit.answers,
                "corrupt": len(audit.corrupt),
                "vector_sets": audit.vector_sets,
                "vectors": audit.vectors,
                "vectors_without_answer": audit.vectors_without_answer,
                "vectors_to_corrupt": audit.vectors_to_corrupt,
            },
            "wall_s": round(self.wall_s, 1),
        }

    def text(self) -> str:
        """A short human-readable summary."""
        d = self.to_dict()
        faults, bills, audit = d["injected_faults"], d["billing"], d["cache_audit"]
        restarts = ", ".join(f"killed at {o.killed_at}, back at {o.restarted_at}" for o in self.outages)
        lines = [
            f"soak {'OK' if self.ok else 'FAILED'}: {self.requests} requests in {d['wall_s']} s",
            f"  modes {d['by_mode']}  kinds {d['by_kind']}",
            f"  hits {self.hits} {d['hits_by_kind']}  misses {self.misses}  hit rate {self.hit_rate:.1%}  "
            f"foreign-tenant hits {self.foreign_hits}",
            f"  wrong answers on checkable prompts {sum(self.wrong_answers.values())} {d['wrong_answers']}",
            f"  repeat bills by cause {d['repeat_bills']} ({self.undocumented_repeat_bills} undocumented)",
            f"  injected: {faults['throttles']} throttles, {faults['server_errors']} 5xx, "
            f"{faults['down_model_errors']} calls to the model kept down",
            f"  Redis restarts: {len(self.outages)} ({restarts})",
            f"  failed calls: {self.all_down} AllModelsFailedError (every candidate down; "
            f"{self.all_down_pinned} of {self.pinned_requests} pinned to the down model), {len(self.broken)} other",
            f"  billed records {bills['billed_records']} = successful misses {bills['successful_misses']} = "
            f"stats API calls {bills['stats_api_calls']}; duplicate bills {bills['duplicate_bills']}",
            f"  cache: {audit['keys']} keys, {audit['answers']} answers, {audit['corrupt']} corrupt, "
            f"{audit['vectors']} vectors ({audit['vectors_without_answer']} without answer, "
            f"{audit['vectors_to_corrupt']} to corrupt); cache stats {d['cache_stats']}",
        ]
        lines += self._phase_lines()
        lines += [f"  BROKEN {line}" for line in self.broken[:20]]
        lines += [f"  {line}" for line in self.examples]
        return "\n".join(lines)

    def _phase_lines(self) -> list[str]:
        """One line per extra phase that ran."""
        figures = self.phase_figures
        lines = []
        if "threads" in figures:
            t = figures["threads"]
            lines.append(
                f"  user threads: {t['unscoped_calls']} calls with the context not copied, {t['unscoped_refused']} "
                f"refused (missed), {t['unscoped_hits']} hits; cache counted {t['cache_refusals']}"
            )
        if "async_cpu" in figures:
            a = figures["async_cpu"]
            lines.append(
                f"  async + CPU-bound thread: {a['calls']} calls, {a['concurrency']} at once, async lookups failed "
                f"{a['lookups_failed']}, answered questions missed {a['repeats_missed']}"
            )
        if "full_redis" in figures:
            f = figures["full_redis"]
            lines.append(
                f"  full Redis (maxmemory {f['maxmemory_bytes']} B, noeviction): {f['calls']} calls, hits missed "
                f"{f['hits_missed']}, refused stores {f['refused_stores']}; cache stats {f['cache_stats_delta']}"
            )
        if "bursts" in figures:
            lines.append(f"  bursts: {figures['bursts']}")
        lines.append("  phase wall time (s): " + ", ".join(f"{k} {v['wall_s']}" for k, v in figures.items()))
        return lines
