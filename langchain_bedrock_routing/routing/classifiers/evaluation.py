"""Router quality metrics from RouteLLM (arXiv 2406.18665), for a two-model (weak/strong) replay.

A router sends a request to the strong model when its score is at or above a threshold. Sweeping
the threshold over every distinct score gives the curve of performance against the fraction of
calls sent to strong (0 to 1). Requests with equal scores move together; the straight line between
two points is what routing a random share of the tied requests would give on average.

- PGR (performance gap recovered) at a point: ``(perf - weak) / (strong - weak)``.
- APGR: area under the PGR curve over the strong-call fraction in [0, 1] (random router: 0.5).
- CPT(x): the smallest strong-call fraction whose PGR reaches ``x`` (first crossing, interpolated).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class RoutingCurve:
    """Performance (mean per request) against the fraction of requests routed to the strong model."""

    strong_fraction: NDArray[np.float64]
    """Increasing, from 0.0 (all weak) to 1.0 (all strong)."""
    performance: NDArray[np.float64]
    weak: float
    """Mean performance with every request on the weak model."""
    strong: float
    """Mean performance with every request on the strong model."""

    @property
    def pgr(self) -> NDArray[np.float64]:
        """Performance gap recovered at each point (0 at all-weak, 1 at all-strong)."""
        return (self.performance - self.weak) / (self.strong - self.weak)


def routing_curve(
    scores: Sequence[float] | NDArray[np.float64],
    weak_performance: Sequence[float] | NDArray[np.float64],
    strong_performance: Sequence[float] | NDArray[np.float64],
) -> RoutingCurve:
    """The curve of a router whose per-request ``scores`` (higher = send to strong) are swept as thresholds.

    ``weak_performance``/``strong_performance`` are each model's per-request result (1/0 for
    correct/wrong, or any graded score). Raises ``ValueError`` on empty or mismatched inputs, or
    when the two models perform the same on average (no gap to recover).
    """
    score = np.asarray(scores, dtype=np.float64)
    weak = np.asarray(weak_performance, dtype=np.float64)
    strong = np.asarray(strong_performance, dtype=np.float64)
    if score.ndim != 1 or score.size == 0 or weak.shape != score.shape or strong.shape != score.shape:
        raise ValueError(
            f"need three equally long, non-empty 1-D arrays; got {score.shape}, {weak.shape}, {strong.shape}"
        )
    if not np.isfinite(score).all():
        raise ValueError("scores must be finite numbers")
    weak_mean, strong_mean = float(weak.mean()), float(strong.mean())
    if weak_mean == strong_mean:
        raise ValueError(f"weak and strong perform the same on average ({weak_mean}): there is no gap to recover")
    order = np.argsort(-score, kind="stable")
    sorted_scores = score[order]
    gained = np.concatenate(([0.0], np.cumsum((strong - weak)[order])))
    boundaries = np.concatenate(([0], np.flatnonzero(np.diff(sorted_scores)) + 1, [score.size]))
    return RoutingCurve(
        strong_fraction=boundaries / score.size,
        performance=weak_mean + gained[boundaries] / score.size,
        weak=weak_mean,
        strong=strong_mean,
    )


def apgr(curve: RoutingCurve) -> float:
    """Average performance gap recovered: the trapezoid area under PGR over strong-call fraction [0, 1]."""
    pgr, x = curve.pgr, curve.strong_fraction
    return float(np.sum((pgr[1:] + pgr[:-1]) * np.diff(x)) / 2.0)


def cpt(curve: RoutingCurve, gap_fraction: float) -> float:
    """Call-performance threshold: the least strong-call fraction reaching PGR ``gap_fraction`` (0.5 for CPT(50%)).

    Interpolates linearly inside the first segment that crosses; always defined for ``gap_fraction``
    in [0, 1] because the all-strong end has PGR 1.
    """
    if not 0.0 <= gap_fraction <= 1.0:
        raise ValueError(f"gap_fraction must be in [0, 1], got {gap_fraction}")
    pgr, x = curve.pgr, curve.strong_fraction
    index = int(np.argmax(pgr >= gap_fraction - 1e-12))
    if index == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[index - 1], x[index], pgr[index - 1], pgr[index]
    return float(x0 + (gap_fraction - y0) * (x1 - x0) / (y1 - y0))
