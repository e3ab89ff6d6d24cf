"""Property tests of the emulator's Converse parsing on valid-shaped requests (``tests/emulator/test_fuzz.py``
covers malformed bodies): every valid request parses faithfully and is served through boto3, and any
single breakage is a ValidationException naming the field path, as Bedrock's are.
"""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.emulator.errors import BedrockError
from langchain_bedrock_routing.emulator.request import parse_converse

MODEL = "amazon.nova-pro-v1:0"
_words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40)
_cache_point = {"cachePoint": {"type": "default"}}


@st.composite
def converse_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid Converse body: alternating turns, optional system, inference config, tools and <= 4 cache points."""
    turns = draw(st.integers(1, 5))
    messages = [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": [{"text": t} for t in draw(st.lists(_words, min_size=1, max_size=3))],
        }
        for i in range(turns)
    ]
    body: dict[str, Any] = {"messages": messages}
    if draw(st.booleans()):
        body["system"] = [{"text": t} for t in draw(st.lists(_words, min_size=1, max_size=2))]
    if draw(st.booleans()):
        config: dict[str, Any] = {"maxTokens": draw(st.integers(1, 1000))}
        if draw(st.booleans()):
            config["temperature"] = draw(st.floats(0, 1))
        if draw(st.booleans()):
            config["topP"] = draw(st.floats(0, 1))
        if draw(st.booleans()):
            config["stopSequences"] = draw(st.lists(_words, max_size=2))
        body["inferenceConfig"] = config
    if draw(st.booleans()):
        names = draw(
            st.lists(st.text(alphabet="abcdefgh_", min_size=1, max_size=12), min_size=1, max_size=3, unique=True)
        )
        tools = [
            {
                "toolSpec": {
                    "name": n,
                    "description": f"tool {n}",
                    "inputSchema": {"json": {"type": "object", "properties": {}}},
                }
            }
            for n in names
        ]
        choice = draw(st.sampled_from([None, {"auto": {}}, {"any": {}}, {"tool": {"name": names[0]}}]))
        body["toolConfig"] = {"tools": tools, **({"toolChoice": choice} if choice else {})}
    for _ in range(draw(st.integers(0, 4))):  # cache points after a system block or a message's last block
        target = draw(st.sampled_from(["system", "message"] if "system" in body else ["message"]))
        blocks = body["system"] if target == "system" else messages[draw(st.integers(0, turns - 1))]["content"]
        if blocks[-1] != _cache_point:
            blocks.append(dict(_cache_point))
    return body


def _block_count(body: dict[str, Any]) -> int:
    blocks = [b for m in body["messages"] for b in m["content"]] + body.get("system", [])
    return sum(1 for b in blocks if "cachePoint" not in b) + len(body.get("toolConfig", {}).get("tools", []))


@settings(max_examples=300, deadline=None)
@given(converse_bodies())
def test_valid_requests_parse_faithfully(body: dict[str, Any]):
    request = parse_converse(body)
    assert [m.role for m in request.messages] == [m["role"] for m in body["messages"]]
    assert [b for m in request.messages for b in m.content] == [
        b for m in body["messages"] for b in m["content"] if "cachePoint" not in b
    ]
    assert list(request.system) == [b["text"] for b in body.get("system", []) if "text" in b]
    assert [t.name for t in request.tools] == [
        t["toolSpec"]["name"] for t in body.get("toolConfig", {}).get("tools", [])
    ]
    config = body.get("inferenceConfig", {})
    assert request.max_tokens == config.get("maxTokens")
    assert request.temperature == config.get("temperature")
    assert request.stop_sequences == tuple(config.get("stopSequences", ()))
    assert len(request.segments) == _block_count(body)
    assert request.input_tokens > 0
    assert len(request.cache_points) == sum(
        1 for m in body["messages"] for b in m["content"] if "cachePoint" in b
    ) + sum(1 for b in body.get("system", []) if "cachePoint" in b)
    assert all(0 < p.position <= len(request.segments) for p in request.cache_points)


def _break(body: dict[str, Any], how: str, data: st.DataObject) -> str:
    """Break ``body`` one way; returns the field path the error must name."""
    i = data.draw(st.integers(0, len(body["messages"]) - 1))
    message = body["messages"][i]
    if how == "role":
        message["role"] = "system"
        return f"messages.{i}.role"
    if how == "empty_content":
        message["content"] = []
        return f"messages.{i}.content"
    if how == "two_members":
        message["content"][0] = {"text": "x", "image": {}}
        return f"messages.{i}.content.0"
    if how == "text_type":
        message["content"][0] = {"text": 5}
        return f"messages.{i}.content.0"
    if how == "temperature":
        body.setdefault("inferenceConfig", {})["temperature"] = data.draw(st.floats(1.01, 100) | st.floats(-100, -0.01))
        return "inferenceConfig.temperature"
    if how == "max_tokens":
        body.setdefault("inferenceConfig", {})["maxTokens"] = data.draw(st.integers(-5, 0))
        return "inferenceConfig.maxTokens"
    body["temperature"] = 0.5
    return "temperature"


@settings(max_examples=300, deadline=None)
@given(
    converse_bodies(),
    st.sampled_from(["role", "empty_content", "two_members", "text_type", "temperature", "max_tokens", "unknown"]),
    st.data(),
)
def test_any_single_breakage_names_its_field(body: dict[str, Any], how: str, data: st.DataObject):
    broken = copy.deepcopy(body)
    path = _break(broken, how, data)
    with pytest.raises(BedrockError) as info:
        parse_converse(broken)
    assert info.value.code == "ValidationException"
    assert f"Value at '{path}'" in info.value.message


@pytest.fixture(scope="module")
def bedrock() -> Any:
    with BedrockEmulator(latency_scale=0.0) as emulator:
        config = Config(retries={"max_attempts": 1, "mode": "standard"})
        yield boto3.client("bedrock-runtime", endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x", config=config)  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(converse_bodies())
def test_valid_requests_are_served_through_boto3(bedrock: Any, body: dict[str, Any]):
    reply = bedrock.converse(modelId=MODEL, **body)
    usage = reply["usage"]
    expected = parse_converse(body).input_tokens
    assert (
        usage["inputTokens"] + usage.get("cacheReadInputTokens", 0) + usage.get("cacheWriteInputTokens", 0) == expected
    )
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] + usage.get(
        "cacheReadInputTokens", 0
    ) + usage.get("cacheWriteInputTokens", 0)
    assert reply["output"]["message"]["role"] == "assistant"
    assert reply["stopReason"] in {"end_turn", "tool_use", "max_tokens", "stop_sequence"}
