"""A vector set of another dimension in a partition is cache content, not a reason to fail requests.

Another process (or an earlier configuration) filled the partition's vector set with 8-dimensional vectors; this
cache embeds in 384 dimensions. Lookups there are counted misses, stores are counted errors, one warning names the
problem, the breaker stays closed (the server is healthy), and the request is answered, sync and async.
"""

from __future__ import annotations

import logging

import pytest
from langchain_core.globals import set_llm_cache

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.emulator import BedrockEmulator

NOVA = {"simple": ["amazon.nova-micro-v1:0"], "medium": ["amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}
QUESTION = "How many moons does Mars have?"
PARAPHRASE = "How many moons orbit Mars?"
WARNING = "holds 8-dimensional ones"


def _router(emulator: BedrockEmulator) -> RoutedChatBedrock:
    return RoutedChatBedrock(endpoint_url=emulator.endpoint_url, region_name="us-east-1", tiers=NOVA)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and WARNING in r.getMessage()]


@pytest.fixture
def narrow_set(emulator: BedrockEmulator, redis_url: str) -> None:
    """The partition of QUESTION / PARAPHRASE on the router holds an 8-dimensional vector set."""
    narrow = RedisSemanticCache(HashingEmbeddings(dimensions=8), redis_url=redis_url)
    set_llm_cache(narrow)
    _router(emulator).invoke("What is the capital of Peru?")
    narrow.close()
    emulator.clear_requests()


@pytest.mark.usefixtures("narrow_set")
def test_lookups_and_stores_in_a_set_of_another_dimension_are_counted_not_raised(
    emulator: BedrockEmulator, redis_url: str, caplog: pytest.LogCaptureFixture
):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url)
    set_llm_cache(cache)
    llm = _router(emulator)
    assert llm.invoke(QUESTION).text
    assert llm.invoke(PARAPHRASE).text
    assert llm.invoke(QUESTION).text  # its answer was SET before the VADD failed: an exact hit
    assert len(emulator.requests) == 2
    assert cache.stats.hits == 1
    assert cache.stats.error_misses == 2
    assert cache.stats.errors == 4  # two lookups and two stores met the other dimension
    assert cache.breaker.state == "closed"
    assert len(_warnings(caplog)) == 1
    cache.close()


@pytest.mark.usefixtures("narrow_set")
async def test_the_async_path_counts_them_too(
    emulator: BedrockEmulator, redis_url: str, caplog: pytest.LogCaptureFixture
):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url)
    set_llm_cache(cache)
    llm = _router(emulator)
    assert (await llm.ainvoke(QUESTION)).text
    assert (await llm.ainvoke(PARAPHRASE)).text
    assert len(emulator.requests) == 2
    assert cache.stats.error_misses == 2
    assert cache.breaker.state == "closed"
    assert len(_warnings(caplog)) == 1
    await cache.aclose()


class _Resizable(HashingEmbeddings):
    """Hashing embeddings whose dimension the test changes, as a reconfigured embeddings model's."""


def test_the_in_process_cache_counts_a_partition_of_another_dimension(
    emulator: BedrockEmulator, caplog: pytest.LogCaptureFixture
):
    embeddings = _Resizable(dimensions=8)
    cache = InMemorySemanticCache(embeddings)
    set_llm_cache(cache)
    llm = _router(emulator)
    llm.invoke("What is the capital of Peru?")
    embeddings.dimensions = 384
    assert llm.invoke(QUESTION).text
    assert llm.invoke(PARAPHRASE).text
    assert len(emulator.requests) == 3
    assert cache.stats.error_misses == 2
    assert cache.breaker.state == "closed"
    assert len(_warnings(caplog)) == 1
