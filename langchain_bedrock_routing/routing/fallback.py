"""Which Bedrock errors move a request to the next candidate, and the per-model cooldown.

Retryable (next candidate): throttling, service unavailable, model not ready, model timeout, internal
server errors, any HTTP 429/5xx, connection failures and timeouts. Everything else (validation,
access denied, resource not found ...) is raised at once: another model would fail the same way or
the caller must fix the request. Bedrock does not bill a request that failed, so trying the next
candidate never bills the same request twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from botocore.exceptions import ClientError, ConnectionClosedError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

_T = TypeVar("_T")

RETRYABLE_CODES = frozenset(
    {
        "throttlingexception",
        "toomanyrequestsexception",
        "serviceunavailableexception",
        "servicequotaexceededexception",
        "modelnotreadyexception",
        "modeltimeoutexception",
        "internalserverexception",
        "modelstreamerrorexception",
    }
)


def retryable_reason(error: BaseException) -> str | None:
    """A short name for a retryable error (the Bedrock error code or exception type), else ``None``."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code.lower() in RETRYABLE_CODES or status == 429 or status >= 500:
            return code or f"HTTP {status}"
        return None
    # the built-in ConnectionError: langchain-aws raises it for a stream that ends without messageStop
    if isinstance(error, (BotoConnectionError, HTTPClientError, ConnectionClosedError, TimeoutError, ConnectionError)):
        return type(error).__name__
    return None


THROTTLING_CODES = frozenset(
    {"throttlingexception", "toomanyrequestsexception", "servicequotaexceededexception", "http 429"}
)
"""Retryable reasons (lower case) that speak of one quota, not of a sick region."""


def is_throttling(reason: str) -> bool:
    """True when a :func:`retryable_reason` is throttling (a quota spent), not an outage."""
    return reason.lower() in THROTTLING_CODES


@dataclass
class _Health:
    failures: int = 0
    cooling_until: float = 0.0


class Cooldown:
    """Per-model circuit: after ``threshold`` consecutive retryable failures a model rests ``seconds``.

    A resting model is tried only after every healthy candidate failed; one success resets it. Thread-safe;
    ``clock`` returns seconds (monotonic by default).
    """

    def __init__(self, threshold: int = 2, seconds: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        if threshold < 1 or seconds < 0:
            raise ValueError("cooldown threshold must be >= 1 and seconds >= 0")
        self.threshold = threshold
        self.seconds = seconds
        self._clock = clock
        self._health: dict[str, _Health] = {}
        self._lock = threading.Lock()

    def cooling(self, model_id: str) -> bool:
        """True while ``model_id`` rests after repeated failures."""
        with self._lock:
            health = self._health.get(model_id)
            return health is not None and health.cooling_until > self._clock()

    def failed(self, model_id: str) -> None:
        """Record a retryable failure; the ``threshold``-th in a row starts a cooldown."""
        with self._lock:
            health = self._health.setdefault(model_id, _Health())
            health.failures += 1
            if health.failures >= self.threshold:
                health.cooling_until = self._clock() + self.seconds
                health.failures = 0

    def succeeded(self, model_id: str) -> None:
        """Record a success: the model is healthy again."""
        with self._lock:
            self._health.pop(model_id, None)

    def order(self, items: Iterable[_T], keys: Callable[[_T], Sequence[str]]) -> list[_T]:
        """``items`` with those resting under any of their ``keys`` (model, deployment, region ...) moved to the end
        (relative order kept)."""
        listed = list(items)
        resting = [any(self.cooling(key) for key in keys(item)) for item in listed]
        return [i for i, r in zip(listed, resting, strict=True) if not r] + [
            i for i, r in zip(listed, resting, strict=True) if r
        ]
