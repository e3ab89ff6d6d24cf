"""CloudWatch metric points from a window of requests, and the sink base shared by the exporters.

Each flush publishes the requests recorded since the previous flush (counters are per window, so
CloudWatch's Sum statistic adds up correctly), as total, per model, per tier and per experiment arm points
(an arm's also carry its outcome scores: ``OutcomeScores`` count and ``OutcomeScore`` mean).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from langchain_bedrock_routing.callbacks.figures import Bucket, RequestOutcome, StatsFigures
from langchain_bedrock_routing.catalog import ModelCatalog, get_catalog

DEFAULT_NAMESPACE = "LangChain/BedrockRouting"
MODEL_DIMENSION = "Model"
TIER_DIMENSION = "Tier"
EXPERIMENT_DIMENSION = "Experiment"
ARM_DIMENSION = "Arm"
PURPOSE_DIMENSION = "Purpose"


@dataclass(frozen=True)
class MetricPoint:
    """One CloudWatch value: ``unit`` is a CloudWatch unit name; costs are USD with unit ``None``."""

    name: str
    value: float
    unit: str
    dimensions: tuple[tuple[str, str], ...]


def bucket_points(bucket: Bucket, catalog: ModelCatalog, dimensions: tuple[tuple[str, str], ...]) -> list[MetricPoint]:
    """The points of one slice: requests, hits, misses, hit rate, errors, cost, saved cost, latency."""
    values: list[tuple[str, float | None, str]] = [
        ("Requests", bucket.requests, "Count"),
        ("CacheHits", bucket.hit_count, "Count"),
        ("CacheMisses", bucket.misses, "Count"),
        ("CacheHitRate", None if bucket.hit_rate is None else bucket.hit_rate * 100, "Percent"),
        ("Errors", bucket.errors, "Count"),
        ("Fallbacks", bucket.fallbacks, "Count"),
        ("Cost", _float(bucket.cost(catalog).total), "None"),
        ("CostSaved", _float(bucket.saved_cost(catalog)), "None"),
        ("LatencyP50", *_latency(bucket, 50)),
        ("LatencyP95", *_latency(bucket, 95)),
        ("LatencyMax", bucket.latency.max, "Milliseconds"),
    ]
    return [MetricPoint(name, float(v), unit, dimensions) for name, v, unit in values if v is not None]


def figure_points(figures: StatsFigures, base: Mapping[str, str]) -> list[MetricPoint]:
    """Points for the total (``base`` dimensions only), each model, each tier, each experiment arm and each purpose
    (the shadow judge's ``shadow`` and ``judge`` calls, which the other points leave out)."""
    dims = tuple(base.items())
    points = bucket_points(figures.total, figures.catalog, dims) if figures.total.requests else []
    slices = ((MODEL_DIMENSION, figures.models), (TIER_DIMENSION, figures.tiers), (PURPOSE_DIMENSION, figures.purposes))
    for dimension, buckets in slices:
        for key, bucket in sorted(buckets.items()):
            points += bucket_points(bucket, figures.catalog, (*dims, (dimension, key)))
    for name, experiment in sorted(figures.experiments.items()):
        for arm_name, arm in sorted(experiment.arms.items()):
            arm_dims = (*dims, (EXPERIMENT_DIMENSION, name), (ARM_DIMENSION, arm_name))
            points += bucket_points(arm.bucket, figures.catalog, arm_dims) if arm.bucket.requests else []
            if arm.score.count:
                points.append(MetricPoint("OutcomeScores", float(arm.score.count), "Count", arm_dims))
                points.append(MetricPoint("OutcomeScore", float(arm.score.mean or 0.0), "None", arm_dims))
    return points


def _latency(bucket: Bucket, pct: float) -> tuple[float | None, str]:
    value = bucket.latency.as_dict()["p50" if pct == 50 else "p95"]
    return (None if value is None else float(value)), "Milliseconds"


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


class WindowedMetricsSink(ABC):
    """An :class:`OutcomeSink` that collects requests and publishes them as metric points on :meth:`flush`.

    ``flush_every``: also flush (synchronously, inside the callback) after that many requests.
    """

    def __init__(
        self,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        dimensions: Mapping[str, str] | None = None,
        flush_every: int | None = None,
        catalog: ModelCatalog | None = None,
    ) -> None:
        if flush_every is not None and flush_every < 1:
            raise ValueError(f"flush_every must be a positive number of requests or None, got {flush_every}")
        self.namespace = namespace
        self.dimensions = dict(dimensions or {})
        self.flush_every = flush_every
        self._catalog = catalog or get_catalog()
        self._lock = threading.Lock()
        self._window = StatsFigures(catalog=self._catalog)

    def record(self, outcome: RequestOutcome) -> None:
        """Add one request to the current window."""
        with self._lock:
            self._window.add(outcome)
            due = self.flush_every is not None and self._window.total.requests >= self.flush_every
        if due:
            self.flush()

    def add_score(self, experiment: str, arm: str, score: float) -> None:
        """Add one outcome score of an experiment arm to the current window."""
        with self._lock:
            self._window.add_score(experiment, arm, score)

    def flush(self) -> int:
        """Publish and start a new window; returns the number of points published (0 for an empty window)."""
        with self._lock:
            window, self._window = self._window, StatsFigures(catalog=self._catalog)
        points = figure_points(window, self.dimensions)
        if points:
            self._publish(points, datetime.now(timezone.utc))
        return len(points)

    @abstractmethod
    def _publish(self, points: list[MetricPoint], timestamp: datetime) -> None:
        """Send ``points`` measured at ``timestamp``."""
