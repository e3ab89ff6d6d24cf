"""Fixtures for the semantic-cache tests: both caches behind one factory, prompts and answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration

from langchain_bedrock_routing.caching.semantic_base import SemanticCacheBase
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings

SemanticFactory = Callable[..., SemanticCacheBase]


def prompt(question: str, system: str | None = "You are helpful.", history: list[BaseMessage] | None = None) -> str:
    """The cache prompt LangChain builds for a chat model call: ``dumps(messages)``."""
    messages: list[BaseMessage] = [SystemMessage(system)] if system is not None else []
    return dumps([*messages, *(history or []), HumanMessage(question)])


def answer(text: str) -> list[ChatGeneration]:
    """A complete chat answer, as a model would return it."""
    message = AIMessage(
        text,
        response_metadata={"stopReason": "end_turn"},
        usage_metadata={"input_tokens": 12, "output_tokens": 5, "total_tokens": 17},
    )
    return [ChatGeneration(message=message)]


@pytest.fixture(params=["memory", "redis"])
def make_semantic(request: pytest.FixtureRequest) -> Iterator[SemanticFactory]:
    """A factory of empty semantic caches: in process, or on the session's real Redis 8."""
    made: list[RedisSemanticCache] = []

    def make(**kwargs: object) -> SemanticCacheBase:
        kwargs.setdefault("embeddings", HashingEmbeddings())
        if request.param == "memory":
            return InMemorySemanticCache(**kwargs)  # type: ignore[arg-type]
        url = request.getfixturevalue("redis_url")
        cache = RedisSemanticCache(redis_url=url, **kwargs)  # type: ignore[arg-type]
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()
