"""What the benchmarks run against: a real redis-server and the Bedrock emulator in its own process, plus sizes.

The emulator runs as ``python -m langchain_bedrock_routing.emulator --latency-scale 0`` in a child
process, like a remote Bedrock endpoint: its request handling does not compete with the measured
client for Python's GIL (it still shares the machine's cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_aws import ChatBedrockConverse

from langchain_bedrock_routing.routing.targets import DEFAULT_PRESET, presets
from langchain_bedrock_routing.testing import RedisServer

MODEL = presets()[DEFAULT_PRESET]["simple"][0]
"""The model the hit-path and overhead benchmarks call (the router's default simple-tier primary)."""
REGION = "us-east-1"
OFFLINE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark does: ``full`` for ``make bench``, ``thorough`` adds noquant at 100k, ``quick`` and
    ``smoke`` do less."""

    name: str
    hit_calls: int
    semantic_entries: tuple[int, ...]
    noquant_max: int
    """Largest size also measured with ``noquant`` vectors (its bytes per entry do not change with size)."""
    semantic_queries: int
    overhead_calls: int
    concurrency: int
    throughput_requests: int
    emulator_seconds: float

    @classmethod
    def named(cls, name: str) -> Sizes:
        """The preset of that name; ``ValueError`` naming the choices otherwise."""
        presets = {
            "full": cls("full", 3000, (1_000, 10_000, 100_000), 10_000, 1000, 1000, 200, 2000, 3.0),
            "thorough": cls("thorough", 3000, (1_000, 10_000, 100_000), 100_000, 1000, 1000, 200, 2000, 3.0),
            "quick": cls("quick", 1000, (1_000, 10_000), 10_000, 300, 300, 200, 600, 1.0),
            "smoke": cls("smoke", 40, (200,), 200, 20, 20, 10, 30, 0.3),
        }
        if name not in presets:
            raise ValueError(f"unknown size {name!r}; choose one of {', '.join(presets)}")
        return presets[name]


@dataclass
class Context:
    """Shared by the benchmarks of one run: sizes, the servers, where results go, whether to profile."""

    sizes: Sizes
    redis: RedisServer
    emulator_url: str
    results: Path
    profile: bool

    def converse(self, **kwargs: Any) -> ChatBedrockConverse:
        """A ``ChatBedrockConverse`` on the emulator (``MODEL`` unless ``model=`` is given)."""
        params: dict[str, Any] = {"model": MODEL, "region_name": REGION, "endpoint_url": self.emulator_url}
        return ChatBedrockConverse(**{**params, **kwargs})


@contextmanager
def emulator_process(
    latency_scale: float = 0.0, fixed_latency_ms: float | None = None, front: str = "threads"
) -> Iterator[str]:
    """Run the emulator CLI on a free port in a child process (HTTP ``front``: threads or asyncio); yields its
    endpoint URL."""
    fixed = [] if fixed_latency_ms is None else ["--fixed-latency-ms", str(fixed_latency_ms)]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "langchain_bedrock_routing.emulator",
            "--port",
            "0",
            "--latency-scale",
            str(latency_scale),
            "--front",
            front,
            *fixed,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **OFFLINE_AWS_ENV},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if "http://" not in line:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        yield line[line.index("http://") :]
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def services(sizes: Sizes, results: Path, *, profile: bool) -> Iterator[Context]:
    """Offline AWS settings, a fresh redis-server and the emulator process for one run."""
    os.environ.update(OFFLINE_AWS_ENV)
    with RedisServer() as redis, emulator_process() as url:
        yield Context(sizes=sizes, redis=redis, emulator_url=url, results=results, profile=profile)


def emulator_request_count(url: str) -> int:
    """How many requests the emulator at ``url`` has logged."""
    return len(emulator_requests(url))


def emulator_requests(url: str) -> list[dict[str, Any]]:
    """The emulator's request log (one dict per request: model, tokens, modeled ``latency_ms`` ...)."""
    with urllib.request.urlopen(f"{url}/_emulator/requests", timeout=10) as response:
        records: list[dict[str, Any]] = json.loads(response.read())
    return records
