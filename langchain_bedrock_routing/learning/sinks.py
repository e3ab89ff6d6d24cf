"""Where recorded outcomes go: an append-only JSONL file, or a Redis stream or list (one outcome line each)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

import redis

RedisKind = Literal["stream", "list"]
REDIS_KINDS: tuple[RedisKind, ...] = ("stream", "list")
DEFAULT_KEY = "bedrock-routing:outcomes"
_FIELD = "outcome"
_PAGE = 1000


class OutcomeWriter(Protocol):
    """Anything that stores outcome lines; ``write`` must be safe to call from many threads."""

    def write(self, line: str) -> None:
        """Store one line of the outcomes format (no trailing newline)."""


class JsonlSink:
    """Appends each line to ``path`` (created on first write); a lock keeps concurrent lines whole."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        """Append ``line`` and a newline, flushed before returning."""
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


class RedisSink:
    """Adds each line to a Redis stream (``XADD``, field ``outcome``) or list (``RPUSH``) at ``key``.

    ``maxlen`` caps the entries kept (a stream trims approximately, a list exactly); ``None`` keeps all.
    Read them back with :meth:`lines` or write a training file with :meth:`export`.
    """

    def __init__(
        self,
        client: redis.Redis | str,
        key: str = DEFAULT_KEY,
        *,
        kind: RedisKind = "stream",
        maxlen: int | None = None,
    ) -> None:
        if kind not in REDIS_KINDS:
            raise ValueError(f"unknown Redis kind {kind!r}; valid kinds: {', '.join(REDIS_KINDS)}")
        if maxlen is not None and maxlen <= 0:
            raise ValueError(f"maxlen must be a positive number of entries or None, got {maxlen}")
        self.client = redis.Redis.from_url(client) if isinstance(client, str) else client
        self.key, self.kind, self.maxlen = key, kind, maxlen

    def write(self, line: str) -> None:
        """Add ``line`` as the newest entry (raises redis-py's errors when Redis cannot take it)."""
        if self.kind == "stream":
            self.client.xadd(self.key, {_FIELD: line}, maxlen=self.maxlen, approximate=True)
            return
        pipe = self.client.pipeline()
        pipe.rpush(self.key, line)
        if self.maxlen is not None:
            pipe.ltrim(self.key, -self.maxlen, -1)
        pipe.execute()

    def lines(self) -> Iterator[str]:
        """Every stored line, oldest first (read in pages of 1,000)."""
        if self.kind == "list":
            for start in range(0, int(self.client.llen(self.key)), _PAGE):
                for raw in self.client.lrange(self.key, start, start + _PAGE - 1):
                    yield _text(raw)
            return
        after = "-"
        while entries := self.client.xrange(self.key, min=after, count=_PAGE):
            for _, fields in entries:
                yield _field(fields)
            after = "(" + _text(entries[-1][0] or b"")

    def export(self, path: str | Path) -> int:
        """Write every stored line to a JSONL file (``bedrock-routing train`` reads it); returns the count."""
        count = 0
        with Path(path).open("w", encoding="utf-8") as handle:
            for line in self.lines():
                handle.write(line + "\n")
                count += 1
        return count


def _field(fields: Mapping[Any, Any] | None) -> str:
    fields = fields or {}
    return _text(fields.get(_FIELD.encode(), fields.get(_FIELD, b"")))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value
