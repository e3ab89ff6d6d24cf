"""CloudWatch exporter: ``PutMetricData`` in batches through a boto3 CloudWatch client."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from langchain_bedrock_routing.callbacks.metrics import DEFAULT_NAMESPACE, MetricPoint, WindowedMetricsSink
from langchain_bedrock_routing.catalog import ModelCatalog

MAX_BATCH = 1000
"""CloudWatch's limit of metric data per ``PutMetricData`` request."""


class CloudWatchMetricsSink(WindowedMetricsSink):
    """Publishes each window's points with ``client.put_metric_data`` (``client``: ``boto3.client("cloudwatch")``).

    Points are sent ``batch_size`` per request (1 to :data:`MAX_BATCH`). Errors from CloudWatch
    propagate from :meth:`flush`; when flushed by ``flush_every`` inside a callback, the handler logs them.
    """

    def __init__(
        self,
        client: Any,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        dimensions: Mapping[str, str] | None = None,
        batch_size: int = MAX_BATCH,
        flush_every: int | None = None,
        catalog: ModelCatalog | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        super().__init__(namespace=namespace, dimensions=dimensions, flush_every=flush_every, catalog=catalog)
        self.client = client
        self.batch_size = batch_size

    def _publish(self, points: list[MetricPoint], timestamp: datetime) -> None:
        data = [
            {
                "MetricName": p.name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in p.dimensions],
                "Timestamp": timestamp,
                "Value": p.value,
                "Unit": p.unit,
            }
            for p in points
        ]
        for start in range(0, len(data), self.batch_size):
            self.client.put_metric_data(Namespace=self.namespace, MetricData=data[start : start + self.batch_size])
