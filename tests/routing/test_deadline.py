"""The request deadline: a stalled endpoint (accepts connections, never replies) ends in ``AllModelsFailedError``
naming the deadline, on every call path, instead of holding the call for ``timeout`` x tries x candidates.

The endpoint is a real TCP server on a loopback port; boto3 and langchain-aws talk to it unchanged. Wall-time bounds
are generous (the deadline plus 1.5 s); the time the same call would take without a deadline is computed from the
router's settings, not waited for.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.caches import InMemoryCache

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.errors import AllModelsFailedError, InvalidRequestError
from langchain_bedrock_routing.routing.deadline import Timeouts, attempt_timeouts, retry_pauses
from langchain_bedrock_routing.routing.delegates import DelegateSettings

from .conftest import NOVA_TIERS, fixed

MARGIN = 1.5
"""Seconds allowed past the deadline (thread hops, a loaded machine)."""


@pytest.fixture
def stalled_url() -> Iterator[str]:
    """The URL of a TCP server that accepts every connection and never sends a byte."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _router(url: str, **settings: Any) -> RoutedChatBedrock:
    """Four candidates from the simple tier up (Nova Micro, Claude 3 Haiku, Nova Lite, Nova Pro)."""
    return RoutedChatBedrock(
        tiers=NOVA_TIERS, classifier=fixed("simple"), endpoint_url=url, region_name="us-east-1", **settings
    )


def _undeadlined_seconds(router: RoutedChatBedrock) -> float:
    """How long the stall would hold a call without a deadline: every try of every candidate times out."""
    candidates = sum(len(t) for t in NOVA_TIERS.values())
    return candidates * (router.max_retries + 1) * (router.timeout or 60.0)


def _stream(router: RoutedChatBedrock, prompt: str, **kw: Any) -> None:
    list(router.stream(prompt, **kw))


def _ainvoke(router: RoutedChatBedrock, prompt: str, **kw: Any) -> None:
    asyncio.run(router.ainvoke(prompt, **kw))


def _astream(router: RoutedChatBedrock, prompt: str, **kw: Any) -> None:
    async def drain() -> None:
        async for _ in router.astream(prompt, **kw):
            pass

    asyncio.run(drain())


def _batch(router: RoutedChatBedrock, prompt: str, **kw: Any) -> None:
    results = router.batch([prompt, prompt + "?"], return_exceptions=True, **kw)
    assert all(isinstance(r, AllModelsFailedError) for r in results), results
    raise results[0]


CALLS: dict[str, Callable[..., Any]] = {
    "invoke": lambda router, prompt, **kw: router.invoke(prompt, **kw),
    "stream": _stream,
    "ainvoke": _ainvoke,
    "astream": _astream,
    "batch": _batch,
}


def _fails_within(call: Callable[[], Any], seconds: float) -> AllModelsFailedError:
    started = time.monotonic()
    with pytest.raises(AllModelsFailedError) as failed:
        call()
    elapsed = time.monotonic() - started
    assert elapsed < seconds + MARGIN, f"a {seconds} s deadline ended after {elapsed:.1f} s"
    return failed.value


@pytest.mark.parametrize("path", sorted(CALLS))
def test_a_stalled_endpoint_ends_within_the_deadline_on_every_path(stalled_url: str, path: str):
    router = _router(stalled_url, timeout=2, deadline=2)
    error = _fails_within(lambda: CALLS[path](router, "What is the capital of Peru?"), 2)
    assert error.deadline == 2
    assert "deadline of 2 s" in str(error)
    assert error.attempts
    assert all(a["error"] for a in error.attempts)
    assert _undeadlined_seconds(router) > 3 * (2 + MARGIN)  # 4 candidates x 2 tries x 2 s = 16 s


def test_the_deadline_cuts_the_default_read_timeout(stalled_url: str):
    router = _router(stalled_url, deadline=2)  # timeout: the default 60 s per HTTP try
    error = _fails_within(lambda: router.invoke("What is the capital of Peru?"), 2)
    assert error.attempts[0]["error"] == "ReadTimeoutError"
    assert error.untried  # the later candidates were not started
    assert _undeadlined_seconds(router) > 100 * (2 + MARGIN)  # 4 x 2 x 60 s = 8 minutes


def test_a_per_call_deadline_overrides_the_router_s(stalled_url: str):
    router = _router(stalled_url, timeout=30)  # the default deadline: 120 s
    error = _fails_within(lambda: router.invoke("What is the capital of Peru?", deadline=1.5), 1.5)
    assert error.deadline == 1.5
    bound = _router(stalled_url, timeout=30).bind(deadline=1.5)
    assert _fails_within(lambda: bound.invoke("Hi"), 1.5).deadline == 1.5


@pytest.mark.parametrize("bad", [0, -1, True, "2", float("nan"), float("inf")])
def test_a_deadline_must_be_a_positive_number_of_seconds(emulator: BedrockEmulator, bad: object):
    with pytest.raises(ValueError, match="deadline must be a finite number > 0 seconds"):
        _router(emulator.endpoint_url, deadline=bad)
    with pytest.raises(InvalidRequestError, match="deadline must be"):
        _router(emulator.endpoint_url).invoke("Hi", deadline=bad)
    assert emulator.requests == []


def test_a_deadline_leaves_answers_and_the_cache_key_alone(emulator: BedrockEmulator):
    router = _router(emulator.endpoint_url, deadline=5, cache=InMemoryCache())
    first = router.invoke("What is the capital of Peru?", deadline=3)
    again = router.invoke("What is the capital of Peru?", deadline=4)
    assert first.response_metadata["routing"]["model_id"] == "amazon.nova-micro-v1:0"
    assert again.content == first.content
    assert len(emulator.requests) == 1  # the second call was a cache hit despite another deadline


def test_attempt_timeouts_share_the_time_left_between_tries():
    wanted = Timeouts(connect=5.0, read=60.0)
    assert attempt_timeouts(500.0, wanted, tries=2) == wanted  # enough time: the configured timeouts
    assert attempt_timeouts(120.0, wanted, tries=2) == wanted  # 59.5 s a try: within KEEP_SHARE, kept
    assert attempt_timeouts(100.0, wanted, tries=2) == Timeouts(connect=5.0, read=49.0)  # (100 - 1 s pause) / 2
    assert attempt_timeouts(2.0, wanted, tries=2) == Timeouts(connect=0.5, read=0.5)
    assert attempt_timeouts(1.05, wanted, tries=2) is None  # the pause alone fills what is left
    assert attempt_timeouts(-1.0, wanted, tries=1) is None
    assert retry_pauses(1) == 0
    assert retry_pauses(3) == 1 + 2
    assert retry_pauses(7) == 1 + 2 + 4 + 8 + 16 + 20


def test_connecting_times_out_sooner_than_reading():
    config = DelegateSettings().botocore_config()
    assert (config.connect_timeout, config.read_timeout) == (5.0, 60.0)
    short = DelegateSettings(timeout=2.0).botocore_config()
    assert (short.connect_timeout, short.read_timeout) == (2.0, 2.0)
