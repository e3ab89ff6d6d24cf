"""What a cache-warming run did: one :class:`WarmResult` per prompt and the :class:`WarmReport` totals.

Costs are USD at catalog prices, as the stats callback computes them (``None`` when a price is unknown);
tokens are Bedrock's billing categories (:class:`TokenUsage`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, get_args

from langchain_bedrock_routing.catalog.pricing import TokenUsage

WarmStatus = Literal["stored", "already_cached", "not_stored", "duplicate", "failed"]
"""``stored``: answered by the model and stored. ``already_cached``: a cache hit, nothing paid.
``not_stored``: answered, but the cache's policy refused it (``reason``: pii, truncated, tool_calls ...).
``duplicate``: the same conversation and tenant as an earlier prompt of the run, not sent again.
``failed``: the model call raised (``reason``: the error); the run goes on."""
WARM_STATUSES: tuple[WarmStatus, ...] = get_args(WarmStatus)


@dataclass(frozen=True)
class WarmResult:
    """One prompt's outcome. ``index``: position in the input; ``line``: its JSONL line, if it came from a file."""

    index: int
    line: int | None
    tenant: str | None
    preview: str
    """The last user turn, shortened (never the full conversation)."""
    status: WarmStatus
    reason: str | None = None
    """Why not stored (policy reason), the error (failed), the earlier prompt (duplicate), or the hit's kind."""
    model_id: str | None = None
    tokens: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: Decimal | None = Decimal(0)
    """USD billed for this prompt; 0 for hits and duplicates; ``None`` if a billed model has no known price."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields (cost as a float or ``None``)."""
        return {
            "index": self.index,
            "line": self.line,
            "tenant": self.tenant,
            "preview": self.preview,
            "status": self.status,
            "reason": self.reason,
            "model_id": self.model_id,
            "tokens": self.tokens.as_dict(),
            "cost_usd": None if self.cost_usd is None else float(self.cost_usd),
        }


@dataclass(frozen=True)
class WarmReport:
    """A finished warming run: per-prompt ``results`` (input order), wall time, the cache warmed, and the
    change of that cache's own counters during the run (``None`` for caches without counters)."""

    results: tuple[WarmResult, ...]
    elapsed_s: float
    cache: str
    """The warmed cache's class name."""
    cache_counters: dict[str, Any] | None = None
    """Delta of ``cache.stats`` (stores, errors, skipped ...) over the run; other traffic on the same cache
    instance during the run is included."""

    @property
    def counts(self) -> dict[WarmStatus, int]:
        """Prompts per status (every status present, zeros included)."""
        seen = Counter(r.status for r in self.results)
        return {status: seen[status] for status in WARM_STATUSES}

    @property
    def paid_calls(self) -> int:
        """Prompts that reached a model and were billed (stored or not stored)."""
        return sum(1 for r in self.results if r.tokens.total > 0)

    @property
    def tokens(self) -> TokenUsage:
        """Tokens billed over the run."""
        return sum((r.tokens for r in self.results), TokenUsage())

    @property
    def cost_usd(self) -> Decimal | None:
        """USD billed over the run; ``None`` if any billed prompt's price is unknown."""
        costs = [r.cost_usd for r in self.results]
        return None if any(c is None for c in costs) else sum((c for c in costs if c is not None), Decimal(0))

    @property
    def store_failures(self) -> int | None:
        """Answers the run reported ``stored`` that the cache did not count as stores (a cache outage: the
        cache fails open); ``None`` when the cache keeps no counters."""
        if self.cache_counters is None:
            return None
        return max(0, self.counts["stored"] - int(self.cache_counters.get("stores", 0)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe report: totals, then every prompt's result."""
        cost = self.cost_usd
        return {
            "prompts": len(self.results),
            "counts": dict(self.counts),
            "paid_calls": self.paid_calls,
            "tokens": self.tokens.as_dict(),
            "cost_usd": None if cost is None else float(cost),
            "elapsed_s": round(self.elapsed_s, 3),
            "cache": self.cache,
            "cache_counters": self.cache_counters,
            "store_failures": self.store_failures,
            "results": [r.to_dict() for r in self.results],
        }
