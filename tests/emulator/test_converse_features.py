"""Converse features checked against the shapes real Bedrock sends (langchain-aws's recorded cassettes):
extended thinking, citations, JSON-schema output, tool input in many deltas, performance / service tier."""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError

from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import user

SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
THINK = {"thinking": {"type": "enabled", "budget_tokens": 2000}}
POLICY = "Company leave policy: Employees get 20 days annual leave. Consult with your manager for details."
JOKE = {
    "type": "object",
    "properties": {"setup": {"type": "string"}, "punchline": {"type": "string"}},
    "required": ["setup", "punchline"],
    "additionalProperties": False,
}


def _events(runtime: Any, **request: Any) -> list[dict[str, Any]]:
    return list(runtime.converse_stream(**request)["stream"])


def _deltas(events: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    return [
        e["contentBlockDelta"]["delta"]
        for e in events
        if e.get("contentBlockDelta", {}).get("contentBlockIndex") == index
    ]


def test_thinking_reply_starts_with_signed_reasoning(emulator: BedrockEmulator, runtime: Any):
    request = {"modelId": SONNET, "messages": user("Why is the sky blue?"), "inferenceConfig": {"maxTokens": 4096}}
    reply = runtime.converse(**request, additionalModelRequestFields=THINK)["output"]["message"]["content"]
    assert [next(iter(b)) for b in reply] == ["reasoningContent", "text"]
    assert set(reply[0]["reasoningContent"]["reasoningText"]) == {"text", "signature"}
    events = _events(runtime, **request, additionalModelRequestFields={"thinking": {"type": "adaptive"}})
    reasoning = _deltas(events, 0)
    assert len(reasoning) > 3
    assert all("text" in d["reasoningContent"] for d in reasoning[:-1])
    assert "signature" in reasoning[-1]["reasoningContent"]
    assert _deltas(events, 1)[0]["text"]


@pytest.mark.parametrize(
    ("model", "tool_choice", "needle"),
    [
        (SONNET, {"tool": {"name": "classify"}}, "tool_choice forces tool use"),
        (SONNET, {"any": {}}, "tool_choice forces tool use"),
        ("us.amazon.nova-pro-v1:0", {"auto": {}}, "extraneous key [thinking]"),
    ],
)
def test_thinking_where_bedrock_refuses_it(
    runtime: Any, emulator: BedrockEmulator, model: str, tool_choice: Any, needle: str
):
    spec = {"name": "classify", "inputSchema": {"json": {"type": "object", "properties": {"kind": {"type": "string"}}}}}
    with pytest.raises(ClientError) as info:
        runtime.converse(
            modelId=model,
            messages=user("Classify this query"),
            toolConfig={"tools": [{"toolSpec": spec}], "toolChoice": tool_choice},
            additionalModelRequestFields=THINK,
            inferenceConfig={"maxTokens": 5000},
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert needle in info.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("source", "fmt", "location"),
    [
        ({"text": POLICY}, "txt", {"documentChar": {"documentIndex": 0, "start": 58, "end": 96}}),
        (
            {"content": [{"text": s} for s in POLICY.split(". ", 1)]},
            "txt",
            {"documentChunk": {"documentIndex": 0, "start": 1, "end": 2}},
        ),
        ({"bytes": POLICY.encode()}, "txt", {"documentChar": {"documentIndex": 0, "start": 58, "end": 96}}),
    ],
)
def test_citations_locate_the_quoted_passage(
    emulator: BedrockEmulator, runtime: Any, source: Any, fmt: str, location: Any
):
    document = {"format": fmt, "name": "policy", "source": source, "citations": {"enabled": True}}
    messages = [{"role": "user", "content": [{"document": document}, {"text": "Who should they consult with?"}]}]
    content = runtime.converse(modelId=SONNET, messages=messages)["output"]["message"]["content"]
    cited = content[1]["citationsContent"]
    assert cited["citations"][0]["location"] == location
    assert "manager" in cited["content"][0]["text"]
    citation = [
        d["citation"] for d in _deltas(_events(runtime, modelId=SONNET, messages=messages), 1) if "citation" in d
    ]
    assert citation == cited["citations"]


def test_json_schema_output_validates(emulator: BedrockEmulator, runtime: Any):
    output = {
        "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": json.dumps(JOKE), "name": "joke"}}}
    }
    reply = runtime.converse(modelId=SONNET, messages=user("Tell me a joke about cats"), outputConfig=output)
    joke = json.loads(reply["output"]["message"]["content"][0]["text"])
    assert set(joke) == set(JOKE["required"])
    assert all(isinstance(v, str) and v for v in joke.values())


def test_tool_input_streams_in_many_deltas(emulator: BedrockEmulator, runtime: Any):
    spec = {
        "name": "get_weather",
        "inputSchema": {"json": {"type": "object", "properties": {"location": {"type": "string"}}}},
    }
    events = _events(
        runtime,
        modelId=SONNET,
        messages=user("What is the weather in San Francisco?"),
        toolConfig={"tools": [{"toolSpec": spec}], "toolChoice": {"any": {}}},
    )
    start = next(e["contentBlockStart"]["start"]["toolUse"] for e in events if "contentBlockStart" in e)
    pieces = [d["toolUse"]["input"] for d in _deltas(events, 0)]
    assert start["name"] == "get_weather"
    assert len(pieces) > 3
    assert json.loads("".join(pieces)) == {"location": "San Francisco"}


def test_performance_and_service_tier_are_reflected(emulator: BedrockEmulator, runtime: Any):
    extra = {"performanceConfig": {"latency": "standard"}, "serviceTier": {"type": "priority"}}
    reply = runtime.converse(modelId=SONNET, messages=user("hi"), **extra)
    assert reply["performanceConfig"] == {"latency": "standard"}
    assert reply["serviceTier"] == {"type": "priority"}
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=SONNET, messages=user("hi"), serviceTier={"type": "fastest"})
    assert "serviceTier.type" in info.value.response["Error"]["Message"]


def test_text_file_question_is_answered_from_the_file(emulator: BedrockEmulator, runtime: Any):
    css = {
        "format": "txt",
        "name": "styles",
        "source": {"bytes": base64.b64decode(base64.b64encode(b"body { color: red; }"))},
    }
    messages = [{"role": "user", "content": [{"text": "What color does this stylesheet set?"}, {"document": css}]}]
    text = runtime.converse(modelId=SONNET, messages=messages)["output"]["message"]["content"][0]["text"]
    assert "red" in text


def test_usage_and_events_are_shaped_as_real(emulator: BedrockEmulator, runtime: Any):
    usage = runtime.converse(modelId=SONNET, messages=user("hi"))["usage"]
    assert "cacheWriteInputTokens" not in usage
    assert usage["cacheReadInputTokens"] == 0
    events = list(runtime.converse_stream(modelId=SONNET, messages=user("hi"))["stream"])
    streamed = events[-1]["metadata"]["usage"]
    assert not {"cacheReadInputTokens", "cacheWriteInputTokens"} & set(streamed)
    assert streamed["totalTokens"] == streamed["inputTokens"] + streamed["outputTokens"]


def test_every_stream_event_carries_padding(emulator: BedrockEmulator):
    body = json.dumps({"messages": user("hi")}).encode()
    url = f"{emulator.endpoint_url}/model/{SONNET}/converse-stream"
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        buffer = EventStreamBuffer()
        buffer.add_data(response.read())
    payloads = [json.loads(message.payload) for message in buffer]
    assert len(payloads) > 3
    assert all(isinstance(p["p"], str) and p["p"] for p in payloads)


def test_count_tokens_matches_what_converse_bills(emulator: BedrockEmulator, runtime: Any):
    request = {"messages": user("Why did the chicken cross the road?"), "system": [{"text": "Be helpful."}]}
    counted = runtime.count_tokens(modelId=SONNET, input={"converse": request})["inputTokens"]
    assert counted == runtime.converse(modelId=SONNET, **request)["usage"]["inputTokens"]
    native = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": user("hi")})
    assert runtime.count_tokens(modelId=SONNET, input={"invokeModel": {"body": native}})["inputTokens"] > 0
    with pytest.raises(ClientError) as info:
        runtime.count_tokens(modelId="us.amazon.nova-pro-v1:0", input={"converse": request})
    assert "doesn't support counting tokens" in info.value.response["Error"]["Message"]


def test_tool_definitions_cost_the_tool_use_system_prompt(emulator: BedrockEmulator, runtime: Any):
    """The recorded real request (langchain-aws cassette test_agent_loop_streaming) was billed 446 input tokens."""
    schema = {"properties": {"location": {"type": "string"}}, "required": ["location"], "type": "object"}
    spec = {"name": "get_weather", "description": "Get the weather for a location.", "inputSchema": {"json": schema}}
    request = {
        "messages": user("What is the weather in San Francisco, CA?"),
        "toolConfig": {"tools": [{"toolSpec": spec}]},
    }
    usage = runtime.converse(modelId="us.anthropic.claude-sonnet-5", **request)["usage"]
    plain = runtime.converse(modelId="us.amazon.nova-pro-v1:0", **request)["usage"]
    assert usage["inputTokens"] == 446
    assert usage["inputTokens"] - plain["inputTokens"] == 346


def test_guardrail_config_is_accepted_and_traced(emulator: BedrockEmulator, runtime: Any):
    guard = {"guardrailIdentifier": "gr-123", "guardrailVersion": "1", "trace": "enabled_full"}
    reply = runtime.converse(modelId=SONNET, messages=user("hi"), guardrailConfig=guard)
    trace = reply["trace"]["guardrail"]
    assert list(trace["inputAssessment"]) == ["gr-123"]
    assert trace["modelOutput"] == [reply["output"]["message"]["content"][0]["text"]]
    events = _events(runtime, modelId=SONNET, messages=user("hi"), guardrailConfig={**guard, "trace": "enabled"})
    assert "guardrail" in events[-1]["metadata"]["trace"]
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=SONNET, messages=user("hi"), guardrailConfig={"guardrailIdentifier": "gr-123"})
    assert "guardrailVersion" in info.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("model", "extra", "field"),
    [
        ("global.xai.grok-4.6", {"inferenceConfig": {"stopSequences": ["END"]}}, "stopSequences"),
        ("us.openai.gpt-6-astra", {"inferenceConfig": {"stopSequences": ["END"]}}, "stopSequences"),
        ("mistral.mistral-large-3-675b-instruct", {"inferenceConfig": {"stopSequences": ["END"]}}, "stopSequences"),
        ("us.meta.llama4-scout-17b-instruct-v1:0", {"toolChoice": {"any": {}}}, "toolConfig.toolChoice.any"),
    ],
)
def test_fields_a_family_refuses(emulator: BedrockEmulator, runtime: Any, model: str, extra: Any, field: str):
    spec = {"name": "lookup", "inputSchema": {"json": {"type": "object", "properties": {"q": {"type": "string"}}}}}
    request: dict[str, Any] = {"modelId": model, "messages": user("Look this up")}
    if "toolChoice" in extra:
        request["toolConfig"] = {"tools": [{"toolSpec": spec}], **extra}
    else:
        request.update(extra)
    with pytest.raises(ClientError) as info:
        runtime.converse(**request)
    assert (
        info.value.response["Error"]["Message"]
        == f"This model doesn't support the {field} field. Remove {field} and try again."
    )
    del request["toolConfig" if "toolChoice" in extra else "inferenceConfig"]
    assert runtime.converse(**request)["stopReason"] in ("end_turn", "tool_use")


def test_mistral_large_3_tool_ids_are_nine_alphanumerics(emulator: BedrockEmulator, runtime: Any):
    model = "mistral.mistral-large-3-675b-instruct"
    spec = {"name": "add", "inputSchema": {"json": {"type": "object", "properties": {"a": {"type": "integer"}}}}}
    tools = {"tools": [{"toolSpec": spec}]}
    first = runtime.converse(modelId=model, messages=user("Use the add tool on 1"), toolConfig=tools)
    use = first["output"]["message"]["content"][0]["toolUse"]
    assert len(use["toolUseId"]) == 9
    assert use["toolUseId"].isalnum()

    def history(use_id: str) -> list[dict[str, Any]]:
        call = {"toolUse": {**use, "toolUseId": use_id}}
        result = {"toolResult": {"toolUseId": use_id, "content": [{"text": "2"}]}}
        return [
            *user("Use the add tool on 1"),
            {"role": "assistant", "content": [call]},
            {"role": "user", "content": [result]},
        ]

    for accepted in (use["toolUseId"], "9b2f3c1e-4d5a-4b6c-8d7e-0f1a2b3c4d5e"):  # its own id, LangChain's UUIDs
        reply = runtime.converse(modelId=model, messages=history(accepted), toolConfig=tools)
        assert reply["stopReason"] == "end_turn"
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=model, messages=history("abc123"), toolConfig=tools)
    assert "Tool call id was abc123" in info.value.response["Error"]["Message"]
