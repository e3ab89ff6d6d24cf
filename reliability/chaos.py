"""Redis outages on a schedule: a background thread SIGKILLs the server at chosen points of the run, then restarts it.

Points are counted in completed user calls (not seconds), so the outages land at the same place of
the workload however fast the machine is. Each outage lasts ``down_for`` completed calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_bedrock_routing.testing import RedisServer


class Progress:
    """A thread-safe counter of completed user calls that waiters can block on."""

    def __init__(self) -> None:
        self._done = 0
        self._cond = threading.Condition()

    @property
    def done(self) -> int:
        """Calls completed so far."""
        with self._cond:
            return self._done

    def advance(self) -> None:
        """One more call completed."""
        with self._cond:
            self._done += 1
            self._cond.notify_all()

    def wait_for(self, count: int, stop: threading.Event) -> bool:
        """Block until ``count`` calls completed (True) or ``stop`` is set (False)."""
        with self._cond:
            while self._done < count:
                if stop.is_set():
                    return False
                self._cond.wait(timeout=0.1)
            return True


@dataclass(frozen=True)
class Outage:
    """One kill and restart: the completed-call counts at which each happened and the seconds Redis was down."""

    killed_at: int
    restarted_at: int
    down_s: float
    killed_t: float = 0.0
    restarted_t: float = 0.0
    """When Redis was killed and was back (``time.monotonic()`` seconds)."""


@dataclass
class RedisChaos:
    """Kills ``server`` (SIGKILL) when ``kill_at[i]`` calls have completed and restarts it ``down_for`` calls later."""

    server: RedisServer
    progress: Progress
    kill_at: Sequence[int]
    down_for: int
    outages: list[Outage] = field(default_factory=list)
    error: BaseException | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        if list(self.kill_at) != sorted(self.kill_at) or self.down_for < 1:
            raise ValueError("kill_at must be ascending and down_for >= 1 completed calls")

    def start(self) -> RedisChaos:
        """Run the schedule in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="redis-chaos", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            for point in self.kill_at:
                if not self.progress.wait_for(point, self._stop):
                    return
                killed, started = self.progress.done, time.monotonic()
                self.server.kill()
                # Restart even when the run ends early, so the audit afterwards finds a live server.
                self.progress.wait_for(killed + self.down_for, self._stop)
                self.server.start()
                back = time.monotonic()
                self.outages.append(Outage(killed, self.progress.done, back - started, started, back))
        except BaseException as exc:  # reported by stop(); a dead chaos thread must not pass silently
            self.error = exc

    def stop(self) -> None:
        """Finish the schedule's current outage (restarting Redis) and wait for the thread; re-raise its error."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        if not self.server.running:
            self.server.start()
        if self.error is not None:
            raise RuntimeError(f"the Redis chaos thread failed: {self.error!r}") from self.error
