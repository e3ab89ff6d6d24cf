"""Readable tables of :class:`StatsFigures` with ``rich``: calls vs cached answers, models, cost, savings."""

from __future__ import annotations

import io
import os
from typing import Any

from rich.console import Console, Group
from rich.table import Table

from langchain_bedrock_routing.callbacks.figures import StatsFigures
from langchain_bedrock_routing.catalog import ModelCatalog


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.6f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ms(value: float | int | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _latency(figures: dict[str, Any]) -> str:
    return f"{_ms(figures['p50'])} / {_ms(figures['p95'])} / {_ms(figures['max'])}"


def _model_name(catalog: ModelCatalog, model_id: str) -> str:
    return catalog.get(model_id).name if model_id in catalog else model_id


def _summary(data: dict[str, Any], catalog: ModelCatalog) -> Table:
    total, baseline = data["total"], data["baseline"]
    cache = total["cache"]
    kinds = ", ".join(f"{kind} {n}" for kind, n in cache["hits_by_kind"].items())
    table = Table(title="Bedrock requests and cache", show_header=False, title_justify="left")
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    rows = [
        ("Requests", f"{total['requests']:,}"),
        ("API calls (billed)", f"{total['api_calls']:,}"),
        ("Cached responses", f"{cache['hits']:,}" + (f" ({kinds})" if kinds else "")),
        ("Cache misses", f"{cache['misses']:,}"),
        ("Cache hit rate", _pct(cache["hit_rate"])),
        ("Errors / fallbacks", f"{total['errors']:,} / {total['fallbacks']:,}"),
        ("Cost", _usd(total["cost_usd"]["total"])),
        ("Saved by cache", _usd(total["saved_by_cache"]["cost_usd"])),
        ("Latency p50 / p95 / max", _latency(total["latency_ms"])),
        ("Cache-hit latency p50 / p95 / max", _latency(total["hit_latency_ms"])),
    ]
    if baseline["model_id"] is not None:
        rows += [
            (f"Cost if all on {_model_name(catalog, baseline['model_id'])}", _usd(baseline["cost_usd"])),
            ("Savings vs baseline", _usd(baseline["savings_usd"])),
        ]
    for row in rows:
        table.add_row(*row)
    return table


def _models(data: dict[str, Any], catalog: ModelCatalog) -> Table:
    table = Table(title="Model usage", title_justify="left")
    table.add_column("Model", no_wrap=True)
    for name in ("Requests", "Hits", "Calls", "Tokens in / out", "Cache R / W", "Cost", "Saved"):
        table.add_column(name, justify="right", no_wrap=True)
    requests = data["total"]["requests"]
    for model_id, m in data["models"].items():
        tokens = m["tokens"]
        share = _pct(m["requests"] / requests if requests else None)
        table.add_row(
            _model_name(catalog, model_id),
            f"{m['requests']:,} ({share})",
            f"{m['cache']['hits']:,}",
            f"{m['api_calls']:,}",
            f"{tokens['input']:,} / {tokens['output']:,}",
            f"{tokens['cache_read']:,} / {tokens['cache_write']:,}",
            _usd(m["cost_usd"]["total"]),
            _usd(m["saved_by_cache"]["cost_usd"]),
        )
    return table


def _tiers(data: dict[str, Any]) -> Table:
    table = Table(title="Routing tiers", title_justify="left")
    for name in ("Tier", "Requests", "Routed", "Hits", "Hit rate", "Cost", "Latency p50 / p95 / max"):
        table.add_column(name, justify="left" if name == "Tier" else "right")
    for tier, t in data["tiers"].items():
        table.add_row(
            tier,
            f"{t['requests']:,}",
            f"{data['routes']['by_tier'][tier]:,}",
            f"{t['cache']['hits']:,}",
            _pct(t["cache"]["hit_rate"]),
            _usd(t["cost_usd"]["total"]),
            _latency(t["latency_ms"]),
        )
    return table


def _purposes(data: dict[str, Any]) -> Table:
    table = Table(title="Shadow judge calls (not in the figures above)", title_justify="left")
    for name in ("Purpose", "Calls", "Errors", "Tokens in / out", "Cost"):
        table.add_column(name, justify="left" if name == "Purpose" else "right", no_wrap=True)
    for purpose, p in data["purposes"].items():
        tokens = p["tokens"]
        table.add_row(
            purpose,
            f"{p['api_calls']:,}",
            f"{p['errors']:,}",
            f"{tokens['input']:,} / {tokens['output']:,}",
            _usd(p["cost_usd"]["total"]),
        )
    return table


def _signed(value: float, usd: bool) -> str:
    sign = "-" if value < 0 else "+"
    return f"{sign}${abs(value):,.6f}" if usd else f"{sign}{abs(value):.3f}"


def _interval(figures: dict[str, Any] | None, usd: bool) -> str:
    if figures is None:
        return "- (needs 2+ per arm)"
    low, high = _signed(figures["low"], usd), _signed(figures["high"], usd)
    return f"{_signed(figures['difference'], usd)} [{low}, {high}]"


def _mean(figures: dict[str, Any], usd: bool) -> str:
    mean = figures["mean"]
    return "-" if mean is None else (_usd(mean) if usd else f"{mean:.3f}")


def _experiment(name: str, data: dict[str, Any]) -> Group:
    control = data["control"]
    arms = Table(title=f"Experiment {name} (control: {control})", title_justify="left")
    for column in ("Arm", "Requests", "Hit rate", "Cost", "Cost / request", "Latency p50 / p95", "Scores", "Score"):
        arms.add_column(column, justify="left" if column == "Arm" else "right", no_wrap=True)
    for arm, a in data["arms"].items():
        latency = a["latency_ms"]
        arms.add_row(
            arm + (" (control)" if arm == control else ""),
            f"{a['requests']:,}",
            _pct(a["cache"]["hit_rate"]),
            _usd(a["cost_usd"]["total"]),
            _mean(a["cost_per_request_usd"], usd=True),
            f"{_ms(latency['p50'])} / {_ms(latency['p95'])}",
            f"{a['score']['count']:,}",
            _mean(a["score"], usd=False),
        )
    differences = Table(title=f"{name}: difference vs {control} [95% CI, Welch's t]", title_justify="left")
    for column in ("Arm", "Cost / request [CI]", "Score [CI]"):
        differences.add_column(column, justify="left" if column == "Arm" else "right", no_wrap=True)
    for arm, c in data["comparison"].items():
        differences.add_row(arm, _interval(c["cost_per_request_usd"], usd=True), _interval(c["score"], usd=False))
    return Group(arms, differences) if data["comparison"] else Group(arms)


def render_report(figures: StatsFigures) -> Group:
    """The report as a ``rich`` renderable: summary, model usage, tiers (when routed), experiments (when any) and
    the shadow judge's calls (when any)."""
    data = figures.to_dict()
    parts: list[Table | Group] = [_summary(data, figures.catalog), _models(data, figures.catalog)]
    if data["tiers"]:
        parts.append(_tiers(data))
    parts += [_experiment(name, experiment) for name, experiment in data["experiments"].items()]
    if data["purposes"]:
        parts.append(_purposes(data))
    return Group(*parts)


PIPED_WIDTH = 160
"""Columns of a :func:`wide_console` whose output is not a terminal (rich would assume 80 and cut figures)."""


def wide_console(**kwargs: Any) -> Console:
    """A ``rich`` Console (``kwargs`` as for ``Console``) that is :data:`PIPED_WIDTH` columns wide when its output
    is piped or logged (CI) and neither ``width`` nor ``$COLUMNS`` says otherwise; a terminal keeps its own width."""
    console = Console(**kwargs)
    if "width" not in kwargs and not console.is_terminal and not console.is_jupyter and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console


def print_report(figures: StatsFigures, *, console: Console | None = None) -> None:
    """Print :func:`render_report` to ``console`` (stdout by default, see :func:`wide_console`)."""
    (console or wide_console()).print(render_report(figures))


def report_text(figures: StatsFigures, *, width: int = 110) -> str:
    """The report as plain text ``width`` columns wide (for logs and docs)."""
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(render_report(figures))
    return console.export_text()
