"""langchain-tests' standard VectorStore suite against RedisVectorSetStore on a real redis-server 8."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from langchain_bedrock_routing.vectorstore import RedisVectorSetStore


class TestRedisVectorSetStoreStandard(VectorStoreIntegrationTests):
    """Every feature flag on (sync, async through the executor fallback, get_by_ids)."""

    @pytest.fixture
    def vectorstore(self, redis_url: str) -> Iterator[RedisVectorSetStore]:  # type: ignore[override]
        store = RedisVectorSetStore(self.get_embeddings(), redis_url=redis_url, index_name="std:docs")
        yield store
        store.clear()
        store.close()
