"""Bedrock prompt caching: cachePoint writes then reads, per model, minimum size and TTL."""

from __future__ import annotations

from langchain_aws import ChatBedrockConverse
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.emulator.prompt_cache import PromptCache
from langchain_bedrock_routing.emulator.request import parse_converse

from .conftest import user

SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
POLICY = "Shipping policy. " + " ".join(
    f"Items of category {i} ship within {i % 7 + 1} business days." for i in range(300)
)


def _cached_body(system: str, question: str, ttl: str | None = None) -> dict:
    point = {"type": "default", **({"ttl": ttl} if ttl else {})}
    return {"system": [{"text": system}, {"cachePoint": point}], "messages": user(question)}


def test_cache_control_writes_then_reads(emulator: BedrockEmulator):
    chat = ChatBedrockConverse(model=f"us.{SONNET}", region_name="us-east-1")
    messages = [SystemMessage(POLICY), HumanMessage("How fast does category 12 ship?")]
    first = chat.invoke(messages, cache_control={"type": "ephemeral"})
    second = chat.invoke(messages, cache_control={"type": "ephemeral"})
    assert first.text == "Items of category 12 ship within 6 business days."
    written = first.usage_metadata["input_token_details"]["cache_creation"]
    assert written > get_catalog().get(SONNET).cache_min_tokens
    assert first.usage_metadata["input_token_details"]["cache_read"] == 0
    assert second.usage_metadata["input_token_details"] == {"cache_creation": 0, "cache_read": written}
    assert first.usage_metadata["input_tokens"] == second.usage_metadata["input_tokens"]
    assert [(r.cache_write_input_tokens, r.cache_read_input_tokens) for r in emulator.requests] == [
        (written, 0),
        (0, written),
    ]
    assert emulator.requests[1].latency_ms < emulator.requests[0].latency_ms


def test_cache_is_per_model_and_not_for_models_without_caching(emulator: BedrockEmulator, runtime):
    body = _cached_body(POLICY, "Which category ships fastest?")
    usages = [
        runtime.converse(modelId=model, **body)["usage"]
        for model in (
            SONNET,
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
            SONNET,
            "anthropic.claude-3-opus-20240229-v1:0",
        )
    ]
    assert usages[0]["cacheWriteInputTokens"] > 0
    assert usages[1]["cacheWriteInputTokens"] == usages[0]["cacheWriteInputTokens"]
    assert usages[2]["cacheReadInputTokens"] == usages[0]["cacheWriteInputTokens"]
    assert "cacheWriteInputTokens" not in usages[3]  # zero cache writes are left out, as real replies do
    assert usages[3]["cacheReadInputTokens"] == 0
    assert usages[3]["inputTokens"] == usages[0]["inputTokens"] + usages[0]["cacheWriteInputTokens"]


def test_prefix_below_the_model_minimum_is_silently_not_cached(emulator: BedrockEmulator, runtime):
    body = _cached_body("Be brief.", "Hello")
    for _ in range(2):
        usage = runtime.converse(modelId=SONNET, **body)["usage"]
        assert "cacheWriteInputTokens" not in usage
        assert usage["cacheReadInputTokens"] == 0


def test_longer_prompt_reads_the_shared_prefix_and_writes_the_rest(emulator: BedrockEmulator, runtime):
    runtime.converse(modelId=SONNET, **_cached_body(POLICY, "Hi"))
    extended = _cached_body(POLICY, "Hi")
    extended["messages"] = [
        {
            "role": "user",
            "content": [{"text": POLICY}, {"cachePoint": {"type": "default"}}, {"text": "Which ships last?"}],
        }
    ]
    usage = runtime.converse(modelId=SONNET, **extended)["usage"]
    assert usage["cacheReadInputTokens"] > 0
    assert usage["cacheWriteInputTokens"] > 0


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_five_minutes_or_one_hour_when_asked():
    clock = _Clock()
    cache = PromptCache(clock)
    spec = get_catalog().get(SONNET)

    def account(ttl: str | None):
        request = parse_converse(_cached_body(POLICY + (ttl or ""), "Hi", ttl))
        return cache.account(SONNET, spec.cache_min_tokens, request.segments, request.cache_points, allow_1h=True)

    assert account(None).write > 0
    assert account("1h").write > 0
    clock.now += 299
    assert account(None).read > 0
    clock.now += 299
    assert account(None).read > 0, "a read refreshes the TTL"
    clock.now += 301
    assert account(None).write > 0, "expired after 5 minutes without reads"
    assert account("1h").read > 0, "1h entries outlive 5 minutes"
    clock.now += 3601
    assert account("1h").write > 0
