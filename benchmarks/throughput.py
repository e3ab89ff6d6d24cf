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

from langchain_core.language_models import BaseChatModel

from benchmarks.harness import Figure, Report, Sample, table
from benchmarks.services import REGION, Context, emulator_request_count
from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.routing import RoutedChatBedrock

NAME = "throughput"
WARM = 50
ROUTED, BARE = "router + RedisCache", "bare ChatBedrockConverse"


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


async def measure(ctx: Context) -> dict[str, tuple[Sample, float]]:
    """Warm the cache, then run the request list through both models."""
    cache = RedisCache(redis_url=ctx.redis.url, namespace="bench-throughput")
    await cache.aclear()
    router = RoutedChatBedrock(base_url=ctx.emulator_url, region_name=REGION, cache=cache)
    bare = ctx.converse(cache=False)
    await asyncio.gather(*(router.ainvoke(warm_question(i)) for i in range(WARM)))
    prompts = request_list(ctx.sizes.throughput_requests)
    before = emulator_request_count(ctx.emulator_url)
    routed = await drive(router, prompts, ctx.sizes.concurrency)
    misses = emulator_request_count(ctx.emulator_url) - before
    if misses != len(prompts) - (len(prompts) + 1) // 2:
        raise RuntimeError(f"expected every repeated question to hit, but {misses} of {len(prompts)} reached Bedrock")
    plain = await drive(bare, prompts, ctx.sizes.concurrency)
    await cache.aclear()
    await cache.aclose()
    return {ROUTED: routed, BARE: plain}


def run(ctx: Context) -> Report:
    """Requests/s and p99 of both cases."""
    report = Report(NAME, f"Throughput: {ctx.sizes.concurrency} concurrent ainvoke, half cache hits")
    results = asyncio.run(measure(ctx))
    (routed, routed_rps), (plain, plain_rps) = results[ROUTED], results[BARE]
    report.add(Figure("router + RedisCache requests/s", routed_rps, "req/s", plain_rps, "bare ChatBedrockConverse"))
    report.add(
        Figure("router + RedisCache p99", routed.p99_us / 1000, "ms", plain.p99_us / 1000, "bare ChatBedrockConverse")
    )
    report.add(
        Figure("router + RedisCache p50", routed.p50_us / 1000, "ms", plain.p50_us / 1000, "bare ChatBedrockConverse")
    )
    rows = [[name, rps, s.p50_us / 1000, s.p99_us / 1000, s.n] for name, (s, rps) in results.items()]
    report.tables.append(table(["case", "req/s", "p50 ms", "p99 ms", "requests"], rows))
    report.details = {name: {"requests_per_s": rps, "latency": vars(s)} for name, (s, rps) in results.items()}
    report.notes.append(
        f"{ctx.sizes.throughput_requests} requests, at most {ctx.sizes.concurrency} in flight; LangChain's default "
        f"executor has min(32, cores + 4) = {min(32, (os.cpu_count() or 1) + 4)} threads for the sync Bedrock calls."
    )
    return report
