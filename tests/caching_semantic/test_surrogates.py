"""A lone surrogate ("\\ud800", not encodable as UTF-8) in a prompt is answered, and cached, by both semantic caches.

Python strings may hold unpaired surrogates (from ``surrogateescape`` decoding, JSON ``"\\ud800"`` escapes, broken
clipboard text). Bedrock gets them JSON-escaped; the caches must neither fail the request nor mix such a prompt up
with its neighbour that differs only in the surrogate.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.caching.semantic_base import SemanticCacheBase
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import answer, prompt

NOVA = {"simple": ["amazon.nova-micro-v1:0"], "medium": ["amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}
QUESTION = "How many moons does Mars have? \ud800"


@pytest.fixture(params=["memory", "redis", "redis-encrypted"])
def cache(request: pytest.FixtureRequest) -> Iterator[SemanticCacheBase]:
    """A fresh semantic cache: in process, on the session's real Redis 8, or on Redis with encrypted entries."""
    if request.param == "memory":
        yield InMemorySemanticCache(HashingEmbeddings())
        return
    url = request.getfixturevalue("redis_url")
    key = {"encrypt": True, "encryption_key": b"k" * 32} if request.param == "redis-encrypted" else {}
    made = RedisSemanticCache(HashingEmbeddings(), redis_url=url, **key)  # type: ignore[arg-type]
    yield made
    made.close()


def _router(emulator: BedrockEmulator) -> RoutedChatBedrock:
    return RoutedChatBedrock(endpoint_url=emulator.endpoint_url, region_name="us-east-1", tiers=NOVA)


def test_a_lone_surrogate_is_answered_then_served_from_the_cache(emulator: BedrockEmulator, cache: SemanticCacheBase):
    set_llm_cache(cache)
    llm = _router(emulator)
    first = llm.invoke(QUESTION)
    second = llm.invoke(QUESTION)
    assert first.text
    assert second.text == first.text
    assert len(emulator.requests) == 1
    assert cache.stats.errors == 0
    assert cache.stats.stores == 1
    assert cache.stats.hits == 1


async def test_a_lone_surrogate_on_the_async_path(emulator: BedrockEmulator, cache: SemanticCacheBase):
    set_llm_cache(cache)
    llm = _router(emulator)
    first = await llm.ainvoke(QUESTION)
    second = await llm.ainvoke(QUESTION)
    assert first.text
    assert second.text == first.text
    assert len(emulator.requests) == 1
    assert cache.stats.errors == 0
    assert cache.stats.hits == 1


def test_a_lone_surrogate_in_the_system_prompt_names_its_own_partition(
    emulator: BedrockEmulator, cache: SemanticCacheBase
):
    set_llm_cache(cache)
    llm = _router(emulator)
    for system in ("Answer in French. \udfff", "Answer in French. \udffe", "Answer in French. \udfff"):
        assert llm.invoke([SystemMessage(system), HumanMessage("How many moons does Mars have?")]).text
    assert len(emulator.requests) == 2
    assert cache.stats.errors == 0
    assert cache.stats.hits == 1


def test_a_rephrasing_with_the_same_surrogate_is_a_semantic_hit(cache: SemanticCacheBase):
    """The stored question travels in the vector set's attributes JSON (escaped) and is judged by the guard."""
    cache.update(prompt("How many moons does Mars have? \ud800"), "llm-a", answer("two"))
    served = cache.lookup(prompt("How many moons does Mars have, please? \ud800"), "llm-a")
    assert served is not None
    assert served[0].text == "two"
    assert served[0].message.response_metadata["cache"]["kind"] == "semantic"
