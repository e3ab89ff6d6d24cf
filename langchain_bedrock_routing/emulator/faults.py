"""Injected faults: random throttling and service errors, a per-model requests-per-minute quota, models made
unavailable or not ready, and ConverseStream replies cut after some events by an exception event."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from langchain_bedrock_routing.catalog import base_model_id
from langchain_bedrock_routing.emulator.errors import BedrockError

STREAM_ERRORS: dict[str, str] = {
    "modelStreamErrorException": "The model stream was interrupted, please retry your request.",
    "internalServerException": "An internal server error occurred, please retry your request.",
    "serviceUnavailableException": "Service is temporarily unavailable, try again.",
    "throttlingException": "Too many tokens, please wait before trying again.",
    "validationException": "The model produced output that failed validation.",
}
"""The exception events the bedrock-runtime model allows in ``ConverseStreamOutput``, with their messages."""


def _rate(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


@dataclass(frozen=True)
class StreamCut:
    """A ConverseStream reply cut after ``after`` ``contentBlockDelta`` events by an exception event."""

    after: int
    exception_type: str

    def payload(self) -> dict[str, Any]:
        """The exception event's JSON payload (``modelStreamErrorException`` also names the model's own error)."""
        body: dict[str, Any] = {"message": STREAM_ERRORS[self.exception_type]}
        if self.exception_type == "modelStreamErrorException":
            body.update(originalStatusCode=500, originalMessage="Model inference was interrupted.")
        return body


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities per request (0..1), base model ids that always fail, and the mid-stream fault.

    ``stream_error`` (one of :data:`STREAM_ERRORS`) cuts a served ConverseStream after ``stream_error_after``
    content deltas, with probability ``stream_error_rate``, for ``stream_error_models`` (empty: every model).
    ``rpm_quota`` throttles a model's requests beyond that many in the last 60 s, as a Bedrock quota does.
    """

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    fail_models: frozenset[str] = field(default_factory=frozenset)
    not_ready_models: frozenset[str] = field(default_factory=frozenset)
    stream_error: str | None = None
    stream_error_after: int = 0
    stream_error_rate: float = 1.0
    stream_error_models: frozenset[str] = field(default_factory=frozenset)
    rpm_quota: int | None = None

    @classmethod
    def build(
        cls,
        throttle_rate: float = 0.0,
        error_rate: float = 0.0,
        fail_models: Iterable[str] = (),
        not_ready_models: Iterable[str] = (),
        stream_error: str | None = None,
        stream_error_after: int = 0,
        stream_error_rate: float = 1.0,
        stream_error_models: Iterable[str] = (),
        rpm_quota: int | None = None,
    ) -> FaultConfig:
        """Validated config; model ids may carry geo prefixes or ARNs (they are reduced to base ids)."""
        stream_models = frozenset(base_model_id(m) for m in stream_error_models)
        if stream_error is None:
            if stream_error_after != 0 or stream_error_rate != 1.0 or stream_models:
                raise ValueError(
                    "stream_error_after, stream_error_rate and stream_error_models need stream_error, one of: "
                    + ", ".join(STREAM_ERRORS)
                )
        elif stream_error not in STREAM_ERRORS:
            raise ValueError(f"unknown stream_error {stream_error!r}; valid: {', '.join(STREAM_ERRORS)}")
        if isinstance(stream_error_after, bool) or not isinstance(stream_error_after, int) or stream_error_after < 0:
            raise ValueError(f"stream_error_after must be an int >= 0 (content deltas), got {stream_error_after!r}")
        if rpm_quota is not None and (isinstance(rpm_quota, bool) or not isinstance(rpm_quota, int) or rpm_quota < 1):
            raise ValueError(f"rpm_quota must be an int >= 1 (requests a minute per model) or None, got {rpm_quota!r}")
        return cls(
            throttle_rate=_rate("throttle_rate", throttle_rate),
            error_rate=_rate("error_rate", error_rate),
            fail_models=frozenset(base_model_id(m) for m in fail_models),
            not_ready_models=frozenset(base_model_id(m) for m in not_ready_models),
            stream_error=stream_error,
            stream_error_after=stream_error_after,
            stream_error_rate=_rate("stream_error_rate", stream_error_rate),
            stream_error_models=stream_models,
            rpm_quota=rpm_quota,
        )

    def model_sets(self) -> dict[str, list[str]]:
        """The model-id fields as sorted lists (JSON-ready)."""
        sets = {"fail_models": self.fail_models, "not_ready_models": self.not_ready_models}
        return {**{k: sorted(v) for k, v in sets.items()}, "stream_error_models": sorted(self.stream_error_models)}


class FaultInjector:
    """Decides, from seeded RNGs and each model's requests in the last minute, whether a request fails and how."""

    def __init__(self, config: FaultConfig, seed: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._rng = random.Random(seed)
        self._stream_rng = random.Random(f"stream-{seed}")
        self._lock = threading.Lock()
        self._clock = clock
        self._served: dict[str, deque[float]] = {}

    @property
    def config(self) -> FaultConfig:
        """The faults currently injected."""
        return self._config

    def configure(self, config: FaultConfig) -> None:
        """Replace the injected faults (takes effect for the next request)."""
        self._config = config

    def check(self, model_id: str) -> BedrockError | None:
        """The error a request to ``model_id`` (base id) should get, or ``None`` to serve it."""
        config = self._config
        if model_id in config.fail_models:
            return BedrockError("ServiceUnavailableException", f"Model {model_id} is currently unavailable.")
        if model_id in config.not_ready_models:
            return BedrockError("ModelNotReadyException", f"Model {model_id} is not ready to serve requests.")
        with self._lock:
            draw = self._rng.random()
        if draw < config.throttle_rate:
            return BedrockError("ThrottlingException", "Too many requests, please wait before trying again.")
        if draw < config.throttle_rate + config.error_rate:
            return BedrockError("ServiceUnavailableException", "Service is temporarily unavailable, try again.")
        if config.rpm_quota is not None and not self._within_quota(model_id, config.rpm_quota):
            return BedrockError("ThrottlingException", "Too many requests, please wait before trying again.")
        return None

    def _within_quota(self, model_id: str, quota: int) -> bool:
        """Count a request to ``model_id`` unless ``quota`` requests were served in the last 60 s."""
        with self._lock:
            now = self._clock()
            served = self._served.setdefault(model_id, deque())
            while served and served[0] <= now - 60.0:
                served.popleft()
            if len(served) >= quota:
                return False
            served.append(now)
            return True

    def stream_cut(self, model_id: str) -> StreamCut | None:
        """How a served ConverseStream from ``model_id`` (base id) is cut, or ``None`` to send it whole."""
        config = self._config
        if config.stream_error is None or (config.stream_error_models and model_id not in config.stream_error_models):
            return None
        if config.stream_error_rate < 1.0:
            with self._lock:
                if self._stream_rng.random() >= config.stream_error_rate:
                    return None
        return StreamCut(config.stream_error_after, config.stream_error)
