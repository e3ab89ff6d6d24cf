"""In-process semantic cache: the same semantics as ``RedisSemanticCache``, with numpy cosine in memory.

Per partition (llm_string, system prompt, earlier turns, tools, tenant) an insertion-ordered map
of entries; exact match on the last human turn first, then the nearest neighbours by cosine,
mapped to the vector-set scale ``(1 + cos) / 2`` and checked against the threshold and the guard.
Entries are copies of what was stored and each hit a copy of its entry, sharing nothing mutable (see
:func:`.copies.owned`). Thread-safe; nothing leaves the process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

import numpy as np
from langchain_core.caches import RETURN_VAL_TYPE
from langchain_core.embeddings import Embeddings
from langchain_core.outputs import Generation

from langchain_bedrock_routing.caching.breaker import CircuitBreaker
from langchain_bedrock_routing.caching.coalesce import DEFAULT_COALESCE_WAIT_S
from langchain_bedrock_routing.caching.copies import owned
from langchain_bedrock_routing.caching.envelope import CachedEntry
from langchain_bedrock_routing.caching.guard import Guard
from langchain_bedrock_routing.caching.policy import CachePolicy
from langchain_bedrock_routing.caching.semantic_base import (
    DEFAULT_SIMILARITY_THRESHOLD,
    FAILED,
    Located,
    SemanticCacheBase,
    cosine_to_score,
)
from langchain_bedrock_routing.errors import VectorDimensionError


@dataclass(frozen=True)
class _Item:
    question: str | None
    vector: np.ndarray[Any, np.dtype[np.float64]] | None
    generations: list[Generation]
    created_at: float
    expires_at: float | None


_Hit = tuple[float | None, _Item]
"""(similarity on the vector-set scale, or ``None`` for an exact match of the question; the entry)."""


def _unit(vector: Sequence[float]) -> np.ndarray[Any, np.dtype[np.float64]]:
    array = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0.0 else array


def _check_dimension(items: Sequence[_Item], vector: np.ndarray[Any, np.dtype[np.float64]]) -> None:
    """Raise :class:`VectorDimensionError` when ``vector`` differs in dimension from the partition's vectors."""
    held = next((len(item.vector) for item in items if item.vector is not None), len(vector))
    if held != len(vector):
        raise VectorDimensionError(
            f"the embeddings give {len(vector)}-dimensional vectors but this partition of the in-process cache "
            f"holds {held}-dimensional ones: use the same embeddings model as when it was filled, or clear() the cache"
        )


class InMemorySemanticCache(SemanticCacheBase):
    """A LangChain ``BaseCache`` that serves paraphrases of earlier questions, in process.

    ``similarity_threshold`` is on the vector-set scale ``(1 + cosine) / 2`` in [0, 1]; ``ttl`` in
    seconds (``None``: entries never expire); ``max_entries_per_partition`` evicts the oldest.
    """

    def __init__(
        self,
        embeddings: Embeddings,
        *,
        similarity_threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
        ttl: float | None = None,
        max_entries_per_partition: int | None = None,
        tenant: str | None = None,
        guard: bool | Guard = True,
        policy: CachePolicy | None = None,
        breaker: CircuitBreaker | None = None,
        coalesce: bool = False,
        coalesce_wait_s: float = DEFAULT_COALESCE_WAIT_S,
    ) -> None:
        super().__init__(
            embeddings,
            similarity_threshold=similarity_threshold,
            ttl=ttl,
            max_entries_per_partition=max_entries_per_partition,
            tenant=tenant,
            guard=guard,
            policy=policy,
            breaker=breaker,
            coalesce=coalesce,
            coalesce_wait_s=coalesce_wait_s,
        )
        self._partitions: dict[str, OrderedDict[str, _Item]] = {}
        self._lock = Lock()

    # -- storage ---------------------------------------------------------------------------------

    def _live(self, partition: str, now: float) -> OrderedDict[str, _Item] | None:
        """The partition's entries with the expired ones dropped (call with the lock held)."""
        entries = self._partitions.get(partition)
        if entries is None:
            return None
        for key in [k for k, item in entries.items() if item.expires_at is not None and item.expires_at <= now]:
            del entries[key]
        if not entries:
            del self._partitions[partition]
            return None
        return entries

    def _exact(self, loc: Located) -> _Hit | None:
        with self._lock:
            entries = self._live(loc.partition, time.monotonic())
            item = entries.get(loc.entry) if entries is not None else None
        return (None, item) if item is not None else None

    def _similar(self, loc: Located, vector: Sequence[float]) -> _Hit | None:
        query = _unit(vector)
        with self._lock:
            entries = self._live(loc.partition, time.monotonic())
            items = [item for item in (entries or {}).values() if item.vector is not None]
        if not items or loc.text is None:
            return None
        _check_dimension(items, query)
        scores = np.stack([item.vector for item in items if item.vector is not None]) @ query
        best = np.argsort(-scores)[: self.candidates]
        return self.pick(
            loc.text, [(cosine_to_score(float(scores[i])), items[i].question or "", items[i]) for i in best]
        )

    def _store(self, loc: Located, vector: Sequence[float] | None, generations: RETURN_VAL_TYPE) -> None:
        now = time.monotonic()
        item = _Item(
            question=loc.text,
            vector=_unit(vector) if vector is not None else None,
            generations=owned(list(generations)),
            created_at=time.time(),
            expires_at=now + self.ttl if self.ttl is not None else None,
        )
        with self._lock:
            entries = self._live(loc.partition, now)
            if entries is None:
                entries = self._partitions[loc.partition] = OrderedDict()
            if item.vector is not None:
                _check_dimension(list(entries.values()), item.vector)
            entries.pop(loc.entry, None)
            entries[loc.entry] = item
            while self.max_entries_per_partition is not None and len(entries) > self.max_entries_per_partition:
                entries.popitem(last=False)
        self.stats.add("stores")

    def _serve(self, hit: _Hit | None, prompt: str) -> list[Generation] | None:
        """Count and mark ``hit``; the generations served are a copy of the entry's (see :func:`.copies.owned`)."""
        if hit is None:
            return self.serve_match(None, prompt)
        score, item = hit
        return self.serve_match((score, CachedEntry(owned(item.generations), {}, item.created_at)), prompt)

    # -- BaseCache -------------------------------------------------------------------------------

    def _search(self, loc: Located, embed: Callable[[str], list[float]]) -> _Hit | None:
        exact = self._exact(loc)
        if exact is not None or loc.text is None:
            return exact
        return self._similar(loc, embed(loc.text))

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """A cached answer for this prompt or a paraphrase of its last human turn, else ``None``."""
        scope = self._lookup_turn(prompt, llm_string)
        if scope is None:
            return None
        loc = self.locate(prompt, llm_string, scope)
        return self._serve(
            self.settle(self.call("lookup", lambda: self._search(loc, self.embedder.embed), FAILED)), prompt
        )

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """Async :meth:`lookup` (embeds with ``aembed_query``)."""
        scope = await self._alookup_turn(prompt, llm_string)
        if scope is None:
            return None
        loc = self.locate(prompt, llm_string, scope)

        async def search() -> _Hit | None:
            exact = self._exact(loc)
            if exact is not None or loc.text is None:
                return exact
            return self._similar(loc, await self.embedder.aembed(loc.text))

        return self._serve(self.settle(await self.acall("lookup", search, FAILED)), prompt)

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Store the answer unless the request's directive or the store policy forbids it."""
        scope = self._store_scope(prompt, return_val)
        if scope is None:
            return
        loc = self.locate(prompt, llm_string, scope)

        def store() -> None:
            self._store(loc, self.embedder.embed(loc.text) if loc.text is not None else None, return_val)

        self.call("update", store, None)

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Async :meth:`update` (embeds with ``aembed_query``)."""
        scope = self._store_scope(prompt, return_val)
        if scope is None:
            return
        loc = self.locate(prompt, llm_string, scope)

        async def store() -> None:
            vector = await self.embedder.aembed(loc.text) if loc.text is not None else None
            self._store(loc, vector, return_val)

        await self.acall("update", store, None)

    def clear(self, **kwargs: Any) -> None:
        """Drop every entry of this cache."""
        with self._lock:
            self._partitions.clear()

    async def aclear(self, **kwargs: Any) -> None:
        """Async :meth:`clear`."""
        self.clear()
