"""Bedrock error shapes through botocore: validation, throttling with retries, unavailable models."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError
from langchain_aws import ChatBedrockConverse

from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import user

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def _error(call, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value


def test_unknown_model_lists_the_known_ones(emulator: BedrockEmulator, runtime):
    error = _error(runtime.converse, modelId="anthropic.claude-9", messages=user("hi"))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert "anthropic.claude-9" in error.response["Error"]["Message"]
    assert HAIKU in error.response["Error"]["Message"]
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": [{"role": "robot", "content": [{"text": "hi"}]}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": [{"txt": "hi"}]}]}, "messages.0.content.0"),
        ({"messages": user("hi"), "inferenceConfig": {"temperature": 3}}, "inferenceConfig.temperature"),
        ({"messages": user("hi"), "system": [{"cachePoint": {"type": "forever"}}]}, "system.0.cachePoint.type"),
        (
            {"messages": user("hi"), "toolConfig": {"tools": [{"toolSpec": {"name": "t"}}]}},
            "toolConfig.tools.0.toolSpec.inputSchema",
        ),
    ],
)
def test_malformed_body_names_the_field(emulator: BedrockEmulator, body, field):
    request = urllib.request.Request(
        f"{emulator.endpoint_url}/model/{HAIKU}/converse", data=json.dumps(body).encode(), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 400
    assert info.value.headers["x-amzn-ErrorType"].startswith("ValidationException")
    assert field in json.loads(info.value.read())["message"]


def test_input_over_the_context_window(emulator: BedrockEmulator, runtime):
    huge = "word " * 210_000
    error = _error(runtime.converse, modelId=HAIKU, messages=user(huge))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert "too long" in error.response["Error"]["Message"]
    assert emulator.requests[-1].billed is False


def test_throttling_is_retried_by_botocore_then_raised(emulator: BedrockEmulator):
    emulator.set_faults(throttle_rate=1.0)
    chat = ChatBedrockConverse(
        model=HAIKU, region_name="us-east-1", config=Config(retries={"max_attempts": 2, "mode": "standard"})
    )
    with pytest.raises(ClientError) as info:
        chat.invoke("hi")
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert [(r.status, r.error_code, r.billed) for r in emulator.requests] == [(429, "ThrottlingException", False)] * 3


def test_stream_throttling_surfaces_before_the_stream(emulator: BedrockEmulator, runtime):
    emulator.set_faults(throttle_rate=1.0)
    error = _error(runtime.converse_stream, modelId=HAIKU, messages=user("hi"))
    assert error.response["Error"]["Code"] == "ThrottlingException"
    assert not isinstance(error, EventStreamError)


def test_error_rate_gives_service_unavailable(emulator: BedrockEmulator, runtime):
    emulator.set_faults(error_rate=1.0)
    error = _error(runtime.converse, modelId=HAIKU, messages=user("hi"))
    assert (error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ServiceUnavailableException",
        503,
    )


def test_fail_model_makes_only_that_model_unavailable(emulator: BedrockEmulator, runtime):
    emulator.set_faults(fail_models=[f"us.{HAIKU}"], not_ready_models=["amazon.nova-micro-v1:0"])
    assert _error(runtime.converse, modelId=HAIKU, messages=user("hi")).response["Error"]["Code"] == (
        "ServiceUnavailableException"
    )
    not_ready = _error(runtime.converse, modelId="amazon.nova-micro-v1:0", messages=user("hi"))
    assert not_ready.response["Error"]["Code"] == "ModelNotReadyException"
    assert runtime.converse(modelId="amazon.nova-lite-v1:0", messages=user("hi"))["stopReason"] == "end_turn"
    assert [r.billed for r in emulator.requests] == [False, False, True]


def test_seeded_throttle_rate_throttles_about_that_share():
    with BedrockEmulator(throttle_rate=0.3, seed=7) as emu:
        client = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=emu.endpoint_url,
            config=Config(retries={"total_max_attempts": 1}),
        )
        codes = set()
        for _ in range(60):
            try:
                client.converse(modelId=HAIKU, messages=user("hi"))
            except ClientError as error:
                codes.add(error.response["Error"]["Code"])
        throttled = sum(r.error_code == "ThrottlingException" for r in emu.requests)
    assert codes == {"ThrottlingException"}
    assert 8 <= throttled <= 30


def test_admin_endpoints_expose_the_log_and_set_faults(emulator: BedrockEmulator, runtime):
    runtime.converse(modelId=HAIKU, messages=user("hi"))
    with urllib.request.urlopen(f"{emulator.endpoint_url}/_emulator/requests") as reply:
        (record,) = json.loads(reply.read())
    assert (record["operation"], record["invoked_model_id"], record["billed"]) == ("Converse", HAIKU, True)
    faults = json.dumps({"fail_models": [HAIKU]}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{emulator.endpoint_url}/_emulator/faults", data=faults))
    assert _error(runtime.converse, modelId=HAIKU, messages=user("hi")).response["Error"]["Code"] == (
        "ServiceUnavailableException"
    )
    urllib.request.urlopen(urllib.request.Request(f"{emulator.endpoint_url}/_emulator/requests", method="DELETE"))
    assert emulator.requests == []
