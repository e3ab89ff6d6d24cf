"""``RedisSemanticCache``: a LangChain ``BaseCache`` on Redis 8 vector sets, one vector set per partition.

Keys (one hash tag per partition, so one cluster slot): ``<ns>:sem:{<partition>}:vset`` (vector
set, elements are entry ids), ``<ns>:sem:{<partition>}:r:<entry>`` (the answer envelope, ``SET PX``
so it expires atomically) and ``<ns>:sem:{<partition>}:order`` (sorted set of entry ids by store
time, for ``max_entries_per_partition``). A vector whose answer has expired is removed the next
time a lookup meets it. Scores are the vector-set similarity ``(1 + cosine) / 2`` in [0, 1].
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from langchain_core.caches import RETURN_VAL_TYPE
from langchain_core.embeddings import Embeddings
from redis.exceptions import ResponseError

from langchain_bedrock_routing.caching.breaker import CircuitBreaker
from langchain_bedrock_routing.caching.envelope import CachedEntry, CorruptEntryError, EnvelopeCodec, usage_meta
from langchain_bedrock_routing.caching.guard import Guard
from langchain_bedrock_routing.caching.keys import kind_pattern, make_key, validate_namespace
from langchain_bedrock_routing.caching.policy import CachePolicy
from langchain_bedrock_routing.caching.redis_conn import DEFAULT_TIMEOUT_S, AsyncClient, RedisConnection, SyncClient
from langchain_bedrock_routing.caching.semantic_base import (
    DEFAULT_SIMILARITY_THRESHOLD,
    FAILED,
    Located,
    SemanticCacheBase,
)
from langchain_bedrock_routing.caching.vectorsets import (
    QUANTIZATIONS,
    AsyncVectorSets,
    Quantization,
    VectorSets,
    translate_error,
    vadd_args,
)

SEMANTIC_KIND = "sem"
_Hit = tuple[float | None, CachedEntry]
"""(similarity on the vector-set scale, or ``None`` for an exact match of the question; the entry)."""


def _members(reply: Any) -> list[str]:
    """Member names of a ZPOPMIN reply (pairs, or a flat member/score list)."""
    items = list(reply or [])
    members = [item[0] for item in items] if items and isinstance(items[0], list | tuple) else items[0::2]
    return [m.decode() if isinstance(m, bytes) else str(m) for m in members]


class RedisSemanticCache(SemanticCacheBase):
    """Serves an earlier answer to a paraphrased last human turn, within the same partition.

    ``similarity_threshold``: minimum vector-set similarity ``(1 + cosine) / 2`` in [0, 1].
    ``ttl``: seconds an answer lives (``None``: forever). ``quantization``: how the vector set
    stores vectors (``"q8"`` default, ``"noquant"`` exact floats, ``"bin"`` 1 bit per dimension).
    Needs Redis >= 8.0; on older servers the first use raises ``VectorSetsUnavailableError``.
    """

    def __init__(
        self,
        embeddings: Embeddings,
        *,
        redis_url: str | None = None,
        client: SyncClient | None = None,
        async_client: AsyncClient | None = None,
        cluster: bool = False,
        similarity_threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
        ttl: float | None = None,
        namespace: str = "lbr",
        max_entries_per_partition: int | None = None,
        quantization: Quantization = "q8",
        tenant: str | None = None,
        guard: bool | Guard = True,
        policy: CachePolicy | None = None,
        breaker: CircuitBreaker | None = None,
        compress: bool = True,
        encrypt: bool = False,
        encryption_key: bytes | str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
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
        )
        if quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, got {quantization!r}")
        self.quantization: Quantization = quantization
        self.namespace = validate_namespace(namespace)
        self.connection = RedisConnection(
            redis_url, client=client, async_client=async_client, cluster=cluster, timeout_s=timeout_s
        )
        self.codec = EnvelopeCodec(compress=compress, encrypt=encrypt, encryption_key=encryption_key)

    # -- keys and pure steps ---------------------------------------------------------------------

    def _key(self, partition: str, *suffix: str) -> str:
        return make_key(self.namespace, SEMANTIC_KIND, partition, *suffix)

    def _answer_key(self, partition: str, entry: str) -> str:
        return self._key(partition, "r", entry)

    def _ttl_ms(self) -> int | None:
        return None if self.ttl is None else max(1, int(self.ttl * 1000))

    def _decode(self, partition: str, entry: str, blob: bytes | str) -> CachedEntry | None:
        try:
            if not isinstance(blob, bytes):
                raise CorruptEntryError("a text value where bytes were stored (client with decode_responses?)")
            return self.codec.decode(blob, associated_data=self._answer_key(partition, entry).encode())
        except CorruptEntryError as exc:
            self.stats.add("corrupt")
            self.fail_open.log.warning(f"{self.fail_open.name}: unusable entry dropped and served as a miss: {exc}")
            return None

    def _candidates(
        self, loc: Located, scored: Sequence[tuple[str, float]], blobs: Sequence[bytes | str | None]
    ) -> tuple[list[tuple[float, str, CachedEntry]], list[str]]:
        """Decoded neighbours ``(score, question, entry)`` and the entry ids to drop (expired or corrupt)."""
        found: list[tuple[float, str, CachedEntry]] = []
        stale: list[str] = []
        for (entry_id, score), blob in zip(scored, blobs, strict=True):
            entry = self._decode(loc.partition, entry_id, blob) if blob is not None else None
            if entry is None:
                stale.append(entry_id)
            else:
                found.append((score, str(entry.meta.get("question", "")), entry))
        return found, stale

    def _near(self, scored: Sequence[tuple[str, float]], loc: Located) -> list[tuple[str, float]]:
        return [(e, s) for e, s in scored if s >= self.similarity_threshold and e != loc.entry]

    def _drop_args(self, loc: Located, stale: Sequence[str]) -> list[tuple[Any, ...]]:
        vkey, okey = self._key(loc.partition, "vset"), self._key(loc.partition, "order")
        commands: list[tuple[Any, ...]] = []
        for entry_id in stale:
            commands += [
                ("VREM", vkey, entry_id),
                ("ZREM", okey, entry_id),
                ("UNLINK", self._answer_key(loc.partition, entry_id)),
            ]
        return commands

    def _store_args(self, loc: Located, vector: Sequence[float] | None, blob: bytes) -> list[tuple[Any, ...]]:
        vkey, okey, ttl_ms = self._key(loc.partition, "vset"), self._key(loc.partition, "order"), self._ttl_ms()
        rkey = self._answer_key(loc.partition, loc.entry)
        commands: list[tuple[Any, ...]] = [("SET", rkey, blob, "PX", ttl_ms) if ttl_ms else ("SET", rkey, blob)]
        if vector is not None:
            commands.append(tuple(vadd_args(vkey, loc.entry, vector, self.quantization)))
        commands.append(("ZADD", okey, time.time(), loc.entry))
        if ttl_ms:
            commands += [("PEXPIRE", vkey, ttl_ms), ("PEXPIRE", okey, ttl_ms)]
        commands.append(("ZCARD", okey))
        return commands

    def _blob(self, loc: Located, return_val: RETURN_VAL_TYPE) -> bytes:
        meta = {"question": loc.text, **usage_meta(return_val)}
        key = self._answer_key(loc.partition, loc.entry).encode()
        return self.codec.encode(return_val, meta=meta, associated_data=key)

    def _serve(self, hit: _Hit | None) -> RETURN_VAL_TYPE | None:
        return self.serve_match(hit)

    # -- sync I/O --------------------------------------------------------------------------------

    def _pipeline(self, client: SyncClient, key: str, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        pipe = client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        try:
            return list(pipe.execute())
        except ResponseError as exc:
            raise translate_error(exc, key) from exc

    def _search(self, loc: Located) -> _Hit | None:
        client = self.connection.client
        blob = client.get(self._answer_key(loc.partition, loc.entry))
        exact = self._decode(loc.partition, loc.entry, blob) if blob is not None else None
        if exact is not None or loc.text is None:
            return None if exact is None else (None, exact)
        vector = self.embedder.embed(loc.text)
        near = self._near(VectorSets(client).similar(self._key(loc.partition, "vset"), vector, self.candidates), loc)
        if not near:
            return None
        blobs = client.mget([self._answer_key(loc.partition, e) for e, _ in near])
        found, stale = self._candidates(loc, near, blobs)
        if stale:
            self._pipeline(client, self._key(loc.partition, "vset"), self._drop_args(loc, stale))
        return self.pick(loc.text, found)

    def _store(self, loc: Located, return_val: RETURN_VAL_TYPE) -> None:
        client = self.connection.client
        vector = self.embedder.embed(loc.text) if loc.text is not None else None
        vkey = self._key(loc.partition, "vset")
        size = int(self._pipeline(client, vkey, self._store_args(loc, vector, self._blob(loc, return_val)))[-1])
        self.stats.add("stores")
        excess = size - (self.max_entries_per_partition or size)
        if excess > 0:
            popped = self._pipeline(client, vkey, [("ZPOPMIN", self._key(loc.partition, "order"), excess)])[0]
            oldest = _members(popped)
            self._pipeline(client, vkey, self._drop_args(loc, oldest))

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """The answer stored for this prompt, or for a paraphrase of its last human turn in its partition."""
        scope = self._lookup_scope()
        if scope is None:
            return None
        loc = self.locate(prompt, llm_string, scope)
        return self._serve(self.settle(self.call("lookup", lambda: self._search(loc), FAILED)))

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Store the answer (``SET PX`` plus ``VADD``) unless the directive or the store policy forbids it."""
        scope = self._store_scope(prompt, return_val)
        if scope is None:
            return
        loc = self.locate(prompt, llm_string, scope)
        self.call("update", lambda: self._store(loc, return_val), None)

    def clear(self, **kwargs: Any) -> None:
        """Remove every semantic-cache key of this namespace (SCAN + UNLINK; other namespaces and kinds stay)."""
        self.connection.unlink_matching(kind_pattern(self.namespace, SEMANTIC_KIND))

    # -- async I/O -------------------------------------------------------------------------------

    async def _apipeline(self, client: AsyncClient, key: str, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        pipe = client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        try:
            return list(await pipe.execute())
        except ResponseError as exc:
            raise translate_error(exc, key) from exc

    async def _asearch(self, client: AsyncClient, loc: Located) -> _Hit | None:
        blob = await client.get(self._answer_key(loc.partition, loc.entry))
        exact = self._decode(loc.partition, loc.entry, blob) if blob is not None else None
        if exact is not None or loc.text is None:
            return None if exact is None else (None, exact)
        vector = await self.embedder.aembed(loc.text)
        vkey = self._key(loc.partition, "vset")
        near = self._near(await AsyncVectorSets(client).similar(vkey, vector, self.candidates), loc)
        if not near:
            return None
        blobs = await client.mget([self._answer_key(loc.partition, e) for e, _ in near])
        found, stale = self._candidates(loc, near, blobs)
        if stale:
            await self._apipeline(client, vkey, self._drop_args(loc, stale))
        return self.pick(loc.text, found)

    async def _astore(self, client: AsyncClient, loc: Located, return_val: RETURN_VAL_TYPE) -> None:
        vector = await self.embedder.aembed(loc.text) if loc.text is not None else None
        vkey = self._key(loc.partition, "vset")
        size = int(
            (await self._apipeline(client, vkey, self._store_args(loc, vector, self._blob(loc, return_val))))[-1]
        )
        self.stats.add("stores")
        excess = size - (self.max_entries_per_partition or size)
        if excess > 0:
            popped = (await self._apipeline(client, vkey, [("ZPOPMIN", self._key(loc.partition, "order"), excess)]))[0]
            oldest = _members(popped)
            await self._apipeline(client, vkey, self._drop_args(loc, oldest))

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """Async :meth:`lookup` on ``redis.asyncio`` (a worker thread when only a sync client was given)."""
        client = self.connection.async_client()
        if client is None:
            return await asyncio.to_thread(self.lookup, prompt, llm_string)
        scope = self._lookup_scope()
        if scope is None:
            return None
        loc = self.locate(prompt, llm_string, scope)
        return self._serve(self.settle(await self.acall("lookup", lambda: self._asearch(client, loc), FAILED)))

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Async :meth:`update`."""
        client = self.connection.async_client()
        if client is None:
            await asyncio.to_thread(self.update, prompt, llm_string, return_val)
            return
        scope = self._store_scope(prompt, return_val)
        if scope is None:
            return
        loc = self.locate(prompt, llm_string, scope)
        await self.acall("update", lambda: self._astore(client, loc, return_val), None)

    async def aclear(self, **kwargs: Any) -> None:
        """Async :meth:`clear`."""
        await self.connection.aunlink_matching(kind_pattern(self.namespace, SEMANTIC_KIND))

    def close(self) -> None:
        """Close the Redis client this cache made (a given ``client`` stays open)."""
        self.connection.close()

    async def aclose(self) -> None:
        """Close the async Redis client this cache made for the running event loop."""
        await self.connection.aclose()
