"""``RedisSemanticCache``: a LangChain ``BaseCache`` on Redis 8 vector sets, one vector set per partition.

Keys (one hash tag per partition, so one cluster slot): ``<ns>:sem:{<partition>}:vset`` (vector
set, elements are entry ids), ``<ns>:sem:{<partition>}:r:<entry>`` (the answer envelope, ``SET PX``
so it expires atomically) and ``<ns>:sem:{<partition>}:order`` (sorted set of entry ids by store
time, for ``max_entries_per_partition``). A vector whose answer has expired is removed the next
time a lookup meets it. Scores are the vector-set similarity ``(1 + cosine) / 2`` in [0, 1].
"""

from __future__ import annotations

import asyncio
import json
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
    Quantization,
    parse_scored_attributes,
    translate_error,
    vadd_args,
    vsim_args,
)

SEMANTIC_KIND = "sem"
_Hit = tuple[float | None, CachedEntry]
"""(similarity on the vector-set scale, or ``None`` for an exact match of the question; the entry)."""
_Candidate = tuple[str, float, str | None]
"""A neighbour: (entry id, similarity, its question from the vector-set attributes or ``None``)."""


def question_attributes(question: str) -> str:
    """The vector-set attributes JSON that carries a stored question: ``{"q": question}``."""
    return json.dumps({"q": question}, ensure_ascii=False, separators=(",", ":"))


def question_of(attributes: str | None) -> str | None:
    """The question in vector-set attributes written by :func:`question_attributes`, else ``None``."""
    if attributes is None:
        return None
    try:
        value = json.loads(attributes)
    except ValueError:
        return None
    question = value.get("q") if isinstance(value, dict) else None
    return question if isinstance(question, str) else None


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
    ``vsim_no_thread``: run VSIM in the server's main thread (``NOTHREAD``; can be faster on small sets).
    Unless ``encrypt``, each vector carries its question as the attribute ``{"q": ...}`` so a lookup
    judges neighbours without reading their answers; it reads (and decodes) only the answer it serves.
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
        vsim_no_thread: bool = False,
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
        self.vsim_no_thread = bool(vsim_no_thread)

    # -- keys and pure steps ---------------------------------------------------------------------

    def _key(self, partition: str, *suffix: str) -> str:
        return make_key(self.namespace, SEMANTIC_KIND, partition, *suffix)

    def _answer_key(self, partition: str, entry: str) -> str:
        return self._key(partition, "r", entry)

    def _vsim_args(self, vkey: str, vector: Sequence[float]) -> tuple[Any, ...]:
        """``VSIM ... WITHSCORES WITHATTRIBS COUNT candidates [NOTHREAD]`` for ``vector``."""
        args = vsim_args(vkey, vector, self.candidates, with_attributes=True, no_thread=self.vsim_no_thread)
        return tuple(args)

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

    def _exact(self, loc: Located, blob: bytes | str | None) -> _Hit | None:
        """The exact match of the question from its answer blob (``None`` when absent or unusable)."""
        entry = self._decode(loc.partition, loc.entry, blob) if blob is not None else None
        return None if entry is None else (None, entry)

    def _near(self, reply: Sequence[tuple[str, float, str | None]], loc: Located) -> list[_Candidate]:
        """Neighbours at or above the threshold, best first, other than the exact entry, with their questions."""
        return [(e, s, question_of(a)) for e, s, a in reply if s >= self.similarity_threshold and e != loc.entry]

    def _worth_fetching(self, query: str, candidate: _Candidate) -> bool:
        """False when the candidate's stored question already fails :meth:`accepts` (no need to read its answer)."""
        _, score, question = candidate
        return question is None or self.accepts(query, question, score)

    def _fetched(
        self, loc: Located, query: str, candidate: _Candidate, blob: bytes | str | None, stale: list[str]
    ) -> _Hit | None:
        """The candidate's hit from its answer blob; an expired or corrupt one is added to ``stale``. An entry
        stored without the question attribute (encrypted, or an older layout) is judged on its envelope's question."""
        entry_id, score, question = candidate
        entry = self._decode(loc.partition, entry_id, blob) if blob is not None else None
        if entry is None:
            stale.append(entry_id)
            return None
        if question is None:
            stored = entry.meta.get("question")
            if not isinstance(stored, str) or not self.accepts(query, stored, score):
                return None
        return score, entry

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
            attributes = None if self.codec.encrypts or loc.text is None else question_attributes(loc.text)
            commands.append(tuple(vadd_args(vkey, loc.entry, vector, self.quantization, attributes)))
        commands.append(("ZADD", okey, time.time(), loc.entry))
        if ttl_ms:
            commands += [("PEXPIRE", vkey, ttl_ms), ("PEXPIRE", okey, ttl_ms)]
        commands.append(("ZCARD", okey))
        return commands

    def _blob(self, loc: Located, return_val: RETURN_VAL_TYPE) -> bytes:
        """The answer's envelope; it holds the question only when the vector cannot (an encrypting cache keeps
        the question out of the plaintext attributes)."""
        meta = {**({"question": loc.text} if self.codec.encrypts else {}), **usage_meta(return_val)}
        key = self._answer_key(loc.partition, loc.entry).encode()
        return self.codec.encode(return_val, meta=meta, associated_data=key)

    def _serve(self, hit: _Hit | None) -> RETURN_VAL_TYPE | None:
        return self.serve_match(hit, fresh=True)

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
        rkey, vkey = self._answer_key(loc.partition, loc.entry), self._key(loc.partition, "vset")
        if loc.text is None:
            return self._exact(loc, client.get(rkey))
        if self.embedder.cheap(loc.text):  # one round trip: the exact GET and VSIM together
            vsim = self._vsim_args(vkey, self.embedder.embed(loc.text))
            blob, reply = self._pipeline(client, vkey, [("GET", rkey), vsim])
            exact = self._exact(loc, blob)
            if exact is not None:
                return exact
        else:  # a costly embedding is paid only after the exact GET missed
            exact = self._exact(loc, client.get(rkey))
            if exact is not None:
                return exact
            reply = self._pipeline(client, vkey, [self._vsim_args(vkey, self.embedder.embed(loc.text))])[0]
        near = self._near(parse_scored_attributes(reply), loc)
        hit: _Hit | None = None
        stale: list[str] = []
        for candidate in near:
            if self._worth_fetching(loc.text, candidate):
                blob = client.get(self._answer_key(loc.partition, candidate[0]))
                hit = self._fetched(loc, loc.text, candidate, blob, stale)
                if hit is not None:
                    break
        if stale:
            self._pipeline(client, vkey, self._drop_args(loc, stale))
        return hit

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
        rkey, vkey = self._answer_key(loc.partition, loc.entry), self._key(loc.partition, "vset")
        if loc.text is None:
            return self._exact(loc, await client.get(rkey))
        if self.embedder.cheap(loc.text):
            vsim = self._vsim_args(vkey, await self.embedder.aembed(loc.text))
            blob, reply = await self._apipeline(client, vkey, [("GET", rkey), vsim])
            exact = self._exact(loc, blob)
            if exact is not None:
                return exact
        else:
            exact = self._exact(loc, await client.get(rkey))
            if exact is not None:
                return exact
            vsim = self._vsim_args(vkey, await self.embedder.aembed(loc.text))
            reply = (await self._apipeline(client, vkey, [vsim]))[0]
        near = self._near(parse_scored_attributes(reply), loc)
        hit: _Hit | None = None
        stale: list[str] = []
        for candidate in near:
            if self._worth_fetching(loc.text, candidate):
                blob = await client.get(self._answer_key(loc.partition, candidate[0]))
                hit = self._fetched(loc, loc.text, candidate, blob, stale)
                if hit is not None:
                    break
        if stale:
            await self._apipeline(client, vkey, self._drop_args(loc, stale))
        return hit

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
