"""One routed request's walk through its candidates: prepare each delegate call, record failures, finish.

Shared by the invoke and stream paths so both fall back, cool down and explain themselves the same way, and
keep to the request's deadline: each attempt's timeouts are cut to the time left, and no candidate starts after it.
The walk is written once: it yields an :class:`_Admit` where a deployment's limits must be asked, and iterating a
:class:`RouteRun` (``for`` or ``async for``, the latter awaiting a window shared through Redis) answers it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from botocore.exceptions import ClientError
from langchain_aws import ChatBedrockConverse
from langchain_core.runnables import RunnableBinding

from langchain_bedrock_routing.core.routing_metadata import AttemptRecord, Priority, RoutingMetadata
from langchain_bedrock_routing.errors import AllModelsFailedError, ModelCallError, StreamInterruptedError
from langchain_bedrock_routing.routing.balance import UNLIMITED, Admission, Balancer
from langchain_bedrock_routing.routing.deadline import DEFAULT_DEADLINE, Deadline, attempt_timeouts
from langchain_bedrock_routing.routing.decision import RouteDecision
from langchain_bedrock_routing.routing.delegates import DelegatePool
from langchain_bedrock_routing.routing.fallback import retryable_reason
from langchain_bedrock_routing.routing.metadata import invoked_model_id, routing_metadata
from langchain_bedrock_routing.routing.policy import Candidate, Plan
from langchain_bedrock_routing.routing.prompt_cache import PromptCacheMode, cache_control_for
from langchain_bedrock_routing.routing.request import RequestProfile
from langchain_bedrock_routing.routing.targets import Target


@dataclass(frozen=True)
class CandidateCall:
    """One delegate call to make: the candidate, its delegate, the keyword arguments for it, its limit admission."""

    candidate: Candidate
    delegate: ChatBedrockConverse
    kwargs: dict[str, Any]
    admission: Admission = UNLIMITED

    @property
    def streams(self) -> bool:
        """False when the delegate's model cannot stream this call (then it is generated in one piece)."""
        disabled = self.delegate.disable_streaming
        return not (disabled is True or (disabled == "tool_calling" and bool(self.kwargs.get("tools"))))


@dataclass(frozen=True)
class _Admit:
    """The walk's question: may ``target`` be called now (``force``: count it anyway)? Answered with an
    :class:`Admission`."""

    target: Target
    force: bool


_Walk = Generator["_Admit | CandidateCall", "Admission | None", None]


@dataclass
class RouteRun:
    """The candidates of one request in try order (see :mod:`.balance`) and what happened to each."""

    decision: RouteDecision
    priority: Priority
    plan: Plan
    profile: RequestProfile
    pool: DelegatePool
    balancer: Balancer
    prompt_cache: PromptCacheMode
    call_kwargs: Mapping[str, Any]
    tools: Sequence[Any] | None = None
    tool_choice: Any = None
    deadline: Deadline = field(default_factory=lambda: Deadline(DEFAULT_DEADLINE))
    attempts: list[AttemptRecord] = field(default_factory=list)
    untried: list[str] = field(default_factory=list)
    """Candidates not started because the deadline had passed."""
    limited: list[str] = field(default_factory=list)
    """Deployments passed over because the call would have passed their rpm / tpm (tried last, if reached)."""
    cut: bool = False
    """True once an attempt's timeouts were cut to the time left before the deadline."""

    def __iter__(self) -> Iterator[CandidateCall]:
        walk = self._walk()
        answer: Admission | None = None
        while (step := _next(walk, answer)) is not None:
            if isinstance(step, _Admit):
                answer = self.balancer.admit(step.target, self.profile, force=step.force)
            else:
                answer = None
                yield step

    async def __aiter__(self) -> AsyncIterator[CandidateCall]:
        walk = self._walk()
        answer: Admission | None = None
        while (step := _next(walk, answer)) is not None:
            if isinstance(step, _Admit):
                answer = await self.balancer.aadmit(step.target, self.profile, force=step.force)
            else:
                answer = None
                yield step

    def _walk(self) -> _Walk:
        passed: list[Candidate] = []
        yield from self._calls(self.balancer.order(self.plan.candidates), passed)
        if not self.untried:
            yield from self._calls(passed, None)

    def _calls(self, candidates: Sequence[Candidate], passed: list[Candidate] | None) -> _Walk:
        """Calls to ``candidates`` in order, those over a deployment limit set aside in ``passed`` (with ``None``:
        called anyway); stops when the deadline has passed."""
        for index, candidate in enumerate(candidates):
            call = yield from self._prepare(candidate, force=passed is None)
            if call is None:
                if self.untried:
                    self.untried += [c.target.model_id for c in (*candidates[index + 1 :], *(passed or ()))]
                    return
                continue
            if passed is not None and not call.admission.admitted:
                passed.append(candidate)
                self.limited.append(candidate.target.key)
                continue
            yield call

    def _prepare(
        self, candidate: Candidate, *, force: bool
    ) -> Generator[_Admit, Admission | None, CandidateCall | None]:
        """The call to ``candidate``, or ``None`` when its tools cannot bind or the deadline has passed (then
        ``untried`` names it)."""
        timeouts = attempt_timeouts(self.deadline.left(), self.pool.timeouts, self.pool.tries)
        if timeouts is None:
            self.untried = [candidate.target.model_id]
            return None
        self.cut = self.cut or (timeouts != self.pool.timeouts and self.pool.retimable)
        delegate = self.pool.timed(candidate.target, timeouts)
        kwargs = dict(self.call_kwargs)
        if self.tools:
            try:
                binding = delegate.bind_tools(self.tools, tool_choice=self.tool_choice)
            except ValueError as error:  # this model does not support the requested tool_choice
                self._record(candidate, f"ValueError: {error}")
                return None
            if isinstance(binding, RunnableBinding):
                kwargs.update(binding.kwargs)
        if "cache_control" not in kwargs:
            cache_control = cache_control_for(self.prompt_cache, candidate.target.spec, self.profile)
            if cache_control is not None:
                kwargs["cache_control"] = cache_control
        admission = yield _Admit(candidate.target, force)
        assert admission is not None
        return CandidateCall(candidate, delegate, kwargs, admission)

    def failed(self, attempt: CandidateCall, error: BaseException) -> None:
        """Record a retryable failure and move on; raise :class:`ModelCallError` for any other error."""
        self.balancer.settle(attempt.admission, 0)
        reason = retryable_reason(error)
        target = attempt.candidate.target
        if reason is None:
            raise ModelCallError(target.model_id, error) from error
        self.balancer.failed(target, reason)
        self._record(attempt.candidate, reason)

    def interrupted(self, attempt: CandidateCall, error: Exception, chunks: int) -> NoReturn:
        """Record a stream that failed after ``chunks`` chunks reached the caller and raise
        :class:`StreamInterruptedError` (a retryable error also counts toward the model's cooldown)."""
        reason = retryable_reason(error)
        target = attempt.candidate.target
        if reason is not None:
            self.balancer.failed(target, reason)
        self._record(attempt.candidate, reason or _error_name(error))
        raise StreamInterruptedError(target.model_id, error, chunks, self.attempts) from error

    def succeeded(
        self, attempt: CandidateCall, response_metadata: Mapping[str, Any], usage: Mapping[str, Any] | None = None
    ) -> RoutingMetadata:
        """Record the success (``usage``: the answer's ``usage_metadata``, counted against its deployment's limits)
        and return ``response_metadata["routing"]`` for the result."""
        target = attempt.candidate.target
        if usage is not None and isinstance(usage.get("total_tokens"), int):
            self.balancer.settle(attempt.admission, usage["total_tokens"])
        self.balancer.succeeded(target)
        self._record(attempt.candidate, None)
        return routing_metadata(
            decision=self.decision,
            priority=self.priority,
            plan=self.plan,
            target=target,
            model_id=invoked_model_id(target, response_metadata),
            attempts=self.attempts,
            prompt_cache="cache_control" in attempt.kwargs,
            limited=self.limited,
        )

    def exhausted(self) -> NoReturn:
        """Every candidate failed with a retryable error, or the deadline left no time for the rest."""
        if self.cut or self.untried:
            raise AllModelsFailedError(self.attempts, deadline=self.deadline.seconds, untried=self.untried)
        raise AllModelsFailedError(self.attempts)

    def _record(self, candidate: Candidate, error: str | None) -> None:
        target = candidate.target
        record = AttemptRecord(model_id=target.model_id, tier=target.tier, error=error)
        if target.deployment is not None:
            record["deployment"] = target.deployment.name
        self.attempts.append(record)


def _next(walk: _Walk, answer: Admission | None) -> _Admit | CandidateCall | None:
    """The walk's next step after sending it ``answer``; ``None`` when it is over."""
    try:
        return walk.send(answer)
    except StopIteration:
        return None


def _error_name(error: BaseException) -> str:
    """The Bedrock error code of a botocore error, else the exception's type name."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__
