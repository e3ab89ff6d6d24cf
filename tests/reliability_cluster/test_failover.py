"""Redis Cluster failover under load: 3 primaries + 3 replicas, a primary SIGKILLed while threads use the caches.

The exact cache (sync and ``redis.asyncio`` cluster clients) and the semantic cache run from worker
threads; a primary is killed and its replica promoted by the cluster's automatic failover
(``cluster-node-timeout`` 1000 ms, no ``CLUSTER FAILOVER``). Callers must never see an exception (misses
are allowed while the slots move), no answer may be a wrong one, and hits must resume on the keys
whose slots moved to the promoted replica.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.caching.breaker import CircuitBreaker
from langchain_bedrock_routing.caching.keys import exact_key
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.testing import wait_until
from langchain_bedrock_routing.testing.redis_cluster import RedisClusterServers

LLM = "routed-chat-bedrock-llm-string"
EXACT_ENTRIES, SEMANTIC_ENTRIES = 120, 45
PHASES = ("before", "failover", "after")


def exact_prompt(i: int) -> str:
    return dumps([HumanMessage(f"Exact question number {i}: what is in box {i}?")])


def semantic_prompt(i: int, paraphrase: bool) -> str:
    question = "What's the way to reverse a list in Python?" if paraphrase else "How do I reverse a list in Python?"
    return dumps([SystemMessage(f"Answer from document {i} only."), HumanMessage(question)])


def answer(text: str) -> list[Generation]:
    return [
        ChatGeneration(
            message=AIMessage(text, usage_metadata={"input_tokens": 9, "output_tokens": 3, "total_tokens": 12})
        )
    ]


@dataclass
class Tally:
    """Per worker: outcomes by phase, exceptions callers saw, wrong answers, hits on the moved slots after failover."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    exceptions: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    moved_hits_after: int = 0


@dataclass
class Scenario:
    cluster: RedisClusterServers
    exact: RedisCache
    semantic: RedisSemanticCache
    moved_exact: set[int]
    moved_semantic: set[int]
    phase: str = "before"
    stop: threading.Event = field(default_factory=threading.Event)
    tallies: dict[str, Tally] = field(default_factory=dict)
    promoted_port: int | None = None
    failover_s: float = 0.0

    def record(self, tally: Tally, moved: bool, text: str | None, expected: str) -> None:
        phase = self.phase
        if text is None:
            tally.outcomes[(phase, "miss")] += 1
            return
        tally.outcomes[(phase, "hit")] += 1
        if text != expected:
            tally.wrong.append(f"{text!r} instead of {expected!r}")
        if moved and phase == "after":
            tally.moved_hits_after += 1


def _exact_worker(scenario: Scenario, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    while not scenario.stop.is_set():
        i = rng.randrange(EXACT_ENTRIES)
        try:
            hit = scenario.exact.lookup(exact_prompt(i), LLM)
            if hit is None:
                scenario.exact.update(exact_prompt(i), LLM, answer(f"box {i}"))
        except Exception as exc:  # a caller must never see one
            tally.exceptions.append(repr(exc))
            continue
        scenario.record(tally, i in scenario.moved_exact, hit[0].text if hit else None, f"box {i}")


def _semantic_worker(scenario: Scenario, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    while not scenario.stop.is_set():
        i = rng.randrange(SEMANTIC_ENTRIES)
        try:
            hit = scenario.semantic.lookup(semantic_prompt(i, paraphrase=True), LLM)
            if hit is None:
                scenario.semantic.update(semantic_prompt(i, paraphrase=False), LLM, answer(f"document {i}"))
        except Exception as exc:  # a caller must never see one
            tally.exceptions.append(repr(exc))
            continue
        scenario.record(tally, i in scenario.moved_semantic, hit[0].text if hit else None, f"document {i}")


def _async_worker(scenario: Scenario, tally: Tally, seed: int) -> None:
    async def main() -> None:
        rng = random.Random(seed)
        while not scenario.stop.is_set():
            i = rng.randrange(EXACT_ENTRIES)
            try:
                hit = await scenario.exact.alookup(exact_prompt(i), LLM)
                if hit is None:
                    await scenario.exact.aupdate(exact_prompt(i), LLM, answer(f"box {i}"))
            except Exception as exc:  # a caller must never see one
                tally.exceptions.append(repr(exc))
                continue
            scenario.record(tally, i in scenario.moved_exact, hit[0].text if hit else None, f"box {i}")
            await asyncio.sleep(0)
        await scenario.exact.aclose()

    asyncio.run(main())


def _moved(victim_keys: set[str], key_of: Callable[[int], str], count: int) -> set[int]:
    return {i for i in range(count) if key_of(i) in victim_keys}


def _populate(cluster: RedisClusterServers, exact: RedisCache, semantic: RedisSemanticCache) -> None:
    for i in range(EXACT_ENTRIES):
        exact.update(exact_prompt(i), LLM, answer(f"box {i}"))
    for i in range(SEMANTIC_ENTRIES):
        semantic.update(semantic_prompt(i, paraphrase=False), LLM, answer(f"document {i}"))
    for primary in cluster.primaries:  # every write reached the replica before any primary dies
        with primary.client() as client:
            assert client.wait(1, 5000) == 1


@pytest.fixture(scope="module")
def scenario() -> Iterator[Scenario]:
    with RedisClusterServers(primaries=3, replicas=1, node_timeout_ms=1000) as cluster:
        breaker = {"failure_threshold": 3, "cooldown_s": 0.5}  # probe Redis again soon after the failover
        exact = RedisCache(cluster.url, cluster=True, ttl=600, namespace="fx", breaker=CircuitBreaker(**breaker))
        semantic = RedisSemanticCache(
            HashingEmbeddings(), redis_url=cluster.url, cluster=True, ttl=600, namespace="fs",
            breaker=CircuitBreaker(**breaker),
        )  # fmt: skip
        _populate(cluster, exact, semantic)
        victim = cluster.primaries[1]
        with victim.client() as client:
            on_victim = {k.decode() for k in client.scan_iter(count=1000)}
        moved_exact = _moved(
            on_victim, lambda i: exact_key("fx", llm_string=LLM, prompt=exact_prompt(i), tenant_scope=""), EXACT_ENTRIES
        )
        partitions = {
            i: semantic.locate(semantic_prompt(i, paraphrase=True), LLM, "").partition for i in range(SEMANTIC_ENTRIES)
        }
        moved_semantic = {i for i, p in partitions.items() if f"fs:sem:{{{p}}}:vset" in on_victim}
        run = Scenario(cluster, exact, semantic, moved_exact, moved_semantic)
        workers = {
            "exact-1": _exact_worker,
            "exact-2": _exact_worker,
            "semantic": _semantic_worker,
            "async": _async_worker,
        }
        threads = []
        for seed, (name, target) in enumerate(workers.items()):
            run.tallies[name] = Tally()
            threads.append(threading.Thread(target=target, args=(run, run.tallies[name], seed), name=name))
        for thread in threads:
            thread.start()
        try:
            assert wait_until(lambda: all(t.outcomes[("before", "hit")] >= 20 for t in run.tallies.values()), 20)
            run.phase = "failover"
            killed = time.monotonic()
            victim.kill()
            promoted = cluster.wait_for_failover(victim, timeout_s=20)
            run.failover_s, run.promoted_port = time.monotonic() - killed, promoted.port
            run.phase = "after"
            mover_names = ("exact-1", "exact-2", "semantic", "async")
            wait_until(lambda: all(run.tallies[n].moved_hits_after >= 5 for n in mover_names), 20)
        finally:
            run.stop.set()
            for thread in threads:
                thread.join(timeout=30)
        yield run
        exact.close()
        semantic.close()


def test_moved_slots_exist_and_a_replica_took_over(scenario: Scenario):
    assert scenario.moved_exact
    assert scenario.moved_semantic
    assert len(scenario.moved_exact) < EXACT_ENTRIES  # the other primaries kept their share
    victim_replica = scenario.cluster.replicas_of(scenario.cluster.primaries[1])[0]
    assert scenario.promoted_port == victim_replica.port
    with victim_replica.client() as client:
        assert client.role()[0] == b"master"


def test_callers_saw_no_exception_and_no_wrong_answer(scenario: Scenario):
    for name, tally in scenario.tallies.items():
        assert tally.exceptions == [], name
        assert tally.wrong == [], name
        assert sum(tally.outcomes.values()) > 0, name


def test_the_outage_was_felt_as_counted_misses(scenario: Scenario):
    failed = scenario.exact.stats.errors + scenario.exact.stats.short_circuited
    failed += scenario.semantic.stats.errors + scenario.semantic.stats.short_circuited
    assert failed > 0
    assert sum(t.outcomes[("failover", "miss")] for t in scenario.tallies.values()) > 0


def test_hits_resume_on_the_slots_that_moved(scenario: Scenario):
    for name, tally in scenario.tallies.items():
        assert tally.moved_hits_after >= 5, (name, tally.outcomes)
    for i in sorted(scenario.moved_exact):  # replicated before the kill, so every moved entry is still there
        hit = scenario.exact.lookup(exact_prompt(i), LLM)
        assert [g.text for g in hit or []] == [f"box {i}"], i
    for i in sorted(scenario.moved_semantic):
        hit = scenario.semantic.lookup(semantic_prompt(i, paraphrase=True), LLM)
        assert [g.text for g in hit or []] == [f"document {i}"], i
        assert [g.message.response_metadata["cache"]["kind"] for g in hit or []] == ["semantic"]


def test_cluster_layout_primaries_first_then_one_replica_each(scenario: Scenario):
    cluster = scenario.cluster
    assert len(cluster.nodes) == 6
    assert cluster.primaries == cluster.nodes[:3]
    assert [cluster.replicas_of(p) for p in cluster.primaries] == [[n] for n in cluster.nodes[3:]]
    assert len({cluster.node_id(n) for n in cluster.nodes}) == 6


def test_cluster_arguments_are_checked():
    with pytest.raises(ValueError, match="replicas"):
        RedisClusterServers(primaries=3, replicas=-1)
    with pytest.raises(ValueError, match="primaries"):
        RedisClusterServers(primaries=0)
