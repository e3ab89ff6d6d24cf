"""Fixtures for the cache-warming tests: no global cache leaks between tests, JSONL files, closed Redis caches."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_bedrock_routing.caching import RedisCache, RedisSemanticCache

WriteJsonl = Callable[[list[Any]], Path]


@pytest.fixture
def write_jsonl(tmp_path: Path) -> WriteJsonl:
    """Writes one line per item (dicts as JSON, strings as they are) to a fresh ``.jsonl`` file."""
    counter = iter(range(1_000))

    def write(lines: list[Any]) -> Path:
        path = tmp_path / f"prompts_{next(counter)}.jsonl"
        path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
        return path

    return write


@pytest.fixture
def redis_caches(redis_url: str) -> Iterator[Callable[..., RedisCache | RedisSemanticCache]]:
    """A factory of Redis caches on the session's empty redis-server (``semantic=True`` for the semantic one)."""
    made: list[RedisCache | RedisSemanticCache] = []

    def make(*, semantic: bool = False, **kwargs: Any) -> RedisCache | RedisSemanticCache:
        from langchain_bedrock_routing.embeddings import HashingEmbeddings

        cache: RedisCache | RedisSemanticCache = (
            RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, **kwargs)
            if semantic
            else RedisCache(redis_url=redis_url, **kwargs)
        )
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()
