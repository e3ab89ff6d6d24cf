"""(10) Budgets and deployment limits in Redis on the async path: what they add to a burst of ``ainvoke`` misses.

N = 128 concurrent misses (different prompts, no response cache) against an emulator whose every reply takes 500 ms,
for one router with an app and a per-tenant budget and a deployment with rpm / tpm limits: (a) counted in this
process, (b) in a Redis reached through a proxy adding 1 ms each way (a 2 ms round trip, as to a Redis in another
zone). Each call makes four Redis round trips at most (limits, budget read, reservation, settlement), awaited on the
event loop. Reported: wall and p99 of the burst (median of 3 bursts), and the event loop's worst lateness during
the bursts (a 10 ms ticker: how long the loop was held by anything, Redis included).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langchain_core.globals import set_llm_cache
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig

from benchmarks.delay_proxy import delayed
from benchmarks.harness import Figure, Report, Sample, table
from benchmarks.services import MODEL, REGION, Context, emulator_process
from langchain_bedrock_routing import Budget, RoutedChatBedrock
from langchain_bedrock_routing.routing.classifiers import ComplexityClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision

NAME = "async_redis_guards"
LATENCY_MS = 500.0
SMOKE_LATENCY_MS = 20.0
ONE_WAY_DELAY_S = 0.001
CONCURRENCY = 128
BURSTS = 3
IN_PROCESS, IN_REDIS = "budgets and limits in process", "budgets and limits in Redis (2 ms round trip)"
GOAL_WALL_VS_IN_PROCESS = 1.25
TICK_S = 0.01


class _Simple(ComplexityClassifier):
    """Every request at the simple tier (offline, inline)."""

    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        return RouteDecision(tier="simple", score=0.1, reason="fixed", classifier="fixed")


def _router(url: str, redis_url: str | None) -> RoutedChatBedrock:
    return RoutedChatBedrock(
        tiers={"simple": [{"model": MODEL, "rpm": 1_000_000, "tpm": 1_000_000_000}]},
        classifier=_Simple(),
        budgets=[Budget("bench-async-app", 1_000_000.0), Budget("bench-async-team", 1_000_000.0, per="tenant")],
        budget_redis_url=redis_url,
        limits_redis_url=redis_url,
        base_url=url,
        region_name=REGION,
        timeout=30,
    )


async def _burst(router: RoutedChatBedrock, tag: str, n: int) -> tuple[float, Sample, float]:
    """Wall seconds, latencies and the loop's worst lateness (seconds) of ``n`` concurrent calls."""
    worst, done = 0.0, asyncio.Event()

    async def tick() -> None:
        nonlocal worst
        while not done.is_set():
            began = time.perf_counter()
            await asyncio.sleep(TICK_S)
            worst = max(worst, time.perf_counter() - began - TICK_S)

    async def one(i: int) -> int:
        began = time.perf_counter_ns()
        await router.ainvoke(
            f"{tag}, question {i}: what is {i} plus 7?", config={"metadata": {"tenant_id": f"t{i % 4}"}}
        )
        return time.perf_counter_ns() - began

    ticker = asyncio.create_task(tick())
    began = time.perf_counter()
    durations = await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - began
    done.set()
    await ticker
    return wall, Sample.of(list(durations)), worst


async def _measure(routers: dict[str, RoutedChatBedrock], n: int) -> dict[str, list[tuple[float, Sample, float]]]:
    results: dict[str, list[tuple[float, Sample, float]]] = {name: [] for name in routers}
    for name, router in routers.items():
        await _burst(router, f"warm {name}", 8)  # connections and scripts
    for k in range(BURSTS):
        for name, router in routers.items():  # interleaved
            results[name].append(await _burst(router, f"burst {k} {name}", n))
    for router in routers.values():
        await router.aclose()
    return results


def run(ctx: Context) -> Report:
    """Median wall, p99 and worst loop lateness per case; goal: Redis within 1.25x of in process."""
    smoke = ctx.sizes.name == "smoke"
    latency_ms, n = (SMOKE_LATENCY_MS, 16) if smoke else (LATENCY_MS, CONCURRENCY)
    report = Report(
        NAME, f"Async budgets and limits in Redis: {n} concurrent ainvoke misses, replies {latency_ms:g} ms"
    )
    set_llm_cache(None)
    with emulator_process(fixed_latency_ms=latency_ms) as url, delayed(ctx.redis.port, ONE_WAY_DELAY_S) as proxy_port:
        routers = {IN_PROCESS: _router(url, None), IN_REDIS: _router(url, f"redis://127.0.0.1:{proxy_port}/0")}
        results = asyncio.run(_measure(routers, n))
    medians: dict[str, tuple[float, Sample, float]] = {}
    rows: list[list[Any]] = []
    for name, bursts in results.items():
        wall, sample, worst = sorted(bursts, key=lambda b: b[0])[len(bursts) // 2]
        medians[name] = (wall, sample, worst)
        rows.append([name, wall * 1000, sample.p99_us / 1000, max(b[2] for b in bursts) * 1000])
        report.add(Figure(f"{name}: wall", wall * 1000, "ms", latency_ms, "one reply"))
        report.add(Figure(f"{name}: worst event-loop lateness", max(b[2] for b in bursts) * 1000, "ms"))
    redis_wall, local_wall = medians[IN_REDIS][0], medians[IN_PROCESS][0]
    report.add(
        Figure(
            "Redis wall / in-process wall",
            redis_wall / local_wall,
            "x",
            goal=f"<= {GOAL_WALL_VS_IN_PROCESS}x",
            met=redis_wall / local_wall <= GOAL_WALL_VS_IN_PROCESS,
        )
    )
    report.tables.append(table(["case", "wall ms (median of 3)", "p99 ms", "worst loop lateness ms"], rows))
    report.details = {
        "bursts": {
            name: [{"wall_s": w, "latency": vars(s), "lateness_s": x} for w, s, x in b] for name, b in results.items()
        },
        "concurrency": n,
        "latency_ms": latency_ms,
        "one_way_redis_delay_s": ONE_WAY_DELAY_S,
    }
    return report
