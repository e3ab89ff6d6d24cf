"""(5) Workload savings: the demo's document-QA session under each demo strategy, priced from the catalog.

Reuses the demo's own workload (``demo.workload.load_workload``) and strategies (``demo.comparison``)
on the emulator at latency scale 0 with response caches in the benchmark's Redis. A model call's
latency is the emulator's *modeled* latency (catalog time to first token + prefill + decode, as
``metrics.latencyMs``); a cache hit's is its measured client-side time. Cost is what the stats
handler billed at catalog prices. Every strategy is compared with always-strongest.
"""

from __future__ import annotations

import io
import os
import statistics
from typing import Any

from rich.console import Console

from benchmarks.harness import Figure, Report, table
from benchmarks.services import REGION, Context
from langchain_bedrock_routing.backend import offline_backend
from langchain_bedrock_routing.demo.comparison import BASELINE, StrategyResult, run_comparison
from langchain_bedrock_routing.demo.context import DemoContext, DemoSettings
from langchain_bedrock_routing.demo.runner import CallRecord
from langchain_bedrock_routing.demo.workload import load_workload

NAME = "workload_savings"


def latency_ms(record: CallRecord) -> float:
    """Modeled latency of a model call, measured latency of a cache hit (ms)."""
    if record.cache_kind is not None:
        return float(record.outcome.latency_ms)
    modeled: Any = (record.message.response_metadata.get("metrics") or {}).get("latencyMs")
    if isinstance(modeled, list):
        modeled = sum(modeled)
    if modeled is None:
        raise RuntimeError(f"no modeled latency on the answer to {record.label!r}")
    return float(modeled)


def summarise(result: StrategyResult) -> dict[str, Any]:
    """Cost, p50/p95 latency, model calls and hits of one strategy."""
    latencies = sorted(latency_ms(r) for r in result.records)
    hits = sum(r.cache_kind is not None for r in result.records)
    return {
        "strategy": result.strategy.name,
        "requests": len(result.records),
        "model_calls": len(result.records) - hits,
        "cache_hits": hits,
        "cost_usd": None if result.cost_usd is None else float(result.cost_usd),
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
    }


def run(ctx: Context) -> Report:
    """Run the demo comparison quietly and tabulate each strategy against always-strongest."""
    quick = ctx.sizes.name != "full"
    workload = load_workload(quick=quick)
    report = Report(NAME, f"Workload savings: demo document-QA session ({len(workload.requests)} requests)")
    previous = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = ctx.redis.url
    try:
        backend = offline_backend(ctx.emulator_url, REGION)
        demo = DemoContext(DemoSettings(quick=quick, latency_scale=0.0), backend, Console(file=io.StringIO()))
        results = run_comparison(demo, workload)
    finally:
        if previous is None:
            os.environ.pop("REDIS_URL", None)
        else:
            os.environ["REDIS_URL"] = previous
    rows = [summarise(result) for result in results]
    base = next(row for row in rows if row["strategy"] == BASELINE)
    table_rows = []
    for row in rows:
        saved = None if row["cost_usd"] is None or not base["cost_usd"] else 1 - row["cost_usd"] / base["cost_usd"]
        row["saved_vs_strongest"] = saved
        table_rows.append(
            [row["strategy"], row["model_calls"], row["cache_hits"], f"${row['cost_usd']:.4f}",
             "-" if saved is None or row is base else f"{saved:.1%}", row["p50_ms"], row["p50_ms"] / base["p50_ms"],
             row["p95_ms"]]
        )  # fmt: skip
        if row is not base and row["cost_usd"] is not None:
            report.add(Figure(f"{row['strategy']} cost", row["cost_usd"], "USD", base["cost_usd"], BASELINE))
            report.add(Figure(f"{row['strategy']} p50 latency", row["p50_ms"], "ms", base["p50_ms"], BASELINE))
    header = ["strategy", "model calls", "cache hits", "cost", "saved", "p50 ms", "p50 / strongest", "p95 ms"]
    report.tables.append(table(header, table_rows))
    report.details = {"strategies": rows, "workload": {"requests": len(workload.requests), "groups": workload.groups}}
    report.notes.append(
        "Latency: the emulator's latency model (catalog figures), not a measurement of Amazon Bedrock; "
        "cache hits are measured client side. Prices: the package catalog (dated in catalog/models.json)."
    )
    return report
