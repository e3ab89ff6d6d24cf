"""The emulator's request log: one record per request, failed ones included, in arrival order."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any, Literal

Operation = Literal["Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream", "CountTokens"]


@dataclass(frozen=True)
class RequestRecord:
    """What one request asked for and what it cost; token counts are 0 on error, latency in ms.

    A ConverseStream cut by an exception event has status 200, that event's type (``modelStreamErrorException``
    ...) as ``error_code``, the tokens processed before the cut, and ``billed=False``.
    """

    operation: Operation
    model_id: str
    invoked_model_id: str | None
    status: int
    error_code: str | None
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int
    cache_write_input_tokens: int
    latency_ms: int
    timestamp: float
    billed: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the fields."""
        return asdict(self)


class RequestLog:
    """Thread-safe append-only list of :class:`RequestRecord`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        """Add one record at the end."""
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the records, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
