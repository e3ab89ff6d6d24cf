"""langchain-tests' standard cache suites for both semantic caches, the Redis one on a real Redis 8."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from langchain_tests.integration_tests.cache import AsyncCacheTestSuite, SyncCacheTestSuite

from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings


class TestRedisSemanticCacheSync(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self, redis_url: str) -> Iterator[RedisSemanticCache]:
        cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, ttl=60)
        yield cache
        cache.close()


class TestRedisSemanticCacheAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self, redis_url: str) -> AsyncIterator[RedisSemanticCache]:
        cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, ttl=60)
        yield cache
        await cache.aclose()
        cache.close()


class TestInMemorySemanticCacheSync(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self) -> InMemorySemanticCache:
        return InMemorySemanticCache(HashingEmbeddings(), ttl=60)


class TestInMemorySemanticCacheAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self) -> InMemorySemanticCache:
        return InMemorySemanticCache(HashingEmbeddings(), ttl=60)
