"""(4) Throughput: concurrent ``ainvoke`` through router + ``RedisCache``, half hits, vs bare ``ChatBedrockConverse``.

The same request list (every other request repeats one of ``WARM`` questions stored beforehand, the
others are new) runs with at most ``concurrency`` requests in flight through (a) ``RoutedChatBedrock``
with our ``RedisCache`` and (b) a bare ``ChatBedrockConverse`` without cache, both on the emulator at
latency scale 0. Neither has a native async Bedrock client: LangChain runs their sync calls in the
event loop's default executor, which bounds real parallelism to its thread count.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from typing import Any

import redis.asyncio
from langchain_core.language_models import BaseChatModel

from benchmarks.harness import Figure, Report, Sample, table
from benchmarks.services import REGION, Context, emulator_request_count
from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.routing import RoutedChatBedrock

NAME = "throughput"
WARM = 50
ROUTED, BARE = "router + RedisCache", "bare ChatBedrockConverse"
BLOCKING = "router + RedisCache (async_client on a BlockingConnectionPool)"


def request_list(total: int) -> list[str]:
    """Even positions repeat one of the warm questions (hits), odd ones are new (misses)."""
    return [warm_question(i % WARM) if i % 2 == 0 else f"New question {i}: what is {i} plus 7?" for i in range(total)]


def warm_question(i: int) -> str:
    """One of the questions stored before the timed run."""
    return f"Warm question {i}: what is the capital of country number {i}?"


async def drive(model: BaseChatModel, prompts: Sequence[str], concurrency: int) -> tuple[Sample, float]:
    """Per-request latency and requests/s of ``prompts`` with at most ``concurrency`` in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> int:
        async with gate:
            began = time.perf_counter_ns()
            await model.ainvoke(prompt)
            return time.perf_counter_ns() - began

    began = time.perf_counter()
    durations = await asyncio.gather(*(one(p) for p in prompts))
    return Sample.of(list(durations)), len(prompts) / (time.perf_counter() - began)


async def routed_run(ctx: Context, cache: RedisCache, prompts: Sequence[str]) -> tuple[Sample, float, dict[str, Any]]:
    """Warm ``cache`` through a router, run ``prompts``; latency, requests/s and what the cache counted."""
    await cache.aclear()
    router = RoutedChatBedrock(base_url=ctx.emulator_url, region_name=REGION, cache=cache)
    await asyncio.gather(*(router.ainvoke(warm_question(i)) for i in range(WARM)))
    before = emulator_request_count(ctx.emulator_url)
    sample, rps = await drive(router, prompts, ctx.sizes.concurrency)
    counted = {
        "model_calls": emulator_request_count(ctx.emulator_url) - before,
        "expected_model_calls": len(prompts) // 2,
        "cache": cache.stats.as_dict(),
        "breaker_opened": cache.breaker.times_opened,
    }
    await cache.aclear()
    await cache.aclose()
    return sample, rps, counted


async def measure(ctx: Context) -> tuple[dict[str, tuple[Sample, float]], dict[str, dict[str, Any]]]:
    """The request list through the router with each cache setup, then through the bare model."""
    prompts = request_list(ctx.sizes.throughput_requests)
    pool = redis.asyncio.BlockingConnectionPool.from_url(ctx.redis.url, max_connections=100, timeout=5)
    setups = {
        ROUTED: RedisCache(redis_url=ctx.redis.url, namespace="bench-throughput"),
        BLOCKING: RedisCache(async_client=redis.asyncio.Redis(connection_pool=pool), namespace="bench-throughput"),
    }
    results: dict[str, tuple[Sample, float]] = {}
    counts: dict[str, dict[str, Any]] = {}
    for name, cache in setups.items():
        sample, rps, counts[name] = await routed_run(ctx, cache, prompts)
        results[name] = (sample, rps)
    await pool.aclose()
    results[BARE] = await drive(ctx.converse(cache=False), prompts, ctx.sizes.concurrency)
    return results, counts


def run(ctx: Context) -> Report:
    """Requests/s and p99 of every case; how many repeated questions the cache failed to serve."""
    report = Report(NAME, f"Throughput: {ctx.sizes.concurrency} concurrent ainvoke, half cache hits")
    results, counts = asyncio.run(measure(ctx))
    plain, plain_rps = results[BARE]
    for name in (ROUTED, BLOCKING):
        sample, rps = results[name]
        report.add(Figure(f"{name} requests/s", rps, "req/s", plain_rps, BARE))
        report.add(Figure(f"{name} p99", sample.p99_us / 1000, "ms", plain.p99_us / 1000, BARE))
        counted = counts[name]
        lost = counted["model_calls"] - counted["expected_model_calls"]
        report.add(Figure(f"{name}: repeats not served from the cache", lost, "requests", goal="0", met=lost == 0))
        if lost:
            report.notes.append(
                f"{name}: {lost} of {counted['expected_model_calls']} repeated questions reached Bedrock; cache errors "
                f"{counted['cache']['errors']}, short-circuited {counted['cache']['short_circuited']}, breaker opened "
                f"{counted['breaker_opened']} times (redis.asyncio's default pool holds 100 connections and raises "
                "MaxConnectionsError when they are all in use)."
            )
    rows = [[name, rps, s.p50_us / 1000, s.p99_us / 1000, s.n] for name, (s, rps) in results.items()]
    report.tables.append(table(["case", "req/s", "p50 ms", "p99 ms", "requests"], rows))
    report.details = {name: {"requests_per_s": rps, "latency": vars(s)} for name, (s, rps) in results.items()}
    report.details["router_caches"] = counts
    report.notes.append(
        f"{ctx.sizes.throughput_requests} requests, at most {ctx.sizes.concurrency} in flight; LangChain's default "
        f"executor has min(32, cores + 4) = {min(32, (os.cpu_count() or 1) + 4)} threads for the sync Bedrock calls."
    )
    return report
