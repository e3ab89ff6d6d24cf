"""RedisSemanticCache's one-round-trip lookup script: same answers as the in-process cache, one call per lookup,
a flushed script reloaded, script errors served as counted misses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from langchain_bedrock_routing.caching.semantic_lookup import LOOKUP_SHA
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import DEFAULT_VSIM_EF, RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.testing import RedisServer

from .conftest import answer, prompt

LLM = "model-a"
STORED = "How do I reverse a list in Python?"
PARAPHRASE = "What's the way to reverse a list in Python?"
OTHERS = ["How do I reverse a list in Python quickly?", "How can I reverse a list in Python?"]
DEV_SET = Path(__file__).resolve().parents[1] / "data" / "semantic_devset.jsonl"
CACHE_COMMANDS = ["+get", "+set", "+unlink", "+scan", "+vadd", "+vsim", "+vrem", "+zadd", "+zrem", "+zcard", "+zpopmin"]


@pytest.fixture
def no_script_url(redis_client: redis.Redis, redis_url: str) -> Iterator[str]:
    """The session server's URL for an ACL user with every command the cache needs except scripts."""
    commands = [*CACHE_COMMANDS, "+pexpire", "+ping", "+hello", "+client|setinfo"]
    redis_client.execute_command("ACL", "SETUSER", "noscript", "on", ">pw", "~*", "-@all", *commands)
    yield redis_url.replace("redis://", "redis://noscript:pw@")
    redis_client.execute_command("ACL", "DELUSER", "noscript")


def _calls(client: redis.Redis) -> dict[str, int]:
    """Data commands called since the last ``CONFIG RESETSTAT``, lower case (commands a script runs count too;
    connection setup and ``CONFIG`` do not)."""
    calls = {name.removeprefix("cmdstat_").lower(): int(v["calls"]) for name, v in client.info("commandstats").items()}
    return {name: n for name, n in calls.items() if name != "hello" and not name.startswith(("client|", "config|"))}


def _kind(hit: object) -> str:
    assert isinstance(hit, list)
    return str(hit[0].message.response_metadata["cache"]["kind"])


def _filled(url: str, **kwargs: object) -> RedisSemanticCache:
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=url, **kwargs)  # type: ignore[arg-type]
    for i, text in enumerate([STORED, *OTHERS]):
        cache.update(prompt(text), LLM, answer(f"answer {i}"))
    return cache


def test_a_semantic_hit_is_one_script_call_that_reads_the_neighbours_answers(redis_url: str, redis_client: redis.Redis):
    cache = _filled(redis_url, similarity_threshold=0.8, guard=False)
    assert _kind(cache.lookup(prompt(PARAPHRASE), LLM)) == "semantic"  # loads the script
    redis_client.config_resetstat()
    assert _kind(cache.lookup(prompt(PARAPHRASE), LLM)) == "semantic"
    calls = _calls(redis_client)
    assert (calls.pop("evalsha"), calls.pop("vsim")) == (1, 1)
    assert 2 <= calls.pop("get") <= 1 + RedisSemanticCache.candidates  # the exact GET, then each close neighbour's
    assert calls == {}


async def test_an_exact_hit_runs_no_vector_search(redis_url: str, redis_client: redis.Redis):
    cache = _filled(redis_url)
    redis_client.config_resetstat()
    assert _kind(cache.lookup(prompt(STORED), LLM)) == "exact"
    assert _kind(await cache.alookup(prompt(STORED), LLM)) == "exact"
    assert _calls(redis_client) == {"evalsha": 2, "get": 2}
    await cache.aclose()


async def test_a_flushed_script_is_sent_again_without_a_miss(redis_url: str, redis_client: redis.Redis):
    cache = _filled(redis_url)
    redis_client.script_flush()
    assert _kind(cache.lookup(prompt(PARAPHRASE), LLM)) == "semantic"
    redis_client.script_flush()
    assert _kind(await cache.alookup(prompt(PARAPHRASE), LLM)) == "semantic"
    assert redis_client.script_exists(LOOKUP_SHA) == [True]
    assert (cache.stats.errors, cache.stats.error_misses) == (0, 0)
    await cache.aclose()


async def test_a_script_error_is_a_counted_miss(redis_url: str, redis_client: redis.Redis):
    cache = _filled(redis_url)
    vset = next(k for k in redis_client.keys("*") if k.endswith(b":vset"))
    redis_client.delete(vset)
    redis_client.set(vset, b"not a vector set")  # VSIM inside the script fails with WRONGTYPE
    assert cache.lookup(prompt(PARAPHRASE), LLM) is None
    assert await cache.alookup(prompt(PARAPHRASE), LLM) is None
    assert cache.stats.error_misses == 2
    assert _kind(cache.lookup(prompt(STORED), LLM)) == "exact"  # the exact answer needs no VSIM
    await cache.aclose()


async def test_a_corrupt_exact_answer_is_a_counted_miss_and_neighbours_are_still_searched(
    redis_url: str, redis_client: redis.Redis
):
    cache = _filled(redis_url, similarity_threshold=0.8, guard=False)
    exact_key = cache._answer_key(cache.locate(prompt(STORED), LLM, ""))
    redis_client.set(exact_key, b"not an envelope")
    assert _kind(cache.lookup(prompt(STORED), LLM)) == "semantic"
    assert _kind(await cache.alookup(prompt(STORED), LLM)) == "semantic"
    assert cache.stats.corrupt == 2
    await cache.aclose()


@pytest.mark.parametrize("ef", [None, DEFAULT_VSIM_EF, 4])
def test_any_exploration_factor_gives_the_same_answers_on_a_small_set(redis_url: str, redis_client: redis.Redis, ef):
    cache = _filled(redis_url, vsim_ef=ef)
    args = cache.vsim_args("k", [1.0, 0.0])
    assert (args[args.index("EF") + 1] if "EF" in args else None) == ef
    assert "NOTHREAD" in args
    hit = cache.lookup(prompt(PARAPHRASE), LLM)
    assert hit is not None
    assert hit[0].text == "answer 0"


async def test_a_user_who_may_not_run_scripts_gets_the_same_answers_in_two_round_trips(
    no_script_url: str, redis_client: redis.Redis
):
    cache = _filled(no_script_url, similarity_threshold=0.8, guard=False)
    redis_client.config_resetstat()
    assert _kind(cache.lookup(prompt(PARAPHRASE), LLM)) == "semantic"
    assert _kind(await cache.alookup(prompt(PARAPHRASE), LLM)) == "semantic"
    assert _kind(await cache.alookup(prompt(STORED), LLM)) == "exact"
    calls = _calls(redis_client)
    assert (calls.get("evalsha", 0), calls.get("eval", 0)) == (0, 0)  # refused once, not tried again
    assert calls["vsim"] == 3  # the exact GET is pipelined with VSIM on this path
    assert redis_client.info("commandstats")["cmdstat_evalsha"]["rejected_calls"] == 1
    assert (cache.stats.errors, cache.stats.error_misses) == (0, 0)
    await cache.aclose()


async def test_a_server_with_scripting_disabled_gets_the_same_answers():
    no_scripts = ("--rename-command", "EVALSHA", "", "--rename-command", "EVAL", "")
    with RedisServer(extra_args=no_scripts) as server:
        cache = _filled(server.url)
        assert _kind(cache.lookup(prompt(PARAPHRASE), LLM)) == "semantic"
        assert _kind(await cache.alookup(prompt(STORED), LLM)) == "exact"
        assert not cache._lookup.scripted
        assert (cache.stats.errors, cache.stats.error_misses) == (0, 0)
        await cache.aclose()
        cache.close()


@pytest.mark.parametrize("scripts", [True, False])
def test_same_answers_as_the_in_process_cache_on_the_dev_set(redis_url: str, no_script_url: str, scripts: bool):
    """Every dev-set question in one partition (so neighbours compete and the guard picks), noquant so the scores
    match the in-process cache's: each query gets the same answer, or a miss, from both, with or without scripts."""
    pairs = [json.loads(line) for line in DEV_SET.read_text("utf-8").splitlines() if line.strip()]
    memory = InMemorySemanticCache(HashingEmbeddings())
    url = redis_url if scripts else no_script_url
    remote = RedisSemanticCache(HashingEmbeddings(), redis_url=url, quantization="noquant")
    for cache in (memory, remote):
        for pair in pairs:
            cache.update(prompt(pair["cached"]), LLM, answer(f"answer to {pair['id']}"))
    served = {
        name: [None if (hit := cache.lookup(prompt(pair["query"]), LLM)) is None else hit[0].text for pair in pairs]
        for name, cache in (("memory", memory), ("redis", remote))
    }
    assert served["redis"] == served["memory"]
    assert sum(text is not None for text in served["redis"]) >= len(pairs) // 4


async def test_a_server_that_went_away_is_a_counted_miss_on_both_paths(own_redis_server: RedisServer):
    cache = _filled(own_redis_server.url, timeout_s=0.5)
    assert _kind(cache.lookup(prompt(PARAPHRASE), LLM)) == "semantic"
    own_redis_server.kill()
    assert cache.lookup(prompt(PARAPHRASE), LLM) is None
    assert await cache.alookup(prompt(PARAPHRASE), LLM) is None
    assert cache.stats.error_misses == 2
    assert cache._lookup.scripted  # a connection error is not a reason to give up the script
    await cache.aclose()
    cache.close()
