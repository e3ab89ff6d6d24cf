"""InvokeModel and InvokeModelWithResponseStream with each chat family's native body, through real langchain-aws
(``ChatBedrock`` / ``BedrockLLM``, which read these bodies with ``LLMInputOutputAdapter``) and raw boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from langchain_aws import BedrockLLM, ChatBedrock
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.emulator.native.prompt import prompt_turns

LLAMA = "us.meta.llama3-3-70b-instruct-v1:0"
MISTRAL = "mistral.mistral-large-3-675b-instruct"
DEEPSEEK = "us.deepseek.r1-v1:0"
GPT_OSS = "openai.gpt-oss-120b-1:0"
QWEN = "qwen.qwen3-32b-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
METRICS = "amazon-bedrock-invocationMetrics"
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def _invoke(runtime: Any, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return json.loads(runtime.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read())


def _chunks(runtime: Any, model_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    stream = runtime.invoke_model_with_response_stream(modelId=model_id, body=json.dumps(body))["body"]
    return [json.loads(event["chunk"]["bytes"]) for event in stream]


@pytest.mark.parametrize(
    ("provider", "model_id"),
    [("meta", LLAMA), ("mistral", MISTRAL), ("deepseek", DEEPSEEK), ("openai", GPT_OSS), ("qwen", QWEN)],
)
def test_chat_bedrock_invokes_and_streams_each_family(emulator: BedrockEmulator, provider: str, model_id: str):
    chat = ChatBedrock(model_id=model_id, provider=provider, **emulator.client_kwargs())
    ai = chat.invoke([SystemMessage("Be brief."), HumanMessage("What is 2 + 3?")])
    assert ai.content == "2 + 3 = 5."
    assert ai.usage_metadata is not None
    assert ai.usage_metadata["output_tokens"] > 0
    assert "".join(str(chunk.content) for chunk in chat.stream("Hello")) == "Hello! How can I help you today?"
    served = [(r.operation, r.invoked_model_id, r.billed) for r in emulator.requests]
    base = model_id.removeprefix("us.")
    assert served == [("InvokeModel", base, True), ("InvokeModelWithResponseStream", base, True)]


@pytest.mark.parametrize(("provider", "model_id"), [("meta", LLAMA), ("mistral", MISTRAL), ("deepseek", DEEPSEEK)])
def test_bedrock_llm_reads_prompt_families(emulator: BedrockEmulator, provider: str, model_id: str):
    llm = BedrockLLM(model_id=model_id, provider=provider, **emulator.client_kwargs())
    assert llm.invoke("What is 2 + 3?") == "2 + 3 = 5."
    assert "".join(llm.stream("Hello")) == "Hello! How can I help you today?"


def test_llama_body_and_chunks(emulator: BedrockEmulator, runtime: Any):
    prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2 + 3?<|eot_id|>"
    reply = _invoke(runtime, LLAMA, {"prompt": prompt + "<|start_header_id|>assistant<|end_header_id|>\n\n"})
    assert reply == {"generation": "2 + 3 = 5.", "prompt_token_count": reply["prompt_token_count"],
                     "generation_token_count": reply["generation_token_count"], "stop_reason": "stop"}  # fmt: skip
    assert reply["prompt_token_count"] > 0
    assert reply["generation_token_count"] > 0
    long = _invoke(runtime, LLAMA, {"prompt": "Explain how photosynthesis works in detail.", "max_gen_len": 3})
    assert long["stop_reason"] == "length"
    chunks = _chunks(runtime, LLAMA, {"prompt": prompt, "max_gen_len": 100})
    assert "".join(c["generation"] for c in chunks) == "2 + 3 = 5."
    assert [c["stop_reason"] for c in chunks][-2:] == [None, "stop"]
    assert chunks[0]["prompt_token_count"] > 0
    assert chunks[-1][METRICS]["outputTokenCount"] > 0


def test_mistral_text_and_chat_bodies(emulator: BedrockEmulator, runtime: Any):
    text = _invoke(runtime, MISTRAL, {"prompt": "<s>[INST] What is 2 + 3? [/INST]", "max_tokens": 50})
    assert text == {"outputs": [{"text": "2 + 3 = 5.", "stop_reason": "stop"}]}
    chat = _invoke(runtime, MISTRAL, {"messages": [{"role": "user", "content": "What is 2 + 3?"}]})
    assert chat["choices"][0]["message"] == {"role": "assistant", "content": "2 + 3 = 5."}
    assert chat["choices"][0]["stop_reason"] == "stop"
    chunks = _chunks(runtime, MISTRAL, {"prompt": "[INST] Hello [/INST]"})
    assert "".join(c["outputs"][0]["text"] for c in chunks) == "Hello! How can I help you today?"
    assert chunks[-1]["outputs"][0]["stop_reason"] == "stop"
    assert METRICS in chunks[-1]


def test_deepseek_prompt_body(emulator: BedrockEmulator, runtime: Any):
    reply = _invoke(runtime, DEEPSEEK, {"prompt": "<|begin_of_sentence|><|User|>What is 2 + 3?<|Assistant|>"})
    assert reply == {"choices": [{"text": "2 + 3 = 5.", "stop_reason": "stop"}]}


def test_openai_chat_completions_with_a_tool_round_trip(emulator: BedrockEmulator, runtime: Any):
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                                               "parameters": WEATHER_SCHEMA}}]  # fmt: skip
    ask = [{"role": "developer", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris?"}]
    first = _invoke(runtime, GPT_OSS, {"messages": ask, "tools": tools, "tool_choice": "required"})
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert first["object"] == "chat.completion"
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert first["usage"]["prompt_tokens"] > 0
    assert first["usage"]["completion_tokens"] > 0
    answered = [*ask, choice["message"], {"role": "tool", "tool_call_id": call["id"], "content": "18 C and rainy"}]
    second = _invoke(runtime, GPT_OSS, {"messages": answered, "tools": tools, "max_completion_tokens": 200})
    assert second["choices"][0]["finish_reason"] == "stop"
    assert "18 C and rainy" in second["choices"][0]["message"]["content"]
    chunks = _chunks(runtime, GPT_OSS, {"messages": [{"role": "user", "content": "Hello"}]})
    assert chunks[0]["object"] == "chat.completion.chunk"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Hello! How can I help you today?"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert METRICS in chunks[-1]


def test_nova_messages_v1_body_tools_and_chunks(emulator: BedrockEmulator, runtime: Any):
    body = {
        "schemaVersion": "messages-v1",
        "system": [{"text": "Be brief."}],
        "messages": [{"role": "user", "content": [{"text": "What is 2 + 3?"}]}],
        "inferenceConfig": {"max_new_tokens": 100, "temperature": 0.2, "top_p": 0.9},
    }
    reply = _invoke(runtime, NOVA, body)
    assert reply["output"]["message"] == {"role": "assistant", "content": [{"text": "2 + 3 = 5."}]}
    assert reply["stopReason"] == "end_turn"
    assert set(reply["usage"]) == {"inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokenCount",
                                   "cacheWriteInputTokenCount"}  # fmt: skip
    tool = {"toolSpec": {"name": "get_weather", "description": "Weather", "inputSchema": {"json": WEATHER_SCHEMA}}}
    asked = {**body, "messages": [{"role": "user", "content": [{"text": "Weather in Paris?"}]}],
             "toolConfig": {"tools": [tool], "toolChoice": {"any": {}}}}  # fmt: skip
    called = _invoke(runtime, NOVA, asked)
    assert called["stopReason"] == "tool_use"
    assert called["output"]["message"]["content"][0]["toolUse"]["input"] == {"city": "Paris"}
    chunks = _chunks(runtime, NOVA, body)
    assert next(iter(chunks[0])) == "messageStart"
    deltas = [c["contentBlockDelta"]["delta"]["text"] for c in chunks if "contentBlockDelta" in c]
    assert "".join(deltas) == "2 + 3 = 5."
    assert chunks[-2] == {"messageStop": {"stopReason": "end_turn"}}
    assert chunks[-1]["metadata"]["usage"] == reply["usage"]
    assert METRICS in chunks[-1]


@pytest.mark.parametrize(
    ("model_id", "body", "needle"),
    [
        ("google.gemma-3-4b-it", {"prompt": "hi"}, "use Converse"),
        (GPT_OSS, {"prompt": "hi"}, "not a OpenAI chat completions request body"),
        (LLAMA, {"messages": [{"role": "user", "content": "hi"}]}, "not a Meta Llama request body"),
        (NOVA, {"inputText": "hi"}, "not a Amazon Nova"),
        (LLAMA, {"max_gen_len": 5}, "required key [prompt]"),
    ],
)
def test_wrong_native_bodies_are_validation_errors(runtime: Any, model_id: str, body: dict[str, Any], needle: str):
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=model_id, body=json.dumps(body))
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert needle in info.value.response["Error"]["Message"]


def test_chat_templates_are_read_back_into_turns():
    llama3 = ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>Be brief.<|eot_id|>\n"
              "<|start_header_id|>user<|end_header_id|>Hi<|eot_id|>\n<|start_header_id|>assistant<|end_header_id|>"
              "Hello!<|eot_id|>\n<|start_header_id|>user<|end_header_id|>2 + 3?<|eot_id|>")  # fmt: skip
    assert prompt_turns(llama3) == (["Be brief."], [("user", "Hi"), ("assistant", "Hello!"), ("user", "2 + 3?")])
    inst = "<<SYS>> Be brief. <</SYS>>\n[INST] Hi [/INST]\nHello!\n[INST] 2 + 3? [/INST]"
    assert prompt_turns(inst) == (["Be brief."], [("user", "Hi"), ("assistant", "Hello!"), ("user", "2 + 3?")])
    deepseek = "\n<|begin_of_sentence|><|System|>Be brief.<|User|>Hi<|Assistant|>\n\n"
    assert prompt_turns(deepseek) == (["Be brief."], [("user", "Hi")])
    assert prompt_turns("\n\nHuman: Hi\n\nAssistant:") == ([], [("user", "Hi")])
    assert prompt_turns("plain question?") == ([], [("user", "plain question?")])


def test_cohere_command_r_body_tools_and_stream(emulator: BedrockEmulator, runtime: Any):
    model = "cohere.command-r-plus-v1:0"
    history = [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello!"}]
    reply = _invoke(runtime, model, {"message": "What is 2 + 3?", "chat_history": history, "preamble": "Be brief."})
    assert reply["text"] == "2 + 3 = 5."
    assert reply["finish_reason"] == "COMPLETE"
    assert {"response_id", "generation_id", "chat_history", "meta"} <= set(reply)
    assert reply["meta"]["billed_units"]["output_tokens"] > 0
    tool = {"name": "get_weather", "description": "Weather of a city",
            "parameter_definitions": {"city": {"description": "City", "type": "str", "required": True}}}  # fmt: skip
    called = _invoke(runtime, model, {"message": "What's the weather tool say for Paris?", "tools": [tool]})
    assert called["tool_calls"] == [{"name": "get_weather", "parameters": {"city": "Paris"}}]
    results = [{"call": called["tool_calls"][0], "outputs": [{"text": "18 C and rainy"}]}]
    answered = _invoke(runtime, model, {"message": "What's the weather in Paris?", "tools": [tool],
                                         "tool_results": results})  # fmt: skip
    assert "18 C and rainy" in answered["text"]
    assert "tool_calls" not in answered
    events = _chunks(runtime, model, {"message": "Hello"})
    assert [e["event_type"] for e in events][:2] == ["stream-start", "text-generation"]
    assert "".join(e.get("text", "") for e in events if e["event_type"] == "text-generation") == (
        "Hello! How can I help you today?"
    )
    assert events[-1]["is_finished"]
    assert events[-1]["response"]["text"] == "Hello! How can I help you today?"
    assert METRICS in events[-1]
