"""RedisCache on a local 3-primary Redis Cluster: keys spread over slots, no CROSSSLOT, hits, clear()."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.outputs import Generation
from redis.crc import key_slot

from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.testing.redis_cluster import RedisClusterServers


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterServers]:
    with RedisClusterServers(primaries=3) as servers:
        yield servers


@pytest.fixture
def cluster_url(cluster: RedisClusterServers) -> str:
    client = cluster.client()
    client.flushall(target_nodes=client.PRIMARIES)
    client.close()
    return cluster.url


def test_entries_spread_over_slots_and_primaries(cluster: RedisClusterServers, cluster_url: str, numbered_model):
    cache = RedisCache(cluster_url, cluster=True, ttl=60)
    set_llm_cache(cache)
    model = numbered_model()
    first = [model.invoke(f"question {i}").text for i in range(40)]
    again = [model.invoke(f"question {i}") for i in range(40)]
    assert [m.text for m in again] == first
    assert all(m.response_metadata["cache"]["hit"] for m in again)
    per_node = cluster.keys_per_node()
    assert sum(len(keys) for keys in per_node) == 40
    assert all(keys for keys in per_node)  # every primary holds entries
    assert len({key_slot(k) for keys in per_node for k in keys}) == 40
    assert cache.stats.errors == 0


async def test_async_cluster_client_and_clear_on_every_primary(cluster: RedisClusterServers, cluster_url: str):
    cache = RedisCache(cluster_url, cluster=True, namespace="a")
    other = RedisCache(cluster_url, cluster=True, namespace="b")
    for i in range(1100):
        await cache.aupdate(f"p{i}", "llm", [Generation(text=f"t{i}")])
    await other.aupdate("p", "llm", [Generation(text="kept")])
    assert (await cache.alookup("p7", "llm")) == [Generation(text="t7")]
    await cache.aclear()
    assert sum(len(keys) for keys in cluster.keys_per_node()) == 1
    assert await other.alookup("p", "llm") == [Generation(text="kept")]
    assert cache.stats.errors == 0
    await cache.aclose()
    await other.aclose()


def test_given_cluster_client_and_sync_clear_on_every_primary(cluster: RedisClusterServers, cluster_url: str):
    cache = RedisCache(client=cluster.client())
    for i in range(300):
        cache.update(f"p{i}", "llm", [Generation(text="x")])
    assert all(cluster.keys_per_node())
    cache.clear()
    assert sum(len(keys) for keys in cluster.keys_per_node()) == 0
