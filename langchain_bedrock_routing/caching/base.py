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
from langchain_bedrock_routing.caching.context import current_request, tenant_scope, validate_tenant
from langchain_bedrock_routing.caching.envelope import (
    CachedEntry,
    CorruptEntryError,
    HitKind,
    check_generations,
    mark_hit,
)
from langchain_bedrock_routing.caching.policy import CachePolicy

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
    """Base of the package's caches. ``ttl`` in seconds (``None``: no expiry); ``tenant`` fixes a tenant."""

    kind: ClassVar[HitKind]

    def __init__(
        self, *, ttl: float | None = None, tenant: str | None = None, policy: CachePolicy | None = None
    ) -> None:
        self.ttl = validate_ttl(ttl)
        self.tenant = validate_tenant(tenant)
        self.policy = policy or CachePolicy()
        self.stats = CacheStats()

    def _lookup_scope(self) -> str | None:
        """The tenant scope to look up under, or ``None`` when this request skips lookups (counted)."""
        request = current_request()
        if not request.may_lookup:
            self.stats.add("lookups_bypassed")
            return None
        return tenant_scope(self.tenant, request)

    def _store_scope(self, prompt: str, generations: Sequence[Generation]) -> str | None:
        """The tenant scope to store under, or ``None`` when the directive or the policy forbids it (counted)."""
        request = current_request()
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
        kind = kind or self.kind
        if similarity is None and kind == "exact":
            similarity = 1.0
        return mark_hit(entry.generations, kind, similarity=similarity, age_s=entry.age_s(now), copy=False)
