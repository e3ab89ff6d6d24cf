"""LoopDeadline: a silent server times out; a reply the loop reads late because the loop itself was late does not.

The loop is made late the way a GIL-holding thread makes it late: by blocking it (``time.sleep`` in a callback).
"""

from __future__ import annotations

import asyncio
import time

import pytest
import redis

from langchain_bedrock_routing.caching.breaker import judge
from langchain_bedrock_routing.core.loop_deadline import LoopDeadline, LoopStalledError


async def test_a_silent_server_times_out_while_the_loop_is_on_time():
    never = asyncio.get_running_loop().create_future()
    with pytest.raises(TimeoutError) as info:
        async with LoopDeadline(0.5, 5.0):
            await never
    assert not isinstance(info.value, LoopStalledError)
    assert judge(info.value) == "outage"


async def test_a_reply_read_late_because_the_loop_was_blocked_is_no_timeout():
    loop = asyncio.get_running_loop()
    reply: asyncio.Future[str] = loop.create_future()

    def block_then_answer() -> None:
        time.sleep(0.3)  # the loop is stuck past the whole budget; the reply is there when it wakes up
        loop.call_soon(reply.set_result, "PONG")

    loop.call_soon(block_then_answer)
    async with LoopDeadline(0.1, 5.0) as deadline:
        assert await reply == "PONG"
    assert deadline.late_s >= 0.2


async def test_a_loop_starved_until_the_limit_is_a_stall_not_an_outage():
    loop = asyncio.get_running_loop()
    starving = True

    def hog() -> None:  # holds the loop 30 ms at a time, three times the deadline's tick
        time.sleep(0.03)
        if starving:
            loop.call_soon(hog)

    loop.call_soon(hog)
    try:
        with pytest.raises(LoopStalledError) as info:
            async with LoopDeadline(0.1, 0.5):
                await loop.create_future()
    finally:
        starving = False
    assert judge(info.value) == "stalled"


async def _client_timing_out(blocked_s: float) -> None:
    """A call whose client gives up on its own (wall-time) timer after the loop was blocked ``blocked_s``."""
    async with LoopDeadline(1.0, 10.0):
        time.sleep(blocked_s)
        await asyncio.sleep(0.05)
        raise redis.exceptions.TimeoutError("Timeout reading from 127.0.0.1:6379")


async def test_a_client_timeout_raised_while_the_loop_was_starved_is_a_stall():
    with pytest.raises(LoopStalledError) as info:
        await _client_timing_out(blocked_s=0.5)
    assert isinstance(info.value.__cause__, redis.exceptions.TimeoutError)


async def test_a_client_timeout_on_an_on_time_loop_stays_an_outage():
    with pytest.raises(redis.exceptions.TimeoutError) as info:
        await _client_timing_out(blocked_s=0)
    assert judge(info.value) == "outage"


async def test_a_cancellation_from_outside_stays_a_cancellation():
    entered = asyncio.Event()

    async def wait_forever() -> None:
        async with LoopDeadline(5.0, 50.0):
            entered.set()
            await asyncio.get_running_loop().create_future()

    task = asyncio.create_task(wait_forever())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize(("budget", "limit"), [(0, 1), (-1, 1), (2, 1)])
def test_bad_deadline_settings(budget: float, limit: float):
    with pytest.raises(ValueError, match="budget_s"):
        LoopDeadline(budget, limit)
