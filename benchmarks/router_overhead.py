"""(3) Router overhead on the miss path: ``RoutedChatBedrock`` (heuristic) vs a bare ``ChatBedrockConverse``.

Both call the same model (the router's simple-tier primary, which the heuristic picks for the prompt)
on the emulator at latency scale 0, without any cache, interleaved; the difference of the p50s is
what routing adds: classification, planning, routing metadata and the delegate hop. A third router
spreads that model over two deployments (two regions, one emulator) with rpm / tpm limits shared
through the run's redis-server: it adds the least-busy choice and two Redis round trips (reserve, settle).
"""

from __future__ import annotations

from langchain_core.globals import set_llm_cache

from benchmarks.harness import Figure, Report, interleaved, profile_calls, table
from benchmarks.services import MODEL, REGION, Context
from langchain_bedrock_routing.routing import RoutedChatBedrock
from langchain_bedrock_routing.routing.limits import make_limits

NAME = "router_overhead"
PROMPT = "What is the capital of France?"
ROUTED, BARE, CLASSIFY = "RoutedChatBedrock (heuristic)", "bare ChatBedrockConverse", "classifier alone"
DEPLOYED = "RoutedChatBedrock, 2 deployments, Redis limits"
RESERVE = "Redis reservation alone"
GOAL_ADDED_US = 1000.0


def run(ctx: Context) -> Report:
    """Interleave routed and bare misses; report the added p50 and where it goes."""
    report = Report(NAME, "Router overhead on the miss path (emulator, latency scale 0)")
    set_llm_cache(None)
    router = RoutedChatBedrock(base_url=ctx.emulator_url, region_name=REGION)
    bare = ctx.converse(cache=False)
    deployed = RoutedChatBedrock(
        tiers={"simple": [_deployment(ctx, region) for region in ("us-east-1", "us-west-2")]},
        limits_redis_url=ctx.redis.url,
        region_name=REGION,
    )
    limits = make_limits(ctx.redis.url)  # the deployed router's kind of window, on a key of its own
    for chosen in (router, deployed):
        routed_model = chosen.invoke(PROMPT).response_metadata["model_name"]
        if routed_model != MODEL:
            raise RuntimeError(f"the router chose {routed_model}, the bare model is {MODEL}: not the same call")
    cases = {
        ROUTED: lambda: router.invoke(PROMPT),
        BARE: lambda: bare.invoke(PROMPT),
        CLASSIFY: lambda: router.classify(PROMPT),
        DEPLOYED: lambda: deployed.invoke(PROMPT),
        RESERVE: lambda: limits.reserve(f"{MODEL}@bench", 100, None, None),
    }
    samples = interleaved(cases, total=ctx.sizes.overhead_calls, rounds=100)  # short blocks: both see the same drift
    routed, plain = samples[ROUTED], samples[BARE]
    added = routed.p50_us - plain.p50_us
    report.add(Figure("routed miss p50", routed.p50_us, "us", plain.p50_us, "bare ChatBedrockConverse"))
    report.add(Figure("added by routing at p50", added, "us", goal="<= 1000 us", met=added <= GOAL_ADDED_US))
    report.add(Figure("routed miss p99", routed.p99_us, "us", plain.p99_us, "bare ChatBedrockConverse"))
    added_deployed = samples[DEPLOYED].p50_us - plain.p50_us
    report.add(
        Figure(
            "added with deployments + Redis-shared limits at p50",
            added_deployed,
            "us",
            goal="<= 1000 us",
            met=added_deployed <= GOAL_ADDED_US,
        )
    )
    rows = [[name, s.p50_us, s.p90_us, s.p99_us, s.n] for name, s in samples.items()]
    report.tables.append(table(["case", "p50 us", "p90 us", "p99 us", "calls"], rows))
    report.details = {"samples": {name: vars(s) for name, s in samples.items()}, "model": MODEL, "prompt": PROMPT}
    report.details["deployments"] = deployed.tiers
    if ctx.profile or added > GOAL_ADDED_US:
        path = profile_calls(cases[ROUTED], 500, ctx.results / f"{NAME}.routed.profile.txt")
        report.notes.append(f"cProfile of 500 routed misses: {path.name}")
    return report


def _deployment(ctx: Context, region: str) -> dict[str, object]:
    """``MODEL`` in ``region`` on the emulator, with limits far above the benchmark's pace (never refused)."""
    return {"model": MODEL, "region_name": region, "endpoint_url": ctx.emulator_url, "rpm": 10**7, "tpm": 10**10}
