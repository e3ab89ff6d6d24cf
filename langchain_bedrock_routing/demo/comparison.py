"""Demo part 3, performance comparison: one document-QA workload under six strategies, then the final statistics."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from langchain_core.language_models import BaseChatModel
from rich.table import Table

from langchain_bedrock_routing.callbacks.report import print_report
from langchain_bedrock_routing.catalog import Tier
from langchain_bedrock_routing.demo.caches import CacheKind, cache_backend_label, response_cache
from langchain_bedrock_routing.demo.context import DemoContext
from langchain_bedrock_routing.demo.fmt import ms, pct, short_model, usd
from langchain_bedrock_routing.demo.runner import Call, CallRecord, Session
from langchain_bedrock_routing.demo.workload import Workload


@dataclass(frozen=True)
class Strategy:
    """How the workload is served: a fixed tier's model (``tier``) or the router, with an optional response cache."""

    name: str
    tier: Tier | None = None
    cache: CacheKind | None = None


STRATEGIES = (
    Strategy("always-strongest", tier="complex"),
    Strategy("always-middle", tier="medium"),
    Strategy("always-cheapest", tier="simple"),
    Strategy("routed"),
    Strategy("routed + exact cache", cache="exact"),
    Strategy("routed + semantic cache", cache="semantic"),
)
BASELINE = STRATEGIES[0].name
FINAL = STRATEGIES[-1].name


@dataclass
class StrategyResult:
    """A strategy's session (its stats handler holds the figures) and every call's record."""

    strategy: Strategy
    session: Session
    records: list[CallRecord] = field(default_factory=list)

    @property
    def figures(self) -> dict[str, Any]:
        """``StatsFigures.to_dict()`` of this strategy's calls."""
        return self.session.handler.to_dict()

    @property
    def cost_usd(self) -> Decimal | None:
        """Total billed USD (``None`` if a price is unknown)."""
        return self.session.handler.total_cost

    def row(self, baseline_cost: Decimal | None) -> dict[str, Any]:
        """JSON-safe summary row; ``savings`` relative to ``baseline_cost``."""
        total = self.figures["total"]
        cost = self.cost_usd
        saved = None if cost is None or not baseline_cost else float(1 - cost / baseline_cost)
        return {
            "strategy": self.strategy.name,
            "requests": total["requests"],
            "api_calls": total["api_calls"],
            "hits": total["cache"]["hits_by_kind"],
            "hit_rate": total["cache"]["hit_rate"] or 0.0,
            "cost_usd": None if cost is None else float(cost),
            "savings_vs_strongest": saved,
            "p50_ms": total["latency_ms"]["p50"],
            "p95_ms": total["latency_ms"]["p95"],
        }


def _model(ctx: DemoContext, strategy: Strategy, stack: ExitStack) -> BaseChatModel:
    if strategy.tier is not None:
        return ctx.backend.converse(ctx.tier_model(strategy.tier), max_tokens=ctx.settings.max_tokens, cache=False)
    if strategy.cache is None:
        return ctx.routed(cache=False)
    return ctx.routed(cache=stack.enter_context(response_cache(strategy.cache)))


def _run_all(ctx: DemoContext, workload: Workload) -> list[StrategyResult]:
    waves = [[Call(r.text, r.messages()) for r in wave] for wave in workload.waves()]
    baseline_model = ctx.tier_model("complex")
    results: list[StrategyResult] = []
    with ctx.progress() as progress:
        tasks = [progress.add_task(s.name, total=len(workload.requests)) for s in STRATEGIES]
        for strategy, task in zip(STRATEGIES, tasks, strict=True):
            with ExitStack() as stack:
                session = Session(_model(ctx, strategy, stack), baseline_model=baseline_model)
                result = StrategyResult(strategy, session)
                result.records = session.run_waves(waves, partial(progress.advance, task))
            results.append(result)
    return results


def _table(ctx: DemoContext, rows: list[dict[str, Any]], workload: Workload) -> Table:
    title = (
        f"Performance comparison: {len(workload.requests)} document-QA requests ({workload.groups} questions, "
        f"{workload.count('repeat')} repeats, {workload.count('paraphrase')} paraphrases)"
    )
    table = Table(title=title, title_justify="left")
    for name in ("Strategy", "Model calls", "Cache hits", "Hit rate", "Cost", "Savings", "p50 latency", "p95 latency"):
        table.add_column(name, justify="left" if name == "Strategy" else "right")
    for row in rows:
        hits = ", ".join(f"{n} {kind}" for kind, n in row["hits"].items()) or "-"
        saved = row["savings_vs_strongest"]
        table.add_row(
            row["strategy"], str(row["api_calls"]), hits, pct(row["hit_rate"]), usd(row["cost_usd"]),
            "-" if saved is None or row["strategy"] == BASELINE else pct(saved), ms(row["p50_ms"]), ms(row["p95_ms"]),
        )  # fmt: skip
    return table


def run_comparison(ctx: DemoContext, workload: Workload) -> list[StrategyResult]:
    """Part 3: run every strategy, print the comparison and the final statistics of the last strategy."""
    ctx.console.rule("[bold]3. Performance comparison")
    strongest, middle, cheapest = (short_model(ctx.tier_model(t)) for t in ("complex", "medium", "simple"))
    ctx.console.print(
        f"Strongest = {strongest}, middle = {middle}, cheapest = {cheapest}; response caches: {cache_backend_label()}. "
        f"Up to {workload.wave_size} requests run at a time."
    )
    results = _run_all(ctx, workload)
    baseline_cost = results[0].cost_usd
    ctx.console.print(_table(ctx, [r.row(baseline_cost) for r in results], workload))
    ctx.console.print(f"[dim]Savings are relative to {BASELINE}. {ctx.latency_note()}[/]")
    ctx.console.rule(f"[bold]Final statistics ({FINAL})")
    final = results[-1]
    print_report(final.session.handler.figures, console=ctx.console)
    return results
