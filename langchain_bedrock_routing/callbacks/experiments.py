"""The statistics of routing experiments: per-arm moments, and Welch confidence intervals on how every arm's
cost per request and outcome score differ from the control arm's.

The intervals need only each arm's count, sum and sum of squares (:class:`Moments`), so workers can add them up
in Redis and a reader computes the same interval. The method: Welch's unequal-variance t interval for the
difference of two means, two-sided, with Welch-Satterthwaite degrees of freedom; no resampling, no seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

CONFIDENCE = 0.95
"""Two-sided confidence of the intervals reported."""
METHOD = "Welch's t interval (unequal variances, Welch-Satterthwaite df), two-sided 95%"


class ScoreSink(Protocol):
    """Takes outcome scores of experiment arms (the stats handler, its exporters, the Redis aggregator)."""

    def add_score(self, experiment: str, arm: str, score: float) -> None:
        """Count one outcome score in [0, 1] of a request ``arm`` of ``experiment`` answered."""


@dataclass
class Moments:
    """Count, sum and sum of squares of a series of numbers: enough for its mean, variance and Welch's interval."""

    count: int = 0
    total: float = 0.0
    squares: float = 0.0

    def add(self, value: float) -> None:
        """Count one value."""
        self.count += 1
        self.total += value
        self.squares += value * value

    @property
    def mean(self) -> float | None:
        """Mean; ``None`` when empty."""
        return self.total / self.count if self.count else None

    @property
    def variance(self) -> float | None:
        """Sample variance (n - 1); ``None`` below two values. Clipped at 0 against rounding."""
        if self.count < 2:
            return None
        return max((self.squares - self.total * self.total / self.count) / (self.count - 1), 0.0)

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-safe count, mean and standard deviation."""
        variance = self.variance
        return {"count": self.count, "mean": self.mean, "stdev": None if variance is None else math.sqrt(variance)}


@dataclass(frozen=True)
class Interval:
    """``difference`` = treatment mean - control mean, inside [``low``, ``high``] at ``confidence``."""

    difference: float
    low: float
    high: float
    df: float | None
    """Welch-Satterthwaite degrees of freedom; ``None`` when both arms have no variance (the interval is a point)."""
    confidence: float = CONFIDENCE

    def as_dict(self) -> dict[str, float | None]:
        """JSON-safe figures."""
        return {
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "df": self.df,
            "confidence": self.confidence,
        }


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) by its continued fraction (Lentz's method)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _incomplete_beta(b, a, 1.0 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)) / a
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return front * result


def student_t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` > 0 degrees of freedom."""
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def student_t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile (0 < p < 1) of Student's t with ``df`` > 0 degrees of freedom, to about 1e-12."""
    if not 0.0 < p < 1.0 or not df > 0:
        raise ValueError(f"need 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -student_t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while student_t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if student_t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-13 * max(1.0, high):
            break
    return (low + high) / 2


def welch_interval(control: Moments, treatment: Moments, confidence: float = CONFIDENCE) -> Interval | None:
    """Welch's interval for ``treatment.mean - control.mean``; ``None`` unless both have two values or more."""
    if control.variance is None or treatment.variance is None or control.mean is None or treatment.mean is None:
        return None
    difference = treatment.mean - control.mean
    va, vb = control.variance / control.count, treatment.variance / treatment.count
    if va + vb == 0:
        return Interval(difference, difference, difference, None, confidence)
    df = (va + vb) ** 2 / (va * va / (control.count - 1) + vb * vb / (treatment.count - 1))
    half = student_t_quantile(0.5 + confidence / 2, df) * math.sqrt(va + vb)
    return Interval(difference, difference - half, difference + half, df, confidence)


def compare_arms(control: str | None, arms: dict[str, tuple[Moments, Moments]]) -> dict[str, Any]:
    """Each arm against ``control`` (arm -> (cost per request, outcome scores)): the intervals on the differences."""
    if control is None or control not in arms:
        return {}
    base_cost, base_score = arms[control]
    comparison: dict[str, Any] = {}
    for arm, (cost, score) in sorted(arms.items()):
        if arm == control:
            continue
        cost_interval, score_interval = welch_interval(base_cost, cost), welch_interval(base_score, score)
        comparison[arm] = {
            "vs": control,
            "cost_per_request_usd": None if cost_interval is None else cost_interval.as_dict(),
            "score": None if score_interval is None else score_interval.as_dict(),
        }
    return comparison
