"""Every example as a subprocess against the session emulator (latency 0), with its printed results checked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from langchain_bedrock_routing.emulator import BedrockEmulator

EXAMPLES = Path(__file__).parents[2] / "examples"


def _run(name: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("LANGSMITH_API_KEY", "REDIS_URL")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environ, "COLUMNS": "200", **env},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_every_example_opens_with_a_header_saying_what_it_shows():
    for path in EXAMPLES.glob("[!_]*.py"):
        text = path.read_text()
        assert text.startswith('"""'), path
        assert "What it shows:" in text, path


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_rag_answers_from_the_documents_repeats_hit_and_the_context_is_prompt_cached(
    emulator: BedrockEmulator, request: pytest.FixtureRequest, store: str
):
    redis_url = request.getfixturevalue("redis_url") if store == "redis" else None
    out = _run("rag_document_qa.py", **({"REDIS_URL": redis_url} if redis_url else {}))
    where = "Redis vector set 'lbr-example-rag:chunks'" if redis_url else "InMemoryVectorStore"
    assert re.search(rf"Vector store: {where}, \d+ chunks of 3 documents", out)
    corpus = " ".join(p.read_text() for p in (EXAMPLES / "data").glob("*.md"))
    answers = re.findall(r"^A: (.*)$", out, re.M)
    assert len(answers) == 11
    for answer in answers:
        assert all(s.strip() in corpus for s in re.split(r"(?<=\.)\s+", answer) if s.strip()), answer
    calls = re.findall(r"context: (.+)\n   route: tier=\w+ model=(\S+) cache=(miss|exact hit|semantic hit) (.*)", out)
    assert len(calls) == 11
    routes = [c[2] for c in calls]
    assert routes.count("exact hit") >= 1  # a repeated question
    assert routes.count("semantic hit") >= 1  # a paraphrase
    assert routes.count("exact hit") + routes.count("semantic hit") >= 3
    # Bedrock prompt caching of the retrieved documents: the first call with a (model, context) writes the
    # cache, later different questions with the same context read it.
    seen: set[tuple[str, str]] = set()
    for context, model, result, prompt_cache in calls:
        if result != "miss":
            assert prompt_cache == "prompt_cache=- (no Bedrock call)"
            continue
        tokens = re.fullmatch(r"prompt_cache_write=(\d+) prompt_cache_read=(\d+)", prompt_cache)
        assert tokens, prompt_cache
        write, read = int(tokens[1]), int(tokens[2])
        if (model, context) in seen:  # the documents are read from the cache; only the question is written
            assert read >= 1000, (context, model, prompt_cache)
            assert write < 100, (context, model, prompt_cache)
        else:
            assert write >= 1000, (context, model, prompt_cache)
            assert read == 0, (context, model, prompt_cache)
        seen.add((model, context))
    assert len(seen) < routes.count("miss")  # some misses read a prefix written before
    billed = [r for r in emulator.requests if r.billed and r.operation == "Converse"]
    assert len(billed) == routes.count("miss")
    assert billed[0].cache_write_input_tokens >= 1000
    assert billed[0].cache_read_input_tokens == 0
    reads = [r.cache_read_input_tokens for r in billed if r.cache_read_input_tokens]
    writes = [r.cache_write_input_tokens for r in billed if not r.cache_read_input_tokens]
    assert f"{len(writes)} call(s) wrote {sum(writes):,} tokens, {len(reads)} call(s) read {sum(reads):,}" in out
    assert len(reads) >= 3
    assert any(r.operation == "InvokeModel" for r in emulator.requests)  # Titan embeddings
    assert "API calls (billed)" in out
    if redis_url:
        assert redis.Redis.from_url(redis_url).keys("lbr-example-rag*") == []  # the example cleans up


def test_lcel_pipeline_batches_and_streams(emulator: BedrockEmulator):
    out = _run("lcel_pipeline.py")
    assert "A: 12 * 7 = 84." in out
    chunks = int(re.search(r"streamed (\d+) chunks", out).group(1))
    assert chunks > 3
    assert sum(1 for r in emulator.requests if r.operation == "ConverseStream") == 1
    assert "Routing tiers" in out


def test_agent_calls_both_tools_and_answers_from_their_results(emulator: BedrockEmulator):
    out = _run("agent_with_tools.py")
    assert "tool_calls=['order_status']" in out
    assert "tool_calls=['plan_price']" in out
    assert "A: Based on the order_status result, order A-1001 is shipped on 3 March" in out
    assert "the team plan costs 9 euros per month" in out
    assert len([r for r in emulator.requests if r.billed]) == 4


def test_langsmith_stand_in_receives_the_run_tree_with_routing(emulator: BedrockEmulator):
    out = _run("langsmith_tracing.py")
    assert "local LangSmith stand-in" in out
    tree = out.split("Run tree received by the stand-in:")[1]
    assert re.search(r"- chain: routed-qa\n  - prompt: ChatPromptTemplate\n  - llm: RoutedChatBedrock", tree)
    assert "routing tier=simple model=amazon.nova-micro-v1:0" in tree
    assert "routing tier=medium model=amazon.nova-lite-v1:0" in tree
    # the offline heuristic runs inline (no child run); its decision is on the llm run's routing figures
    assert "HeuristicComplexityClassifier" not in tree
    assert re.search(r"routing tier=\w+ model=\S+ score=0\.\d\d priority=balanced", tree)


def test_tenants_share_redis_but_not_answers(emulator: BedrockEmulator, redis_url: str):
    out = _run("multi_tenant_cache.py", REDIS_URL=redis_url)
    assert re.findall(r"tenant=(\w+)\s+(hit|miss)", out) == [
        ("acme", "miss"), ("globex", "miss"), ("acme", "hit"), ("globex", "hit")
    ]  # fmt: skip
    assert "entries in Redis under lbr-example-tenants: 2" in out
    assert len([r for r in emulator.requests if r.billed]) == 2
    assert redis.Redis.from_url(redis_url).keys("lbr-example-tenants*") == []


def test_multi_tenant_starts_its_own_redis_without_redis_url(emulator: BedrockEmulator):
    out = _run("multi_tenant_cache.py")
    assert "REDIS_URL not set: started a local redis-server" in out
    assert "tenant=globex hit" in out
