"""What every cache here shares: TTL and tenant settings, the store policy, counters and hit marking.

Subclasses keep their storage; this base decides, per request, whether to look up or store (the
request's directive and the policy) and under which tenant scope, and counts every outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import ClassVar

from langchain_core.caches import BaseCache
from langchain_core.outputs import Generation

from langchain_bedrock_routing.caching.breaker import CacheStats
from langchain_bedrock_routing.caching.coalesce import DEFAULT_COALESCE_WAIT_S, Flights, validate_wait
from langchain_bedrock_routing.caching.context import (
    RequestCacheContext,
    current_request,
    current_run_id,
    ensure_run_hook,
    tenant_scope,
    tenants_in_play,
    validate_tenant,
    warn_unscoped,
)
from langchain_bedrock_routing.caching.envelope import CachedEntry, HitKind, check_generations, mark_hit
from langchain_bedrock_routing.caching.keys import digest
from langchain_bedrock_routing.caching.policy import CachePolicy
from langchain_bedrock_routing.errors import CorruptEntryError

_log = logging.getLogger(__name__)


MAX_TTL_S = 1e15
"""Longest ``ttl`` in seconds (about 31.7 million years): Redis refuses ``SET PX`` expiries past 2**63 - 1 ms
from the epoch (about 9.2e15 s), and every cache here stores under the same bound."""


def validate_ttl(ttl: object) -> float | None:
    """``ttl`` in seconds (> 0, at most :data:`MAX_TTL_S`) as a float, or ``None`` for no expiry; ``ValueError``
    naming the value and the limits otherwise."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= MAX_TTL_S:
        raise ValueError(
            f"ttl must be a positive number of seconds or None (no expiry; not inf), at most {MAX_TTL_S:.0e} s "
            f"(about 31.7 million years; Redis refuses expiries past 2**63 ms), got {ttl!r}"
        )
    return float(ttl)


def validate_unit_interval(value: object, name: str) -> float:
    """``value`` as a float in [0, 1]; ``ValueError`` naming ``name`` and the value otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


class CacheBase(BaseCache):
    """Base of the package's caches. ``ttl`` in seconds (``None``: no expiry); ``tenant`` fixes a tenant.

    ``coalesce``: concurrent runs missing the same key wait (at most ``coalesce_wait_s`` seconds) for the
    first one's answer instead of each asking the model (see :mod:`~langchain_bedrock_routing.caching.coalesce`).
    """

    kind: ClassVar[HitKind]

    def __init__(
        self,
        *,
        ttl: float | None = None,
        tenant: str | None = None,
        policy: CachePolicy | None = None,
        coalesce: bool = False,
        coalesce_wait_s: float = DEFAULT_COALESCE_WAIT_S,
    ) -> None:
        ensure_run_hook()
        self.ttl = validate_ttl(ttl)
        self.tenant = validate_tenant(tenant)
        self.policy = policy or CachePolicy()
        self.stats = CacheStats()
        if not isinstance(coalesce, bool):
            raise ValueError(f"coalesce must be True or False, got {coalesce!r}")
        self.flights = Flights(coalesce_wait_s, self.stats) if coalesce else None
        validate_wait(coalesce_wait_s)  # also when off, so a bad setting never waits to be switched on
        self._saw_tenant = False
        self._warned_unscoped = False

    def _fails_closed(self, request: RequestCacheContext) -> bool:
        """True (warned once) when ``request`` has no scope at all while tenants are in play: it could be a
        tenant's thread that lost its context, so it gets neither the shared scope nor any other."""
        if request.tenant is not None:
            self._saw_tenant = True
        if request.scoped or not tenants_in_play(self._saw_tenant):
            return False
        if not self._warned_unscoped:
            self._warned_unscoped = True
            warn_unscoped(type(self).__name__)
        return True

    def _lookup_scope(self) -> str | None:
        """The tenant scope to look up under, or ``None`` when this request skips lookups (counted)."""
        request = current_request()
        if self._fails_closed(request):
            self.stats.add("unscoped_lookups_refused")
            return None
        if not request.may_lookup:
            self.stats.add("lookups_bypassed")
            return None
        return tenant_scope(self.tenant, request)

    def _flight_key(self, prompt: str, llm_string: str, scope: str) -> str:
        return digest(llm_string, prompt, scope)

    def _leads(self, prompt: str, llm_string: str, scope: str) -> bool:
        """Whether this run leads the key (``coalesce``): it alone may take a cross-process lease after a miss."""
        return self.flights is not None and self.flights.leads(
            self._flight_key(prompt, llm_string, scope), current_run_id()
        )

    def _lookup_turn(self, prompt: str, llm_string: str) -> str | None:
        """:meth:`_lookup_scope`, then (``coalesce``) lead this key or wait for the run leading it; a request that
        may not store (``no-store``) neither leads nor waits."""
        scope = self._lookup_scope()
        if scope is not None and self.flights is not None and current_request().may_store:
            self.flights.turn(self._flight_key(prompt, llm_string, scope), current_run_id())
        return scope

    async def _alookup_turn(self, prompt: str, llm_string: str) -> str | None:
        """Async :meth:`_lookup_turn` (waits without blocking the event loop)."""
        scope = self._lookup_scope()
        if scope is not None and self.flights is not None and current_request().may_store:
            await self.flights.aturn(self._flight_key(prompt, llm_string, scope), current_run_id())
        return scope

    def _store_scope(self, prompt: str, generations: Sequence[Generation]) -> str | None:
        """The tenant scope to store under, or ``None`` when the directive or the policy forbids it (counted)."""
        request = current_request()
        if self._fails_closed(request):
            self.stats.add("unscoped_stores_refused")
            return None
        if not request.may_store:
            self.stats.add("stores_bypassed")
            return None
        reason = self.policy.skip_reason(prompt, generations)
        if reason is not None:
            self.stats.skip(reason)
            return None
        return tenant_scope(self.tenant, request)

    def _served(
        self,
        entry: CachedEntry | None,
        prompt: str,
        *,
        kind: HitKind | None = None,
        similarity: float | None = None,
        now: float | None = None,
    ) -> list[Generation] | None:
        """Count a hit or a miss; a hit comes back marked with its kind (default: this cache's), similarity
        (default 1.0 for exact hits) and age as of ``now`` (unix s). An entry that cannot answer ``prompt`` (see
        :func:`.envelope.check_generations`) is a counted, logged corrupt miss. The entry's generations must be
        this lookup's own objects (just decoded or copied): they are marked in place."""
        if entry is not None:
            try:
                check_generations(entry.generations, prompt)
            except CorruptEntryError as exc:
                self.stats.add("corrupt")
                _log.warning("%s: unusable entry served as a miss: %s", type(self).__name__, exc)
                entry = None
        if entry is None:
            self.stats.add("misses")
            return None
        self.stats.add("hits")
        if self.flights is not None:
            self.flights.land(current_run_id())  # a leader that found the answer releases its waiters now
        kind = kind or self.kind
        if similarity is None and kind == "exact":
            similarity = 1.0
        return mark_hit(entry.generations, kind, similarity=similarity, age_s=entry.age_s(now), copy=False)
