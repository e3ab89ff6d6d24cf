"""Budget overhead on the miss path: ``RoutedChatBedrock`` with budgets (in process, and in Redis) vs without.

The same router settings and prompt on the emulator at latency scale 0, no response cache, interleaved. A budget
adds a read before planning, a Lua reservation and a Lua settlement (three Redis round trips on the Redis ledger);
the limit is far above what the run spends, so every call goes through.
"""

from __future__ import annotations

from langchain_core.globals import set_llm_cache

from benchmarks.harness import Figure, Report, interleaved, table
from benchmarks.services import REGION, Context
from langchain_bedrock_routing import Budget, RoutedChatBedrock

NAME = "budget_overhead"
PROMPT = "What is the capital of France?"
PLAIN, MEMORY, REDIS = "no budget", "budgets in process", "budgets in Redis"
GOAL_ADDED_US = 1000.0


def run(ctx: Context) -> Report:
    """Interleave calls of the three routers; report what each budget ledger adds at p50."""
    report = Report(NAME, "Budget overhead on the miss path (emulator, latency scale 0)")
    set_llm_cache(None)
    budgets = [Budget("bench-app", 1_000_000.0), Budget("bench-tenant", 1_000_000.0, per="tenant")]
    common = {"base_url": ctx.emulator_url, "region_name": REGION}
    routers = {
        PLAIN: RoutedChatBedrock(**common),
        MEMORY: RoutedChatBedrock(**common, budgets=budgets),
        REDIS: RoutedChatBedrock(**common, budgets=budgets, budget_redis_url=ctx.redis.url),
    }
    config = {"metadata": {"tenant_id": "bench"}}
    cases = {name: (lambda llm=llm: llm.invoke(PROMPT, config=config)) for name, llm in routers.items()}
    samples = interleaved(cases, total=ctx.sizes.overhead_calls, rounds=100)
    plain = samples[PLAIN]
    for name in (MEMORY, REDIS):
        added = samples[name].p50_us - plain.p50_us
        report.add(Figure(f"added by {name} at p50", added, "us", goal="<= 1000 us", met=added <= GOAL_ADDED_US))
    rows = [[name, s.p50_us, s.p90_us, s.p99_us, s.n] for name, s in samples.items()]
    report.tables.append(table(["case", "p50 us", "p90 us", "p99 us", "calls"], rows))
    redis_guard = routers[REDIS].budget_guard
    report.details = {
        "samples": {name: vars(s) for name, s in samples.items()},
        "prompt": PROMPT,
        "redis_budget_counts": None if redis_guard is None else dict(redis_guard.counts),
    }
    return report
