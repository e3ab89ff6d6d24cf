"""Bedrock prompt-cache accounting: which prompt prefixes are cached, per model, and for how long.

A ``cachePoint`` marks the prompt prefix before it (in cache order: tools, system, messages).
A prefix shorter than the model's minimum is silently not cached, as Bedrock does. The longest
live cached prefix is read (``cacheReadInputTokens``); later eligible cache points are written
(``cacheWriteInputTokens``, the tokens between the read prefix and the last written point).
Entries live 5 minutes, or 1 hour when asked and the model allows it; a read refreshes the TTL.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_bedrock_routing.emulator.request import CachePoint, CacheTTL, Segment

TTL_SECONDS: dict[CacheTTL, float] = {"5m": 300.0, "1h": 3600.0}
_PURGE_ABOVE = 50_000


@dataclass(frozen=True)
class CacheUsage:
    """Cached input tokens of one request: read from and written to the prompt cache."""

    read: int = 0
    write: int = 0


@dataclass(frozen=True)
class _Prefix:
    digest: str
    position: int
    tokens: int
    ttl: CacheTTL


class PromptCache:
    """Thread-safe prompt-cache state of one emulator; ``clock`` returns seconds (monotonic)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[str, tuple[float, float]] = {}

    def clear(self) -> None:
        """Forget every cached prefix."""
        with self._lock:
            self._expiry.clear()

    def account(
        self,
        model_id: str,
        min_tokens: int | None,
        segments: Sequence[Segment],
        points: Sequence[CachePoint],
        allow_1h: bool,
    ) -> CacheUsage:
        """Read and write the cache for one request to ``model_id``; ``min_tokens`` None = no caching."""
        if min_tokens is None or not points:
            return CacheUsage()
        prefixes = [p for p in _prefixes(model_id, segments, points, allow_1h) if p.tokens >= min_tokens]
        if not prefixes:
            return CacheUsage()
        now = self._clock()
        with self._lock:
            hit = next((p for p in reversed(prefixes) if self._expiry.get(p.digest, (0.0, 0.0))[0] > now), None)
            if hit is not None:
                self._expiry[hit.digest] = (now + self._expiry[hit.digest][1], self._expiry[hit.digest][1])
            read = hit.tokens if hit else 0
            written = [p for p in prefixes if hit is None or p.position > hit.position]
            for prefix in written:
                seconds = TTL_SECONDS[prefix.ttl]
                self._expiry[prefix.digest] = (now + seconds, seconds)
            if len(self._expiry) > _PURGE_ABOVE:
                self._expiry = {k: v for k, v in self._expiry.items() if v[0] > now}
        return CacheUsage(read=read, write=written[-1].tokens - read if written else 0)


def _prefixes(
    model_id: str, segments: Sequence[Segment], points: Sequence[CachePoint], allow_1h: bool
) -> list[_Prefix]:
    """One prefix per distinct cache point, in prompt order, with its digest and token count."""
    by_position: dict[int, CacheTTL] = {}
    for point in points:
        by_position[point.position] = "1h" if point.ttl == "1h" and allow_1h else "5m"
    digest = hashlib.sha256(model_id.encode("utf-8"))
    out: list[_Prefix] = []
    tokens = 0
    for index in range(len(segments) + 1):
        if index in by_position and index > 0:
            out.append(_Prefix(digest.copy().hexdigest(), index, tokens, by_position[index]))
        if index < len(segments):
            digest.update(b"\x00" + segments[index].key.encode("utf-8"))
            tokens += segments[index].tokens
    return out
