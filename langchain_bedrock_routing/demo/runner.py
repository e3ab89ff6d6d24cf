"""Runs the demo's calls on one chat model and keeps, per call, the answer and what the stats handler saw.

Every call gets its own ``run_id`` and the session's :class:`BedrockStatsCallbackHandler` in its config, so
a call's answer pairs with its :class:`RequestOutcome` (latency from chat-model start to end, billed spend,
cache kind) even when calls run concurrently in worker threads.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig

from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler, RequestOutcome
from langchain_bedrock_routing.callbacks.figures import outcome_cost
from langchain_bedrock_routing.catalog import get_catalog


@dataclass(frozen=True)
class CallRecord:
    """One finished call: what was asked, the answer, and the handler's outcome with its billed cost (USD)."""

    label: str
    message: AIMessage
    outcome: RequestOutcome
    cost_usd: Decimal | None

    @property
    def cache_kind(self) -> str | None:
        """``"exact"``/``"semantic"`` for a response-cache hit, ``None`` for a billed answer."""
        return self.outcome.answer.cache_kind if self.outcome.answer else None

    @property
    def routing(self) -> dict[str, Any]:
        """The router's ``response_metadata["routing"]`` (empty for plain models)."""
        return dict(self.message.response_metadata.get("routing") or {})

    @property
    def model_id(self) -> str:
        """The model that produced the answer (for a hit: the one that produced the cached answer)."""
        answer = self.outcome.answer
        return (answer.model_id if answer else None) or "?"


@dataclass(frozen=True)
class Call:
    """A call to make: a label for the output, the model input, and per-call ``configurable`` settings."""

    label: str
    input: LanguageModelInput
    configurable: dict[str, Any] | None = None


class Session:
    """Calls on ``model`` counted by one stats handler (``baseline_model`` for counterfactual savings)."""

    def __init__(self, model: BaseChatModel, *, baseline_model: str | None = None) -> None:
        self.model = model
        self.handler = BedrockStatsCallbackHandler(baseline_model=baseline_model, sinks=[self])
        self._outcomes: dict[uuid.UUID, RequestOutcome] = {}

    def record(self, outcome: RequestOutcome) -> None:
        """Stats sink: keep each request's outcome by run id."""
        self._outcomes[outcome.run_id] = outcome

    def call(self, call: Call) -> CallRecord:
        """Make one call (raises what the model raises)."""
        run_id = uuid.uuid4()
        config: RunnableConfig = {"callbacks": [self.handler], "run_id": run_id}
        if call.configurable:
            config["configurable"] = call.configurable
        message = self.model.invoke(call.input, config)
        outcome = self._outcomes.pop(run_id)
        return CallRecord(call.label, message, outcome, outcome_cost(get_catalog(), outcome).total)

    def run_waves(
        self, waves: Sequence[Sequence[Call]], advance: Callable[[], None] = lambda: None
    ) -> list[CallRecord]:
        """Each wave's calls concurrently (one thread each), waves one after another; records in input order."""
        records: list[CallRecord] = []
        width = max((len(wave) for wave in waves), default=1)
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="demo-call") as pool:
            for wave in waves:
                futures = [pool.submit(self.call, call) for call in wave]
                for future in futures:
                    records.append(future.result())
                    if advance is not None:
                        advance()
        return records
