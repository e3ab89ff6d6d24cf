"""The text ``bedrock-routing train`` prints: splits, labels, chosen thresholds, APGR and the curve."""

from __future__ import annotations

import numpy as np

from langchain_bedrock_routing.catalog import TIERS
from langchain_bedrock_routing.learning.calibrate import CurvePoint
from langchain_bedrock_routing.learning.train import TrainingReport

CURVE_ROWS = 10
"""Points of the curve printed (evenly spaced along it; the PNG has all of them)."""


def _row(name: str, shares: tuple[float, ...], quality: float, cost: float, recovered: float) -> str:
    gap = "" if np.isnan(recovered) else f"{recovered:.0%}"
    cells = "".join(f"{s:>9.0%}" for s in shares)
    return f"{name:<24}{cells}{quality:>10.3f}{cost:>11.3f}{gap:>11}"


def _point(name: str, p: CurvePoint) -> str:
    return _row(name, p.shares, p.quality, p.cost_per_1k, p.recovered)


def summary(report: TrainingReport) -> str:
    """A few lines a user reads after training: what was fitted on what, and what the thresholds buy."""
    meta = report.classifier.metadata["training"]
    rows, t = report.rows, report.chosen.thresholds
    low, high = report.single_tier["simple"][0], report.single_tier["complex"][0]
    unmeasured = [tier for tier in TIERS if report.measured.get(tier, 0) == 0]
    lines = [
        f"records: {rows['train']} train / {rows['calibrate']} calibrate / {rows['test']} test ({meta['protocol']})",
        "needed-tier labels (train): " + ", ".join(f"{k} {v}" for k, v in meta["labels"].items()),
    ]
    if unmeasured:
        lines.append(f"no outcomes for {', '.join(unmeasured)}: counted as the next cheaper tier's (docs/learning.md)")
    met = "met" if report.target_met else "NOT met (closest point chosen)"
    lines += [
        f"target: {report.target}, {met} on the calibration split -> thresholds medium {t.medium:.2f}, "
        f"complex {t.complex:.2f}",
        "",
        f"{'':<24}" + "".join(f"{tier:>9}" for tier in TIERS) + f"{'quality':>10}{'$/1k req':>11}{'gap rec.':>11}",
        _point("calibration split", report.chosen),
        _point("test split", report.test),
    ]
    for index, tier in enumerate(TIERS):
        quality, cost = report.single_tier[tier]
        shares = tuple(1.0 if i == index else 0.0 for i in range(len(TIERS)))
        gap = (quality - low) / (high - low) if high != low else float("nan")
        lines.append(_row(f"test, all {tier}", shares, quality, cost, gap))
    apgr = ", ".join(f"{name} {'n/a' if v is None else f'{v:.3f}'}" for name, v in report.apgr.items())
    lines += [
        "",
        f"APGR on the test split (simple vs complex, 0.5 = random): {apgr}",
        f"test records routed to the tier they need: {report.test.agreement:.1%}",
        "",
        curve_table(report.curve),
    ]
    return "\n".join(lines)


def curve_table(curve: list[CurvePoint]) -> str:
    """Up to ``CURVE_ROWS`` points of the test split's cost/quality curve, cheapest first."""
    picks = sorted({int(i) for i in np.linspace(0, len(curve) - 1, min(CURVE_ROWS, len(curve)))})
    lines = [f"cost/quality curve on the test split ({len(curve)} points; thresholds medium / complex):"]
    lines += [
        _point(f"  {curve[i].thresholds.medium:.2f} / {curve[i].thresholds.complex:.2f}", curve[i]) for i in picks
    ]
    return "\n".join(lines)
