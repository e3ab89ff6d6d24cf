"""CloudWatch PutMetricData and EMF exporters, against a local endpoint that decodes what boto3 sends."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from langchain_core.messages import AIMessage

from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback
from langchain_bedrock_routing.callbacks.cloudwatch import CloudWatchMetricsSink
from langchain_bedrock_routing.callbacks.emf import EmfMetricsSink

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def _cloudwatch_reply(method, path, headers, body):
    """An empty PutMetricData success in CloudWatch's AWS JSON 1.0 protocol."""
    return 200, {"Content-Type": "application/x-amz-json-1.0"}, b"{}"


def _decode_put_metric_data(headers, body):
    """(namespace, [datum dicts with MetricName, Value, Unit, Dimensions {name: value}]) of one JSON request."""
    assert headers["Content-Type"] == "application/x-amz-json-1.0", "botocore chose another CloudWatch protocol"
    assert headers["X-Amz-Target"].endswith(".PutMetricData")
    payload = json.loads(body)
    data = [
        {
            "MetricName": d["MetricName"],
            "Value": float(d["Value"]),
            "Unit": d["Unit"],
            "Dimensions": {x["Name"]: x["Value"] for x in d.get("Dimensions", [])},
        }
        for d in payload["MetricData"]
    ]
    return payload["Namespace"], data


def _session(scripted, usage_of, sinks):
    haiku = scripted(model_id=HAIKU, script=[AIMessage("a", usage_metadata=usage_of(1000, 100))])
    routed = scripted(
        model_id=SONNET,
        script=[
            AIMessage(
                "b",
                usage_metadata=usage_of(2000, 200),
                response_metadata={"routing": {"tier": "medium", "model_id": SONNET, "classifier": "heuristic"}},
            )
        ],
    )
    hit = AIMessage(
        "c", usage_metadata=usage_of(1000, 100), response_metadata={"cache": {"hit": True, "kind": "exact"}}
    )
    cached = scripted(model_id=HAIKU, script=[hit])
    with get_bedrock_stats_callback(sinks=sinks) as stats:
        haiku.invoke("x")
        routed.invoke("y")
        cached.invoke("z")
    return stats


def test_put_metric_data_in_batches_with_dimensions(recording_server, scripted, usage_of):
    with recording_server(_cloudwatch_reply) as server:
        client = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=server.url)
        sink = CloudWatchMetricsSink(client, namespace="Test/Routing", dimensions={"Service": "chat"}, batch_size=7)
        stats = _session(scripted, usage_of, [sink])
        published = sink.flush()
        assert sink.flush() == 0  # the window was emptied
        requests = list(server.requests)

    assert published > 7
    assert len(requests) == -(-published // 7)
    decoded = [_decode_put_metric_data(h, b) for _, _, h, b in requests]
    assert {ns for ns, _ in decoded} == {"Test/Routing"}
    assert all(len(data) <= 7 for _, data in decoded)
    points = {
        (d["MetricName"], tuple(sorted(d["Dimensions"].items()))): (d["Value"], d["Unit"])
        for _, data in decoded
        for d in data
    }
    assert len(points) == published
    total = (("Service", "chat"),)
    data = stats.to_dict()
    assert points["Requests", total] == (3.0, "Count")
    assert points["CacheHits", total] == (1.0, "Count")
    assert points["CacheMisses", total] == (2.0, "Count")
    assert points["CacheHitRate", total] == (pytest.approx(100 / 3), "Percent")
    assert points["Cost", total][0] == pytest.approx(data["total"]["cost_usd"]["total"])
    assert points["CostSaved", total][0] == pytest.approx(data["total"]["saved_by_cache"]["cost_usd"])
    haiku = (("Model", HAIKU), ("Service", "chat"))
    assert points["Requests", haiku] == (2.0, "Count")
    assert points["CacheHits", haiku] == (1.0, "Count")
    assert points["Cost", haiku][0] == pytest.approx(data["models"][HAIKU]["cost_usd"]["total"])
    medium = (("Service", "chat"), ("Tier", "medium"))
    assert points["CacheHitRate", medium] == (0.0, "Percent")
    assert points["LatencyMax", medium][1] == "Milliseconds"


def test_bad_batch_size_is_refused_naming_the_limit():
    with pytest.raises(ValueError, match="between 1 and 1000"):
        CloudWatchMetricsSink(client=None, batch_size=5000)


def test_emf_lines_carry_the_same_metrics(scripted, usage_of):
    stream = io.StringIO()
    sink = EmfMetricsSink(stream, namespace="Test/Routing", dimensions={"Service": "chat"}, flush_every=3)
    stats = _session(scripted, usage_of, [sink])  # the third request triggers the flush
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    dimension_sets = sorted(tuple(r["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) for r in records)
    assert dimension_sets == [("Service",), ("Service", "Model"), ("Service", "Model"), ("Service", "Tier")]
    total = next(r for r in records if r["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Service"]])
    assert total["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Test/Routing"
    assert (total["Service"], total["Requests"], total["CacheHits"], total["CacheMisses"]) == ("chat", 3, 1, 2)
    assert total["Cost"] == pytest.approx(stats.to_dict()["total"]["cost_usd"]["total"])
    declared = {m["Name"] for m in total["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert declared <= set(total)
    models = {r["Model"]: r for r in records if "Model" in r}
    assert set(models) == {HAIKU, SONNET}
    assert models[HAIKU]["CacheHitRate"] == 50.0


def test_put_metric_data_per_experiment_arm_with_scores(recording_server, scripted, usage_of):
    model = scripted(model_id=HAIKU, script=[AIMessage("a", usage_metadata=usage_of(1000, 100))])
    arm = {"routing_experiment": "exp", "routing_arm": "b", "routing_control": "a"}
    with recording_server(_cloudwatch_reply) as server:
        client = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=server.url)
        sink = CloudWatchMetricsSink(client, namespace="Test/AB")
        with get_bedrock_stats_callback(sinks=[sink]) as stats:
            model.invoke("x", {"metadata": arm})
            model.invoke("y", {"metadata": arm})
        stats.add_score("exp", "b", 1.0)  # the handler passes scores on to its sinks
        stats.add_score("exp", "b", 0.0)
        sink.flush()
        requests = list(server.requests)
    data = [d for _, _, h, b in requests for d in _decode_put_metric_data(h, b)[1]]
    arm_points = {d["MetricName"]: d["Value"] for d in data if d["Dimensions"] == {"Experiment": "exp", "Arm": "b"}}
    assert arm_points["Requests"] == 2
    assert arm_points["OutcomeScores"] == 2
    assert arm_points["OutcomeScore"] == pytest.approx(0.5)
    assert stats.to_dict()["experiments"]["exp"]["arms"]["b"]["score"]["mean"] == pytest.approx(0.5)
