"""In-process copies of recent exact-cache values, dropped as soon as Redis reports that their key changed.

Redis's server-assisted client-side caching in broadcasting mode: one listener connection per cache
runs ``CLIENT TRACKING ON REDIRECT <itself> BCAST PREFIX <prefix>`` and subscribes to
``__redis__:invalidate``, so the server announces every change of a key under the prefix (a write
from any client, a delete, an expiry, an eviction, ``FLUSHALL``) on it. A daemon thread applies the
announcements. Copies are served only while that connection is up: when it drops, every copy is
forgotten until it is back. A change made elsewhere reaches this process after the announcement's
trip over the network; changes made through this cache are applied at once. Works on Redis 6+ and
Valkey (standalone); RESP2 on the listener, whatever the data connections use.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import redis

INVALIDATION_CHANNEL = b"__redis__:invalidate"
DEFAULT_IDLE_PING_S = 1.0
"""A listener that heard nothing for this long sends PING; no reply within as long again means the link is dead."""
_MAX_VALUE_BYTES = 64 * 1024
_POOL_ONLY_OPTIONS = ("maint_notifications_", "orig_")
"""Prefixes of pool-made connection options that need RESP3 or a pool (server maintenance notifications)."""
_RETRY_DELAYS_S = (0.1, 0.5, 1.0, 5.0)

_log = logging.getLogger(__name__)


class ListenerConnection(Protocol):
    """What the listener uses of a redis-py connection."""

    def connect(self) -> None: ...
    def disconnect(self) -> None: ...
    def send_command(self, *args: Any) -> None: ...
    def read_response(self) -> Any: ...
    def can_read(self, timeout: float = 0) -> bool: ...


class Ticket:
    """Taken before reading a key from Redis; :meth:`NearCache.put` keeps the value only if the key did not
    change (and the listener did not reconnect) in between."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


class NearCache:
    """Up to ``max_entries`` values (bytes, at most 64 KiB each) for keys under ``prefix``, least recently used
    dropped first.

    ``connection_kwargs`` and ``connection_class`` make the listener connection (a redis-py pool's
    ``connection_kwargs``/``connection_class``; the protocol is forced to RESP2). The listener starts on
    first use and stops with :meth:`close`; a forked child starts its own.
    """

    def __init__(
        self,
        prefix: str,
        *,
        connection_kwargs: dict[str, Any],
        connection_class: Callable[..., ListenerConnection] = redis.Connection,
        max_entries: int = 10_000,
        idle_ping_s: float = DEFAULT_IDLE_PING_S,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"max_entries must be an int >= 1, got {max_entries!r}")
        self.prefix = prefix
        self.max_entries = max_entries
        self.idle_ping_s = idle_ping_s
        options = {k: v for k, v in connection_kwargs.items() if not k.startswith(_POOL_ONLY_OPTIONS)}
        # a reply cut short by a dead peer must not block the listener (and keep copies live) forever
        read_timeout_s = 5 * idle_ping_s
        self._connection_kwargs = {
            **options,
            "protocol": 2,
            "socket_timeout": read_timeout_s,
            "decode_responses": False,
        }
        self._connection_class = connection_class
        self._values: OrderedDict[str, bytes] = OrderedDict()
        self._tickets: dict[str, Ticket] = {}
        self._lock = threading.Lock()
        self._live = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._connection: ListenerConnection | None = None
        self.invalidations = 0
        """Announcements applied so far (each names some keys, or all of them)."""

    @property
    def live(self) -> bool:
        """True while the listener is subscribed in this process, i.e. while copies may be served."""
        return self._live.is_set() and self._pid == os.getpid()

    def wait_live(self, timeout_s: float) -> bool:
        """Start the listener if needed and wait up to ``timeout_s`` seconds for it; returns :attr:`live`."""
        self._ensure_listener()
        self._live.wait(timeout_s)
        return self.live

    def get(self, key: str) -> bytes | None:
        """The copy for ``key``, or ``None`` (none kept, or the listener is down)."""
        self._ensure_listener()
        if not self.live:
            return None
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def ticket(self, key: str) -> Ticket | None:
        """A ticket for reading ``key`` from Redis now, or ``None`` while copies cannot be kept."""
        if not self.live:
            return None
        ticket = Ticket(key)
        with self._lock:
            self._tickets[key] = ticket
        return ticket

    def put(self, ticket: Ticket | None, value: bytes) -> None:
        """Keep ``value`` (read from Redis after ``ticket`` was taken) unless its key changed meanwhile."""
        if ticket is None or len(value) > _MAX_VALUE_BYTES:
            return
        with self._lock:
            if self._tickets.get(ticket.key) is not ticket or not self.live:
                return
            del self._tickets[ticket.key]
            self._values[ticket.key] = value
            self._values.move_to_end(ticket.key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)

    def discard(self, key: str) -> None:
        """Forget ``key`` now (this process is about to change it)."""
        with self._lock:
            self._values.pop(key, None)
            self._tickets.pop(key, None)

    def clear(self) -> None:
        """Forget every copy and outstanding ticket."""
        with self._lock:
            self._values.clear()
            self._tickets.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def close(self) -> None:
        """Stop the listener and forget every copy."""
        self._closed.set()
        self._live.clear()
        connection = self._connection
        if connection is not None:
            connection.disconnect()
        self.clear()

    def _ensure_listener(self) -> None:
        pid = os.getpid()
        if self._pid == pid or self._closed.is_set():
            return
        with self._lock:
            if self._pid == pid:
                return
            self._pid = pid
            self._live.clear()
            self._values.clear()
            self._tickets.clear()
            self._thread = threading.Thread(target=self._listen, name=f"lbr-near-cache[{self.prefix}]", daemon=True)
            self._thread.start()

    def _listen(self) -> None:
        """Subscribe, apply announcements until the link drops, start over after a pause, until closed."""
        failures = 0
        while not self._closed.is_set():
            try:
                self._subscribe_and_apply()
                failures = 0
            except Exception as exc:  # whatever ends the link, copies stop and the loop retries
                if self._closed.is_set():
                    break
                level = logging.WARNING if failures == 0 else logging.DEBUG
                _log.log(level, "near cache for %s*: listener lost (%s); copies off until it is back", self.prefix, exc)
                failures += 1
            finally:
                self._live.clear()
                self.clear()
            self._closed.wait(_RETRY_DELAYS_S[min(failures, len(_RETRY_DELAYS_S) - 1)])

    def _subscribe_and_apply(self) -> None:
        connection = self._connection_class(**self._connection_kwargs)
        self._connection = connection
        try:
            connection.connect()
            client_id = self._command(connection, "CLIENT", "ID")
            self._command(connection, "CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST", "PREFIX", self.prefix)
            self._command(connection, "SUBSCRIBE", INVALIDATION_CHANNEL)
            self.clear()
            self._live.set()
            awaiting_pong = False
            while not self._closed.is_set():
                if connection.can_read(timeout=self.idle_ping_s):
                    self._apply(connection.read_response())
                    awaiting_pong = False
                elif awaiting_pong:
                    raise redis.ConnectionError(f"no reply to PING within {self.idle_ping_s} s")
                else:
                    connection.send_command("PING")
                    awaiting_pong = True
        finally:
            self._connection = None
            connection.disconnect()

    @staticmethod
    def _command(connection: ListenerConnection, *args: Any) -> Any:
        connection.send_command(*args)
        reply = connection.read_response()
        if isinstance(reply, redis.ResponseError):
            raise reply
        return reply

    def _apply(self, message: Any) -> None:
        """Drop the keys an ``__redis__:invalidate`` message names (all of them for ``None``: a flush)."""
        if not (isinstance(message, list) and len(message) == 3 and message[0] == b"message"):
            return  # a PING reply
        keys = message[2]
        with self._lock:
            self.invalidations += 1
            if keys is None:
                self._values.clear()
                self._tickets.clear()
                return
            for raw in keys:
                key = raw.decode() if isinstance(raw, bytes) else str(raw)
                self._values.pop(key, None)
                self._tickets.pop(key, None)
