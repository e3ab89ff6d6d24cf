"""Pick a cache backend: Redis when a URL is given or ``$REDIS_URL`` is set, in-process otherwise.

Each cache kind maps to a (Redis class, in-process class) pair with the same semantics; adding a
kind is one entry in ``_BACKENDS``. Options valid for both go in ``**options``; Redis-only ones
(``namespace``, ``compress``, ``encrypt``, ``cluster`` ...) in ``redis_options``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from langchain_bedrock_routing.caching.base import CacheBase, validate_ttl
from langchain_bedrock_routing.caching.memory import InMemoryExactCache
from langchain_bedrock_routing.caching.redis_cache import RedisCache
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache

REDIS_URL_ENV = "REDIS_URL"
TTL_ENV = "LBR_CACHE_TTL_S"
NAMESPACE_ENV = "LBR_CACHE_NAMESPACE"

_BACKENDS: dict[str, tuple[Callable[..., CacheBase], Callable[..., CacheBase]]] = {
    "exact": (RedisCache, InMemoryExactCache),
    "semantic": (RedisSemanticCache, InMemorySemanticCache),
}


def make_cache(
    kind: str = "exact",
    *,
    redis_url: str | None = None,
    redis_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> CacheBase:
    """A cache of ``kind`` (``"exact"``): on Redis at ``redis_url`` or ``$REDIS_URL``, else in process.

    ``options`` (``ttl``, ``tenant``, ``policy`` ...) go to either backend; ``redis_options`` only to Redis.
    """
    if kind not in _BACKENDS:
        raise ValueError(f"unknown cache kind {kind!r}; choose one of {', '.join(sorted(_BACKENDS))}")
    redis_cls, memory_cls = _BACKENDS[kind]
    url = redis_url or os.environ.get(REDIS_URL_ENV) or None
    if url is None:
        return memory_cls(**options)
    return redis_cls(redis_url=url, **options, **(redis_options or {}))


def default_cache(kind: str = "exact") -> CacheBase:
    """The zero-configuration cache, from the environment: ``$REDIS_URL`` (else in process),
    ``$LBR_CACHE_TTL_S`` (seconds, default none) and ``$LBR_CACHE_NAMESPACE`` (Redis, default ``lbr``)."""
    ttl_text = os.environ.get(TTL_ENV)
    try:
        ttl = validate_ttl(float(ttl_text)) if ttl_text else None
    except ValueError as exc:
        raise ValueError(f"${TTL_ENV} must be a positive number of seconds, got {ttl_text!r}") from exc
    namespace = os.environ.get(NAMESPACE_ENV)
    return make_cache(kind, ttl=ttl, redis_options={"namespace": namespace} if namespace else None)
