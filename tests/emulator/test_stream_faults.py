"""Mid-stream faults: a ConverseStream cut by an exception event, as botocore and langchain-aws see it."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import EventStreamError
from langchain_aws import ChatBedrockConverse

from langchain_bedrock_routing.catalog import estimate_tokens
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.emulator.faults import STREAM_ERRORS
from langchain_bedrock_routing.emulator.server import EmulatorHTTPServer
from langchain_bedrock_routing.testing.ports import free_port

from .conftest import user

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "amazon.nova-lite-v1:0"
LONG = "Explain in detail how a hash map handles collisions and resizing."


def _consume(
    runtime: Any, model: str = HAIKU, text: str = LONG
) -> tuple[list[dict[str, Any]], EventStreamError | None]:
    """The events received and the error the iteration raised (``None`` when the stream completed)."""
    events: list[dict[str, Any]] = []
    response = runtime.converse_stream(modelId=model, messages=user(text))
    try:
        for event in response["stream"]:
            events.append(event)
    except EventStreamError as error:
        return events, error
    return events, None


def _deltas(events: list[dict[str, Any]]) -> list[str]:
    return [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]


@pytest.mark.parametrize("exception_type", sorted(STREAM_ERRORS))
def test_botocore_raises_the_named_exception_event_after_n_deltas(emulator: BedrockEmulator, runtime, exception_type):
    emulator.set_faults(stream_error=exception_type, stream_error_after=2)
    events, error = _consume(runtime)
    assert error is not None
    assert error.response["Error"] == {"Code": exception_type, "Message": STREAM_ERRORS[exception_type]}
    operation = "when calling the ConverseStream operation"
    assert str(error) == f"An error occurred ({exception_type}) {operation}: {STREAM_ERRORS[exception_type]}"
    assert list(events[0]) == ["messageStart"]
    assert len(_deltas(events)) == 2
    assert not any("messageStop" in e or "metadata" in e for e in events)


def test_the_log_records_a_cut_stream_as_not_billed_with_the_tokens_sent(emulator: BedrockEmulator, runtime):
    emulator.set_faults(stream_error="modelStreamErrorException", stream_error_after=3)
    events, error = _consume(runtime)
    assert error is not None
    (record,) = emulator.requests
    assert (record.operation, record.status, record.error_code, record.billed) == (
        "ConverseStream",
        200,
        "modelStreamErrorException",
        False,
    )
    assert record.output_tokens == sum(estimate_tokens(text) for text in _deltas(events)) > 0
    assert record.input_tokens > 0


def test_a_cut_longer_than_the_reply_replaces_message_stop(emulator: BedrockEmulator, runtime):
    whole, error = _consume(runtime)
    assert error is None
    emulator.set_faults(stream_error="internalServerException", stream_error_after=10_000)
    events, error = _consume(runtime)
    assert error is not None
    assert error.response["Error"]["Code"] == "internalServerException"
    assert _deltas(events) == _deltas(whole)
    assert "messageStop" not in events[-1]


def test_stream_error_after_zero_cuts_right_after_message_start(emulator: BedrockEmulator, runtime):
    emulator.set_faults(stream_error="throttlingException")
    events, error = _consume(runtime)
    assert error is not None
    assert events == [{"messageStart": {"role": "assistant"}}]


def test_only_the_named_models_are_cut_and_converse_is_untouched(emulator: BedrockEmulator, runtime):
    emulator.set_faults(stream_error="modelStreamErrorException", stream_error_models=[f"us.{HAIKU}"])
    assert _consume(runtime, NOVA)[1] is None
    assert _consume(runtime, HAIKU)[1] is not None
    reply = runtime.converse(modelId=HAIKU, messages=user(LONG))
    assert reply["stopReason"] == "end_turn"
    assert [r.billed for r in emulator.requests] == [True, False, True]


def test_the_stream_error_rate_is_seeded():
    def pattern(seed: int) -> list[bool]:
        with BedrockEmulator(seed=seed, stream_error="modelStreamErrorException", stream_error_rate=0.5) as emu:
            client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=emu.endpoint_url)
            return [_consume(client, text=f"question {i}")[1] is not None for i in range(16)]

    first = pattern(5)
    assert first == pattern(5)
    assert True in first
    assert False in first


def test_a_chunked_stream_is_cut_the_same_way():
    with BedrockEmulator(latency_scale=0.001, stream_error="modelStreamErrorException", stream_error_after=1) as emu:
        client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=emu.endpoint_url)
        events, error = _consume(client)
    assert error is not None
    assert error.response["Error"]["Code"] == "modelStreamErrorException"
    assert len(_deltas(events)) == 1


def test_langchain_aws_raises_botocores_event_stream_error(emulator: BedrockEmulator):
    emulator.set_faults(stream_error="modelStreamErrorException", stream_error_after=2)
    chat = ChatBedrockConverse(model=HAIKU, region_name="us-east-1")
    received: list[str] = []
    stream = chat.stream(LONG)
    with pytest.raises(EventStreamError) as info:
        received.extend(chunk.text for chunk in stream)
    assert info.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert "".join(received).strip()


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ({"stream_error": "boom"}, "unknown stream_error 'boom'; valid: modelStreamErrorException, internalServerE"),
        ({"stream_error_after": 2}, "need stream_error, one of: modelStreamErrorException"),
        ({"stream_error": "throttlingException", "stream_error_after": -1}, "stream_error_after must be an int >= 0"),
        ({"stream_error": "throttlingException", "stream_error_rate": 1.5}, "stream_error_rate must be a probability"),
    ],
)
def test_bad_stream_faults_name_the_valid_choices(emulator: BedrockEmulator, faults: dict[str, Any], message: str):
    with pytest.raises(ValueError, match=message):
        emulator.set_faults(**faults)
    with pytest.raises(ValueError, match=message):
        BedrockEmulator(**faults)
    request = urllib.request.Request(
        f"{emulator.endpoint_url}/_emulator/faults", data=json.dumps(faults).encode(), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 400
    assert message in json.loads(info.value.read())["message"]


def test_the_admin_endpoint_sets_and_shows_the_stream_fault(emulator: BedrockEmulator, runtime):
    body = {"stream_error": "serviceUnavailableException", "stream_error_after": 1, "stream_error_models": [HAIKU]}
    request = urllib.request.Request(
        f"{emulator.endpoint_url}/_emulator/faults", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read()) == {"configured": True}
    with urllib.request.urlopen(f"{emulator.endpoint_url}/_emulator/faults") as response:
        shown = json.loads(response.read())
    assert {k: shown[k] for k in body} == body
    assert shown["stream_error_rate"] == 1.0
    assert _consume(runtime)[1] is not None


def test_cli_flags_cut_the_named_models_streams():
    port = free_port()
    args = ["--port", str(port), "--latency-scale", "0", "--stream-error", "modelStreamErrorException"]
    args += ["--stream-error-after", "1", "--stream-error-model", NOVA]
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_bedrock_routing.emulator", *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip().endswith(f":{port}")
        client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}")
        events, error = _consume(client, NOVA)
        assert error is not None
        assert len(_deltas(events)) == 1
        assert _consume(client, HAIKU)[1] is None
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_rejects_an_unknown_stream_error():
    done = subprocess.run(
        [sys.executable, "-m", "langchain_bedrock_routing.emulator", "--port", "0", "--stream-error", "Oops"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown stream_error 'Oops'; valid: modelStreamErrorException" in done.stderr


def test_a_client_hanging_up_is_logged_at_debug_not_printed(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
):
    with BedrockEmulator(front="threads") as emulator:
        server = emulator._require_server()
    assert isinstance(server, EmulatorHTTPServer)
    caplog.set_level(logging.DEBUG, logger="langchain_bedrock_routing.emulator.server")
    for error in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset by peer")):
        try:
            raise error
        except ConnectionError:
            server.handle_error(None, ("127.0.0.1", 50000))
    assert capsys.readouterr().err == ""
    assert [r.levelno for r in caplog.records] == [logging.DEBUG, logging.DEBUG]
    try:
        raise KeyError("a real bug")
    except KeyError:
        server.handle_error(None, ("127.0.0.1", 50000))
    assert "KeyError: 'a real bug'" in capsys.readouterr().err
