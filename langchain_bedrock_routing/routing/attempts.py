"""One routed request's walk through its candidates: prepare each delegate call, record failures, finish.

Shared by the invoke and stream paths so both fall back, cool down and explain themselves the same way, and
keep to the request's deadline: each attempt's timeouts are cut to the time left, and no candidate starts after it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from botocore.exceptions import ClientError
from langchain_aws import ChatBedrockConverse
from langchain_core.runnables import RunnableBinding

from langchain_bedrock_routing.core.routing_metadata import AttemptRecord, Priority, RoutingMetadata
from langchain_bedrock_routing.errors import AllModelsFailedError, ModelCallError, StreamInterruptedError
from langchain_bedrock_routing.routing.deadline import DEFAULT_DEADLINE, Deadline, attempt_timeouts
from langchain_bedrock_routing.routing.decision import RouteDecision
from langchain_bedrock_routing.routing.delegates import DelegatePool
from langchain_bedrock_routing.routing.fallback import Cooldown, retryable_reason
from langchain_bedrock_routing.routing.metadata import invoked_model_id, routing_metadata
from langchain_bedrock_routing.routing.policy import Candidate, Plan
from langchain_bedrock_routing.routing.prompt_cache import PromptCacheMode, cache_control_for
from langchain_bedrock_routing.routing.request import RequestProfile


@dataclass(frozen=True)
class CandidateCall:
    """One delegate call to make: the candidate, its delegate and the keyword arguments for it."""

    candidate: Candidate
    delegate: ChatBedrockConverse
    kwargs: dict[str, Any]

    @property
    def streams(self) -> bool:
        """False when the delegate's model cannot stream this call (then it is generated in one piece)."""
        disabled = self.delegate.disable_streaming
        return not (disabled is True or (disabled == "tool_calling" and bool(self.kwargs.get("tools"))))


@dataclass
class RouteRun:
    """The candidates of one request in try order (resting models last) and what happened to each."""

    decision: RouteDecision
    priority: Priority
    plan: Plan
    profile: RequestProfile
    pool: DelegatePool
    cooldown: Cooldown
    prompt_cache: PromptCacheMode
    call_kwargs: Mapping[str, Any]
    tools: Sequence[Any] | None = None
    tool_choice: Any = None
    deadline: Deadline = field(default_factory=lambda: Deadline(DEFAULT_DEADLINE))
    attempts: list[AttemptRecord] = field(default_factory=list)
    untried: list[str] = field(default_factory=list)
    """Candidates not started because the deadline had passed."""
    cut: bool = False
    """True once an attempt's timeouts were cut to the time left before the deadline."""

    def __iter__(self) -> Iterator[CandidateCall]:
        ordered = self.cooldown.order(self.plan.candidates, lambda c: c.target.model_id)
        for index, candidate in enumerate(ordered):
            timeouts = attempt_timeouts(self.deadline.left(), self.pool.timeouts, self.pool.tries)
            if timeouts is None:
                self.untried = [c.target.model_id for c in ordered[index:]]
                return
            self.cut = self.cut or (timeouts != self.pool.timeouts and self.pool.retimable)
            delegate = self.pool.timed(candidate.target, timeouts)
            kwargs = dict(self.call_kwargs)
            if self.tools:
                try:
                    binding = delegate.bind_tools(self.tools, tool_choice=self.tool_choice)
                except ValueError as error:  # this model does not support the requested tool_choice
                    self._record(candidate, f"ValueError: {error}")
                    continue
                if isinstance(binding, RunnableBinding):
                    kwargs.update(binding.kwargs)
            if "cache_control" not in kwargs:
                cache_control = cache_control_for(self.prompt_cache, candidate.target.spec, self.profile)
                if cache_control is not None:
                    kwargs["cache_control"] = cache_control
            yield CandidateCall(candidate, delegate, kwargs)

    def failed(self, attempt: CandidateCall, error: BaseException) -> None:
        """Record a retryable failure and move on; raise :class:`ModelCallError` for any other error."""
        reason = retryable_reason(error)
        model_id = attempt.candidate.target.model_id
        if reason is None:
            raise ModelCallError(model_id, error) from error
        self.cooldown.failed(model_id)
        self._record(attempt.candidate, reason)

    def interrupted(self, attempt: CandidateCall, error: Exception, chunks: int) -> NoReturn:
        """Record a stream that failed after ``chunks`` chunks reached the caller and raise
        :class:`StreamInterruptedError` (a retryable error also counts toward the model's cooldown)."""
        reason = retryable_reason(error)
        model_id = attempt.candidate.target.model_id
        if reason is not None:
            self.cooldown.failed(model_id)
        self._record(attempt.candidate, reason or _error_name(error))
        raise StreamInterruptedError(model_id, error, chunks, self.attempts) from error

    def succeeded(self, attempt: CandidateCall, response_metadata: Mapping[str, Any]) -> RoutingMetadata:
        """Record the success and return ``response_metadata["routing"]`` for the result."""
        target = attempt.candidate.target
        self.cooldown.succeeded(target.model_id)
        self._record(attempt.candidate, None)
        return routing_metadata(
            decision=self.decision,
            priority=self.priority,
            plan=self.plan,
            target=target,
            model_id=invoked_model_id(target, response_metadata),
            attempts=self.attempts,
            prompt_cache="cache_control" in attempt.kwargs,
        )

    def exhausted(self) -> NoReturn:
        """Every candidate failed with a retryable error, or the deadline left no time for the rest."""
        if self.cut or self.untried:
            raise AllModelsFailedError(self.attempts, deadline=self.deadline.seconds, untried=self.untried)
        raise AllModelsFailedError(self.attempts)

    def _record(self, candidate: Candidate, error: str | None) -> None:
        self.attempts.append(AttemptRecord(model_id=candidate.target.model_id, tier=candidate.target.tier, error=error))


def _error_name(error: BaseException) -> str:
    """The Bedrock error code of a botocore error, else the exception's type name."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__
