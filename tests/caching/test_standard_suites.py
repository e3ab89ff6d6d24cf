"""langchain-tests' standard cache suites for every exact cache, the Redis one on a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from langchain_tests.integration_tests.cache import AsyncCacheTestSuite, SyncCacheTestSuite

from langchain_bedrock_routing.caching import InMemoryExactCache, RedisCache


class TestRedisCacheSync(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self, redis_url: str) -> Iterator[RedisCache]:
        cache = RedisCache(redis_url, ttl=60)
        yield cache
        cache.close()


class TestRedisCacheAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self, redis_url: str) -> AsyncIterator[RedisCache]:
        cache = RedisCache(redis_url, ttl=60)
        yield cache
        await cache.aclose()


class TestRedisCacheEncryptedSync(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self, redis_url: str) -> Iterator[RedisCache]:
        cache = RedisCache(redis_url, encryption_key=b"k" * 32, namespace="enc")
        yield cache
        cache.close()


class TestInMemoryExactCacheSync(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self) -> InMemoryExactCache:
        return InMemoryExactCache(ttl=60)


class TestInMemoryExactCacheAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self) -> InMemoryExactCache:
        return InMemoryExactCache(ttl=60)
