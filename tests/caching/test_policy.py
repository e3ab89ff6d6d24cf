"""Store policy: never errors, empty or truncated answers; tool calls, PII and skip_if on request."""

from __future__ import annotations

import pytest
from langchain_aws import ChatBedrockConverse
from langchain_core.globals import set_llm_cache
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation
from langchain_core.tools import tool

from langchain_bedrock_routing.caching import CachePolicy, InMemoryExactCache
from langchain_bedrock_routing.caching.pii import contains_pii
from langchain_bedrock_routing.emulator import BedrockEmulator


def _chat(**kwargs) -> ChatBedrockConverse:
    return ChatBedrockConverse(model="amazon.nova-micro-v1:0", region_name="us-east-1", **kwargs)


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


def test_answers_cut_by_max_tokens_are_not_stored(emulator: BedrockEmulator):
    cache = InMemoryExactCache()
    set_llm_cache(cache)
    chat = _chat(max_tokens=3)
    cut = chat.invoke("Explain how photosynthesis works in plants?")
    assert cut.response_metadata["stopReason"] == "max_tokens"
    chat.invoke("Explain how photosynthesis works in plants?")
    assert len(cache) == 0
    assert cache.stats.skipped == {"truncated": 2}
    assert len(emulator.requests) == 2


def test_tool_call_answers_are_stored_only_when_asked(emulator: BedrockEmulator):
    for cache_tool_calls, stored in ((False, 0), (True, 1)):
        cache = InMemoryExactCache(policy=CachePolicy(cache_tool_calls=cache_tool_calls))
        set_llm_cache(cache)
        reply = _chat().bind_tools([get_weather]).invoke("What's the weather in Paris?")
        assert reply.tool_calls
        assert len(cache) == stored


def test_pii_check_skips_storing_when_on(emulator: BedrockEmulator):
    cache = InMemoryExactCache(policy=CachePolicy(skip_pii=True))
    set_llm_cache(cache)
    _chat().invoke("My email is jane.doe@example.com, when does my order arrive?")
    _chat().invoke("Hello there")
    assert len(cache) == 1
    assert cache.stats.skipped == {"pii": 1}


def test_skip_if_gets_the_prompt_and_the_answer():
    seen = []

    def skip(prompt: str, generations) -> bool:
        seen.append((prompt, [g.text for g in generations]))
        return "internal" in prompt

    cache = InMemoryExactCache(policy=CachePolicy(skip_if=skip))
    cache.update("internal roadmap", "llm", [Generation(text="secret plans")])
    cache.update("public faq", "llm", [Generation(text="open answer")])
    assert seen == [("internal roadmap", ["secret plans"]), ("public faq", ["open answer"])]
    assert len(cache) == 1
    assert cache.stats.skipped == {"skip_if": 1}


@pytest.mark.parametrize(
    ("generations", "reason"),
    [
        ([], "empty"),
        ([Generation(text="")], "empty"),
        ([ChatGeneration(message=AIMessage("  \n"))], "empty"),
        ([Generation(text="partial", generation_info={"error": "ThrottlingException"})], "error"),
        ([ChatGeneration(message=AIMessage("x", response_metadata={"stop_reason": "max_tokens"}))], "truncated"),
        ([ChatGeneration(message=AIMessage("x", response_metadata={"finish_reason": "length"}))], "truncated"),
        ([ChatGeneration(message=AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "1"}]))], "tool_calls"),
        ([ChatGeneration(message=AIMessage("fine", response_metadata={"stopReason": "end_turn"}))], None),
    ],
)
def test_skip_reasons(generations, reason):
    assert CachePolicy().skip_reason("prompt", generations) == reason


@pytest.mark.parametrize(
    "text",
    [
        "write to bob.smith@example.co.uk",
        "call +1 415 555 2671",
        "call (415) 555-2671",
        "ring 020 7946 0958",
        "card 4111 1111 1111 1111",
        "card 5500-0000-0000-0004",
        "SSN 123-45-6789",
        "NI number AB 12 34 56 C",
    ],
)
def test_pii_is_found(text):
    assert contains_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # fails Luhn
        "on 2024-01-15 at 10:30",
        "version 1.2.3, order 12345",
        "between 100 200 300 units",
        "pi is 3.14159265358979",
        "SSN-like 000-12-3456",
        "ip 192.168.1.1",
    ],
)
def test_ordinary_text_is_not_pii(text):
    assert not contains_pii(text)


def test_pii_inside_a_serialized_prompt_is_found_after_unescaping():
    from langchain_core.load import dumps
    from langchain_core.messages import HumanMessage

    prompt = dumps([HumanMessage("line one\n415-555-2671")])
    assert CachePolicy(skip_pii=True).skip_reason(prompt, [Generation(text="ok")]) == "pii"
