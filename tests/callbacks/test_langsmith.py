"""LangSmith tracer: routing, cache and cost figures arrive on the run's metadata at a local LangSmith stand-in."""

from __future__ import annotations

import json
import uuid
from email.parser import BytesParser
from email.policy import HTTP

import pytest
from langchain_core.messages import AIMessage
from langsmith import Client

from langchain_bedrock_routing.callbacks import TokenUsage, price_usage
from langchain_bedrock_routing.callbacks.langsmith import BedrockLangSmithTracer
from langchain_bedrock_routing.catalog import get_catalog

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
INFO = {
    "version": "0.10.0",
    "batch_ingest_config": {
        "size_limit": 100,
        "size_limit_bytes": 20_971_520,
        "scale_up_qsize_trigger": 1000,
        "scale_up_nthreads_limit": 16,
        "scale_down_nempty_trigger": 4,
    },
    "instance_flags": {},
}


def _langsmith(multipart: bool):
    def reply(method, path, headers, body):
        if path.startswith("/info"):
            return 200, {"Content-Type": "application/json"}, json.dumps(INFO).encode()
        if path.startswith("/runs/multipart") and not multipart:
            return 404, {"Content-Type": "application/json"}, b'{"detail": "Not Found"}'
        return 202, {"Content-Type": "application/json"}, b"{}"

    return reply


def _extras(requests) -> dict[str, dict]:
    """Each run's ``extra`` (last one sent wins), from multipart parts or /runs/batch JSON bodies."""
    extras: dict[str, dict] = {}
    for _method, path, headers, body in requests:
        if path.startswith("/runs/multipart"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name.endswith(".extra"):
                    extras[name.split(".")[1]] = json.loads(part.get_content())
        elif path.startswith("/runs/batch"):
            payload = json.loads(body)
            for run in [*payload.get("post", []), *payload.get("patch", [])]:
                if run.get("extra"):
                    extras[run["id"]] = run["extra"]
    return extras


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "batch-fallback"])
def test_figures_arrive_on_run_metadata(recording_server, scripted, usage_of, multipart):
    miss = scripted(model_id=HAIKU, script=[AIMessage("fresh", usage_metadata=usage_of(1200, 80, 300, 0))])
    hit = AIMessage(
        "cached",
        usage_metadata=usage_of(500, 50),
        response_metadata={
            "model_name": SONNET,
            "cache": {"hit": True, "kind": "semantic", "similarity": 0.96, "age_s": 3.0},
            "routing": {"tier": "medium", "model_id": SONNET, "classifier": "heuristic", "priority": "balanced"},
        },
    )
    cached = scripted(model_id=SONNET, script=[hit])
    with recording_server(_langsmith(multipart)) as server:
        client = Client(api_url=server.url, api_key="test")
        tracer = BedrockLangSmithTracer(client=client, project_name="stats-test")
        miss_run, hit_run = uuid.uuid4(), uuid.uuid4()
        miss.invoke("hello", {"callbacks": [tracer], "run_id": miss_run})
        cached.invoke("hi", {"callbacks": [tracer], "run_id": hit_run})
        tracer.wait_for_futures()
        client.flush()
        requests = list(server.requests)

    paths = [path.split("?")[0] for _, path, _, _ in requests]
    assert paths[0] == "/info"
    assert "/runs/multipart" in paths
    assert ("/runs/batch" in paths) is not multipart
    figures = {run_id: extra["metadata"]["bedrock"] for run_id, extra in _extras(requests).items()}
    assert figures.keys() == {str(miss_run), str(hit_run)}
    fresh = figures[str(miss_run)]
    usage = TokenUsage(input=1200, output=80, cache_read=300)
    assert fresh["cache"] == {"hit": False, "kind": None, "similarity": None}
    assert fresh["tokens"] == usage.as_dict()
    assert fresh["cost_usd"] == pytest.approx(float(price_usage(get_catalog(), HAIKU, usage).total))
    semantic = figures[str(hit_run)]
    assert semantic["cache"] == {"hit": True, "kind": "semantic", "similarity": 0.96}
    assert semantic["routing"]["tier"] == "medium"
    assert semantic["routing"]["classifier"] == "heuristic"
    assert semantic["model_id"] == SONNET
    assert semantic["cost_usd"] == 0.0
    saved = price_usage(get_catalog(), SONNET, TokenUsage(input=500, output=50)).total
    assert semantic["saved_usd"] == pytest.approx(float(saved))


def test_langsmith_names_the_model_the_router_used(recording_server, emulator):
    from langchain_bedrock_routing.routing import RoutedChatBedrock

    router = RoutedChatBedrock(preset="nova")  # default model reported at run start: the medium tier's
    with recording_server(_langsmith(True)) as server:
        client = Client(api_url=server.url, api_key="test")
        tracer = BedrockLangSmithTracer(client=client, project_name="routing-test")
        run_id = uuid.uuid4()
        reply = router.invoke("hi", {"callbacks": [tracer], "run_id": run_id})
        tracer.wait_for_futures()
        client.flush()
        requests = list(server.requests)
    used = reply.response_metadata["routing"]["model_id"]
    assert used == "amazon.nova-micro-v1:0"
    assert router._get_ls_params()["ls_model_name"] != used
    metadata = _extras(requests)[str(run_id)]["metadata"]
    assert metadata["ls_model_name"] == used
    assert metadata["bedrock"]["model_id"] == used


def test_langsmith_runs_name_their_experiment_arm(recording_server, emulator):
    from langchain_bedrock_routing.learning import RoutingExperiment
    from langchain_bedrock_routing.routing import RoutedChatBedrock

    experiment = RoutingExperiment(
        arms={"a": RoutedChatBedrock(preset="nova"), "b": RoutedChatBedrock(preset="nova", priority="cost")}, name="ls"
    )
    with recording_server(_langsmith(True)) as server:
        client = Client(api_url=server.url, api_key="test")
        tracer = BedrockLangSmithTracer(client=client, project_name="experiment-test")
        run_id = uuid.uuid4()
        config = {"callbacks": [tracer], "run_id": run_id, "metadata": {"tenant_id": "acme"}}
        reply = experiment.invoke("hi", config)
        tracer.wait_for_futures()
        client.flush()
        requests = list(server.requests)
    metadata = _extras(requests)[str(run_id)]["metadata"]
    arm = reply.response_metadata["routing"]["arm"]
    assert (metadata["routing_experiment"], metadata["routing_arm"], metadata["routing_control"]) == ("ls", arm, "a")
    assert metadata["bedrock"]["model_id"] == reply.response_metadata["routing"]["model_id"]
