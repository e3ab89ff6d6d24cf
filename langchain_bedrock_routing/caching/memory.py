"""``InMemoryExactCache``: the exact cache in process (LRU + TTL), same keys, tenancy, policy and markers.

Entries are stored as copies sharing nothing mutable with the caller's objects, and each hit is another
such copy (see :func:`.copies.owned`): editing what was served, at any depth, changes neither the entry
nor any other hit. Thread-safe; async methods run inline.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from langchain_core.outputs import Generation

from langchain_bedrock_routing.caching.base import CacheBase
from langchain_bedrock_routing.caching.coalesce import DEFAULT_COALESCE_WAIT_S
from langchain_bedrock_routing.caching.copies import owned
from langchain_bedrock_routing.caching.envelope import CachedEntry, HitKind, usage_meta
from langchain_bedrock_routing.caching.keys import exact_key
from langchain_bedrock_routing.caching.policy import CachePolicy

DEFAULT_MAX_ENTRIES = 10_000
_NAMESPACE = "mem"


class InMemoryExactCache(CacheBase):
    """Exact-match LangChain cache in this process.

    Args:
        max_entries: LRU capacity; the least recently used entry goes first.
        ttl: seconds an entry lives (``None``: no expiry). ``tenant``/``policy``: as for ``RedisCache``.
        clock: wall-clock seconds (``time.time``), injectable for tests.
        coalesce: concurrent misses of one key wait up to ``coalesce_wait_s`` seconds for the first one's answer.
    """

    kind: ClassVar[HitKind] = "exact"

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl: float | None = None,
        tenant: str | None = None,
        policy: CachePolicy | None = None,
        clock: Callable[[], float] = time.time,
        coalesce: bool = False,
        coalesce_wait_s: float = DEFAULT_COALESCE_WAIT_S,
    ) -> None:
        super().__init__(ttl=ttl, tenant=tenant, policy=policy, coalesce=coalesce, coalesce_wait_s=coalesce_wait_s)
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"max_entries must be an int >= 1, got {max_entries!r}")
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, CachedEntry] = OrderedDict()

    def __len__(self) -> int:
        """Entries held, including expired ones not yet dropped."""
        return len(self._entries)

    def __bool__(self) -> bool:
        """Always true: an empty cache is still a cache (``cache or fallback`` must not skip it)."""
        return True

    def _get(self, key: str, now: float) -> CachedEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self.ttl is not None and now - entry.created_at >= self.ttl:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def lookup(self, prompt: str, llm_string: str) -> list[Generation] | None:
        """The marked cached generations for this prompt, model and tenant, or ``None``."""
        scope = self._lookup_turn(prompt, llm_string)
        return None if scope is None else self._find(prompt, llm_string, scope)

    def _find(self, prompt: str, llm_string: str, scope: str) -> list[Generation] | None:
        now = self._clock()
        entry = self._get(exact_key(_NAMESPACE, llm_string=llm_string, prompt=prompt, tenant_scope=scope), now)
        return self._served(None if entry is None else entry.detached(), prompt, now=now)

    def update(self, prompt: str, llm_string: str, return_val: Sequence[Generation]) -> None:
        """Store a copy of ``return_val`` unless the request's directive or the policy says not to."""
        scope = self._store_scope(prompt, return_val)
        if scope is None:
            return
        key = exact_key(_NAMESPACE, llm_string=llm_string, prompt=prompt, tenant_scope=scope)
        entry = CachedEntry(owned(list(return_val)), usage_meta(return_val), self._clock())
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        self.stats.add("stores")

    def clear(self, **kwargs: Any) -> None:
        """Remove every entry."""
        with self._lock:
            self._entries.clear()

    async def alookup(self, prompt: str, llm_string: str) -> list[Generation] | None:
        """Same as :meth:`lookup` (no I/O to wait for; a ``coalesce`` wait does not block the loop)."""
        scope = await self._alookup_turn(prompt, llm_string)
        return None if scope is None else self._find(prompt, llm_string, scope)

    async def aupdate(self, prompt: str, llm_string: str, return_val: Sequence[Generation]) -> None:
        """Same as :meth:`update`."""
        self.update(prompt, llm_string, return_val)

    async def aclear(self, **kwargs: Any) -> None:
        """Same as :meth:`clear`."""
        self.clear()
