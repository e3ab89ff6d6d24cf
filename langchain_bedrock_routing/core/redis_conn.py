"""Redis clients for the caches: URL checks, short timeouts, standalone or cluster, sync and per-loop async.

Standalone Redis 6.2+, Valkey and Redis Cluster (``cluster=True`` or a ``RedisCluster`` client) work
the same. Async calls use ``redis.asyncio`` (one client per event loop) when the connection came
from a URL or an ``async_client``; with only a sync ``client`` they run it in a worker thread.
Standalone clients made from a URL share a *blocking* pool: under a burst of concurrent calls a
lookup waits for a free connection instead of failing at once, as redis-py's default pool does when
its connections are busy.

Sync calls are bounded by socket timeouts of ``timeout_s``, which the kernel keeps. An async call's
``timeout_s`` is kept by :class:`~.loop_deadline.LoopDeadline` around each round trip (see :meth:`timed`):
it counts only time during which the event loop ran on schedule, so a process starved of CPU or of
the GIL (a late loop reads a waiting reply late) does not turn a healthy Redis into timeouts. The
async clients' own socket and pool timeouts sit behind it as a safety net.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.asyncio.retry
import redis.cluster
from redis.backoff import NoBackoff
from redis.crc import key_slot

from langchain_bedrock_routing.core.loop_deadline import LoopDeadline

SyncClient = redis.Redis | redis.cluster.RedisCluster
AsyncClient = redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster

DEFAULT_TIMEOUT_S = 0.5
"""Default socket connect and read timeout: a cache answer slower than this is not worth waiting for."""
DEFAULT_MAX_CONNECTIONS = 100
"""Connections in the sync client's pool (shared by the threads of the process)."""
ASYNC_MAX_CONNECTIONS = 32
"""Connections in each event loop's async pool: one loop cannot keep more busy, and a burst of tasks then opens
at most this many sockets at once (the others wait for one)."""
STALL_LIMIT_FACTOR = 30
"""An async round trip gives up after ``STALL_LIMIT_FACTOR * timeout_s`` of wall time even when the event loop was
late for most of it (a :class:`~.loop_deadline.LoopStalledError`: counted, but no sign of a Redis outage). Generous:
a starved process is slow whatever it does, and giving up early turns answered prompts into paid misses (a
200-task burst beside a CPU-bound thread took over 5 s on a loaded 2-core machine)."""
T = TypeVar("T")
_SCHEMES = ("redis", "rediss", "unix")
_UNLINK_BATCH = 500


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def validate_redis_url(url: object) -> str:
    """``url`` if it is a ``redis://``, ``rediss://`` or ``unix://`` URL redis-py can use; ``ValueError`` otherwise."""
    if not isinstance(url, str) or not url:
        raise ValueError(f"redis_url must be a non-empty string like 'redis://localhost:6379/0', got {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"malformed Redis URL {_redacted(url)!r}: {exc}") from exc
    if parts.scheme not in _SCHEMES:
        raise ValueError(
            f"Redis URL {_redacted(url)!r} has scheme {parts.scheme!r}; use one of "
            + ", ".join(s + "://" for s in _SCHEMES)
        )
    if parts.scheme == "unix" and not parts.path:
        raise ValueError(f"Redis URL {_redacted(url)!r} names no socket path")
    if parts.scheme != "unix":
        if not parts.hostname:
            raise ValueError(f"Redis URL {_redacted(url)!r} names no host")
        if port == 0:
            raise ValueError(f"Redis URL {_redacted(url)!r} has port 0")
        db = parts.path.strip("/")
        if db and not db.isdigit():
            raise ValueError(f"Redis URL {_redacted(url)!r}: database {db!r} is not a number")
    return url


class RedisConnection:
    """The sync client plus lazily made async clients, all with short timeouts and one quick retry."""

    def __init__(
        self,
        redis_url: str | None = None,
        *,
        client: SyncClient | None = None,
        async_client: AsyncClient | None = None,
        cluster: bool = False,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if redis_url is None and client is None and async_client is None:
            raise ValueError("give redis_url=... or client=... (or use make_cache(), which reads $REDIS_URL)")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0 seconds, got {timeout_s!r}")
        self.url = validate_redis_url(redis_url) if redis_url is not None else None
        self.timeout_s = float(timeout_s)
        self._given_async = async_client
        self.is_cluster = (
            cluster
            or isinstance(client, redis.cluster.RedisCluster)
            or isinstance(async_client, redis.asyncio.cluster.RedisCluster)
        )
        self._client = client
        self._owns_client = client is None
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._slot_owners: dict[int, str] = {}

    def _options(self) -> dict[str, Any]:
        return {"socket_timeout": self.timeout_s, "socket_connect_timeout": self.timeout_s}

    def _pool_options(self) -> dict[str, Any]:
        """A blocking pool's options: wait up to ``timeout_s`` for one of its connections."""
        return {**self._options(), "max_connections": DEFAULT_MAX_CONNECTIONS, "timeout": self.timeout_s}

    @property
    def stall_limit_s(self) -> float:
        """Wall-time bound of an async round trip while the event loop runs late (seconds)."""
        return STALL_LIMIT_FACTOR * self.timeout_s

    def _async_options(self) -> dict[str, Any]:
        """The async clients' own timeouts: a safety net behind :meth:`timed`, which gives up first."""
        net = self.stall_limit_s + self.timeout_s
        return {"socket_timeout": net, "socket_connect_timeout": net}

    @property
    def client(self) -> SyncClient:
        """The sync client (made from the URL on first use)."""
        with self._lock:
            if self._client is None:
                if self.url is None:
                    raise ValueError("no sync Redis client: pass redis_url=... or client=...")
                retry = redis.retry.Retry(NoBackoff(), 1)
                self._client = (
                    redis.cluster.RedisCluster.from_url(self.url, retry=retry, **self._options())
                    if self.is_cluster
                    else redis.Redis.from_pool(
                        redis.BlockingConnectionPool.from_url(self.url, retry=retry, **self._pool_options())
                    )
                )
            return self._client

    def shard_of(self, key: str) -> str | None:
        """The Redis Cluster primary (``host:port``) serving ``key``: from a client's current slot map, else the last
        one seen for its slot (a client may drop a dead node from its map); ``None`` for standalone Redis or before
        any cluster client here has learned the map."""
        if not self.is_cluster:
            return None
        slot = key_slot(key.encode())
        with self._lock:
            clients = [self._client, self._given_async, *self._async_clients.values()]
        for client in clients:
            if isinstance(client, redis.cluster.RedisCluster | redis.asyncio.cluster.RedisCluster):
                try:
                    node = client.get_node_from_key(key)
                except (redis.RedisError, redis.exceptions.RedisClusterException, LookupError):  # map not known now
                    continue
                if node is not None:
                    self._slot_owners[slot] = str(node.name)
                    break
        return self._slot_owners.get(slot)

    def async_client(self) -> AsyncClient | None:
        """The async client for the running loop, or ``None`` when only a sync client was given."""
        if self._given_async is not None:
            return self._given_async
        if self.url is None:
            return None
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._async_clients.get(loop)
            if client is None:
                retry = redis.asyncio.retry.Retry(NoBackoff(), 1)
                options = self._async_options()
                client = (
                    redis.asyncio.cluster.RedisCluster.from_url(self.url, retry=retry, **options)
                    if self.is_cluster
                    else redis.asyncio.Redis.from_pool(
                        redis.asyncio.BlockingConnectionPool.from_url(
                            self.url,
                            retry=retry,
                            max_connections=ASYNC_MAX_CONNECTIONS,
                            timeout=options["socket_timeout"],
                            **options,
                        )
                    )
                )
                self._async_clients[loop] = client
            return client

    async def timed(self, round_trip: Awaitable[T]) -> T:
        """``await round_trip`` (Redis commands on an async client) within ``timeout_s`` of on-time event loop.

        Raises ``TimeoutError`` when Redis did not answer in time while the loop ran on schedule, and
        :class:`~.loop_deadline.LoopStalledError` when the loop itself was late for most of the wait."""
        async with LoopDeadline(self.timeout_s, self.stall_limit_s):
            return await round_trip

    async def acall(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``await async_client.<method>(...)`` within :meth:`timed`, or the sync client's method in a worker
        thread."""
        client = self.async_client()
        if client is None:
            return await asyncio.to_thread(getattr(self.client, method), *args, **kwargs)
        return await self.timed(getattr(client, method)(*args, **kwargs))

    def unlink_matching(self, pattern: str) -> int:
        """UNLINK every key matching ``pattern`` (SCAN on every primary, batches of 500); returns the count."""
        removed = 0
        for batch in _batches(self.client.scan_iter(match=pattern, count=_UNLINK_BATCH)):
            removed += int(self.client.unlink(*batch))
        return removed

    async def aunlink_matching(self, pattern: str) -> int:
        """Async :meth:`unlink_matching`."""
        client = self.async_client()
        if client is None:
            return await asyncio.to_thread(self.unlink_matching, pattern)
        removed, batch = 0, []
        async for key in client.scan_iter(match=pattern, count=_UNLINK_BATCH):
            batch.append(key)
            if len(batch) >= _UNLINK_BATCH:
                removed += int(await client.unlink(*batch))
                batch = []
        if batch:
            removed += int(await client.unlink(*batch))
        return removed

    async def aclose(self) -> None:
        """Close the async client this object made for the running loop (a given one stays open)."""
        with self._lock:
            client = self._async_clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def close(self) -> None:
        """Close the sync client this object made (a given ``client`` stays open for its owner)."""
        with self._lock:
            if self._client is not None and self._owns_client:
                self._client.close()
                self._client = None


def _batches(keys: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for key in keys:
        batch.append(key)
        if len(batch) >= _UNLINK_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
