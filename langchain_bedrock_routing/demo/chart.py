"""The comparison chart: total cost and p50/p95 latency per strategy, as a PNG (matplotlib, Agg, no pyplot state)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


@dataclass(frozen=True)
class ChartData:
    """The series drawn: one value per strategy, in order. Costs in USD, latencies in ms."""

    strategies: list[str]
    cost_usd: list[float]
    p50_ms: list[float]
    p95_ms: list[float]

    def __post_init__(self) -> None:
        sizes = {len(self.strategies), len(self.cost_usd), len(self.p50_ms), len(self.p95_ms)}
        if len(sizes) != 1:
            raise ValueError(f"every series needs one value per strategy, got lengths {sorted(sizes)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe series."""
        return asdict(self)


def write_chart(data: ChartData, path: Path, *, subtitle: str = "") -> Path:
    """Draw ``data`` as two bar panels (cost; p50 and p95 latency) into the PNG at ``path``; returns ``path``."""
    figure = Figure(figsize=(12, 4.8), layout="constrained")
    FigureCanvasAgg(figure)
    cost_axes, latency_axes = figure.subplots(1, 2)
    positions = list(range(len(data.strategies)))
    labels = [name.replace("always-", "always\n").replace(" + ", "\n+ ") for name in data.strategies]

    bars = cost_axes.bar(positions, data.cost_usd, color="#4C72B0")
    cost_axes.bar_label(bars, labels=[f"${value:.4f}" for value in data.cost_usd], fontsize=8)
    cost_axes.set_title("Total cost of the workload (USD)")
    cost_axes.set_ylabel("USD")

    width = 0.4
    latency_axes.bar([p - width / 2 for p in positions], data.p50_ms, width, label="p50", color="#55A868")
    latency_axes.bar([p + width / 2 for p in positions], data.p95_ms, width, label="p95", color="#C44E52")
    latency_axes.set_title("Latency per request (ms)")
    latency_axes.set_ylabel("ms")
    latency_axes.legend()

    for axes in (cost_axes, latency_axes):
        axes.set_xticks(positions, labels, fontsize=8)
        axes.grid(axis="y", alpha=0.3)
    figure.suptitle(
        "Bedrock routing and caching: cost and latency per strategy" + (f"\n{subtitle}" if subtitle else "")
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path
