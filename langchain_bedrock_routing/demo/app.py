"""The whole workshop demo: caching, routing, performance comparison, final statistics and the chart."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from langchain_bedrock_routing.backend import Backend, open_backend
from langchain_bedrock_routing.demo.caching import CachingResult, run_caching
from langchain_bedrock_routing.demo.chart import ChartData, write_chart
from langchain_bedrock_routing.demo.comparison import StrategyResult, run_comparison
from langchain_bedrock_routing.demo.context import DemoContext, DemoSettings
from langchain_bedrock_routing.demo.routing import RoutingRow, run_routing
from langchain_bedrock_routing.demo.workload import load_workload


@dataclass(frozen=True)
class DemoResult:
    """Everything the demo measured, and the chart it wrote."""

    caching: CachingResult
    routing: list[RoutingRow]
    strategies: list[StrategyResult]
    chart: ChartData
    wall_time_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (``--summary-json``)."""
        baseline = self.strategies[0].cost_usd
        return {
            "caching": self.caching.to_dict(),
            "routing": [row.to_dict() for row in self.routing],
            "strategies": [result.row(baseline) for result in self.strategies],
            "final_statistics": self.strategies[-1].figures,
            "chart": self.chart.to_dict(),
            "wall_time_s": self.wall_time_s,
        }


def _chart_data(results: list[StrategyResult]) -> ChartData:
    rows = [result.row(results[0].cost_usd) for result in results]
    return ChartData(
        strategies=[row["strategy"] for row in rows],
        cost_usd=[row["cost_usd"] or 0.0 for row in rows],
        p50_ms=[row["p50_ms"] or 0.0 for row in rows],
        p95_ms=[row["p95_ms"] or 0.0 for row in rows],
    )


def run_demo_on(backend: Backend, settings: DemoSettings, console: Console) -> DemoResult:
    """Run every part against ``backend``, write the chart (and the JSON summary when asked)."""
    started = time.perf_counter()
    ctx = DemoContext(settings, backend, console)
    console.print(f"[bold]Bedrock routing and caching workshop[/] · preset {settings.preset} · {backend.label}")
    if settings.quick:
        console.print("[dim]--quick: fewer requests (latency scale 0 unless given)[/]")
    caching = run_caching(ctx)
    routing = run_routing(ctx)
    strategies = run_comparison(ctx, load_workload(settings.quick))
    chart = _chart_data(strategies)
    source = "Amazon Bedrock" if backend.live else "offline emulator latency model"
    path = write_chart(chart, settings.chart_path, subtitle=f"preset {settings.preset}; latency: {source}")
    result = DemoResult(caching, routing, strategies, chart, time.perf_counter() - started)
    console.print(f"Chart of cost and latency per strategy written to [bold]{path.resolve()}[/]")
    if settings.summary_json is not None:
        settings.summary_json.write_text(json.dumps(result.to_dict(), indent=2, default=str), "utf-8")
        console.print(f"Summary written to {settings.summary_json.resolve()}")
    console.print(f"Demo finished in {result.wall_time_s:.1f} s.")
    return result


def run_demo(settings: DemoSettings, console: Console | None = None) -> DemoResult:
    """Open the backend the settings ask for (in-process emulator by default) and run the demo."""
    console = console or Console()
    with open_backend(
        live=settings.live,
        region=settings.region,
        profile=settings.profile,
        latency_scale=settings.effective_latency_scale,
    ) as backend:
        return run_demo_on(backend, settings, console)
