"""Calls marked with a purpose (the shadow judge's ``shadow`` and ``judge``) are counted apart from the requests:
in to_dict(), report(), the metric points and the Redis aggregator, never in the totals."""

from __future__ import annotations

import re

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler
from langchain_bedrock_routing.callbacks.metrics import PURPOSE_DIMENSION, figure_points
from langchain_bedrock_routing.callbacks.report import report_text
from langchain_bedrock_routing.callbacks.shared import RedisStatsAggregator
from langchain_bedrock_routing.core.routing_metadata import PURPOSE_METADATA_KEY


def test_purpose_calls_are_counted_apart(emulator, redis_client):
    aggregator = RedisStatsAggregator(redis_client)
    stats = BedrockStatsCallbackHandler(sinks=[aggregator])
    llm = RoutedChatBedrock(**emulator.client_kwargs(), callbacks=[stats])
    llm.invoke("What is 2 + 2?", config={"metadata": {"tenant_id": "acme"}})
    for purpose in ("shadow", "judge", "judge"):
        llm.invoke("What is 2 + 2?", config={"metadata": {PURPOSE_METADATA_KEY: purpose, "tenant_id": "acme"}})
    data = stats.to_dict()
    assert data["total"]["requests"] == data["total"]["api_calls"] == 1
    assert data["tenants"]["acme"]["requests"] == 1
    assert sum(m["requests"] for m in data["models"].values()) == 1
    assert {p: (b["requests"], b["api_calls"]) for p, b in data["purposes"].items()} == {
        "judge": (2, 2),
        "shadow": (1, 1),
    }
    assert data["purposes"]["judge"]["cost_usd"]["total"] > 0
    text = report_text(stats.figures, width=140)
    assert "Shadow judge calls (not in the figures above)" in text
    assert re.search(r"judge\s*│\s*2\s*│\s*0\s*│", text)  # purpose, calls, errors
    points = figure_points(stats.figures, {})
    judge = {p.name: p.value for p in points if (PURPOSE_DIMENSION, "judge") in p.dimensions}
    assert judge["Requests"] == 2
    assert judge["Cost"] > 0
    totals = aggregator.totals()
    assert totals["requests"] == totals["api_calls"] == 1
    assert {p: (v["requests"], v["api_calls"]) for p, v in totals["purposes"].items()} == {
        "judge": (2, 2),
        "shadow": (1, 1),
    }
    assert totals["purposes"]["shadow"]["cost_usd"]["total"] > 0
