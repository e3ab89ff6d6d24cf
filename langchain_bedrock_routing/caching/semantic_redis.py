"""``RedisSemanticCache``: a LangChain ``BaseCache`` on Redis 8 vector sets, one vector set per partition.

Keys (one hash tag per partition, so one cluster slot): ``<ns>:sem:{<partition>}:vset`` (vector
set, elements are entry ids), ``<ns>:sem:{<partition>}:r:<entry>`` (the answer envelope, ``SET PX``
so it expires atomically) and ``<ns>:sem:{<partition>}:order`` (sorted set of entry ids by store
time, for ``max_entries_per_partition``). A vector whose answer has expired is removed the next
time a lookup meets it. Scores are the vector-set similarity ``(1 + cosine) / 2`` in [0, 1].
A lookup is one round trip: a Lua script (see ``semantic_lookup``) does the exact GET, the VSIM and reads the
answers of the neighbours at or above the threshold; the guard then picks among them here.
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
from langchain_bedrock_routing.caching.coalesce import DEFAULT_COALESCE_WAIT_S, RedisLease
from langchain_bedrock_routing.caching.envelope import CachedEntry, EnvelopeCodec, usage_meta
from langchain_bedrock_routing.caching.guard import Guard
from langchain_bedrock_routing.caching.keys import kind_pattern, make_key, validate_namespace
from langchain_bedrock_routing.caching.partition import has_lone_surrogate
from langchain_bedrock_routing.caching.policy import CachePolicy
from langchain_bedrock_routing.caching.semantic_base import (
    DEFAULT_SIMILARITY_THRESHOLD,
    FAILED,
    Located,
    SemanticCacheBase,
)
from langchain_bedrock_routing.caching.semantic_lookup import Found, Lookup, LookupCall, Neighbour
from langchain_bedrock_routing.core.redis_conn import DEFAULT_TIMEOUT_S, AsyncClient, RedisConnection, SyncClient
from langchain_bedrock_routing.core.vectorsets import (
    QUANTIZATIONS,
    Quantization,
    translate_error,
    vadd_args,
    vsim_args,
)
from langchain_bedrock_routing.errors import CorruptEntryError

SEMANTIC_KIND = "sem"
DEFAULT_VSIM_EF = 50
"""VSIM's exploration factor here (the server's default is 100): about half the graph walk. At 100k entries of the
benchmark corpus (benchmarks/semantic_scale.py) recall at the default threshold is unchanged (0.933 at EF 100, 0.936
at 50; EF 16 starts losing hits) and lookup p50 drops by about 170 us. On structureless data (100k random 384-dim
unit vectors, a planted neighbour at cosine 0.80-0.95) it is found 75% of the time at EF 50, 89% at 100, 99% at
200: with embeddings whose paraphrases sit far apart, pass ``vsim_ef=None`` (or 200) and pay the latency."""
_Hit = tuple[float | None, CachedEntry]
"""(similarity on the vector-set scale, or ``None`` for an exact match of the question; the entry)."""


def question_attributes(question: str) -> str:
    """The vector-set attributes JSON that carries a stored question: ``{"q": question}`` (``\\u`` escapes only
    when the question holds a lone surrogate, which a Redis command cannot carry as UTF-8)."""
    return json.dumps({"q": question}, ensure_ascii=has_lone_surrogate(question), separators=(",", ":"))


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
    ``vsim_ef``: VSIM's exploration factor (:data:`DEFAULT_VSIM_EF`; ``None``: the server's default, 100; lower is
    faster, with less recall on sets whose neighbours are far apart).
    A lookup is one round trip (a Lua script: exact GET, VSIM, and the answers of the neighbours at or above the
    threshold). Unless ``encrypt``, each vector carries its question as the attribute ``{"q": ...}`` so the guard
    judges neighbours without decoding their answers; only the served answer is decoded.
    ``coalesce``: a miss also waits for another process asking the same question in the same partition (a lease
    on its exact key, ``<answer key>:lease``), then serves that process's answer as an exact hit.
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
        coalesce: bool = False,
        coalesce_wait_s: float = DEFAULT_COALESCE_WAIT_S,
        compress: bool = True,
        encrypt: bool = False,
        encryption_key: bytes | str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        vsim_ef: int | None = DEFAULT_VSIM_EF,
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
        if quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, got {quantization!r}")
        self.quantization: Quantization = quantization
        self.namespace = validate_namespace(namespace)
        self.connection = RedisConnection(
            redis_url, client=client, async_client=async_client, cluster=cluster, timeout_s=timeout_s
        )
        self.codec = EnvelopeCodec(compress=compress, encrypt=encrypt, encryption_key=encryption_key)
        if vsim_ef is not None and (isinstance(vsim_ef, bool) or not isinstance(vsim_ef, int) or vsim_ef < 1):
            raise ValueError(f"vsim_ef must be an int >= 1 or None (the server's default), got {vsim_ef!r}")
        self.vsim_ef = vsim_ef
        self._lookup = Lookup()
        self.lease = RedisLease(coalesce_wait_s, self.connection, self.fail_open) if coalesce else None

    # -- keys and pure steps ---------------------------------------------------------------------

    def _key(self, partition: str, *suffix: str) -> str:
        return make_key(self.namespace, SEMANTIC_KIND, partition, *suffix)

    def _shard(self, loc: Located) -> str | None:
        """The Redis Cluster primary holding ``loc``'s partition (every key of a partition shares one slot)."""
        return self.connection.shard_of(self._key(loc.partition, "vset"))

    def _answer_key(self, loc: Located, entry: str | None = None) -> str:
        """The key of the answer to ``entry`` (default: ``loc``'s own question) in ``loc``'s partition."""
        return self._key(loc.partition, "r", loc.entry if entry is None else entry)

    def vsim_args(self, vset_key: str, vector: Sequence[float]) -> list[Any]:
        """The ``VSIM`` a lookup runs for ``vector`` (inside its script): ``WITHSCORES WITHATTRIBS COUNT candidates
        [EF vsim_ef] NOTHREAD`` (a script runs it in the main thread anyway; ``NOTHREAD`` makes it run the same way
        when sent on its own, as the benchmarks do)."""
        return vsim_args(vset_key, vector, self.candidates, with_attributes=True, ef=self.vsim_ef, no_thread=True)

    def _lookup_call(self, loc: Located, vector: Sequence[float]) -> LookupCall:
        """The lookup script's keys and arguments for ``loc`` searched with ``vector``."""
        exact_key = self._answer_key(loc)
        prefix = exact_key[: len(exact_key) - len(loc.entry)]
        vsim = self.vsim_args(self._key(loc.partition, "vset"), vector)
        return LookupCall(exact_key, prefix, loc.entry, self.similarity_threshold, vsim)

    def _ttl_ms(self) -> int | None:
        return None if self.ttl is None else max(1, int(self.ttl * 1000))

    def _decode(self, loc: Located, entry: str, blob: bytes | str) -> CachedEntry | None:
        try:
            if not isinstance(blob, bytes):
                raise CorruptEntryError("a text value where bytes were stored (client with decode_responses?)")
            return self.codec.decode(blob, associated_data=self._answer_key(loc, entry).encode())
        except CorruptEntryError as exc:
            self.stats.add("corrupt")
            self.fail_open.log.warning(f"{self.fail_open.name}: unusable entry dropped and served as a miss: {exc}")
            return None

    def _exact(self, loc: Located, blob: bytes | str | None) -> _Hit | None:
        """The exact match of the question from its answer blob (``None`` when absent or unusable)."""
        entry = self._decode(loc, loc.entry, blob) if blob is not None else None
        return None if entry is None else (None, entry)

    def _judged(self, loc: Located, query: str, near: Neighbour, stale: list[str]) -> _Hit | None:
        """The neighbour's hit if the guard accepts it (on its question attribute, else on its envelope's question:
        encrypted entries, or an older layout); an expired or corrupt answer is added to ``stale``."""
        question = question_of(near.attributes)
        if question is not None and not self.accepts(query, question, near.score):
            return None
        entry = self._decode(loc, near.entry, near.blob) if near.blob is not None else None
        if entry is None:
            stale.append(near.entry)
            return None
        if question is None:
            stored = entry.meta.get("question")
            if not isinstance(stored, str) or not self.accepts(query, stored, near.score):
                return None
        return near.score, entry

    def _chosen(self, loc: Located, query: str, found: Found) -> tuple[_Hit | None, list[str]]:
        """The best neighbour the guard accepts, and the entries to drop (expired or corrupt answers)."""
        hit: _Hit | None = None
        stale = [near.entry for near in found.neighbours if near.blob is None]
        for near in found.neighbours:
            if near.blob is not None:
                hit = self._judged(loc, query, near, stale)
                if hit is not None:
                    break
        return hit, stale

    def _drop_args(self, loc: Located, stale: Sequence[str]) -> list[tuple[Any, ...]]:
        vkey, okey = self._key(loc.partition, "vset"), self._key(loc.partition, "order")
        commands: list[tuple[Any, ...]] = []
        for entry_id in stale:
            commands += [
                ("VREM", vkey, entry_id),
                ("ZREM", okey, entry_id),
                ("UNLINK", self._answer_key(loc, entry_id)),
            ]
        return commands

    def _store_args(self, loc: Located, vector: Sequence[float] | None, blob: bytes) -> list[tuple[Any, ...]]:
        vkey, okey, ttl_ms = self._key(loc.partition, "vset"), self._key(loc.partition, "order"), self._ttl_ms()
        rkey = self._answer_key(loc)
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
        key = self._answer_key(loc).encode()
        return self.codec.encode(return_val, meta=meta, associated_data=key)

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
        """One round trip when embedding is cheap (the script does the exact GET too); a costly embedding is paid
        only after a plain exact GET missed. A corrupt exact answer is dropped and its neighbours searched."""
        client = self.connection.client
        if loc.text is None:
            return self._exact(loc, client.get(self._answer_key(loc)))
        exact_first = self.embedder.cheap(loc.text)
        if not exact_first:
            exact = self._exact(loc, client.get(self._answer_key(loc)))
            if exact is not None:
                return exact
        call = self._lookup_call(loc, self.embedder.embed(loc.text))
        found = self._lookup.run(client, call, exact_first)
        exact = self._exact(loc, found.exact)
        if exact is not None:
            return exact
        if found.exact is not None:
            found = self._lookup.run(client, call, False)
        hit, stale = self._chosen(loc, loc.text, found)
        if stale:
            self._pipeline(client, call.vset_key, self._drop_args(loc, stale))
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
            self._pipeline(client, vkey, self._drop_args(loc, _members(popped)))

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """The answer stored for this prompt, or for a paraphrase of its last human turn in its partition."""
        scope = self._lookup_turn(prompt, llm_string)
        if scope is None:
            return None
        loc = self.locate(prompt, llm_string, scope)
        hit = self.call("lookup", lambda: self._search(loc), FAILED, shard=self._shard(loc))
        if hit is None and self.lease is not None and self._leads(prompt, llm_string, scope):
            hit = self._exact(loc, self.lease.follow(self._answer_key(loc), shard=self._shard(loc)))
        return self.serve_match(self.settle(hit), prompt)

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Store the answer (``SET PX`` plus ``VADD``) unless the directive or the store policy forbids it."""
        scope = self._store_scope(prompt, return_val)
        if scope is None:
            return
        loc = self.locate(prompt, llm_string, scope)
        self.call("update", lambda: self._store(loc, return_val), None, shard=self._shard(loc))

    def clear(self, **kwargs: Any) -> None:
        """Remove every semantic-cache key of this namespace (SCAN + UNLINK; other namespaces and kinds stay)."""
        self.connection.unlink_matching(kind_pattern(self.namespace, SEMANTIC_KIND))

    # -- async I/O -------------------------------------------------------------------------------

    async def _apipeline(self, client: AsyncClient, key: str, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        pipe = client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        try:
            return list(await self.connection.timed(pipe.execute()))
        except ResponseError as exc:
            raise translate_error(exc, key) from exc

    async def _asearch(self, client: AsyncClient, loc: Located) -> _Hit | None:
        """Async :meth:`_search`."""
        if loc.text is None:
            return self._exact(loc, await self.connection.timed(client.get(self._answer_key(loc))))
        exact_first = self.embedder.cheap(loc.text)
        if not exact_first:
            exact = self._exact(loc, await self.connection.timed(client.get(self._answer_key(loc))))
            if exact is not None:
                return exact
        call = self._lookup_call(loc, await self.embedder.aembed(loc.text))
        found = await self.connection.timed(self._lookup.arun(client, call, exact_first))
        exact = self._exact(loc, found.exact)
        if exact is not None:
            return exact
        if found.exact is not None:
            found = await self.connection.timed(self._lookup.arun(client, call, False))
        hit, stale = self._chosen(loc, loc.text, found)
        if stale:
            await self._apipeline(client, call.vset_key, self._drop_args(loc, stale))
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
            await self._apipeline(client, vkey, self._drop_args(loc, _members(popped)))

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """Async :meth:`lookup` on ``redis.asyncio`` (a worker thread when only a sync client was given)."""
        client = self.connection.async_client()
        if client is None:
            return await asyncio.to_thread(self.lookup, prompt, llm_string)
        scope = await self._alookup_turn(prompt, llm_string)
        if scope is None:
            return None
        loc = self.locate(prompt, llm_string, scope)
        hit = await self.acall("lookup", lambda: self._asearch(client, loc), FAILED, shard=self._shard(loc))
        if hit is None and self.lease is not None and self._leads(prompt, llm_string, scope):
            hit = self._exact(loc, await self.lease.afollow(self._answer_key(loc), shard=self._shard(loc)))
        return self.serve_match(self.settle(hit), prompt)

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
        await self.acall("update", lambda: self._astore(client, loc, return_val), None, shard=self._shard(loc))

    async def aclear(self, **kwargs: Any) -> None:
        """Async :meth:`clear`."""
        await self.connection.aunlink_matching(kind_pattern(self.namespace, SEMANTIC_KIND))

    def close(self) -> None:
        """Close the Redis client this cache made (a given ``client`` stays open)."""
        self.connection.close()

    async def aclose(self) -> None:
        """Close the async Redis client this cache made for the running event loop."""
        await self.connection.aclose()
