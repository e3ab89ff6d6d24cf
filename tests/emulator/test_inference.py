"""Inference parameters, deterministic replies and usage figures from the token estimator."""

from __future__ import annotations

import boto3

from langchain_bedrock_routing.catalog import estimate_tokens
from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import user

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
PROMPT = "Explain how vaccines train the immune system?"


def _text(reply: dict) -> str:
    return reply["output"]["message"]["content"][0]["text"]


def test_max_tokens_truncates_with_stop_reason_max_tokens(emulator: BedrockEmulator, runtime):
    full = runtime.converse(modelId=HAIKU, messages=user(PROMPT))
    cut = runtime.converse(modelId=HAIKU, messages=user(PROMPT), inferenceConfig={"maxTokens": 5})
    assert full["stopReason"] == "end_turn"
    assert cut["stopReason"] == "max_tokens"
    assert _text(full).startswith(_text(cut))
    assert 0 < cut["usage"]["outputTokens"] <= 5


def test_stop_sequence_cuts_before_it(emulator: BedrockEmulator, runtime):
    full = _text(runtime.converse(modelId=HAIKU, messages=user(PROMPT)))
    stop = full.split()[3]
    reply = runtime.converse(modelId=HAIKU, messages=user(PROMPT), inferenceConfig={"stopSequences": [stop]})
    assert reply["stopReason"] == "stop_sequence"
    assert _text(reply) == full[: full.index(stop)]


def test_usage_comes_from_the_token_estimator(emulator: BedrockEmulator, runtime):
    reply = runtime.converse(modelId=HAIKU, messages=user(PROMPT), system=[{"text": "Be concise."}])
    usage = reply["usage"]
    assert usage["outputTokens"] == estimate_tokens(_text(reply))
    assert usage["inputTokens"] == estimate_tokens(PROMPT) + estimate_tokens("Be concise.") + 2 * 3
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert reply["metrics"]["latencyMs"] > 0


def test_same_request_and_seed_give_the_same_reply_and_seeds_vary_it():
    prompts = [f"Tell me about topic number {i} in gardening" for i in range(8)]
    replies = {}
    for seed in (0, 0, 1):
        with BedrockEmulator(seed=seed) as emu:
            client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=emu.endpoint_url)
            replies.setdefault(seed, []).append(
                [
                    _text(client.converse(modelId=HAIKU, messages=user(p), inferenceConfig={"temperature": 0.7}))
                    for p in prompts
                ]
            )
    assert replies[0][0] == replies[0][1]
    assert replies[0][0] != replies[1][0]


def test_temperature_zero_ignores_the_seed():
    answers = []
    for seed in (0, 1):
        with BedrockEmulator(seed=seed) as emu:
            client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=emu.endpoint_url)
            answers.append(
                [
                    _text(
                        client.converse(
                            modelId=HAIKU,
                            messages=user(f"Describe sailing lesson {i}"),
                            inferenceConfig={"temperature": 0},
                        )
                    )
                    for i in range(6)
                ]
            )
    assert answers[0] == answers[1]


def test_documents_are_context_for_extractive_answers(emulator: BedrockEmulator, runtime):
    doc = b"The Falcon 9 rocket has two stages. Its first stage lands on a drone ship. It burns RP-1 and liquid oxygen."
    content = [
        {"document": {"format": "txt", "name": "falcon", "source": {"bytes": doc}}},
        {"text": "What does the first stage land on?"},
    ]
    reply = runtime.converse(modelId=HAIKU, messages=[{"role": "user", "content": content}])
    assert _text(reply) == "Its first stage lands on a drone ship."


def test_name_fields_prefer_quoted_values_over_sentence_initial_words(emulator):
    from langchain_aws import ChatBedrockConverse
    from pydantic import BaseModel

    class Customer(BaseModel):
        customer_name: str

    model = ChatBedrockConverse(model="amazon.nova-lite-v1:0", region_name="us-east-1")
    result = model.with_structured_output(Customer).invoke("Create a customer named '你好啊集团'.")
    assert isinstance(result, Customer)
    assert result.customer_name == "你好啊集团"
