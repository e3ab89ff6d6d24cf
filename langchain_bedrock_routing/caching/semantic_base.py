"""What the Redis and in-process semantic caches share: settings, where a prompt lives, embeddings, the guard.

Similarity scale, for both caches: the vector-set score ``(1 + cosine) / 2`` in [0, 1], where 1 is
the same direction, 0.5 unrelated (orthogonal) and 0 opposite. A cached question is served only
when its score is at least ``similarity_threshold`` and the near-miss guard accepts the pair.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from langchain_core.embeddings import Embeddings
from langchain_core.outputs import Generation

from langchain_bedrock_routing.caching.base import CacheBase, validate_unit_interval
from langchain_bedrock_routing.caching.breaker import CircuitBreaker, FailOpen, logger
from langchain_bedrock_routing.caching.coalesce import DEFAULT_COALESCE_WAIT_S
from langchain_bedrock_routing.caching.envelope import CachedEntry, HitKind
from langchain_bedrock_routing.caching.guard import Guard, alignment, resolve_guard
from langchain_bedrock_routing.caching.guard_align import EDIT_MARGIN
from langchain_bedrock_routing.caching.partition import entry_id, partition_id, split_prompt, without_lone_surrogates
from langchain_bedrock_routing.caching.policy import CachePolicy
from langchain_bedrock_routing.errors import VectorDimensionError, VectorSetsUnavailableError

T = TypeVar("T")
D = TypeVar("D")


class Failed:
    """The value of a backend call that failed open (a counted error miss)."""


FAILED = Failed()

DEFAULT_SIMILARITY_THRESHOLD = 0.9
"""Default minimum vector-set similarity ``(1 + cos) / 2`` for a semantic hit (cosine >= 0.8); see evals/."""

CONFIG_ERRORS: tuple[type[Exception], ...] = (VectorSetsUnavailableError,)
"""Errors that mean misconfiguration: raised to the caller instead of being served as misses. (A vector set of
another dimension is cache content, met per partition: a counted miss, see :meth:`SemanticCacheBase.call`.)"""


def cosine_to_score(cosine: float) -> float:
    """Map a cosine in [-1, 1] to the vector-set similarity scale [0, 1]."""
    return min(1.0, max(0.0, (1.0 + cosine) / 2.0))


def validate_max_entries(value: object) -> int | None:
    """``value`` as an int >= 1, or ``None`` for no limit; ``ValueError`` naming the value otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_entries_per_partition must be an int >= 1 or None (no limit), got {value!r}")
    return value


@dataclass(frozen=True)
class Located:
    """Where a prompt lives: its partition, its exact-match id there, and the text to embed (or ``None``)."""

    partition: str
    entry: str
    text: str | None


CHEAP_EMBEDDING_S = 0.001
"""An embedding that took less than this (seconds, last call) is cheaper than waiting for a separate exact GET."""


class EmbeddingMemo:
    """A thread-safe LRU of text -> embedding, so a lookup followed by an update embeds the text once.

    ``last_s``: how long the last embedding call took (seconds; ``None`` before the first).
    """

    def __init__(self, embeddings: Embeddings, maxsize: int = 1024) -> None:
        self.embeddings = embeddings
        self.maxsize = maxsize
        self.calls = 0
        self.last_s: float | None = None
        self._memo: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, text: str) -> list[float] | None:
        with self._lock:
            vector = self._memo.get(text)
            if vector is not None:
                self._memo.move_to_end(text)
            return vector

    def _put(self, text: str, vector: list[float], began: float) -> list[float]:
        with self._lock:
            self.calls += 1
            self.last_s = time.perf_counter() - began
            self._memo[text] = vector
            while len(self._memo) > self.maxsize:
                self._memo.popitem(last=False)
        return vector

    def cheap(self, text: str) -> bool:
        """True when embedding ``text`` now costs less than a Redis round trip: it is memoized, or the last
        embedding call took under :data:`CHEAP_EMBEDDING_S`."""
        with self._lock:
            return text in self._memo or (self.last_s is not None and self.last_s < CHEAP_EMBEDDING_S)

    def embed(self, text: str) -> list[float]:
        """The embedding of ``text`` (computed once while it stays in the memo; the embeddings get it as valid
        UTF-8, a lone surrogate replaced by U+FFFD)."""
        cached = self._get(text)
        began = time.perf_counter()
        if cached is not None:
            return cached
        return self._put(text, list(self.embeddings.embed_query(without_lone_surrogates(text))), began)

    async def aembed(self, text: str) -> list[float]:
        """Async :meth:`embed` (``aembed_query``)."""
        cached = self._get(text)
        began = time.perf_counter()
        if cached is not None:
            return cached
        return self._put(text, list(await self.embeddings.aembed_query(without_lone_surrogates(text))), began)


class SemanticCacheBase(CacheBase):
    """Settings and decisions shared by the semantic caches (see the module docstring for the scale).

    ``guard``: ``True`` for the built-in near-miss guard, ``False`` for none, or your own
    ``(query, cached_question) -> reason | None``; with a guard, questions whose content words do not line up
    (:func:`~langchain_bedrock_routing.caching.guard.alignment`) must score its margin above the threshold (0.08 for a
    one-word edit or words added on one side only; see docs/caches.md).
    ``max_entries_per_partition`` evicts the oldest.
    Backend and embedding failures are counted misses behind ``breaker``; a Redis without vector sets is raised
    by lookups, before any model call; a partition holding vectors of another dimension is a counted miss.
    ``coalesce``: concurrent misses of one exact prompt wait up to ``coalesce_wait_s`` seconds for the first one's
    answer (in this process; the Redis cache also across processes).
    """

    kind: ClassVar[HitKind] = "semantic"
    candidates: ClassVar[int] = 4
    """How many nearest neighbours a lookup considers (the guard may reject the closest)."""

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
        super().__init__(ttl=ttl, tenant=tenant, policy=policy, coalesce=coalesce, coalesce_wait_s=coalesce_wait_s)
        if not isinstance(embeddings, Embeddings):
            raise ValueError(f"embeddings must be a langchain_core Embeddings, got {type(embeddings).__name__}")
        self.similarity_threshold = validate_unit_interval(similarity_threshold, "similarity_threshold")
        self.max_entries_per_partition = validate_max_entries(max_entries_per_partition)
        self.guard: Guard | None = resolve_guard(guard)
        self.embedder = EmbeddingMemo(embeddings)
        self.guard_rejections = 0
        self._counter_lock = threading.Lock()
        self._dimension_warned = False
        self.fail_open = FailOpen(type(self).__name__, self.stats, breaker)

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker guarding this cache's backend calls (and embedding calls); in a Redis Cluster each
        primary gets its own with these settings."""
        return self.fail_open.breaker

    def settle(self, result: T | Failed) -> T | None:
        """A lookup's result, with a failed call counted as an error miss (``None``)."""
        if isinstance(result, Failed):
            self.stats.add("error_misses")
            return None
        return result

    def _other_dimension(self, operation: str, exc: VectorDimensionError) -> None:
        """Count a partition holding vectors of another dimension (an error; the server is fine, so the breaker is
        not fed) and warn about it once per cache: every later lookup or store there meets it again."""
        self.stats.add("errors")
        with self._counter_lock:
            first, self._dimension_warned = not self._dimension_warned, True
        if first:
            logger.warning(
                f"{self.fail_open.name} {operation} served as a miss: {type(exc).__name__}: {exc}. Lookups and "
                "stores in such partitions are counted in stats.errors from now on, without further warnings."
            )

    def call(self, operation: str, fn: Callable[[], T], default: D, *, shard: str | None = None) -> T | D:
        """``fn()`` failing open to ``default`` behind ``shard``'s breaker, except configuration errors on a lookup,
        which are raised (no model was paid yet); on an update they fail open like any error (the answer is
        already paid for). A partition of another vector dimension is ``default``, counted (see
        :meth:`_other_dimension`)."""
        config_error: list[Exception] = []

        def run() -> T | D:
            try:
                return fn()
            except VectorDimensionError as exc:
                self._other_dimension(operation, exc)
                return default
            except CONFIG_ERRORS as exc:
                if operation != "lookup":
                    raise
                config_error.append(exc)
                return default

        fallback: T | D = default
        result = self.fail_open.call(operation, run, fallback, shard=shard)
        if config_error:
            raise config_error[0]
        return result

    async def acall(
        self, operation: str, fn: Callable[[], Awaitable[T]], default: D, *, shard: str | None = None
    ) -> T | D:
        """Async :meth:`call`."""
        config_error: list[Exception] = []

        async def run() -> T | D:
            try:
                return await fn()
            except VectorDimensionError as exc:
                self._other_dimension(operation, exc)
                return default
            except CONFIG_ERRORS as exc:
                if operation != "lookup":
                    raise
                config_error.append(exc)
                return default

        fallback: T | D = default
        result = await self.fail_open.acall(operation, run, fallback, shard=shard)
        if config_error:
            raise config_error[0]
        return result

    @staticmethod
    def locate(prompt: str, llm_string: str, scope: str) -> Located:
        """The partition (llm_string, context, tenant scope), exact id and semantic text of a prompt."""
        parts = split_prompt(prompt)
        return Located(
            partition=partition_id(llm_string, parts.context, scope),
            entry=entry_id(parts.semantic_text or ""),
            text=parts.semantic_text,
        )

    def accepts(self, query: str, cached_question: str, score: float) -> bool:
        """True when ``score`` reaches the threshold and the guard (if any) sees no near-miss trap; with a guard,
        the score must also reach the threshold plus the pair's :func:`alignment` margin."""
        if score < self.similarity_threshold:
            return False
        if self.guard is None:
            return True
        rejected = self.guard(query, cached_question) is not None
        if not rejected and score < self.similarity_threshold + EDIT_MARGIN:  # only then can the margin bite
            rejected = score < self.similarity_threshold + alignment(query, cached_question).margin
        if rejected:
            with self._counter_lock:
                self.guard_rejections += 1
            return False
        return True

    def serve_match(self, match: tuple[float | None, CachedEntry] | None, prompt: str) -> list[Generation] | None:
        """Count and mark a lookup's result: ``(None, entry)`` is an exact match of the question in its
        partition (kind ``"exact"``), ``(score, entry)`` a similarity hit (kind ``"semantic"``), for ``prompt``.
        The entry's generations must be this lookup's own copies: they are marked in place."""
        if match is None:
            return self._served(None, prompt)
        score, entry = match
        if score is None:
            return self._served(entry, prompt, kind="exact")
        return self._served(entry, prompt, similarity=round(score, 6))

    def pick(self, query: str, candidates: Sequence[tuple[float, str, T]]) -> tuple[float, T] | None:
        """The best ``(score, item)`` among ``(score, cached_question, item)`` that :meth:`accepts`."""
        for score, question, item in sorted(candidates, key=lambda c: -c[0]):
            if self.accepts(query, question, score):
                return score, item
        return None
