"""(8) Async concurrency: N concurrent ``ainvoke`` misses against an emulator whose every reply takes 500 ms.

For N = 32, 128 and 512 different prompts (no cache: every call is a miss), all started at once on one event loop:
(a) ``RoutedChatBedrock.ainvoke`` (native async: pooled HTTP on the loop), (b) the same router's sync call in
the loop's default executor (``run_in_executor(None, router.invoke, ...)``: how a chat model without an async
client runs), (c) a bare ``ChatBedrockConverse.ainvoke`` (langchain-aws runs it in that executor). Wall time of the
whole burst and the p99 of one call; the single-call latency is measured first, sequentially. Every tier of the
router is the bare model, so both make the same Bedrock call (the router still classifies and plans).

Two more bursts of 512 native calls follow, for information: one on the connections the first opened (a server's
steady state), and one after ``gc.freeze()`` (start-up objects out of the cyclic collector's full passes; a
process-wide setting an application may choose, which the library never makes). Then the floor: one Converse
request signed once and posted 512 times at once by bare aiohttp on warm connections (the emulator's and the
network's share of the wall, with next to no client work), against a fresh emulator process with the asyncio front
(the one every case runs against), then one with the threading front. Each 512 burst also reports the client
process's CPU per call and its cyclic GC's CPU, and the parts of a call are measured alone (see :mod:`.call_cpu`).
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from langchain_core.globals import set_llm_cache

from benchmarks.call_cpu import Spend, parts_us, spent
from benchmarks.harness import Figure, Report, Sample, table
from benchmarks.services import MODEL, REGION, Context, emulator_process
from langchain_bedrock_routing.catalog import TIERS
from langchain_bedrock_routing.core.async_bedrock import capture
from langchain_bedrock_routing.routing import RoutedChatBedrock

NAME = "async_concurrency"
LATENCY_MS = 500.0
SMOKE_LATENCY_MS = 20.0
"""The reply time at ``--size smoke`` (a check that the benchmark runs, not a measurement)."""
CONCURRENCY = (32, 128, 512)
NATIVE, EXECUTOR, BARE = "router ainvoke (native async)", "router in the executor", "bare ChatBedrockConverse"
WARM, FROZEN = "512 concurrent, native async, warm connections", "512 concurrent, native async, after gc.freeze()"
FLOOR = "512 concurrent, one pre-signed request by bare aiohttp, warm connections (floor)"
FLOOR_THREADS = "512 concurrent, the same floor against the emulator's threading front"
FIRST = f"512 concurrent, {NATIVE}"
GOAL_WALL_VS_SINGLE = 1.5
GOAL_SPEEDUP_AT_128 = 5.0


def prompt(n: int, i: int) -> str:
    """A different question per call and burst (never a cache hit)."""
    return f"Burst {n}, question {i}: what is {i} plus 7?"


async def burst(call: Callable[[str], Awaitable[object]], n: int) -> tuple[float, Sample]:
    """Wall seconds of ``n`` concurrent calls and their latencies."""

    async def one(i: int) -> int:
        began = time.perf_counter_ns()
        await call(prompt(n, i))
        return time.perf_counter_ns() - began

    began = time.perf_counter()
    durations = await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - began, Sample.of(list(durations))


@dataclass
class Measured:
    """One run: single-call seconds, (wall, latencies) per case and N, the informational 512 bursts, the client CPU
    of each 512 burst and the CPU µs of a call's parts."""

    single: float
    results: dict[str, dict[int, tuple[float, Sample]]]
    extra: dict[str, tuple[float, Sample]] = field(default_factory=dict)
    spends: dict[str, Spend] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)


async def measure(ctx: Context, url: str) -> Measured:
    """Everything but the threading front's floor."""
    tiers: dict[str, list[str] | str] = {tier: [MODEL] for tier in TIERS}  # whatever the tier: the bare model's call
    router = RoutedChatBedrock(tiers=tiers, base_url=url, region_name=REGION, timeout=30)
    bare = ctx.converse(cache=False, endpoint_url=url)
    picked = (await router.ainvoke(prompt(0, 0))).response_metadata["model_name"]
    if picked != MODEL:
        raise RuntimeError(f"the router chose {picked}, the bare model is {MODEL}: not the same call")
    loop = asyncio.get_running_loop()
    cases: dict[str, Callable[[str], Awaitable[object]]] = {
        NATIVE: router.ainvoke,
        EXECUTOR: lambda p: loop.run_in_executor(None, router.invoke, p),
        BARE: bare.ainvoke,
    }
    singles = [(await burst(router.ainvoke, 1))[0] for _ in range(5)]
    run = Measured(sorted(singles)[len(singles) // 2], {name: {} for name in cases})
    for n in CONCURRENCY:
        for name, call in cases.items():
            with spent() as spend:
                run.results[name][n] = await burst(call, n)
            if name == NATIVE and n == 512:
                run.spends[FIRST] = spend
    with spent() as run.spends[WARM]:
        run.extra[WARM] = await burst(router.ainvoke, 512)
    gc.collect()
    gc.freeze()
    try:
        with spent() as run.spends[FROZEN]:
            run.extra[FROZEN] = await burst(router.ainvoke, 512)
    finally:
        gc.unfreeze()
    await router.aclose()
    return run


async def floor(client: Any, n: int) -> tuple[tuple[float, Sample], Spend]:
    """``n`` concurrent POSTs of one Converse request of ``client`` signed once, by bare aiohttp, measured (and the
    client CPU spent) on the second burst (the first opens the connections)."""
    messages = [{"role": "user", "content": [{"text": prompt(n, 0)}]}]
    call = capture(client, lambda: client.converse(modelId=MODEL, messages=messages))
    request = client._endpoint.create_request(call.request_dict, call.operation_model)
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def post(_: str) -> None:
            async with session.post(request.url, headers=headers, data=request.body) as reply:
                await reply.read()
                reply.raise_for_status()

        await burst(post, n)
        with spent() as spend:
            measured = await burst(post, n)
        return measured, spend


def run(ctx: Context) -> Report:
    """Wall and p99 per case and N; goals: 512 native within 1.5x a single call, native >= 5x bare at 128."""
    latency_ms = SMOKE_LATENCY_MS if ctx.sizes.name == "smoke" else LATENCY_MS
    report = Report(NAME, f"Async concurrency: concurrent ainvoke misses, every reply {latency_ms:g} ms")
    set_llm_cache(None)
    with emulator_process(fixed_latency_ms=latency_ms, front="asyncio") as url:
        run = asyncio.run(measure(ctx, url))
    for name, front in ((FLOOR, "asyncio"), (FLOOR_THREADS, "threads")):  # each on an emulator serving only it
        with emulator_process(fixed_latency_ms=latency_ms, front=front) as url:
            bare = ctx.converse(cache=False, endpoint_url=url)
            run.extra[name], run.spends[name] = asyncio.run(floor(bare.client, 512))
    run.parts = parts_us(bare, prompt(512, 0))  # the router's delegates are such ChatBedrockConverse models
    single, results, extra = run.single, run.results, run.extra
    report.add(Figure("one call alone (median of 5)", single * 1000, "ms"))
    native_512 = results[NATIVE][512][0]
    report.add(
        Figure(
            "512 concurrent, native async: wall",
            native_512 * 1000,
            "ms",
            single * 1000,
            "one call alone",
            goal=f"<= {GOAL_WALL_VS_SINGLE}x one call",
            met=native_512 <= GOAL_WALL_VS_SINGLE * single,
        )
    )
    native_128, bare_128 = results[NATIVE][128][0], results[BARE][128][0]
    report.add(
        Figure(
            "128 concurrent: bare wall / native wall",
            bare_128 / native_128,
            "x",
            goal=f">= {GOAL_SPEEDUP_AT_128:g}x",
            met=bare_128 / native_128 >= GOAL_SPEEDUP_AT_128,
        )
    )
    rows: list[list[object]] = []
    for n in CONCURRENCY:
        for name in results:
            wall, sample = results[name][n]
            rows.append([n, name, wall * 1000, sample.p50_us / 1000, sample.p99_us / 1000])
            report.add(Figure(f"{n} concurrent, {name}: wall", wall * 1000, "ms"))
            report.add(Figure(f"{n} concurrent, {name}: p99", sample.p99_us / 1000, "ms"))
    for name, (wall, sample) in extra.items():
        rows.append(
            [512, name.removeprefix("512 concurrent, "), wall * 1000, sample.p50_us / 1000, sample.p99_us / 1000]
        )
        report.add(Figure(f"{name}: wall", wall * 1000, "ms", single * 1000, "one call alone"))
    report.tables.append(table(["N", "case", "wall ms", "p50 ms", "p99 ms"], rows))
    cpu_rows: list[list[object]] = []
    for name, spend in run.spends.items():
        case = name.removeprefix("512 concurrent, ")
        cpu_rows.append([case, spend.cpu_s / 512 * 1000, spend.gc_s * 1000, spend.gc_s / 512 * 1000])
        report.add(Figure(f"{name}: client CPU per call", spend.cpu_s / 512 * 1000, "ms"))
        report.add(Figure(f"{name}: cyclic GC CPU in the burst", spend.gc_s * 1000, "ms"))
    report.tables.append(table(["512 burst", "client CPU ms/call", "GC ms in burst", "GC ms/call"], cpu_rows))
    for part, micros in run.parts.items():
        report.add(Figure(f"one call's part alone: {part}", micros, "µs"))
    report.tables.append(table(["part of one call, measured alone", "CPU µs"], [[k, v] for k, v in run.parts.items()]))
    load = os.getloadavg()
    report.notes.append(f"Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min).")
    report.details = {
        "load_average": load,
        "client_cpu": {name: vars(spend) for name, spend in run.spends.items()},
        "parts_us": run.parts,
        "single_call_s": single,
        "cases": {
            name: {n: {"wall_s": w, "latency": vars(s)} for n, (w, s) in r.items()} for name, r in results.items()
        },
        "informational": {name: {"wall_s": w, "latency": vars(s)} for name, (w, s) in extra.items()},
        "latency_ms": LATENCY_MS,
    }
    report.notes.append(
        f"The default executor has min(32, cores + 4) = {min(32, (os.cpu_count() or 1) + 4)} threads; the native "
        "path keeps up to 1024 connections per event loop."
    )
    return report
