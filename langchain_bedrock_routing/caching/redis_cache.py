"""``RedisCache``: the exact LangChain cache on Redis 6.2+, Valkey or Redis Cluster, failing open.

One key per entry, ``<namespace>:exact:{sha256(llm_string, prompt, tenant scope)}``, written with
``SET key value PX ttl`` so the TTL is atomic. The value is a versioned envelope (see
:mod:`.envelope`) that also records when it expires. ``clear()`` SCANs and UNLINKs only
``<namespace>:exact:*``. On standalone Redis (6+) and Valkey, recent values are also kept in process
and dropped when Redis announces a change of their key (see :mod:`.near_cache`), so a repeated hit
needs no round trip; a kept entry past its expiry time is a miss.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any, ClassVar

import redis
from langchain_core.outputs import Generation

from langchain_bedrock_routing.caching.base import CacheBase
from langchain_bedrock_routing.caching.breaker import CircuitBreaker, FailOpen
from langchain_bedrock_routing.caching.coalesce import DEFAULT_COALESCE_WAIT_S, RedisLease
from langchain_bedrock_routing.caching.envelope import CachedEntry, EnvelopeCodec, HitKind, usage_meta
from langchain_bedrock_routing.caching.keys import EXACT_KIND, exact_key, kind_pattern, validate_namespace
from langchain_bedrock_routing.caching.near_cache import NearCache, Ticket
from langchain_bedrock_routing.caching.policy import CachePolicy
from langchain_bedrock_routing.core.redis_conn import DEFAULT_TIMEOUT_S, AsyncClient, RedisConnection, SyncClient
from langchain_bedrock_routing.errors import CorruptEntryError

_FAILED = object()
DEFAULT_NEAR_CACHE_ENTRIES = 10_000
"""Values a ``RedisCache`` keeps in process by default (about 1 KB each for a short answer)."""


class RedisCache(CacheBase):
    """Exact-match LangChain cache in Redis. Use with ``set_llm_cache(RedisCache(redis_url=...))``.

    Args:
        redis_url: ``redis://``, ``rediss://`` or ``unix://`` URL (or pass ``client=``/``async_client=``).
        ttl: seconds an entry lives (``None``: until evicted by Redis).
        namespace: first key segment; ``clear()`` touches only this namespace's exact entries.
        compress: zlib-compress values when that makes them smaller.
        encrypt: AES-GCM encrypt values with ``encryption_key`` or ``$LBR_CACHE_KEY`` (base64).
        tenant: a fixed tenant for this cache; requests may add one via ``config["metadata"]["tenant_id"]``.
        policy: what may be stored (:class:`CachePolicy`).
        cluster: treat ``redis_url`` as a Redis Cluster node.
        timeout_s: connect/read timeout (async calls count only time the event loop ran on schedule).
            ``breaker``: the circuit breaker (3 failures, 10 s cooldown); refused stores have their own.
        near_cache_entries: values kept in process, each dropped when Redis announces a change of its key
            (standalone Redis or Valkey with a sync client; one extra connection and thread); 0 keeps none.
        coalesce: concurrent misses of one key, in this and other processes, wait up to ``coalesce_wait_s``
            seconds for the first one's answer (a ``<key>:lease`` set ``NX PX``) instead of each asking the model.
    """

    kind: ClassVar[HitKind] = "exact"

    def __init__(
        self,
        redis_url: str | None = None,
        *,
        client: SyncClient | None = None,
        async_client: AsyncClient | None = None,
        ttl: float | None = None,
        namespace: str = "lbr",
        compress: bool = True,
        encrypt: bool = False,
        encryption_key: bytes | str | None = None,
        tenant: str | None = None,
        policy: CachePolicy | None = None,
        cluster: bool = False,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        breaker: CircuitBreaker | None = None,
        near_cache_entries: int = DEFAULT_NEAR_CACHE_ENTRIES,
        coalesce: bool = False,
        coalesce_wait_s: float = DEFAULT_COALESCE_WAIT_S,
    ) -> None:
        super().__init__(ttl=ttl, tenant=tenant, policy=policy, coalesce=coalesce, coalesce_wait_s=coalesce_wait_s)
        self.namespace = validate_namespace(namespace)
        self.connection = RedisConnection(
            redis_url,
            client=client,
            async_client=async_client,
            cluster=cluster,
            timeout_s=timeout_s,
        )
        self.codec = EnvelopeCodec(compress=compress, encrypt=encrypt, encryption_key=encryption_key)
        self.fail_open = FailOpen(f"RedisCache[{self.namespace}]", self.stats, breaker)
        self.near_cache = self._make_near_cache(near_cache_entries, client, async_client)
        self.lease = RedisLease(coalesce_wait_s, self.connection, self.fail_open) if coalesce else None

    def _make_near_cache(
        self, entries: int, client: SyncClient | None, async_client: AsyncClient | None
    ) -> NearCache | None:
        """The in-process copies (``None`` for 0 entries, a cluster, or only an async client); validates ``entries``."""
        if isinstance(entries, bool) or not isinstance(entries, int) or entries < 0:
            raise ValueError(f"near_cache_entries must be an int >= 0, got {entries!r}")
        if not entries or self.connection.is_cluster or (self.connection.url is None and client is None):
            return None
        sync_client = self.connection.client  # made now; it connects on its first command
        if not isinstance(sync_client, redis.Redis):
            return None
        pool = sync_client.connection_pool
        near = NearCache(
            kind_pattern(self.namespace, EXACT_KIND).rstrip("*"),
            connection_kwargs=pool.connection_kwargs,
            connection_class=pool.connection_class,
            max_entries=entries,
        )
        weakref.finalize(self, near.close)
        return near

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker guarding this cache's Redis calls (in a Redis Cluster, each primary gets its own with
        these settings: ``fail_open.breaker_for(node)``)."""
        return self.fail_open.breaker

    def _key(self, prompt: str, llm_string: str, scope: str) -> str:
        return exact_key(self.namespace, llm_string=llm_string, prompt=prompt, tenant_scope=scope)

    def _set_kwargs(self) -> dict[str, Any]:
        return {} if self.ttl is None else {"px": max(1, round(self.ttl * 1000))}

    def _entry(self, key: str, blob: Any) -> CachedEntry | None:
        """Decode what GET returned; failures and corrupt values are counted misses, expired ones misses."""
        if blob is _FAILED:
            self.stats.add("error_misses")
            return None
        if blob is None:
            return None
        try:
            entry = self.codec.decode(bytes(blob), associated_data=key.encode())
        except CorruptEntryError as exc:
            self.stats.add("corrupt")
            self.fail_open.log.warning(f"{self.fail_open.name}: unusable entry served as a miss: {exc}")
            return None
        return None if entry.expired() else entry

    def _encode(self, key: str, generations: Sequence[Generation]) -> bytes:
        return self.codec.encode(
            generations, meta=usage_meta(generations), ttl_s=self.ttl, associated_data=key.encode()
        )

    def _shard(self, key: str) -> str | None:
        return self.connection.shard_of(key)

    def _ticket(self, key: str) -> Ticket | None:
        return None if self.near_cache is None else self.near_cache.ticket(key)

    def _served_kept(self, near: NearCache, key: str, kept: bytes, prompt: str) -> list[Generation] | None:
        """Serve the in-process copy of ``key``; a corrupt or expired copy is dropped and is a miss."""
        entry = self._entry(key, kept)
        if entry is None:
            near.discard(key)
        else:
            self.stats.add("local_hits")
        return self._served(entry, prompt)

    def _served_read(self, key: str, ticket: Ticket | None, blob: Any, prompt: str) -> list[Generation] | None:
        """Serve what GET returned for ``key`` (read after ``ticket`` was taken), keeping a copy when allowed."""
        if self.near_cache is not None and isinstance(blob, bytes):
            self.near_cache.put(ticket, blob)
        return self._served(self._entry(key, blob), prompt)

    def lookup(self, prompt: str, llm_string: str) -> list[Generation] | None:
        """The marked cached generations for this prompt, model and tenant, or ``None``."""
        scope = self._lookup_turn(prompt, llm_string)
        if scope is None:
            return None
        key = self._key(prompt, llm_string, scope)
        near = self.near_cache
        if near is not None and (kept := near.get(key)) is not None:
            return self._served_kept(near, key, kept, prompt)
        ticket = self._ticket(key)
        blob = self.fail_open.call("lookup", lambda: self.connection.client.get(key), _FAILED, shard=self._shard(key))
        if blob is None and self.lease is not None and self._leads(prompt, llm_string, scope):
            blob = self.lease.follow(key, shard=self._shard(key))
        return self._served_read(key, ticket, blob, prompt)

    def update(self, prompt: str, llm_string: str, return_val: Sequence[Generation]) -> None:
        """Store ``return_val`` unless the request's directive or the policy says not to."""
        scope = self._store_scope(prompt, return_val)
        if scope is None:
            return
        key = self._key(prompt, llm_string, scope)
        blob = self._encode(key, return_val)
        if self.near_cache is not None:
            self.near_cache.discard(key)
        if self.fail_open.call(
            "update",
            lambda: bool(self.connection.client.set(key, blob, **self._set_kwargs())),
            False,
            shard=self._shard(key),
        ):
            self.stats.add("stores")

    def clear(self, **kwargs: Any) -> None:
        """Remove this namespace's exact entries (SCAN + UNLINK in batches, every primary); Redis errors raise."""
        if self.near_cache is not None:
            self.near_cache.clear()
        self.connection.unlink_matching(kind_pattern(self.namespace, EXACT_KIND))

    async def alookup(self, prompt: str, llm_string: str) -> list[Generation] | None:
        """Async :meth:`lookup` on ``redis.asyncio``."""
        scope = await self._alookup_turn(prompt, llm_string)
        if scope is None:
            return None
        key = self._key(prompt, llm_string, scope)
        near = self.near_cache
        if near is not None and (kept := near.get(key)) is not None:
            return self._served_kept(near, key, kept, prompt)
        ticket = self._ticket(key)
        blob = await self.fail_open.acall(
            "lookup", lambda: self.connection.acall("get", key), _FAILED, shard=self._shard(key)
        )
        if blob is None and self.lease is not None and self._leads(prompt, llm_string, scope):
            blob = await self.lease.afollow(key, shard=self._shard(key))
        return self._served_read(key, ticket, blob, prompt)

    async def aupdate(self, prompt: str, llm_string: str, return_val: Sequence[Generation]) -> None:
        """Async :meth:`update` on ``redis.asyncio``."""
        scope = self._store_scope(prompt, return_val)
        if scope is None:
            return
        key = self._key(prompt, llm_string, scope)
        blob = self._encode(key, return_val)
        if self.near_cache is not None:
            self.near_cache.discard(key)
        stored = await self.fail_open.acall(
            "update",
            lambda: self.connection.acall("set", key, blob, **self._set_kwargs()),
            False,
            shard=self._shard(key),
        )
        if stored:
            self.stats.add("stores")

    async def aclear(self, **kwargs: Any) -> None:
        """Async :meth:`clear`."""
        if self.near_cache is not None:
            self.near_cache.clear()
        await self.connection.aunlink_matching(kind_pattern(self.namespace, EXACT_KIND))

    def close(self) -> None:
        """Stop the near cache's listener and close the sync Redis client this cache made."""
        if self.near_cache is not None:
            self.near_cache.close()
        self.connection.close()

    async def aclose(self) -> None:
        """Close the async Redis client this cache made for the running event loop."""
        await self.connection.aclose()
