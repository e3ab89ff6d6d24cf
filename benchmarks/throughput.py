"""(4) Throughput: concurrent ``ainvoke`` through router + ``RedisCache``, half hits, vs bare ``ChatBedrockConverse``.

The same request list (every other request repeats one of ``WARM`` questions stored beforehand, the
others are new) runs with at most ``concurrency`` requests in flight through (a) ``RoutedChatBedrock``
with our ``RedisCache`` and (b) a bare ``ChatBedrockConverse`` without cache, on the emulator at latency
scale 0 (client CPU only: a model call costs about as much as a hit) and at scale 0.1 (a tenth of the
catalog's modeled latency is slept, so a miss waits like a real, if fast, Bedrock call; a quarter of the
requests). Neither model has a native async Bedrock client: LangChain runs their sync calls in the event
loop's default executor, which bounds how many model calls are in flight to its thread count.
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
from benchmarks.services import REGION, Context, emulator_process, emulator_request_count
from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.routing import RoutedChatBedrock

NAME = "throughput"
WARM = 50
ROUTED, BARE = "router + RedisCache", "bare ChatBedrockConverse"
BLOCKING = "router + RedisCache (async_client on a BlockingConnectionPool)"
LATENCY_SCALES = (0.0, 0.1)


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


async def routed_run(
    ctx: Context, url: str, cache: RedisCache, prompts: Sequence[str]
) -> tuple[Sample, float, dict[str, Any]]:
    """Warm ``cache`` through a router on the emulator at ``url``, run ``prompts``; latency, requests/s, counts."""
    await cache.aclear()
    router = RoutedChatBedrock(base_url=url, region_name=REGION, cache=cache)
    await asyncio.gather(*(router.ainvoke(warm_question(i)) for i in range(WARM)))
    before = emulator_request_count(url)
    sample, rps = await drive(router, prompts, ctx.sizes.concurrency)
    counted = {
        "model_calls": emulator_request_count(url) - before,
        "expected_model_calls": len(prompts) // 2,
        "cache": cache.stats.as_dict(),
        "breaker_opened": cache.breaker.times_opened,
    }
    await cache.aclear()
    await cache.aclose()
    return sample, rps, counted


async def measure(
    ctx: Context, url: str, total: int
) -> tuple[dict[str, tuple[Sample, float]], dict[str, dict[str, Any]]]:
    """``total`` requests through the router with each cache setup, then through the bare model, at ``url``."""
    prompts = request_list(total)
    pool = redis.asyncio.BlockingConnectionPool.from_url(ctx.redis.url, max_connections=100, timeout=5)
    setups = {
        ROUTED: RedisCache(redis_url=ctx.redis.url, namespace="bench-throughput"),
        BLOCKING: RedisCache(async_client=redis.asyncio.Redis(connection_pool=pool), namespace="bench-throughput"),
    }
    results: dict[str, tuple[Sample, float]] = {}
    counts: dict[str, dict[str, Any]] = {}
    for name, cache in setups.items():
        sample, rps, counts[name] = await routed_run(ctx, url, cache, prompts)
        results[name] = (sample, rps)
    await pool.aclose()
    results[BARE] = await drive(ctx.converse(cache=False, endpoint_url=url), prompts, ctx.sizes.concurrency)
    return results, counts


def run(ctx: Context) -> Report:
    """Requests/s and p99 of every case at both latency scales; repeats the cache failed to serve."""
    report = Report(NAME, f"Throughput: {ctx.sizes.concurrency} concurrent ainvoke, half cache hits")
    rows: list[list[object]] = []
    for scale in LATENCY_SCALES:
        total = ctx.sizes.throughput_requests if scale == 0 else max(WARM, ctx.sizes.throughput_requests // 4)
        with emulator_process(scale) as url:
            results, counts = asyncio.run(measure(ctx, url, total))
        at = f"latency x{scale:g}"
        plain, plain_rps = results[BARE]
        for name in (ROUTED, BLOCKING):
            sample, rps = results[name]
            report.add(Figure(f"{name}, {at}: requests/s", rps, "req/s", plain_rps, BARE))
            report.add(Figure(f"{name}, {at}: p99", sample.p99_us / 1000, "ms", plain.p99_us / 1000, BARE))
            lost = counts[name]["model_calls"] - counts[name]["expected_model_calls"]
            report.add(
                Figure(f"{name}, {at}: repeats not served from cache", lost, "requests", goal="0", met=lost == 0)
            )
            if lost:
                report.notes.append(lost_note(f"{name}, {at}", lost, counts[name]))
        rows += [[at, name, rps, s.p50_us / 1000, s.p99_us / 1000, s.n] for name, (s, rps) in results.items()]
        report.details[at] = {
            "cases": {name: {"requests_per_s": rps, "latency": vars(s)} for name, (s, rps) in results.items()},
            "router_caches": counts,
        }
    report.tables.append(table(["emulator", "case", "req/s", "p50 ms", "p99 ms", "requests"], rows))
    report.notes.append(
        f"At most {ctx.sizes.concurrency} requests in flight; LangChain's default executor has min(32, cores + 4) = "
        f"{min(32, (os.cpu_count() or 1) + 4)} threads for the sync Bedrock calls."
    )
    return report


def lost_note(label: str, lost: int, counted: dict[str, Any]) -> str:
    """Why repeated questions reached Bedrock, from the cache's counters."""
    return (
        f"{label}: {lost} of {counted['expected_model_calls']} repeated questions reached Bedrock; cache errors "
        f"{counted['cache']['errors']}, short-circuited {counted['cache']['short_circuited']}, breaker opened "
        f"{counted['breaker_opened']} times (redis.asyncio's default pool holds 100 connections and raises "
        "MaxConnectionsError when they are all in use)."
    )
