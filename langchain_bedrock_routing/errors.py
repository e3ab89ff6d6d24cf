"""Every error this library raises derives from :class:`BedrockRoutingError`.

Two branches tell a caller whether anything was spent: :class:`RequestRefusedError` (bad input, no candidate
model, cost cap, context window, unknown model: refused before any Bedrock call, nothing billed) and
:class:`CallFailedError` (a Bedrock call was made and failed). :class:`CacheError` covers what a cache refuses
at setup or reading. Built-in bases (``ValueError``, ``RuntimeError``) are kept so ``except ValueError`` still works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class BedrockRoutingError(Exception):
    """Base of every error raised by ``langchain_bedrock_routing``."""


class RequestRefusedError(BedrockRoutingError):
    """The request was refused before any Bedrock call: nothing was billed."""


class CallFailedError(BedrockRoutingError, RuntimeError):
    """A Bedrock call was made and failed (it may have been billed)."""


class CacheError(BedrockRoutingError):
    """A cache refused its setup or an entry it read."""


class InvalidRequestError(RequestRefusedError, ValueError):
    """The request itself is malformed (empty messages, a parameter out of range ...); the message names it."""


class UnknownModelError(RequestRefusedError, ValueError):
    """A model id that is not in the catalog; the message lists the known ids."""


class NoCandidateError(RequestRefusedError, ValueError):
    """No configured model can serve this request; raised before any Bedrock call (nothing billed)."""


class ContextWindowExceededError(NoCandidateError):
    """The estimated prompt (plus ``max_tokens``) is larger than every candidate's context window."""

    def __init__(self, estimated_tokens: int, largest_window: int, largest_model: str) -> None:
        self.estimated_tokens = estimated_tokens
        self.largest_window = largest_window
        super().__init__(
            f"the request needs about {estimated_tokens} tokens (estimated input plus max_tokens) but the largest "
            f"context window among the configured models is {largest_window} tokens ({largest_model}); shorten the "
            "conversation or add a model with a larger window to `tiers`"
        )


class CostCapExceededError(NoCandidateError):
    """Every capable model's estimated cost is above ``max_cost_per_request`` (or its price is unknown)."""

    def __init__(self, cheapest_usd: float | None, cap_usd: float) -> None:
        self.cheapest_usd = cheapest_usd
        self.cap_usd = cap_usd
        cheapest = "no capable model has a known price"
        if cheapest_usd is not None:
            cheapest = f"the cheapest is ${cheapest_usd:.6f}"
        super().__init__(
            f"no model fits max_cost_per_request=${cap_usd:.6f} ({cheapest}); raise the cap, lower max_tokens "
            "or shorten the prompt"
        )


class BudgetExceededError(RequestRefusedError):
    """A spend budget (see ``RoutedChatBedrock(budgets=...)``) cannot cover this request; nothing was called.

    ``budget`` and ``scope`` (``"app"`` or ``"tenant <id>"``) name it; ``spent_usd`` is settled spend,
    ``reserved_usd`` what calls in flight hold, ``limit_usd`` its limit, ``request_usd`` this request's estimated
    maximum (``None`` when the budget was already spent), and ``resets_at`` the ISO-8601 UTC start of its next window.
    """

    def __init__(
        self,
        budget: str,
        scope: str,
        *,
        spent_usd: float,
        reserved_usd: float,
        limit_usd: float,
        request_usd: float | None,
        resets_at: str,
    ) -> None:
        self.budget = budget
        self.scope = scope
        self.spent_usd = spent_usd
        self.reserved_usd = reserved_usd
        self.limit_usd = limit_usd
        self.request_usd = request_usd
        self.resets_at = resets_at
        held = f" (+${reserved_usd:.6f} held by calls in flight)" if reserved_usd else ""
        state = "is spent" if request_usd is None else "cannot cover this request"
        need = "" if request_usd is None else f", and this request may cost up to ${request_usd:.6f}"
        super().__init__(
            f"budget {budget!r} ({scope}) {state}: ${spent_usd:.6f} of ${limit_usd:.6f} spent{held}{need}; it resets "
            f"at {resets_at}. Raise its limit_usd, lower max_tokens, or wait for the reset"
        )


class BudgetUnavailableError(RequestRefusedError):
    """The budget ledger (Redis) could not be reached and the router fails closed
    (``budget_on_redis_error="closed"``); nothing was called."""


class ModelCallError(CallFailedError):
    """A non-retryable Bedrock error (validation, access denied ...) on ``model_id``; the cause is chained."""

    def __init__(self, model_id: str, error: BaseException, message: str | None = None) -> None:
        self.model_id = model_id
        super().__init__(message or f"model {model_id!r} failed with a non-retryable error: {error}")


class StreamInterruptedError(ModelCallError):
    """A stream from ``model_id`` failed after ``chunks`` chunks reached the caller, so no other model was tried
    (the caller holds part of the answer) and nothing was cached; ``attempts`` lists every model tried, this one
    last with its error code. The Bedrock error (e.g. botocore's ``EventStreamError``) is the ``__cause__``."""

    def __init__(self, model_id: str, error: BaseException, chunks: int, attempts: Sequence[Mapping[str, Any]]) -> None:
        self.chunks = chunks
        self.attempts = list(attempts)
        super().__init__(
            model_id,
            error,
            f"the stream from model {model_id!r} was interrupted after {chunks} chunks: {error}; no fallback was "
            "tried because part of the answer was already streamed, and nothing was cached: retry the request",
        )


class AllModelsFailedError(CallFailedError):
    """Every candidate failed with a retryable error (throttling, unavailable, timeouts ...); ``attempts`` lists them.

    ``deadline`` (seconds) is set when the request's deadline cut the attempts' timeouts or left ``untried``
    candidates (their model ids) unstarted; else it is ``None``."""

    def __init__(
        self, attempts: Sequence[Mapping[str, Any]], deadline: float | None = None, untried: Sequence[str] = ()
    ) -> None:
        self.attempts = list(attempts)
        self.deadline = deadline
        self.untried = list(untried)
        tried = "; ".join(f"{a['model_id']}: {a['error']}" for a in self.attempts) or "no model was tried"
        if deadline is None:
            super().__init__(f"every candidate model failed ({tried}); retry later or add fallbacks to `tiers`")
            return
        skipped = f"; not tried: {', '.join(self.untried)}" if self.untried else ""
        super().__init__(
            f"no model answered within the request deadline of {deadline:g} s ({tried}{skipped}); retry later, or "
            "raise `deadline` (per call: `deadline=` on invoke/stream) if replies are slow"
        )


class CorruptEntryError(CacheError, ValueError):
    """A cached value that cannot be used: not ours, wrong version or key, truncated, tampered with."""


class VectorSetsUnavailableError(CacheError, RuntimeError):
    """The server has no vector-set commands (Redis < 8, or Valkey)."""


class VectorDimensionError(CacheError, ValueError):
    """The embeddings' dimension differs from the vector set already stored under a key."""
