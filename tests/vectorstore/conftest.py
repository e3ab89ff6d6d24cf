"""Fixtures for the vector-store tests: embeddings with chosen vectors, a store on the session redis-server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest
from langchain_core.embeddings import Embeddings

from langchain_bedrock_routing.vectorstore import RedisVectorSetStore


class AxisEmbeddings(Embeddings):
    """Texts named after a vector: ``"x"`` -> [1, 0, 0], ``"y"`` -> [0, 1, 0], ``"-x"`` -> [-1, 0, 0] ..."""

    AXES: ClassVar[dict[str, list[float]]] = {
        "x": [1.0, 0.0, 0.0],
        "y": [0.0, 1.0, 0.0],
        "z": [0.0, 0.0, 1.0],
        "xy": [1.0, 1.0, 0.0],
    }

    def _vector(self, text: str) -> list[float]:
        sign = -1.0 if text.startswith("-") else 1.0
        return [sign * v for v in self.AXES[text.lstrip("-")]]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


StoreFactory = Callable[..., RedisVectorSetStore]


@pytest.fixture
def make_store(redis_url: str) -> Iterator[StoreFactory]:
    """Makes stores on the empty session redis-server (AxisEmbeddings unless ``embedding=`` is given)."""
    made: list[RedisVectorSetStore] = []

    def make(**kwargs: object) -> RedisVectorSetStore:
        embedding = kwargs.pop("embedding", AxisEmbeddings())
        store = RedisVectorSetStore(embedding, redis_url=redis_url, **kwargs)  # type: ignore[arg-type]
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()
