"""Both HTTP fronts (threads, asyncio) serve the same replies: slow streams, framing errors, hang-ups, the CLI."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import pytest

from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.emulator.app import FRONTS, Front
from langchain_bedrock_routing.emulator.exchange import MAX_BODY_BYTES

from .conftest import user

NOVA = "us.amazon.nova-lite-v1:0"
LONG = "Explain in detail how a hash map handles collisions and resizing."


@pytest.fixture(params=FRONTS)
def slow(request: pytest.FixtureRequest) -> Iterator[BedrockEmulator]:
    """An emulator that sleeps 1% of the modeled latency (streams are sent chunked, event by event)."""
    with BedrockEmulator(latency_scale=0.01, front=request.param) as emulator:
        yield emulator


def _connection(emulator: BedrockEmulator) -> http.client.HTTPConnection:
    url = urlsplit(emulator.endpoint_url)
    assert url.hostname is not None
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def test_a_slow_stream_arrives_whole_and_equals_the_unslept_one(slow: BedrockEmulator):
    runtime = boto3.client("bedrock-runtime", **slow.client_kwargs())
    events = list(runtime.converse_stream(modelId=NOVA, messages=user(LONG))["stream"])
    with BedrockEmulator(latency_scale=0.0) as quick:
        unslept = list(boto3.client("bedrock-runtime", **quick.client_kwargs()).converse_stream(
            modelId=NOVA, messages=user(LONG))["stream"])  # fmt: skip
    assert len(events) > 5
    assert [e for e in events if "metadata" not in e] == [e for e in unslept if "metadata" not in e]
    assert events[-1]["metadata"]["usage"] == unslept[-1]["metadata"]["usage"]
    assert [r.operation for r in slow.requests] == ["ConverseStream"]


def test_a_slow_reply_waits_its_modeled_latency_on_both_fronts(slow: BedrockEmulator):
    runtime = boto3.client("bedrock-runtime", **slow.client_kwargs())
    reply = runtime.converse(modelId=NOVA, messages=user("What is 7 * 6?"))
    assert reply["output"]["message"]["content"] == [{"text": "7 * 6 = 42."}]
    embedded = runtime.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=json.dumps({"inputText": "hi"}))
    assert len(json.loads(embedded["body"].read())["embedding"]) == 1024


@pytest.mark.parametrize("front", FRONTS)
def test_an_oversized_body_is_refused_unread_and_the_connection_closed(front: Front):
    with BedrockEmulator(front=front) as emulator:
        connection = _connection(emulator)
        connection.putrequest("POST", f"/model/{NOVA}/converse")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.endheaders()
        reply = connection.getresponse()
        assert reply.status == 400
        assert reply.getheader("x-amzn-ErrorType") == "ValidationException:"
        assert reply.getheader("Connection", "").lower() == "close"
        assert "exceeds the limit" in json.loads(reply.read())["message"]
        connection.close()


@pytest.mark.parametrize("front", FRONTS)
def test_admin_and_unknown_paths_answer_alike(front: Front):
    with BedrockEmulator(front=front) as emulator:
        connection = _connection(emulator)
        for method, path, status in [
            ("GET", "/_emulator/health", 200),
            ("DELETE", "/_emulator/requests", 200),
            ("GET", "/nowhere", 404),
            ("POST", "/model/x/fly", 404),
        ]:
            connection.request(method, path, body=b"" if method == "POST" else None)
            reply = connection.getresponse()
            body = json.loads(reply.read())
            assert reply.status == status, (method, path)
            assert reply.getheader("x-amzn-RequestId")
            assert body if status == 200 else "No " in body["message"]
        connection.close()


@pytest.mark.parametrize("front", FRONTS)
def test_a_client_hanging_up_mid_stream_leaves_the_front_serving(front: Front, capsys: pytest.CaptureFixture[str]):
    with BedrockEmulator(latency_scale=0.05, front=front) as emulator:
        connection = _connection(emulator)
        body = json.dumps({"messages": user(LONG)})
        connection.request("POST", f"/model/{NOVA}/converse-stream", body=body)
        reply = connection.getresponse()
        assert reply.status == 200
        reply.read(16)
        connection.sock.close() if connection.sock else None
        connection.close()
        runtime = boto3.client("bedrock-runtime", **emulator.client_kwargs())
        assert runtime.converse(modelId=NOVA, messages=user("What is 7 * 6?"))["stopReason"] == "end_turn"
    assert "Traceback" not in capsys.readouterr().err


def test_an_unknown_front_is_refused():
    with pytest.raises(ValueError, match="unknown front 'twisted'; choose one of threads, asyncio"):
        BedrockEmulator(front="twisted")  # type: ignore[arg-type]


def test_the_cli_serves_on_the_asyncio_front():
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_bedrock_routing.emulator", "--port", "0", "--front", "asyncio"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("Bedrock emulator listening on ")
        runtime = boto3.client(
            "bedrock-runtime", endpoint_url=url, region_name="us-east-1",
            aws_access_key_id="x", aws_secret_access_key="x",
        )  # fmt: skip
        assert runtime.converse(modelId=NOVA, messages=user("What is 7 * 6?"))["stopReason"] == "end_turn"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode is not None
