"""Spend budgets per app and per tenant over UTC calendar windows, checked before each Bedrock call.

A request that reaches the router (a response-cache hit never does: LangChain answers it first) is held to
every budget that applies to it: ``per="app"`` budgets always, ``per="tenant"`` ones when the run names a tenant
(``config={"metadata": {"tenant_id": ...}}``, the key the caches and statistics read). Before the call the
router reads the budgets (or, far from every limit, takes the figures its last settlement returned, at most
:data:`VIEW_S` old); a spent one refuses with :class:`BudgetExceededError`, and one past its ``near``
fraction routes the call with ``priority="cost"``. Candidates are capped at what every budget has left, and the
largest candidate's estimated cost (catalog prices, estimated input plus ``max_tokens``) is reserved atomically;
when the call ends the reservation is settled to the real cost, priced like the statistics do
(:func:`~langchain_bedrock_routing.catalog.pricing.price_usage`), and the rest released. So concurrent calls
across processes never overrun a budget, except where a reply outruns its estimate (unset ``max_tokens``).

The checks are written once as ledger *steps* (see :mod:`.budget_ledger`): the sync path makes their ledger calls
in line (:func:`spending`), the async path awaits them on the event loop (:func:`aspending`, ``redis.asyncio``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar, get_args

from langchain_core.messages import BaseMessage
from langchain_core.messages.ai import UsageMetadata, add_usage

from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.catalog.pricing import TokenUsage, price_usage
from langchain_bedrock_routing.core.closing import aclose_parts
from langchain_bedrock_routing.core.routing_metadata import Priority
from langchain_bedrock_routing.errors import (
    BedrockRoutingError,
    BudgetExceededError,
    BudgetUnavailableError,
    CostCapExceededError,
    InvalidRequestError,
)
from langchain_bedrock_routing.routing.budget_ledger import (
    Ledger,
    LedgerCall,
    LedgerFailure,
    MemoryLedger,
    Steps,
    arun_steps,
    run_steps,
)
from langchain_bedrock_routing.routing.policy import Plan

Window = Literal["day", "month"]
Per = Literal["app", "tenant"]
OnLedgerError = Literal["open", "closed"]
WINDOWS: tuple[str, ...] = get_args(Window)
NANO = 1_000_000_000
"""Ledger units per USD."""
KEY_GRACE_S = 86_400
"""How long a window's ledger entry outlives the window (late settlements still land), seconds."""
VIEW_S = 1.0
"""How long a budget's figures seen at a settlement stand in for a read before the next call, while they are under
its ``near`` fraction (seconds). Only routing decisions use them: every reservation is checked in the ledger."""
RETRY_LEDGER_S = 5.0
"""After a ledger error, seconds during which calls skip the ledger (open or closed without waiting on it)."""
LEDGER_TIMEOUT_S = 2.0
"""Connect and read timeout of the budget Redis, seconds: longer than a cache's, since a ledger that times out lets
calls through unchecked (or refuses them), and a busy host can hold a round trip for a good part of a second."""

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    """A spend limit: ``limit_usd`` per UTC ``window`` (``day`` or ``month``), for the app or for each tenant.

    ``name`` is the ledger's identity: routers (in any process) with the same name and ledger share the spend.
    ``per="tenant"`` gives every tenant its own ``limit_usd`` (``tenant=`` restricts it to one tenant). ``near``:
    the spent fraction from which calls route with ``priority="cost"``.
    """

    name: str
    limit_usd: float
    window: Window = "day"
    per: Per = "app"
    tenant: str | None = None
    near: float = 0.8

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidRequestError(f"Budget name must be a non-empty string, got {self.name!r}")
        limit = self.limit_usd
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 < limit < math.inf:
            raise InvalidRequestError(f"Budget {self.name!r}: limit_usd must be a positive number, got {limit!r}")
        if self.window not in WINDOWS:
            raise InvalidRequestError(f"Budget {self.name!r}: unknown window {self.window!r}; valid: day, month")
        if self.per not in ("app", "tenant"):
            raise InvalidRequestError(f"Budget {self.name!r}: per must be 'app' or 'tenant', got {self.per!r}")
        if self.tenant is not None and (self.per != "tenant" or not isinstance(self.tenant, str) or not self.tenant):
            raise InvalidRequestError(f"Budget {self.name!r}: tenant= needs per='tenant' and a non-empty string")
        if isinstance(self.near, bool) or not isinstance(self.near, int | float) or not 0 < self.near <= 1:
            raise InvalidRequestError(f"Budget {self.name!r}: near must be in (0, 1], got {self.near!r}")


def window_bounds(window: Window, now: float) -> tuple[datetime, datetime]:
    """The UTC calendar window holding ``now`` (Unix seconds): its start and the start of the next one."""
    at = datetime.fromtimestamp(now, UTC)
    if window == "day":
        start = datetime(at.year, at.month, at.day, tzinfo=UTC)
        return start, start + timedelta(days=1)
    start = datetime(at.year, at.month, 1, tzinfo=UTC)
    return start, datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Slot:
    """One budget applied to one request: its ledger key, scope, limit and window end."""

    budget: Budget
    scope: str
    key: str
    limit: int
    resets_at: datetime

    @property
    def expires_at(self) -> int:
        return int(self.resets_at.timestamp()) + KEY_GRACE_S


class BudgetGuard:
    """A router's budgets on one ledger. ``on_ledger_error``: ``"open"`` lets calls through unchecked (logged,
    counted in :attr:`counts`), ``"closed"`` refuses them with :class:`BudgetUnavailableError`. ``clock``: Unix
    seconds (injectable for tests); ``lease_s``: how long a reservation outlives a worker that died holding it;
    ``view_s``: see :data:`VIEW_S`."""

    def __init__(
        self,
        budgets: Sequence[Budget],
        ledger: Ledger,
        *,
        prefix: str = "lbr-budget",
        on_ledger_error: OnLedgerError = "open",
        clock: Callable[[], float] = time.time,
        lease_s: float = 180.0,
        view_s: float = VIEW_S,
    ) -> None:
        names = [b.name for b in budgets]
        if len(set(names)) != len(names):
            raise InvalidRequestError(f"budget names must be unique, got {names}")
        if on_ledger_error not in ("open", "closed"):
            raise InvalidRequestError(f"budget_on_redis_error must be 'open' or 'closed', got {on_ledger_error!r}")
        self.budgets, self.ledger, self.on_ledger_error = tuple(budgets), ledger, on_ledger_error
        self.prefix, self.clock, self.lease_s, self.view_s = prefix, clock, lease_s, view_s
        self.counts = {"checked": 0, "refused": 0, "cheaper": 0, "ledger_errors": 0, "unchecked": 0, "unrecorded": 0}
        """Calls checked, refused, routed cheaper for a near budget; ledger errors, calls let through unchecked and
        settlements that could not be recorded while the ledger was unreachable."""
        self._lock = threading.Lock()
        self._skip_until = 0.0
        self._seen: dict[str, tuple[float, tuple[int, int]]] = {}

    async def aclose(self) -> None:
        """Close the ledger's async connections of the running event loop (a Redis ledger's client)."""
        await aclose_parts(self.ledger)

    def count(self, name: str) -> None:
        """Add one to ``counts[name]``."""
        with self._lock:
            self.counts[name] += 1

    def slots(self, tenant: str | None, now: float) -> list[_Slot]:
        """The budgets that apply to a request of ``tenant`` at ``now``."""
        found = []
        for budget in self.budgets:
            if budget.per == "tenant" and (tenant is None or budget.tenant not in (None, tenant)):
                continue
            scope = "app" if budget.per == "app" else f"tenant {tenant}"
            start, end = window_bounds(budget.window, now)
            key = f"{self.prefix}:{{{self.prefix}}}:{budget.name}:{budget.window}:{start:%Y-%m-%d}:{scope}"
            found.append(_Slot(budget, scope, key, math.floor(budget.limit_usd * NANO), end))
        return found

    def status(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """Each applicable budget's ``spent_usd``, ``reserved_usd``, ``limit_usd`` and ``resets_at`` now (may raise
        on a ledger outage)."""
        now = self.clock()
        slots = self.slots(tenant, now)
        figures = self.ledger.read([s.key for s in slots], now)
        return [
            {"budget": s.budget.name, "scope": s.scope, "window": s.budget.window, "spent_usd": spent / NANO}
            | {"reserved_usd": held / NANO, "limit_usd": s.budget.limit_usd, "resets_at": _iso(s.resets_at)}
            for s, (spent, held) in zip(slots, figures, strict=True)
        ]

    def open(self, tenant: str | None) -> Spend:
        """Check this request's budgets: raise :class:`BudgetExceededError` if one is spent, else its :class:`Spend`."""
        return run_steps(self.ledger, self.opening(tenant))

    async def aopen(self, tenant: str | None) -> Spend:
        """Async :meth:`open`."""
        return await arun_steps(self.ledger, self.opening(tenant))

    def opening(self, tenant: str | None) -> Steps[Spend]:
        """The steps of :meth:`open`."""
        now = self.clock()
        slots = self.slots(tenant, now)
        if not slots:
            return Spend(self, [])
        self.count("checked")
        try:
            figures = self.viewed(slots) or (yield from self.reading(slots))
        except _LedgerDownError:
            self.count("unchecked")
            return Spend(self, [])
        spend = Spend(self, slots, figures)
        if spend.near:
            self.count("cheaper")
        return spend

    def reading(self, slots: Sequence[_Slot]) -> Steps[list[tuple[int, int]]]:
        """The ledger's figures of ``slots`` (remembered); raises :class:`BudgetExceededError` if one is spent."""
        figures: list[tuple[int, int]] = yield from self.ledger_call("read", [s.key for s in slots], self.clock())
        self.remember(slots, figures)
        for slot, (spent, held) in zip(slots, figures, strict=True):
            if spent + held >= slot.limit:
                raise self.exceeded(slot, spent, held, None)
        return figures

    def remember(self, slots: Sequence[_Slot], figures: Sequence[tuple[int, int]]) -> None:
        """Keep ``figures`` of ``slots`` for :meth:`viewed`."""
        at = time.monotonic()
        with self._lock:
            for slot, pair in zip(slots, figures, strict=True):
                self._seen[slot.key] = (at, pair)
            if len(self._seen) > 4096:  # tenants come and go: forget the stale ones
                self._seen = {k: v for k, v in self._seen.items() if at - v[0] <= self.view_s}

    def viewed(self, slots: Sequence[_Slot]) -> list[tuple[int, int]] | None:
        """Figures of ``slots`` seen less than ``view_s`` ago, if every one is under its ``near`` fraction."""
        now = time.monotonic()
        with self._lock:
            seen = [self._seen.get(s.key) for s in slots]
        figures = [pair for at, pair in (x for x in seen if x is not None) if now - at <= self.view_s]
        if len(figures) != len(slots):
            return None
        far = all(spent + held < s.budget.near * s.limit for s, (spent, held) in zip(slots, figures, strict=True))
        return figures if far else None

    def exceeded(self, slot: _Slot, spent: int, held: int, request: int | None) -> BudgetExceededError:
        """The refusal for ``slot`` (counted)."""
        self.count("refused")
        return BudgetExceededError(
            slot.budget.name,
            slot.scope,
            spent_usd=spent / NANO,
            reserved_usd=held / NANO,
            limit_usd=slot.budget.limit_usd,
            request_usd=None if request is None else request / NANO,
            resets_at=_iso(slot.resets_at),
        )

    def ledger_call(self, method: Literal["read", "reserve", "settle"], *args: Any) -> Steps[Any]:
        """The ledger's answer to ``method(*args)``; on a ledger error (or while resting after one) fail open (raise
        :class:`_LedgerDownError`) or closed (raise :class:`BudgetUnavailableError`)."""
        if time.monotonic() >= self._skip_until:
            answer = yield LedgerCall(method, args)
            if not isinstance(answer, LedgerFailure):
                return answer
            self.count("ledger_errors")
            self._skip_until = time.monotonic() + RETRY_LEDGER_S
            logger.warning(
                "budget ledger unreachable (%s); failing %s for %.0f s (budget_on_redis_error=%r)",
                answer.error,
                self.on_ledger_error,
                RETRY_LEDGER_S,
                self.on_ledger_error,
            )
        if self.on_ledger_error == "closed":
            raise BudgetUnavailableError(
                "the budget ledger (Redis) is unreachable and budget_on_redis_error='closed' refuses calls it cannot "
                "count; check budget_redis_url, or choose 'open' to let calls through uncounted while it is down"
            )
        raise _LedgerDownError


class _LedgerDownError(BedrockRoutingError):
    """The ledger is unreachable and the guard fails open."""


class Spend:
    """One request's budget hold: its priority and cost cap, the reservation, and the settlement when it ends."""

    def __init__(self, guard: BudgetGuard, slots: list[_Slot], figures: Sequence[tuple[int, int]] = ()) -> None:
        self.guard, self.slots = guard, slots
        self._figures(figures)
        self.token = uuid.uuid4().hex
        self.reserved: int | None = None
        self.usage: UsageMetadata | None = None
        self.model_id: str | None = None
        self.answered = False

    def _figures(self, figures: Sequence[tuple[int, int]]) -> None:
        self.figures = list(figures)
        lefts = [s.limit - spent - held for s, (spent, held) in zip(self.slots, self.figures, strict=True)]
        self.left = min(lefts) if lefts else None
        """Nano-USD the tightest budget has left (``None``: nothing to check)."""
        self.near = any(
            spent + held >= s.budget.near * s.limit for s, (spent, held) in zip(self.slots, self.figures, strict=True)
        )
        """A budget is past its ``near`` fraction: route with ``priority="cost"``."""

    def priority(self, priority: Priority) -> Priority:
        """``"cost"`` when a budget is near its limit, else ``priority``."""
        return "cost" if self.near else priority

    def run(self, steps: Steps[T]) -> T:
        """What ``steps`` (of this request's budgets, e.g. :meth:`planning`) return, their ledger calls made here."""
        return run_steps(self.guard.ledger, steps)

    async def arun(self, steps: Steps[T]) -> T:
        """Async :meth:`run`: the ledger calls awaited on the running event loop."""
        return await arun_steps(self.guard.ledger, steps)

    def planning(self, make: Callable[[float | None], Plan], router_cap: float | None) -> Steps[Plan]:
        """``make(cap)`` with ``cap`` what the budgets have left (USD; ``None`` without budgets), then reserve the
        plan's largest estimated cost; raises :class:`BudgetExceededError` when nothing fits. A refused reservation
        (figures seen earlier, or another worker was first) is planned and tried once more on figures read now."""
        plan = self._planned(make, router_cap)
        refusal = yield from self._reserve(plan)
        if refusal is not None and (yield from self._refresh()):
            plan = self._planned(make, router_cap)
            refusal = yield from self._reserve(plan)
        if refusal is not None:
            index, spent, held, amount = refusal
            raise self.guard.exceeded(self.slots[index], spent, held, amount)
        return plan

    def _planned(self, make: Callable[[float | None], Plan], router_cap: float | None) -> Plan:
        cap = None if self.left is None else self.left / NANO
        try:
            return make(cap)
        except CostCapExceededError as error:
            if cap is None or (router_cap is not None and router_cap <= cap):
                raise
            raise self._refusal(_nano(error.cheapest_usd)) from None

    def _refresh(self) -> Steps[bool]:
        """Take the ledger's figures now (raises :class:`BudgetExceededError` if a budget is spent); ``False`` when
        it cannot be read."""
        try:
            self._figures((yield from self.guard.reading(self.slots)))
        except _LedgerDownError:
            return False
        return True

    def _reserve(self, plan: Plan) -> Steps[tuple[int, int, int, int] | None]:
        """Reserve ``plan``'s largest estimated cost; ``None`` when held (or unchecked), else ``(index, spent, held,
        amount)`` of the refusing budget."""
        if not self.slots:
            return None
        amount = max(_nano(c.estimated_cost_usd) for c in plan.candidates)
        slots, now = self.slots, self.guard.clock()
        lease = now + self.guard.lease_s
        try:
            refusal = yield from self.guard.ledger_call(
                "reserve",
                [s.key for s in slots],
                [s.limit for s in slots],
                [s.expires_at for s in slots],
                self.token,
                amount,
                now,
                lease,
            )
        except _LedgerDownError:
            self.guard.count("unchecked")
            return None
        if refusal is not None:
            return (*refusal, amount)
        self.reserved = amount
        return None

    def _refusal(self, request: int) -> BudgetExceededError:
        """The refusal naming the tightest budget when no candidate fits in what is left."""
        pairs = list(zip(self.slots, self.figures, strict=True))
        slot, (spent, held) = min(pairs, key=lambda p: p[0].limit - p[1][0] - p[1][1])
        return self.guard.exceeded(slot, spent, held, request)

    def saw(self, message: BaseMessage) -> None:
        """Note an answer (a message or a streamed chunk): its model and token usage."""
        self.answered = True
        meta = message.response_metadata
        routing = meta.get("routing")
        self.model_id = routing["model_id"] if isinstance(routing, dict) else meta.get("model_name", self.model_id)
        usage = getattr(message, "usage_metadata", None)
        if usage:
            self.usage = add_usage(self.usage, usage)

    def close(self) -> None:
        """Settle: the priced usage seen; the whole reservation for an answer without usage (unknown cost); nothing
        for a call that produced no answer."""
        self.run(self._closing())

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        await self.arun(self._closing())

    def _closing(self) -> Steps[None]:
        if not self.slots or (self.reserved is None and not self.answered):
            return
        cost = self._cost()
        slots = self.slots
        try:
            figures = yield from self.guard.ledger_call(
                "settle", [s.key for s in slots], [s.expires_at for s in slots], self.token, cost, self.guard.clock()
            )
            self.guard.remember(slots, figures)
        except (_LedgerDownError, BudgetUnavailableError):
            self.guard.count("unrecorded")
            logger.warning("budget spend of $%.6f not recorded: the ledger is unreachable", cost / NANO)

    def _cost(self) -> int:
        if not self.answered:
            return 0
        total = price_usage(get_catalog(), self.model_id, TokenUsage.from_usage_metadata(self.usage)).total
        if self.usage is None or total is None:
            return self.reserved or 0
        return math.ceil(total * NANO)


def _nano(usd: float | None) -> int:
    return math.ceil((usd or 0.0) * NANO)


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def validate_tenant(tenant: object) -> str | None:
    """The run's ``tenant_id`` metadata (``None``: no tenant); ``InvalidRequestError`` if it is not a string."""
    if tenant is not None and (not isinstance(tenant, str) or not tenant):
        raise InvalidRequestError(f'config["metadata"]["tenant_id"] must be a non-empty string or None, got {tenant!r}')
    return tenant


@contextmanager
def spending(guard: BudgetGuard | None, tenant: object) -> Iterator[Spend]:
    """The :class:`Spend` of a request of ``tenant`` (no budgets: one that checks nothing), settled when the block
    ends."""
    spend = Spend(_NO_GUARD, []) if guard is None else guard.open(validate_tenant(tenant))
    try:
        yield spend
    finally:
        spend.close()


@asynccontextmanager
async def aspending(guard: BudgetGuard | None, tenant: object) -> AsyncIterator[Spend]:
    """Async :func:`spending`: the budgets read, reserved and settled on the running event loop."""
    spend = Spend(_NO_GUARD, []) if guard is None else await guard.aopen(validate_tenant(tenant))
    try:
        yield spend
    finally:
        await spend.aclose()


def make_guard(
    budgets: Sequence[Budget] | None,
    redis_url: str | None,
    *,
    on_redis_error: OnLedgerError,
    clock: Callable[[], float] | None,
    lease_s: float,
) -> BudgetGuard | None:
    """The router's guard: a Redis ledger at ``redis_url``, else this process's; ``None`` without budgets."""
    if not budgets:
        if redis_url is not None:
            raise InvalidRequestError("budget_redis_url is set but budgets is empty: give budgets=[Budget(...)]")
        return None
    wrong = [b for b in budgets if not isinstance(b, Budget)]
    if wrong:
        raise InvalidRequestError(f"budgets must be Budget(...) objects, got {wrong[0]!r}")
    if redis_url is None:
        ledger: Ledger = process_ledger()
    else:
        from langchain_bedrock_routing.core.redis_conn import RedisConnection
        from langchain_bedrock_routing.routing.budget_ledger import RedisLedger

        ledger = RedisLedger(RedisConnection(redis_url, timeout_s=LEDGER_TIMEOUT_S))
    return BudgetGuard(budgets, ledger, on_ledger_error=on_redis_error, clock=clock or time.time, lease_s=lease_s)


_process_ledger: list[MemoryLedger] = []
_process_lock = threading.Lock()


def process_ledger() -> MemoryLedger:
    """The ledger routers without ``budget_redis_url`` share in this process (made on first use)."""
    with _process_lock:
        if not _process_ledger:
            _process_ledger.append(MemoryLedger())
        return _process_ledger[0]


_NO_GUARD = BudgetGuard((), MemoryLedger())
