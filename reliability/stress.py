"""Conditions the extra soak phases create: a CPU-bound thread, a full Redis, and a user's own thread pool.

``cpu_hog`` keeps one thread parsing JSON (each parse holds the GIL for tens of milliseconds) while async
calls run; ``FullRedis`` sets ``maxmemory`` below the memory in use with ``noeviction`` (every write is
refused with ``OOM``, reads still work) and restores both settings afterwards; ``submit_scoped`` sends a
call from a plain ``ThreadPoolExecutor`` inside ``cache_scope(tenant=...)``, copying the context into the
worker (what the README asks of a user's own threads) or not (the tenant is lost in the worker).
"""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from langchain_bedrock_routing.caching import cache_scope
from langchain_bedrock_routing.testing import RedisServer

_T = TypeVar("_T")


@contextmanager
def cpu_hog(items: int = 100_000) -> Iterator[None]:
    """One daemon thread parsing a JSON document of ``items`` objects (about 3 MB) over and over while the block
    runs: each parse holds the GIL for tens of milliseconds, as CPU-bound work in a web app's thread does."""
    stop = threading.Event()
    payload = json.dumps([{"id": i, "name": f"item {i}"} for i in range(items)])

    def parse() -> None:
        while not stop.is_set():
            json.loads(payload)

    thread = threading.Thread(target=parse, name="soak-cpu-hog", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


@contextmanager
def full_redis(server: RedisServer) -> Iterator[int]:
    """``server`` with ``maxmemory`` just below its used memory and ``noeviction``; yields that limit (bytes)."""
    with server.client() as client:
        before = client.config_get("maxmemory")["maxmemory"], client.config_get("maxmemory-policy")
        used = int(client.info("memory")["used_memory"])
        limit = max(1, used - 1024)
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", str(limit))
    try:
        yield limit
    finally:
        with server.client() as client:
            client.config_set("maxmemory", before[0])
            client.config_set("maxmemory-policy", before[1]["maxmemory-policy"])


def submit_scoped(pool: ThreadPoolExecutor, tenant: str, fn: Callable[[], _T], *, copy_context: bool) -> Future[_T]:
    """Submit ``fn`` to ``pool`` from inside ``cache_scope(tenant=tenant)``, with or without the context copied."""
    with cache_scope(tenant=tenant):
        if copy_context:
            return pool.submit(contextvars.copy_context().run, fn)
        return pool.submit(fn)
