"""``BedrockStatsCallbackHandler``: counts every chat-model request, cache hit and billed call.

A *request* is a chat-model run with no chat-model ancestor. Chat-model runs nested under it
(an LLM classifier, delegates called with the run's callbacks) are billed *calls*: their usage is
spend and their errors the request's failed attempts. The request's own answer is billed too,
unless the last nested call already carried the same model and usage (a wrapper passing its
delegate's answer on) or it came from a response cache, which is never spend. A request whose run metadata
names a ``bedrock_routing_purpose`` (the shadow judge's ``shadow`` and ``judge`` calls) is counted apart, under
its purpose, and not in the totals, models, tiers or tenants.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Protocol
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage, get_buffer_string
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook

from langchain_bedrock_routing.callbacks.answer import (
    FailedAttempt,
    error_code,
    failed_attempts,
    first_message,
    read_answer,
)
from langchain_bedrock_routing.callbacks.figures import RequestOutcome, StatsFigures
from langchain_bedrock_routing.callbacks.outside import watching
from langchain_bedrock_routing.catalog import ModelCatalog, base_model_id
from langchain_bedrock_routing.catalog.pricing import TokenUsage
from langchain_bedrock_routing.core.routing_metadata import PURPOSE_METADATA_KEY, ArmAssignment, read_assignment

logger = logging.getLogger(__name__)


class OutcomeSink(Protocol):
    """Receives every finished request (audit log, shared aggregator ...); must not raise."""

    def record(self, outcome: RequestOutcome) -> None:
        """Take one request's outcome."""


@dataclass
class _ChatRun:
    started: float
    model_id: str | None
    request_id: UUID
    tenant: str | None
    prompt: str
    assignment: ArmAssignment | None = None
    purpose: str | None = None
    has_calls: bool = False
    spend: list[tuple[str | None, TokenUsage]] = field(default_factory=list)
    api_errors: list[FailedAttempt] = field(default_factory=list)


class BedrockStatsCallbackHandler(BaseCallbackHandler):
    """Thread- and async-safe request, cache, token, cost and latency statistics.

    ``baseline_model``: catalog model id for counterfactual savings. ``tenant_key``: the run
    metadata key naming the tenant (``tenant_id``, the key the caches read). ``sinks`` receive each
    request's :class:`RequestOutcome`.
    """

    run_inline: bool = True
    """Called in the event loop itself (not an executor) so start and end times are the run's own."""

    def __init__(
        self,
        *,
        baseline_model: str | None = None,
        catalog: ModelCatalog | None = None,
        tenant_key: str = "tenant_id",
        sinks: Sequence[OutcomeSink] = (),
    ) -> None:
        super().__init__()
        self.figures = StatsFigures(baseline_model=baseline_model, catalog=catalog)
        self.tenant_key = tenant_key
        self.sinks = tuple(sinks)
        self._lock = threading.Lock()
        self._parents: dict[UUID, UUID | None] = {}
        self._chat_runs: dict[UUID, _ChatRun] = {}
        self.outside_requests = 0
        """Requests started in this process while a ``get_bedrock_stats_callback`` block held this handler,
        in a context that did not carry the block (a thread started without copying the context, or an
        unrelated concurrent request): not in the figures. 0 for a handler passed in ``callbacks``."""

    def count_outside_request(self) -> None:
        """One request the block could not see (see :attr:`outside_requests`)."""
        with self._lock:
            self.outside_requests += 1

    # --- figures ---------------------------------------------------------------------------
    @property
    def requests(self) -> int:
        """Requests counted (answered, cached or failed)."""
        return self.figures.total.requests

    @property
    def hit_rate(self) -> float | None:
        """Response-cache hits / answered requests."""
        return self.figures.total.hit_rate

    @property
    def total_cost(self) -> Decimal | None:
        """USD billed so far; ``None`` if a billed model's price is unknown."""
        return self.figures.cost()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe figures (see :meth:`StatsFigures.to_dict`)."""
        return self.figures.to_dict()

    def add_score(self, experiment: str, arm: str, score: float) -> None:
        """Count an outcome score in [0, 1] for ``arm`` of ``experiment``, here and in each sink that takes scores
        (``OutcomeRecorder(..., stats=[handler])`` calls it on every ``record_outcome``)."""
        self.figures.add_score(experiment, arm, score)
        for sink in self.sinks:
            add = getattr(sink, "add_score", None)
            if add is None:
                continue
            try:
                add(experiment, arm, score)
            except Exception:
                logger.warning("stats sink %r failed to take a score", sink, exc_info=True)

    def reset(self) -> None:
        """Forget the figures (runs in flight still finish and count)."""
        self.figures.reset()

    def report(self, **kwargs: Any) -> None:
        """Print the figures as rich tables (see :func:`print_report`)."""
        from langchain_bedrock_routing.callbacks.report import print_report

        print_report(self.figures, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(requests={self.requests}, hit_rate={self.hit_rate}, cost={self.total_cost})"

    # --- run tree ---------------------------------------------------------------------------
    def _enter(self, run_id: UUID, parent_run_id: UUID | None) -> None:
        with self._lock:
            self._parents[run_id] = parent_run_id

    def _leave(self, run_id: UUID) -> None:
        with self._lock:
            self._parents.pop(run_id, None)

    def _chat_ancestor(self, run_id: UUID | None) -> _ChatRun | None:
        seen = 0
        while run_id is not None and seen < 1000:
            if run_id in self._chat_runs:
                return self._chat_runs[run_id]
            run_id = self._parents.get(run_id)
            seen += 1
        return None

    def on_chain_start(
        self, serialized: Any, inputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self._enter(run_id, parent_run_id)

    def on_tool_start(
        self, serialized: Any, input_str: str, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self._enter(run_id, parent_run_id)

    def on_retriever_start(
        self, serialized: Any, query: str, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self._enter(run_id, parent_run_id)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._leave(run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._leave(run_id)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._leave(run_id)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._leave(run_id)

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._leave(run_id)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._leave(run_id)

    # --- chat-model runs --------------------------------------------------------------------
    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        started = time.perf_counter()
        metadata = metadata or {}
        with self._lock:
            self._parents[run_id] = parent_run_id
            request = self._chat_ancestor(parent_run_id)
            if request is not None:
                request.has_calls = True
            tenant = metadata.get(self.tenant_key)
            self._chat_runs[run_id] = _ChatRun(
                started=started,
                model_id=metadata.get("ls_model_name"),
                request_id=run_id if request is None else request.request_id,
                tenant=None if tenant is None else str(tenant),
                prompt="" if request is not None or not messages else get_buffer_string(messages[0]),
                assignment=read_assignment(metadata),
                purpose=metadata.get(PURPOSE_METADATA_KEY) if request is None else None,
            )

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        ended = time.perf_counter()
        with self._lock:
            run = self._chat_runs.pop(run_id, None)
            self._parents.pop(run_id, None)
            if run is None:
                return
            message = first_message(response)
            answer = None if message is None else read_answer(message, run.model_id)
            own_spend = [] if answer is None or answer.cached else [(answer.model_id, answer.usage)]
            if run.request_id != run_id:
                request = self._chat_runs.get(run.request_id)
                if request is not None and not run.has_calls:
                    request.spend.extend(own_spend)
                return
            spend = run.spend + [call for call in own_spend if not run.spend or not _same_call(run.spend[-1], call)]
            # A cached answer keeps its original routing record: its failed attempts were not this request's.
            failed = run.api_errors or (list(answer.failed_attempts) if answer and not answer.cached else [])
        self._finish(
            RequestOutcome(
                run_id=run_id,
                model_id=answer.model_id if answer else run.model_id,
                latency_ms=(ended - run.started) * 1000,
                answer=answer,
                spend=tuple(spend),
                api_errors=tuple(failed),
                tenant=run.tenant,
                prompt=run.prompt,
                assignment=run.assignment,
                purpose=run.purpose,
            )
        )

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        ended = time.perf_counter()
        code = error_code(error)
        with self._lock:
            run = self._chat_runs.pop(run_id, None)
            self._parents.pop(run_id, None)
            if run is None:
                return
            if run.request_id != run_id:
                request = self._chat_runs.get(run.request_id)
                if request is not None and not run.has_calls:
                    request.api_errors.append(FailedAttempt(run.model_id, code))
                return
            spend = tuple(run.spend)
            failed = tuple(run.api_errors) or failed_attempts(getattr(error, "attempts", None))
        self._finish(
            RequestOutcome(
                run_id=run_id,
                model_id=run.model_id,
                latency_ms=(ended - run.started) * 1000,
                answer=None,
                spend=spend,
                api_errors=failed,
                error=code,
                tenant=run.tenant,
                prompt=run.prompt,
                assignment=run.assignment,
                purpose=run.purpose,
            )
        )

    def _finish(self, outcome: RequestOutcome) -> None:
        self.figures.add(outcome)
        for sink in self.sinks:
            try:
                sink.record(outcome)
            except Exception:
                logger.warning("stats sink %r failed; the request is unaffected", sink, exc_info=True)


def _same_call(a: tuple[str | None, TokenUsage], b: tuple[str | None, TokenUsage]) -> bool:
    """True when two billed calls are one: same base model and usage (a wrapper passing its delegate's answer on)."""
    return base_model_id(a[0] or "") == base_model_id(b[0] or "") and a[1] == b[1]


_context_vars: list[ContextVar[BedrockStatsCallbackHandler | None]] = []
_context_vars_lock = threading.Lock()


def _free_context_var() -> ContextVar[BedrockStatsCallbackHandler | None]:
    """A registered context variable not in use in this context (one per nesting depth)."""
    with _context_vars_lock:
        for var in _context_vars:
            if var.get() is None:
                return var
        new_var: ContextVar[BedrockStatsCallbackHandler | None] = ContextVar(
            f"bedrock_stats_callback_{len(_context_vars)}", default=None
        )
        register_configure_hook(new_var, inheritable=True)
        _context_vars.append(new_var)
        return new_var


@contextmanager
def get_bedrock_stats_callback(
    *,
    baseline_model: str | None = None,
    catalog: ModelCatalog | None = None,
    tenant_key: str = "tenant_id",
    sinks: Sequence[OutcomeSink] = (),
) -> Iterator[BedrockStatsCallbackHandler]:
    """Count every chat-model call made inside the ``with`` block and in what inherits its context.

    That is tasks, LangChain's ``batch``/``abatch`` and executors (``ContextThreadPoolExecutor``),
    ``asyncio.to_thread`` and ``contextvars.copy_context().run``. A thread started without copying the
    context is not counted: run its work with ``contextvars.copy_context().run`` or pass the handler in
    ``config={"callbacks": [handler]}``. Requests the block could not see, while it was open, are counted in
    ``handler.outside_requests`` (unrelated concurrent requests included). Blocks may nest: each handler
    counts the calls made inside its own block.
    """
    handler = BedrockStatsCallbackHandler(
        baseline_model=baseline_model, catalog=catalog, tenant_key=tenant_key, sinks=sinks
    )
    var = _free_context_var()
    token = var.set(handler)
    try:
        with watching(handler, partial(_carries, handler)):
            yield handler
    finally:
        var.reset(token)


def _carries(handler: BedrockStatsCallbackHandler) -> bool:
    """Whether this context carries ``handler``'s ``get_bedrock_stats_callback`` block."""
    return any(var.get() is handler for var in _context_vars)
