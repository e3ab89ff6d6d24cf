"""The soak's extra phases, run after the main mix on a healthy Redis; each returns its calls' outcomes.

``threads``: the user's own ``ThreadPoolExecutor`` inside ``cache_scope(tenant=...)``, with the context
copied into the worker and without (the tenant is lost there and the call must neither hit nor store);
``async_cpu``: hundreds of concurrent ``ainvoke``/``astream`` calls while a CPU-bound thread runs;
``full_redis``: a Redis that refuses every write (answered questions must still hit, nothing fails);
``traps``: checkable twin prompts (see :mod:`reliability.traps`); ``bursts``: one new question asked by
several callers at once, on the soak's cache and (``--coalesce``) on one built with ``coalesce=True``.

What each phase checks is in :data:`CHECKS`; ``--phases`` chooses what runs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from reliability.provenance import Window, billed_misses
from reliability.runner import CallOutcome, SoakRunner
from reliability.stress import cpu_hog, full_redis, submit_scoped
from reliability.traps import trap_requests
from reliability.workload import TENANTS, Mode, SoakRequest, fill, templates

PHASES: tuple[str, ...] = ("threads", "async_cpu", "full_redis", "traps", "bursts")
CHECKS: dict[str, str] = {
    "threads": "cache_scope reaches LangChain's threads; a thread without the copied context fails closed",
    "async_cpu": "a CPU-bound thread causes no async false outages",
    "full_redis": "a refused write does not trip the breaker that guards reads",
    "traps": "the semantic guard catches swapped word order and one changed word in a long prompt",
    "bursts": "with --coalesce, a burst of one new question pays once; without it, bursts are documented repeats",
}
"""What each phase's guarantees check."""
_TENANTS = tuple(t for t in TENANTS if t is not None)


@dataclass
class PhaseResults:
    """Outcomes of the extra phases and the figures only a phase can measure."""

    outcomes: list[CallOutcome] = field(default_factory=list)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    full_redis: Window | None = None
    """While Redis was full, and until a breaker it opened would have closed again."""


@dataclass
class PhaseSetup:
    """What the phases need: the runner, the main mix's answered requests, Redis, the cache's stats and sizes."""

    runner: SoakRunner
    answered: list[SoakRequest]
    redis: Any
    cache_stats: Callable[[], dict[str, Any]]
    size: int
    seed: int
    async_concurrency: int = 200
    settle_s: float = 3.0
    """Seconds for a cache breaker to close again (its cooldown plus a margin)."""
    coalescing: SoakRunner | None = None
    next_index: int = 0

    def fresh(
        self, count: int, phase: str, modes: Sequence[Mode], tenants: Sequence[str | None] = TENANTS
    ) -> list[SoakRequest]:
        """``count`` never-asked questions (templates with a number, numbers above the main mix's range)."""
        rng = random.Random(f"{self.seed}:{phase}")
        groups = [(i, g) for i, g in enumerate(templates()["groups"]) if "{n}" in g["question"]]
        out = []
        for position in range(count):
            index, group = rng.choice(groups)
            subject = rng.choice(templates()["subjects"][group["slot"]])
            number = 10_000 + self.next_index
            out.append(
                SoakRequest(
                    index=self._take(),
                    kind="new",
                    mode=modes[position % len(modes)],
                    text=fill(group["question"], subject, number),
                    tenant=rng.choice(tenants),
                    priority=None,
                    complexity=group["complexity"],
                    meaning=f"{index}|{subject}|{number}",
                    phase=phase,
                )
            )
        return out

    def again(self, requests: Sequence[SoakRequest], phase: str, **changes: Any) -> list[SoakRequest]:
        """The same questions asked again (kind ``repeat``), with ``changes`` applied."""
        return [
            replace(r, index=self._take(), refers_to=r.index, phase=phase, **{"kind": "repeat", **changes})
            for r in requests
        ]

    def _take(self) -> int:
        self.next_index += 1
        return self.next_index - 1


def _delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    return {k: int(after[k]) - int(before[k]) for k in after if isinstance(after[k], int) and after[k] != before[k]}


def run_threads(setup: PhaseSetup, results: PhaseResults) -> None:
    """Shared answer first, then the tenant's own twice (context copied), then the tenant with the context lost."""
    shared = setup.fresh(max(4, setup.size), "threads", ("invoke", "stream"), tenants=(None,))
    owned = [replace(r, tenant=_TENANTS[r.index % len(_TENANTS)], delivery="copied_scope") for r in shared]
    owned = setup.again(owned, "threads", kind="new")
    steps = [shared, owned, setup.again(owned, "threads"), setup.again(owned, "threads", delivery="uncopied_scope")]
    before = setup.cache_stats()
    with ThreadPoolExecutor(4, thread_name_prefix="user-pool") as pool:
        for step in steps:
            futures = [
                pool.submit(setup.runner.call, r)
                if r.tenant is None
                else submit_scoped(pool, r.tenant, _bound(setup.runner, r), copy_context=r.delivery == "copied_scope")
                for r in step
            ]
            results.outcomes += [f.result() for f in futures]
    delta = _delta(before, setup.cache_stats())
    lost = [o for o in results.outcomes if o.request.delivery == "uncopied_scope"]
    results.figures["threads"] = {
        "unscoped_calls": len(lost),
        "unscoped_refused": sum(o.status == "miss" for o in lost),
        "unscoped_hits": sum(o.status == "hit" for o in lost),
        "cache_refusals": {k: v for k, v in delta.items() if k.startswith("unscoped_")},
    }


def _bound(runner: SoakRunner, request: SoakRequest) -> Callable[[], CallOutcome]:
    return lambda: runner.call(request)


def run_async_cpu(setup: PhaseSetup, results: PhaseResults) -> None:
    """Half repeats of answered questions (lookups that must hit), half new ones (lookups and stores),
    ``async_concurrency`` at once, beside a CPU hog."""
    count = max(setup.async_concurrency, setup.size * 4)
    rng = random.Random(f"{setup.seed}:async")
    repeats = setup.again(rng.sample(setup.answered, min(count // 2, len(setup.answered))), "async_cpu")
    requests = repeats + setup.fresh(count - len(repeats), "async_cpu", ("ainvoke", "astream"))
    requests = [replace(r, mode="astream" if i % 3 == 0 else "ainvoke") for i, r in enumerate(requests)]
    before = setup.cache_stats()
    with cpu_hog():
        outcomes = setup.runner.run_async(requests, setup.async_concurrency)
    delta = _delta(before, setup.cache_stats())
    results.outcomes += outcomes
    results.figures["async_cpu"] = {
        "calls": len(outcomes),
        "concurrency": setup.async_concurrency,
        "lookups_failed": delta.get("errors", 0) + delta.get("short_circuited", 0),
        "repeats_missed": sum(o.status == "miss" for o in outcomes if o.request.kind == "repeat"),
        "cache_stats_delta": delta,
    }


def run_full_redis(setup: PhaseSetup, results: PhaseResults) -> None:
    """New questions (their stores are refused), then answered ones (they must still hit) while every write is
    refused; the new ones are asked again once Redis has room."""
    rng = random.Random(f"{setup.seed}:full")
    count = max(8, setup.size * 2)
    repeats = setup.again(rng.sample(setup.answered, min(count, len(setup.answered))), "full_redis")
    new = setup.fresh(max(4, setup.size), "full_redis", ("invoke", "ainvoke", "stream", "astream"))
    before, started = setup.cache_stats(), time.monotonic()
    with full_redis(setup.redis) as limit:
        outcomes = setup.runner.run(new)  # their stores are refused
        outcomes += setup.runner.run(repeats)  # right after: lookups that must still hit
    delta = _delta(before, setup.cache_stats())
    time.sleep(setup.settle_s)  # a breaker opened by refused writes closes again before the next calls
    results.full_redis = Window(started, time.monotonic())
    after = setup.runner.run(setup.again(new, "after_full_redis"))
    results.outcomes += outcomes + after
    results.figures["full_redis"] = {
        "maxmemory_bytes": limit,
        "calls": len(outcomes),
        "hits_missed": sum(o.status != "hit" for o in outcomes if o.request.kind == "repeat"),
        "refused_stores": sum(o.status == "miss" for o in after),
        "cache_stats_delta": delta,
    }


def run_traps(setup: PhaseSetup, results: PhaseResults) -> None:
    """Each twin pair in order (A, A, B, B) from one thread, so a wrong hit can only come from the cache."""
    requests = trap_requests(max(4, setup.size), seed=setup.seed, start=setup.next_index, tenants=TENANTS)
    setup.next_index += len(requests)
    results.outcomes += [setup.runner.call(r) for r in requests]


def run_bursts(setup: PhaseSetup, results: PhaseResults) -> None:
    """``copies`` callers at once per new question, on the soak's cache and, with ``--coalesce``, a coalescing one;
    the figures count each run's keys and bills (with ``coalesce=True`` one bill per key)."""
    copies, keys = 6, max(3, setup.size // 2)
    figures: dict[str, Any] = {"copies": copies}
    for name, runner in (("bursts", setup.runner), ("burst_coalesce", setup.coalescing)):
        if runner is None:
            continue
        outcomes: list[CallOutcome] = []
        for question in setup.fresh(keys, name, ("invoke",)):
            burst = [replace(question, kind="burst"), *setup.again([question] * (copies - 1), name, kind="burst")]
            burst = [replace(r, mode=("invoke", "ainvoke", "stream", "astream")[i % 4]) for i, r in enumerate(burst)]
            outcomes += runner.variant(sync_workers=copies).run(burst)
        results.outcomes += outcomes
        figures[f"{name}_keys"] = keys
        figures[f"{name}_bills"] = len(billed_misses(outcomes))
    results.figures["bursts"] = figures


RUNNERS: dict[str, Callable[[PhaseSetup, PhaseResults], None]] = {
    "threads": run_threads,
    "async_cpu": run_async_cpu,
    "full_redis": run_full_redis,
    "traps": run_traps,
    "bursts": run_bursts,
}
