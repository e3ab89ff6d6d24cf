"""The demo's response caches: Redis when ``$REDIS_URL`` is set (a private namespace, cleared after), else in process.

The semantic caches embed with the offline :class:`HashingEmbeddings` in every mode, so cache lookups
never cost a Bedrock call.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from langchain_bedrock_routing.caching import CacheBase, InMemoryExactCache, RedisCache
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings

CacheKind = Literal["exact", "semantic"]
REDIS_URL_ENV = "REDIS_URL"


def cache_backend_label() -> str:
    """Where the demo's response caches live, for the output."""
    url = os.environ.get(REDIS_URL_ENV)
    return f"Redis at {url}" if url else "in process (set REDIS_URL to use Redis)"


def _new_cache(kind: CacheKind, namespace: str) -> CacheBase:
    url = os.environ.get(REDIS_URL_ENV)
    if kind == "exact":
        return RedisCache(url, namespace=namespace) if url else InMemoryExactCache()
    if url:
        return RedisSemanticCache(HashingEmbeddings(), redis_url=url, namespace=namespace)
    return InMemorySemanticCache(HashingEmbeddings())


@contextmanager
def response_cache(kind: CacheKind) -> Iterator[CacheBase]:
    """A fresh, empty cache of ``kind`` for one demo step; on Redis its namespace is removed afterwards."""
    cache = _new_cache(kind, f"lbr-demo-{uuid.uuid4().hex[:12]}")
    try:
        yield cache
    finally:
        if isinstance(cache, RedisCache | RedisSemanticCache):
            cache.clear()
