"""Calibration: the two tier thresholds that meet a target, and the cost/quality curve they trade along.

A router's score ``s`` picks a tier with two cut points: ``s < medium`` simple, ``medium <= s <
complex`` medium, else complex. Every pair of cut points on a grid is replayed on outcome data
(quality from :mod:`~langchain_bedrock_routing.learning.tiers`, cost from catalog prices): the
cheapest pairs for their quality form the curve. A :class:`CalibrationTarget` picks one point. The
strong-share target is RouteLLM's ``calibrate_threshold`` (the complex cut at the score quantile
``1 - share``) generalised to three tiers: the best quality whose complex share is within the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from langchain_bedrock_routing.catalog import TIERS, estimate_messages_tokens, get_catalog
from langchain_bedrock_routing.learning.outcomes import Outcome
from langchain_bedrock_routing.routing.classifiers import TierThresholds
from langchain_bedrock_routing.routing.targets import presets

TargetKind = Literal["strong-share", "cost", "quality", "recover"]
TARGET_KINDS: tuple[TargetKind, ...] = ("strong-share", "cost", "quality", "recover")
GRID = np.round(np.linspace(0.0, 1.0, 51), 4)
"""Cut points tried for each threshold (scores are percentiles of the training scores, so 0.02 apart)."""
OUTPUT_TOKENS = 300
"""Output tokens assumed per request when pricing a tier (the outcomes file records no answer lengths)."""


@dataclass(frozen=True)
class CalibrationTarget:
    """What calibration aims for: ``strong-share`` (at most this share of complex-tier calls, 0-1),
    ``cost`` (at most this many USD per 1,000 requests), ``quality`` (at least this mean score) or
    ``recover`` (at least this share of the quality gap between all-simple and all-complex, 0-1);
    the first three maximise quality within the bound, the last two minimise cost."""

    kind: TargetKind = "recover"
    value: float = 0.8

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"unknown target {self.kind!r}; valid targets: {', '.join(TARGET_KINDS)}")
        bounded = self.kind != "cost"
        if not np.isfinite(self.value) or self.value < 0 or (bounded and self.value > 1):
            limits = "in [0, 1]" if bounded else "a non-negative number of USD"
            raise ValueError(f"target {self.kind} must be {limits}, got {self.value}")

    def __str__(self) -> str:
        return {
            "strong-share": f"complex-tier share <= {self.value:.0%}",
            "cost": f"cost <= ${self.value:g} per 1,000 requests",
            "quality": f"mean quality >= {self.value:.3f}",
            "recover": f">= {self.value:.0%} of the quality gap recovered",
        }[self.kind]


@dataclass(frozen=True)
class CurvePoint:
    """One pair of cut points replayed: tier shares, mean quality, USD per 1,000 requests, gap recovered."""

    thresholds: TierThresholds
    shares: tuple[float, float, float]
    quality: float
    cost_per_1k: float
    recovered: float
    """(quality - all-simple quality) / (all-complex - all-simple); NaN when the two are equal."""
    agreement: float = float("nan")
    """Share of records routed to exactly the tier they need (NaN when the needed tiers were not given)."""


def tier_costs(
    outcomes: Sequence[Outcome], preset: str = "claude", output_tokens: int = OUTPUT_TOKENS
) -> NDArray[np.float64]:
    """USD per request (n x 3) on each tier's primary model of ``preset`` at catalog prices."""
    tiers = presets().get(preset)
    if tiers is None:
        raise ValueError(f"unknown preset {preset!r}; valid presets: {', '.join(sorted(presets()))}")
    rates = []
    for tier in TIERS:
        spec = get_catalog().get(tiers[tier][0])
        if spec.prices.input is None or spec.prices.output is None:
            raise ValueError(
                f"{spec.model_id} (tier {tier} of preset {preset}) has no known price: pick another preset"
            )
        rates.append((spec.prices.input, spec.prices.output))
    tokens = np.array([estimate_messages_tokens(text for _, text in o.messages) for o in outcomes], dtype=np.float64)
    return np.stack([(tokens * i + output_tokens * o) / 1e6 for i, o in rates], axis=1)


def replay(
    scores: NDArray[np.float64],
    quality: NDArray[np.float64],
    cost: NDArray[np.float64],
    thresholds: TierThresholds,
    needed: NDArray[np.int_] | None = None,
) -> CurvePoint:
    """The figures of one pair of cut points on scored records (``quality``, ``cost``: n x 3; ``needed``: the
    index in ``TIERS`` of each record's needed tier)."""
    tier = (scores >= thresholds.medium).astype(int) + (scores >= thresholds.complex).astype(int)
    rows = np.arange(scores.size)
    mean = float(quality[rows, tier].mean())
    low, high = float(quality[:, 0].mean()), float(quality[:, 2].mean())
    return CurvePoint(
        thresholds=thresholds,
        shares=tuple(float(np.mean(tier == i)) for i in range(3)),  # type: ignore[arg-type]
        quality=mean,
        cost_per_1k=float(cost[rows, tier].mean() * 1000.0),
        recovered=(mean - low) / (high - low) if high != low else float("nan"),
        agreement=float(np.mean(tier == needed)) if needed is not None else float("nan"),
    )


def sweep(
    scores: NDArray[np.float64],
    quality: NDArray[np.float64],
    cost: NDArray[np.float64],
    needed: NDArray[np.int_] | None = None,
) -> list[CurvePoint]:
    """Every pair of grid cut points (``medium <= complex``) replayed."""
    return [
        replay(scores, quality, cost, TierThresholds(medium=float(m), complex=float(c)), needed)
        for i, m in enumerate(GRID)
        for c in GRID[i:]
    ]


def frontier(points: Sequence[CurvePoint]) -> list[CurvePoint]:
    """The cost/quality curve: by rising cost, each point that beats every cheaper one's quality."""
    curve: list[CurvePoint] = []
    for point in sorted(points, key=lambda p: (p.cost_per_1k, -p.quality)):
        if not curve or point.quality > curve[-1].quality + 1e-12:
            curve.append(point)
    return curve


def measure(point: CurvePoint, kind: TargetKind) -> float:
    """What a target of ``kind`` bounds: complex share, cost per 1,000, quality or gap recovered (NaN -> 0)."""
    values = {
        "strong-share": point.shares[2],
        "cost": point.cost_per_1k,
        "quality": point.quality,
        "recover": 0.0 if np.isnan(point.recovered) else point.recovered,
    }
    return values[kind]


def choose(points: Sequence[CurvePoint], target: CalibrationTarget) -> tuple[CurvePoint, bool]:
    """The point meeting ``target`` and whether any did (if none did, the closest point is returned).

    Ties in quality (as when each record has one tier's outcome) go to the point routing most records to the
    tier they need, then to the cheaper one.
    """
    upper = target.kind in ("strong-share", "cost")
    slack = 1e-9 if upper else -1e-9
    meets = [
        p
        for p in points
        if (
            measure(p, target.kind) <= target.value + slack
            if upper
            else measure(p, target.kind) >= target.value + slack
        )
    ]
    if not meets:
        sign = 1.0 if upper else -1.0
        return min(points, key=lambda p: sign * measure(p, target.kind)), False
    if upper:
        return max(meets, key=lambda p: (round(p.quality, 12), np.nan_to_num(p.agreement), -p.cost_per_1k)), True
    return min(meets, key=lambda p: (p.cost_per_1k, -p.quality)), True
