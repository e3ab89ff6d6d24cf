"""RedisSemanticCache on a local 3-primary Redis Cluster: a partition's keys share a slot, partitions spread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis.crc import key_slot

from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.testing.redis_cluster import RedisClusterServers

from .conftest import answer, prompt


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterServers]:
    with RedisClusterServers(primaries=3) as servers:
        yield servers


def _roundtrip_documents(cache: RedisSemanticCache, count: int) -> None:
    for i in range(count):
        cache.update(prompt("How do I reverse a list in Python?", system=f"doc {i}"), "llm", answer(f"doc {i}"))
    for i in range(count):
        hit = cache.lookup(prompt("What's the way to reverse a list in Python?", system=f"doc {i}"), "llm")
        assert hit is not None
        assert hit[0].text == f"doc {i}"


def test_partitions_spread_and_each_lives_in_one_slot(cluster: RedisClusterServers):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=cluster.url, cluster=True, ttl=60, namespace="c1")
    _roundtrip_documents(cache, 12)
    per_node = cluster.keys_per_node()
    keys = [k for node in per_node for k in node if k.startswith(b"c1:")]
    assert len(keys) == 12 * 3
    assert sum(1 for node in per_node if any(k.startswith(b"c1:") for k in node)) >= 2
    slots_by_tag: dict[bytes, set[int]] = {}
    for key in keys:
        slots_by_tag.setdefault(key.split(b"}")[0], set()).add(key_slot(key))
    assert len(slots_by_tag) == 12
    assert all(len(slots) == 1 for slots in slots_by_tag.values())
    assert cache.stats.errors == 0
    assert cache._lookup.scripted  # the lookup script reads neighbours' answers in its slot: cluster accepts it
    cache.clear()
    assert not any(k.startswith(b"c1:") for node in cluster.keys_per_node() for k in node)


async def test_async_paths_on_the_cluster(cluster: RedisClusterServers):
    cache = RedisSemanticCache(
        HashingEmbeddings(), redis_url=cluster.url, cluster=True, namespace="c2", max_entries_per_partition=1
    )
    await cache.aupdate(prompt("How do I boil an egg?"), "llm", answer("first"))
    await cache.aupdate(prompt("How do I reverse a list in Python?"), "llm", answer("second"))
    assert await cache.alookup(prompt("How do I boil an egg?"), "llm") is None
    hit = await cache.alookup(prompt("What's the way to reverse a list in Python?"), "llm")
    assert hit is not None
    assert hit[0].text == "second"
    assert cache.stats.errors == 0
    assert cache._lookup.scripted
    await cache.aclear()
    await cache.aclose()
