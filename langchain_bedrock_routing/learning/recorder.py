"""App feedback as outcomes: attach an :class:`OutcomeRecorder` to the router, then score its answers.

    recorder = OutcomeRecorder("outcomes.jsonl")           # or RedisSink(url), a JSONL path, any OutcomeWriter
    llm = RoutedChatBedrock(callbacks=[recorder])
    answer = llm.invoke("Prove that sqrt(2) is irrational")
    recorder.record_outcome(answer, 1.0)                    # thumbs up; or the run id the app kept

As a callback the recorder keeps, per routed run, the conversation it was sent and its
``response_metadata["routing"]`` (the last ``max_runs`` runs, in memory). ``record_outcome`` finds the run
from the answer's message id (LangChain sets it to ``lc_run--<run id>``) or a run id, and appends one line of
the outcomes format keyed by the tier that answered (``key="model"``: by the model id).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from langchain_bedrock_routing.caching.pii import contains_pii
from langchain_bedrock_routing.callbacks.experiments import ScoreSink
from langchain_bedrock_routing.core.routing_metadata import PURPOSE_METADATA_KEY, ArmAssignment, read_assignment
from langchain_bedrock_routing.errors import BedrockRoutingError
from langchain_bedrock_routing.learning.outcomes import Outcome, dump_outcome, messages_of
from langchain_bedrock_routing.learning.sinks import JsonlSink, OutcomeWriter

logger = logging.getLogger(__name__)

PiiPolicy = Literal["skip", "keep"]
OutcomeKey = Literal["tier", "model"]
_RUN_ID = re.compile(r"^lc_run--([0-9a-fA-F-]{36})")


class OutcomeLookupError(BedrockRoutingError, LookupError):
    """``record_outcome`` was given an answer or run id the recorder did not see (or has forgotten)."""


@dataclass(frozen=True)
class _Pending:
    messages: tuple[tuple[str, str], ...]
    assignment: ArmAssignment | None


@dataclass(frozen=True)
class _Run:
    messages: tuple[tuple[str, str], ...]
    routing: Mapping[str, Any]
    assignment: ArmAssignment | None


class OutcomeRecorder(BaseCallbackHandler):
    """Records scored answers of ``RoutedChatBedrock`` runs as outcome lines; safe to share between threads.

    ``sink``: an :class:`~langchain_bedrock_routing.learning.sinks.OutcomeWriter` or a JSONL path.
    ``pii="skip"`` (default) writes nothing for a conversation in which
    :func:`~langchain_bedrock_routing.caching.pii.contains_pii` finds personal data (counted in
    ``skipped_pii``); ``"keep"`` writes it. A sink error is logged and counted in ``failures``, never raised.
    """

    raise_error = False

    def __init__(
        self,
        sink: OutcomeWriter | str | Path,
        *,
        pii: PiiPolicy = "skip",
        key: OutcomeKey = "tier",
        max_runs: int = 10_000,
        stats: Sequence[ScoreSink] = (),
    ) -> None:
        if pii not in ("skip", "keep"):
            raise ValueError(f"unknown pii policy {pii!r}; valid policies: skip, keep")
        if key not in ("tier", "model"):
            raise ValueError(f"unknown outcome key {key!r}; valid keys: tier, model")
        if max_runs <= 0:
            raise ValueError(f"max_runs must be a positive number of runs, got {max_runs}")
        self.sink: OutcomeWriter = JsonlSink(sink) if isinstance(sink, str | Path) else sink
        self.pii, self.key, self.max_runs = pii, key, max_runs
        self.stats = tuple(stats)
        self.recorded = self.skipped_pii = self.failures = 0
        self._pending: OrderedDict[uuid.UUID, _Pending] = OrderedDict()
        self._runs: OrderedDict[uuid.UUID, _Run] = OrderedDict()
        self._lock = threading.Lock()

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: uuid.UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Keep the conversation of the run (and its experiment arm, if any) until it ends (not a shadow judge's
        own calls)."""
        if (metadata or {}).get(PURPOSE_METADATA_KEY):
            return
        pending = _Pending(messages_of(messages[0]) if messages else (), read_assignment(metadata))
        with self._lock:
            _put(self._pending, run_id, pending, self.max_runs)

    def on_llm_end(self, response: LLMResult, *, run_id: uuid.UUID, **kwargs: Any) -> None:
        """Keep a routed run (its answer carries ``response_metadata["routing"]``); forget any other."""
        generation = response.generations[0][0] if response.generations and response.generations[0] else None
        routing = (
            generation.message.response_metadata.get("routing") if isinstance(generation, ChatGeneration) else None
        )
        with self._lock:
            pending = self._pending.pop(run_id, None)
            if pending and pending.messages and isinstance(routing, Mapping):
                _put(self._runs, run_id, _Run(pending.messages, dict(routing), pending.assignment), self.max_runs)

    def on_llm_error(self, error: BaseException, *, run_id: uuid.UUID, **kwargs: Any) -> None:
        """A failed run has no answer to score."""
        with self._lock:
            self._pending.pop(run_id, None)

    def record_outcome(
        self,
        response_or_run_id: BaseMessage | uuid.UUID | str,
        score: float | bool,
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> Outcome | None:
        """Append the outcome ``score`` (in [0, 1]; ``True``/``False`` for thumbs) of a routed answer.

        Returns the outcome written, or ``None`` when the PII policy skipped it or the sink failed.
        Raises :class:`OutcomeLookupError` for an answer or run the recorder never saw, ``ValueError`` for
        a score outside [0, 1].
        """
        if not isinstance(score, bool | int | float) or not 0.0 <= float(score) <= 1.0:
            raise ValueError(f"score must be a number in [0, 1] (or True/False), got {score!r}")
        run_id = _run_id(response_or_run_id)
        with self._lock:
            run = self._runs.get(run_id)
        if run is None:
            raise OutcomeLookupError(
                f"no routed run {run_id} in this recorder: pass it in the router's callbacks "
                f"(RoutedChatBedrock(callbacks=[recorder])); it keeps the last {self.max_runs} runs"
            )
        if run.assignment is not None:
            self._score_arm(run.assignment, float(score))
        routing = run.routing
        name = str(routing.get("tier") if self.key == "tier" else routing.get("model_id"))
        details = {k: routing.get(k) for k in ("tier", "model_id", "classifier", "score")}
        if run.assignment is not None:
            details |= {"experiment": run.assignment.experiment, "arm": run.assignment.arm}
        return self.record(Outcome(run.messages, {name: float(score)}, str(run_id), {**details, **(metadata or {})}))

    def _score_arm(self, assignment: ArmAssignment, score: float) -> None:
        for sink in self.stats:
            try:
                sink.add_score(assignment.experiment, assignment.arm, score)
            except Exception:  # feedback must never break the app: logged and counted
                logger.warning("could not count the score of arm %r in %r", assignment.arm, sink, exc_info=True)
                with self._lock:
                    self.failures += 1

    def record(self, outcome: Outcome) -> Outcome | None:
        """Append ``outcome`` (stamped ``metadata["recorded"]``) under the recorder's PII policy; the
        :class:`~langchain_bedrock_routing.learning.shadow.ShadowJudge` writes its verdicts through it.

        Returns the outcome written, or ``None`` when the PII policy skipped it or the sink failed (counted).
        """
        if self.pii == "skip" and any(contains_pii(text) for _, text in outcome.messages):
            with self._lock:
                self.skipped_pii += 1
            return None
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        outcome = Outcome(outcome.messages, outcome.outcomes, outcome.id, {"recorded": stamp, **outcome.metadata})
        try:
            self.sink.write(dump_outcome(outcome))
        except Exception:  # feedback must never break the app: logged and counted
            logger.warning("could not record the outcome %s", outcome.id, exc_info=True)
            with self._lock:
                self.failures += 1
            return None
        with self._lock:
            self.recorded += 1
        return outcome


def _put(store: OrderedDict[uuid.UUID, Any], run_id: uuid.UUID, value: Any, limit: int) -> None:
    store[run_id] = value
    while len(store) > limit:
        store.popitem(last=False)


def _run_id(value: BaseMessage | uuid.UUID | str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    text = (value.id or "") if isinstance(value, BaseMessage) else value
    match = _RUN_ID.match(text)
    try:
        return uuid.UUID(match.group(1) if match else text)
    except ValueError:
        raise OutcomeLookupError(
            f"{text!r} is neither a run id nor a LangChain message id (lc_run--<run id>): pass the run id"
        ) from None
