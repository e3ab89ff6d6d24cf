"""CloudWatch Embedded Metric Format: the same points as JSON log lines (one per dimension set).

Write them to stdout in Lambda or to a file the CloudWatch agent tails; CloudWatch extracts the metrics.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import IO, Any

from langchain_bedrock_routing.callbacks.metrics import DEFAULT_NAMESPACE, MetricPoint, WindowedMetricsSink
from langchain_bedrock_routing.catalog import ModelCatalog


def emf_records(namespace: str, points: list[MetricPoint], timestamp: datetime) -> list[dict[str, Any]]:
    """One EMF object per distinct dimension set, holding every metric of that set."""
    groups: dict[tuple[tuple[str, str], ...], list[MetricPoint]] = {}
    for point in points:
        groups.setdefault(point.dimensions, []).append(point)
    millis = int(timestamp.timestamp() * 1000)
    records = []
    for dimensions, group in groups.items():
        record: dict[str, Any] = {
            "_aws": {
                "Timestamp": millis,
                "CloudWatchMetrics": [
                    {
                        "Namespace": namespace,
                        "Dimensions": [[k for k, _ in dimensions]],
                        "Metrics": [{"Name": p.name, "Unit": p.unit} for p in group],
                    }
                ],
            },
            **dict(dimensions),
        }
        record.update({p.name: p.value for p in group})
        records.append(record)
    return records


class EmfMetricsSink(WindowedMetricsSink):
    """Writes each window's points as EMF JSON lines to ``stream`` (stdout by default)."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        dimensions: Mapping[str, str] | None = None,
        flush_every: int | None = None,
        catalog: ModelCatalog | None = None,
    ) -> None:
        super().__init__(namespace=namespace, dimensions=dimensions, flush_every=flush_every, catalog=catalog)
        self.stream = stream or sys.stdout

    def _publish(self, points: list[MetricPoint], timestamp: datetime) -> None:
        for record in emf_records(self.namespace, points, timestamp):
            self.stream.write(json.dumps(record) + "\n")
        self.stream.flush()
