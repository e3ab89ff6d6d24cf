"""The shadow judge: a sampled share of cheaper-tier answers is answered again by the strongest tier and graded.

    judge = ShadowJudge("outcomes.jsonl", rate=0.05)        # or an OutcomeRecorder
    llm = RoutedChatBedrock(shadow=judge)
    llm.invoke("...")                                        # returns at once; 5% of cheaper answers are judged later

After a routed answer from a tier below the strongest one, a stable hash of the conversation decides whether it
is shadowed (the same request always gets the same decision). A shadowed request joins a bounded queue (a full
queue drops it, counted in ``dropped``); one background thread then asks the router for the strongest tier's
answer (``model=`` pinned, so the call uses the router's endpoint, region, credentials and botocore config), asks
the judge model to grade the cheaper answer against it (:mod:`.judge`), and records
``{"<cheaper tier>": (grade - 1) / 4, "<strongest tier>": 1.0}`` through the recorder. Nothing is raised into the
user's call: errors are logged and counted in ``failures``.

Never shadowed: cached answers, answers of the strongest tier, tool calls, requests with tools, and requests whose
run metadata says ``"cache": "no-store"``. Shadow and judge calls carry the request's metadata (its ``tenant_id``),
run in a copy of its context, never store in a response cache (``"no-store"``), and are marked with
``bedrock_routing_purpose`` so the stats handler counts their spend apart from the requests'.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import queue
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager, Callbacks
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables.config import var_child_runnable_config

from langchain_bedrock_routing.callbacks.answer import first_message, read_answer
from langchain_bedrock_routing.catalog import TIERS, Tier
from langchain_bedrock_routing.core.routing_metadata import PURPOSE_METADATA_KEY
from langchain_bedrock_routing.learning.judge import DEFAULT_JUDGE_MODEL, grade_score, judge_messages, parse_grade
from langchain_bedrock_routing.learning.outcomes import Outcome, messages_of
from langchain_bedrock_routing.learning.recorder import OutcomeRecorder
from langchain_bedrock_routing.learning.sinks import OutcomeWriter
from langchain_bedrock_routing.routing.classifiers.base import last_human_index, message_parts
from langchain_bedrock_routing.routing.targets import resolve_tiers

logger = logging.getLogger(__name__)

_MAX_PENDING = 10_000
"""Runs started and not yet ended that the judge keeps (the oldest are forgotten first)."""


@dataclass(frozen=True)
class _Job:
    run_id: uuid.UUID
    messages: list[BaseMessage]
    metadata: dict[str, Any]
    tier: str
    model_id: str
    answer: str
    context: contextvars.Context


class ShadowJudge(BaseCallbackHandler):
    """Judges a ``rate`` share (0..1) of a router's cheaper-tier answers in the background and records the verdicts.

    ``recorder``: an :class:`OutcomeRecorder`, or a sink / JSONL path for a new one (its ``key`` decides whether
    outcomes are keyed by tier or model id, its ``pii`` policy applies). ``judge_model``: a Bedrock model id
    (default :data:`~langchain_bedrock_routing.learning.judge.DEFAULT_JUDGE_MODEL`). ``max_queue``: requests
    waiting to be judged before new ones are dropped. One judge serves one router.
    """

    run_inline = True
    raise_error = False

    def __init__(
        self,
        recorder: OutcomeRecorder | OutcomeWriter | str | Path,
        *,
        rate: float,
        judge_model: str = DEFAULT_JUDGE_MODEL,
        max_queue: int = 100,
        judge_max_tokens: int = 16,
        salt: str = "",
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be a share of answers in [0, 1], got {rate!r}")
        if max_queue <= 0:
            raise ValueError(f"max_queue must be a positive number of requests, got {max_queue}")
        self.recorder = recorder if isinstance(recorder, OutcomeRecorder) else OutcomeRecorder(recorder)
        self.rate, self.judge_model, self.judge_max_tokens, self.salt = float(rate), judge_model, judge_max_tokens, salt
        self.shadowed = self.dropped = self.judged = self.ungraded = self.failures = 0
        """Queued, dropped (queue full), recorded, judge gave no grade, failed (strong or judge call, sink)."""
        self.skipped: Counter[str] = Counter()
        """Answers not shadowed by reason: ``cached``, ``strongest tier``, ``tools``, ``no-store``, ``not sampled``."""
        self._router: Any = None
        self._strong: tuple[Tier, str] | None = None
        self._pending: OrderedDict[uuid.UUID, tuple[list[BaseMessage], dict[str, Any]]] = OrderedDict()
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=max_queue)
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- binding to the router ----------------------------------------------------------------------

    def attach(self, router: Any, callbacks: Callbacks) -> Callbacks:
        """Bind to ``router`` (its strongest tier's primary model answers the shadow calls) and return its
        ``callbacks`` with this handler added; raises ``ValueError`` when already bound to another router."""
        if self._router is not None and self._router is not router:
            raise ValueError("this ShadowJudge already serves another router: make one ShadowJudge per router")
        targets = resolve_tiers(router.tiers, router.preset)
        strongest = max(targets, key=TIERS.index)
        self._router, self._strong = router, (strongest, targets[strongest][0].model_id)
        if callbacks is None:
            return [self]
        if isinstance(callbacks, BaseCallbackManager):
            manager = callbacks.copy()
            manager.add_handler(self, inherit=False)
            return manager
        return [*callbacks, self] if self not in callbacks else callbacks

    # -- watching answers (in the caller's call: cheap, never raises) --------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: uuid.UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Keep the request until its answer, unless it is a shadow or judge call, or carries tools."""
        metadata = dict(metadata or {})
        if metadata.get(PURPOSE_METADATA_KEY) or not messages:
            return
        if (kwargs.get("invocation_params") or {}).get("tools"):
            self._skip("tools")
            return
        with self._lock:
            self._pending[run_id] = (list(messages[0]), metadata)
            while len(self._pending) > _MAX_PENDING:
                self._pending.popitem(last=False)

    def on_llm_error(self, error: BaseException, *, run_id: uuid.UUID, **kwargs: Any) -> None:
        """A failed request has no answer to judge."""
        with self._lock:
            self._pending.pop(run_id, None)

    def on_llm_end(self, response: LLMResult, *, run_id: uuid.UUID, **kwargs: Any) -> None:
        """Queue a sampled cheaper-tier answer for judging (dropped, and counted, when the queue is full)."""
        with self._lock:
            request = self._pending.pop(run_id, None)
        message = first_message(response)
        if request is None or message is None or self._strong is None:
            return
        messages, metadata = request
        answer = read_answer(message)
        reason = self._reason_to_skip(answer.cached, answer.tier, bool(message.tool_calls), metadata, messages)
        if reason is not None:
            self._skip(reason)
            return
        job = _Job(
            run_id,
            messages,
            metadata,
            answer.tier or "",
            answer.model_id or "",
            message_parts(message).text,
            contextvars.copy_context(),
        )
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            with self._lock:
                self.dropped += 1
            return
        with self._lock:
            self.shadowed += 1
        self._ensure_worker()

    def _reason_to_skip(
        self, cached: bool, tier: str | None, tools: bool, metadata: Mapping[str, Any], messages: list[BaseMessage]
    ) -> str | None:
        if cached:
            return "cached"
        if tier is None or self._strong is None or TIERS.index(tier) >= TIERS.index(self._strong[0]):
            return "strongest tier"
        if tools:
            return "tools"
        if metadata.get("cache") == "no-store":
            return "no-store"
        return None if self.sampled(messages) else "not sampled"

    def sampled(self, messages: list[BaseMessage]) -> bool:
        """Whether a conversation falls in the shadowed share: a stable hash of its turns (and ``salt``)."""
        digest = hashlib.blake2b(repr((messages_of(messages), self.salt)).encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "little") / 2**64 < self.rate

    def _skip(self, reason: str) -> None:
        with self._lock:
            self.skipped[reason] += 1

    # -- the background work ---------------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="shadow-judge", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                job.context.run(self._judge, job)
            except Exception:  # the judge must never break anything: logged and counted
                logger.warning("shadow judging of run %s failed", job.run_id, exc_info=True)
                with self._lock:
                    self.failures += 1
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _judge(self, job: _Job) -> None:
        assert self._strong is not None
        var_child_runnable_config.set(None)  # top-level runs, not children of the caller's chain (this copy only)
        strong_tier, strong_model = self._strong
        passed = {k: v for k, v in job.metadata.items() if not k.startswith("ls_")}

        def config(purpose: str) -> dict[str, Any]:
            return {"metadata": {**passed, "cache": "no-store", PURPOSE_METADATA_KEY: purpose}, "run_name": purpose}

        strong = self._router.invoke(job.messages, config(purpose="shadow"), model=strong_model)
        question = message_parts(job.messages[last_human_index(job.messages)]).text
        reply = self._router.invoke(
            judge_messages(question, message_parts(strong).text, job.answer),
            config(purpose="judge"),
            model=self.judge_model,
            max_tokens=self.judge_max_tokens,
            temperature=0,
        )
        grade = parse_grade(message_parts(reply).text)
        if grade is None:
            logger.info("the judge gave no grade for run %s: %r", job.run_id, message_parts(reply).text[:200])
            with self._lock:
                self.ungraded += 1
            return
        strong_id = strong.response_metadata.get("routing", {}).get("model_id", strong_model)
        cheap, strong_key = (job.tier, strong_tier) if self.recorder.key == "tier" else (job.model_id, strong_id)
        outcome = Outcome(
            messages_of(job.messages),
            {cheap: grade_score(grade), strong_key: 1.0},
            str(job.run_id),
            {
                "source": "shadow-judge",
                "judge_model": self.judge_model,
                "grade": grade,
                "tier": job.tier,
                "model_id": job.model_id,
                "strong_model_id": strong_id,
                **({"tenant_id": passed["tenant_id"]} if "tenant_id" in passed else {}),
            },
        )
        if self.recorder.record(outcome) is not None:  # else the recorder counted a PII skip or a sink failure
            with self._lock:
                self.judged += 1

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued request is judged; ``False`` if ``timeout`` (seconds) passed first."""
        with self._queue.all_tasks_done:
            return self._queue.all_tasks_done.wait_for(lambda: self._queue.unfinished_tasks == 0, timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Judge what is queued, then stop the background thread; ``False`` if ``timeout`` passed first."""
        done = self.flush(timeout)
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None and worker.is_alive():
            self._queue.put(None)
            worker.join(timeout)
        return done
