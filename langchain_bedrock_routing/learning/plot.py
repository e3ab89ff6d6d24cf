"""The cost/quality curve as a PNG (needs matplotlib: ``pip install 'langchain-bedrock-routing[report]'``)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from langchain_bedrock_routing.catalog import TIERS
from langchain_bedrock_routing.learning.train import TrainingReport


def save_curve(report: TrainingReport, path: str | Path) -> None:
    """Plot the test split's curve (USD per 1,000 requests against mean quality), each tier alone, and the
    chosen thresholds; write it to ``path``."""
    figure = Figure(figsize=(7, 4.5), dpi=120)
    axes = figure.subplots()
    axes.plot(
        [p.cost_per_1k for p in report.curve],
        [p.quality for p in report.curve],
        marker=".",
        label="trained router: cheapest thresholds for each quality",
    )
    for tier in TIERS:
        quality, cost = report.single_tier[tier]
        axes.scatter([cost], [quality], marker="s")
        axes.annotate(f"all {tier}", (cost, quality), textcoords="offset points", xytext=(4, -10), fontsize=8)
    t = report.chosen.thresholds
    axes.scatter(
        [report.test.cost_per_1k],
        [report.test.quality],
        color="red",
        zorder=3,
        label=f"chosen ({report.target}): medium {t.medium:.2f}, complex {t.complex:.2f}",
    )
    axes.set_xlabel("USD per 1,000 requests (catalog prices)")
    axes.set_ylabel("mean outcome score")
    axes.set_title(f"Cost/quality on the held-out test split ({report.rows['test']} records)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(path)
