"""The request deadline: how long one routed call may wait for an answer, across every candidate.

Each candidate attempt gets its connect and read timeouts from the time left: the attempt's HTTP tries (the first
plus botocore's retries, with their backoff pauses) share that time, so a stalled endpoint cannot hold a request
past its deadline, and no candidate starts once it has passed. Timeouts are rounded down to two significant
digits so attempts reuse a few cached clients instead of building one per request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_DEADLINE = 120.0
"""Seconds a routed call may wait for an answer across all candidates (``RoutedChatBedrock(deadline=...)``)."""
CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection to Bedrock (when no botocore ``config`` is given)."""
MIN_TRY_SECONDS = 0.05
"""An attempt whose HTTP tries would get less than this each is not started: the deadline has passed."""
KEEP_SHARE = 0.9
"""An attempt keeps the configured timeouts (and the shared client) when the time left gives each try at least this
share of them: a cut that small is not worth a client of its own (the default timeout and deadline then overshoot
by at most a second), and attempts far from the deadline cost nothing extra."""
_MAX_PAUSE = 20.0
"""botocore standard mode: the pause before retry ``i`` (from 0) is at most ``min(20, 2**i)`` seconds."""


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts (seconds) for each HTTP try of one attempt."""

    connect: float
    read: float


def retry_pauses(tries: int) -> float:
    """The longest total backoff (seconds) botocore may sleep between ``tries`` HTTP tries."""
    return sum(min(_MAX_PAUSE, 2.0**i) for i in range(tries - 1))


def attempt_timeouts(left: float, wanted: Timeouts, tries: int) -> Timeouts | None:
    """``wanted`` cut so ``tries`` HTTP tries and their pauses fit in ``left`` seconds (kept as they are when within
    :data:`KEEP_SHARE` of fitting); ``None`` when each try would get less than :data:`MIN_TRY_SECONDS` (the deadline
    has passed)."""
    share = (left - retry_pauses(tries)) / tries
    if share < MIN_TRY_SECONDS:
        return None
    if share >= KEEP_SHARE * wanted.read and share >= KEEP_SHARE * wanted.connect:
        return wanted
    return Timeouts(connect=min(wanted.connect, _floor2(share)), read=min(wanted.read, _floor2(share)))


def _floor2(seconds: float) -> float:
    """``seconds`` rounded down to two significant digits (59.49 -> 59, 1.234 -> 1.2)."""
    step = 10.0 ** (math.floor(math.log10(seconds)) - 1)
    return round(math.floor(seconds / step + 1e-9) * step, 6)


@dataclass
class Deadline:
    """A request's deadline, ``seconds`` from its creation; ``clock`` returns seconds (monotonic by default)."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def left(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self.seconds - (self.clock() - self.started)
