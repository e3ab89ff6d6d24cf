"""No prompt text in this library's logs, in raised routing errors or in the audit log by default.

A run covers routing with fallback, streaming, a refused request, a dead Redis and a corrupt entry.
langchain-aws and botocore log whole requests at DEBUG (their own choice), so for them the check is
at INFO and above; for ``langchain_bedrock_routing`` it is every record at every level.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from langchain_core.globals import set_llm_cache

from langchain_bedrock_routing import (
    ContextWindowExceededError,
    HashingEmbeddings,
    RedisCache,
    RedisSemanticCache,
    RoutedChatBedrock,
    get_bedrock_stats_callback,
)
from langchain_bedrock_routing.callbacks.audit import JsonlAuditLog
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.testing import RedisServer

Router = Callable[..., RoutedChatBedrock]
MARKER = "zebra-quokka-4471"
TIERS = {"simple": ["amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}


def _workload(llm: RoutedChatBedrock, own_redis_server: RedisServer, redis_url: str, redis_client: redis.Redis) -> None:
    """Fallback, a hit, a stream, a refused request, a corrupt semantic entry and a dead Redis, all with MARKER."""
    question = f"What is a {MARKER} and where does it live?"
    set_llm_cache(RedisCache(redis_url=redis_url))
    llm.invoke(question, config={"metadata": {"tenant_id": "acme"}})
    llm.invoke(question, config={"metadata": {"tenant_id": "acme"}})  # a hit
    list(llm.stream(f"Stream a poem about the {MARKER}"))
    with pytest.raises(ContextWindowExceededError) as refused:
        llm.invoke(f"{MARKER} " * 400_000)
    assert MARKER not in str(refused.value)
    semantic = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url)
    set_llm_cache(semantic)
    llm.invoke(question)
    for key in redis_client.scan_iter("lbr:sem:*:r:*"):
        redis_client.set(key, b"LBR\x02\x00{broken " + MARKER.encode())
    llm.invoke(f"What is a {MARKER}, and where does it live?")
    assert semantic.stats.corrupt == 1
    dead = RedisCache(redis_url=own_redis_server.url)
    own_redis_server.kill()
    set_llm_cache(dead)
    llm.invoke(f"Is the {MARKER} endangered?")
    assert dead.stats.errors >= 1


def test_no_prompt_text_in_logs_at_debug(
    router: Router, emulator: BedrockEmulator, own_redis_server: RedisServer, redis_url: str,
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    emulator.set_faults(fail_models=["amazon.nova-micro-v1:0"])  # every simple request falls back
    with caplog.at_level(logging.DEBUG):
        _workload(router(tiers=TIERS), own_redis_server, redis_url, redis_client)
    ours = [r for r in caplog.records if r.name.startswith("langchain_bedrock_routing")]
    assert any(r.levelno >= logging.WARNING for r in ours)  # the cache faults were logged ...
    assert [r.getMessage() for r in ours if MARKER in r.getMessage()] == []  # ... without the prompt
    loud = [r for r in caplog.records if r.levelno >= logging.INFO and MARKER in r.getMessage()]
    assert loud == []
    # the check can see prompt text: langchain-aws logs its request at DEBUG
    assert any(MARKER in r.getMessage() for r in caplog.records if r.name.startswith("langchain_aws"))


def _audit_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("include_prompt", [False, True])
def test_audit_log_has_a_hash_not_the_prompt_by_default(
    include_prompt: bool, tmp_path: Path, router: Router, emulator: BedrockEmulator,
    own_redis_server: RedisServer, redis_url: str, redis_client: redis.Redis,
):  # fmt: skip
    path = tmp_path / "audit.jsonl"
    audit = JsonlAuditLog(path, include_prompt=include_prompt)
    with get_bedrock_stats_callback(sinks=[audit]):
        _workload(router(tiers=TIERS), own_redis_server, redis_url, redis_client)
    audit.close()
    lines = _audit_lines(path)
    assert {line["event"] for line in lines} >= {"model_call", "cache_hit", "error"}
    assert all(str(line["prompt_hash"]).startswith("sha256:") for line in lines)
    assert (MARKER in path.read_text()) is include_prompt
