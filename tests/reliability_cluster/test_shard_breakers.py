"""One circuit breaker per Redis Cluster primary: a dead primary's keys are short-circuited misses, the other
primaries' keys keep hitting (sync and async, exact and semantic caches).

3 primaries, no replicas, and a ``cluster-node-timeout`` long enough that the cluster does not declare
itself failed during the test (it would then refuse every key, which is a different situation).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.caching.breaker import CircuitBreaker
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.testing.redis_cluster import RedisClusterServers

LLM = "shard-breaker-llm-string"
ENTRIES = 60


def _answer(text: str) -> list[Generation]:
    return [ChatGeneration(message=AIMessage(text))]


def _prompt(i: int) -> str:
    return dumps([SystemMessage(f"Answer from document {i} only."), HumanMessage(f"What is in box {i}?")])


@pytest.fixture
def cluster() -> Iterator[RedisClusterServers]:
    with RedisClusterServers(primaries=3, node_timeout_ms=60_000) as servers:
        yield servers


def _split_by_victim(cluster: RedisClusterServers, shard_of: dict[int, str | None]) -> tuple[list[int], list[int]]:
    victim = cluster.primaries[1]
    dead = [i for i, shard in shard_of.items() if shard == f"{victim.host}:{victim.port}"]
    alive = [i for i, shard in shard_of.items() if shard is not None and i not in dead]
    assert dead, "some entries should live on the victim"
    assert alive, "some entries should live on the other primaries"
    return dead, alive


@pytest.mark.parametrize("kind", ["exact", "semantic"])
async def test_a_dead_primary_opens_only_its_own_breaker(cluster: RedisClusterServers, kind: str):
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=60)
    cache: RedisCache | RedisSemanticCache = (
        RedisCache(cluster.url, cluster=True, namespace=f"sb-{kind}", breaker=breaker)
        if kind == "exact"
        else RedisSemanticCache(
            HashingEmbeddings(), redis_url=cluster.url, cluster=True, namespace=f"sb-{kind}", breaker=breaker
        )
    )
    for i in range(ENTRIES):
        cache.update(_prompt(i), LLM, _answer(f"box {i}"))
    assert all(cache.lookup(_prompt(i), LLM) is not None for i in range(ENTRIES))
    shard_of = {
        i: (
            cache.connection.shard_of(cache._key(_prompt(i), LLM, ""))
            if isinstance(cache, RedisCache)
            else cache._shard(cache.locate(_prompt(i), LLM, ""))
        )
        for i in range(ENTRIES)
    }
    dead, alive = _split_by_victim(cluster, shard_of)
    assert await cache.alookup(_prompt(alive[0]), LLM) is not None  # a running app's async client knows the map
    cluster.primaries[1].kill()
    try:
        assert [cache.lookup(_prompt(i), LLM) for i in dead[:3]] == [None] * 3
        errors = cache.stats.errors
        assert errors >= 2
        assert cache.lookup(_prompt(dead[0]), LLM) is None
        assert cache.stats.short_circuited >= 1  # the dead shard's breaker is open: no more timeouts paid there
        assert cache.stats.errors == errors
        assert all(cache.lookup(_prompt(i), LLM) is not None for i in alive)  # other shards: hits, not misses
        hits = [await cache.alookup(_prompt(i), LLM) for i in alive[:5]]
        assert all(hit is not None for hit in hits)
        assert breaker.state == "closed"  # the template breaker itself never opened
    finally:
        cache.close()
