"""InvokeModel and InvokeModelWithResponseStream with Claude's native Anthropic Messages body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from langchain_aws import ChatBedrock
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool

from langchain_bedrock_routing.emulator import BedrockEmulator

SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def _body(**extra: Any) -> str:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "What is 2 + 3?"}],
    }
    return json.dumps({**body, **extra})


@tool
def get_weather(location: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny in {location}"


def test_invoke_model_answers_in_anthropic_shape(emulator: BedrockEmulator, runtime: Any):
    response = runtime.invoke_model(modelId=SONNET, body=_body())
    reply = json.loads(response["body"].read())
    assert reply["type"] == "message"
    assert reply["content"] == [{"type": "text", "text": "2 + 3 = 5."}]
    assert reply["stop_reason"] == "end_turn"
    assert reply["usage"]["input_tokens"] > 0
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) == reply["usage"]["output_tokens"]
    assert [(r.operation, r.billed) for r in emulator.requests] == [("InvokeModel", True)]


def test_invoke_stream_sends_anthropic_events(emulator: BedrockEmulator, runtime: Any):
    stream = runtime.invoke_model_with_response_stream(modelId=SONNET, body=_body())["body"]
    events = [json.loads(e["chunk"]["bytes"]) for e in stream]
    assert [e["type"] for e in events][:2] == ["message_start", "content_block_start"]
    assert "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta") == "2 + 3 = 5."
    assert events[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] > 0


def test_chat_bedrock_tool_round_trip_and_streaming(emulator: BedrockEmulator):
    chat = ChatBedrock(model_id=SONNET, region_name="us-east-1", model_kwargs={"max_tokens": 300})
    ai = chat.bind_tools([get_weather]).invoke("What's the weather in Paris?")
    assert ai.tool_calls[0]["name"] == "get_weather"
    assert ai.tool_calls[0]["args"] == {"location": "Paris"}
    streamed = "".join(str(chunk.content) for chunk in chat.stream("Hello"))
    assert streamed == "Hello! How can I help you today?"


def test_invoke_model_rejects_other_native_bodies(emulator: BedrockEmulator, runtime: Any):
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=SONNET, body=json.dumps({"prompt": "hi"}))
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_chat_bedrock_prompt_cache_counts_come_in_bedrock_headers(emulator: BedrockEmulator):
    """InvokeModel reports prompt-cache tokens in ``X-Amzn-Bedrock-Cache-*-Input-Token-Count`` headers, which is
    where ``ChatBedrock`` reads them."""
    chat = ChatBedrock(model_id=SONNET, region_name="us-east-1")
    system = SystemMessage("You answer questions about the Orbit Notes product handbook. " * 120)
    first = chat.invoke([system, HumanMessage("What is Orbit Notes?")], cache_control={"type": "ephemeral"})
    second = chat.invoke([system, HumanMessage("What is Orbit Notes?")], cache_control={"type": "ephemeral"})
    assert first.usage_metadata is not None
    assert second.usage_metadata is not None
    assert first.usage_metadata["input_token_details"]["cache_creation"] > 1000
    assert second.usage_metadata["input_token_details"]["cache_read"] > 1000
    assert [r.cache_write_input_tokens > 0 for r in emulator.requests] == [True, False]


def test_chat_bedrock_citations_stream_and_invoke(emulator: BedrockEmulator):
    """A document with ``citations.enabled`` gets text blocks with Anthropic ``char_location`` citations, streamed
    as ``citations_delta`` events."""
    chat = ChatBedrock(model_id=SONNET, region_name="us-east-1")
    policy = "Company leave policy: Employees get 20 days annual leave. Consult with your manager for details."
    document = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": policy},
                "citations": {"enabled": True}}  # fmt: skip
    question = {"role": "user", "content": [document, {"type": "text", "text": "How many days of annual leave?"}]}
    full: Any = None
    for chunk in chat.stream([question]):
        full = chunk if full is None else full + chunk
    cited = [c for block in full.content for c in block.get("citations", [])]
    assert cited[0]["type"] == "char_location"
    assert "20 days annual leave" in cited[0]["cited_text"]
    assert policy[cited[0]["start_char_index"] : cited[0]["end_char_index"]] == cited[0]["cited_text"]
    reply = chat.invoke([question, full, {"role": "user", "content": "Who should they consult with?"}])
    assert any(block.get("citations") for block in reply.content)
