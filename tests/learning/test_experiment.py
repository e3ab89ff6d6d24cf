"""RoutingExperiment over the emulator: stable assignment by key, a split near the weights, per-arm figures and
scores in the stats, Redis and exporters, and every way a chat model is called (LCEL, stream, async, batch,
tools, a response cache)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.globals import set_llm_cache
from langchain_core.messages import HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, Field

from langchain_bedrock_routing import InMemoryExactCache, InvalidRequestError, RoutedChatBedrock
from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler, get_bedrock_stats_callback
from langchain_bedrock_routing.callbacks.audit import JsonlAuditLog
from langchain_bedrock_routing.callbacks.report import report_text
from langchain_bedrock_routing.callbacks.shared import RedisStatsAggregator
from langchain_bedrock_routing.learning import OutcomeRecorder, RoutingExperiment, load_outcomes
from langchain_bedrock_routing.learning.experiment import pick_arm

ROOT = Path(__file__).resolve().parents[2]


def experiment(**kwargs) -> RoutingExperiment:
    """Two arms that answer on different tiers: ``cheap`` on priority cost, ``strong`` on performance."""
    arms = {"cheap": RoutedChatBedrock(priority="cost"), "strong": RoutedChatBedrock(priority="performance")}
    return RoutingExperiment(**{"arms": arms, "name": "tiers", **kwargs})


def tenant(name: str) -> dict:
    return {"metadata": {"tenant_id": name}}


def test_assignment_is_stable_across_processes_and_hash_seeds():
    keys = [f"tenant-{i}" for i in range(200)]
    code = (
        "from langchain_bedrock_routing.learning.experiment import pick_arm\n"
        f"print(','.join(pick_arm('exp', k, {{'a': 1.0, 'b': 2.0, 'c': 1.0}}) for k in {keys!r}))"
    )
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        runs.append(done.stdout.strip().split(","))
    here = [pick_arm("exp", k, {"a": 1.0, "b": 2.0, "c": 1.0}) for k in keys]
    assert runs[0] == runs[1] == here
    assert set(here) == {"a", "b", "c"}
    other = [pick_arm("other-exp", k, {"a": 1.0, "b": 2.0, "c": 1.0}) for k in keys]
    assert other != here  # the experiment's name salts the hash: experiments split independently


def test_split_follows_the_weights():
    weights = {"a": 3.0, "b": 1.0}
    arms = [pick_arm("exp", f"user-{i}", weights) for i in range(8000)]
    share = arms.count("a") / len(arms)
    assert 0.73 <= share <= 0.77  # 0.75 +- 4 standard deviations of a binomial share over 8,000 keys


def test_same_key_same_arm_and_the_answer_names_it(emulator):
    model = experiment()
    seen: dict[str, set[str]] = {}
    for i in range(24):
        name = f"t{i % 8}"
        reply = model.invoke("What is the capital of France?", config=tenant(name))
        routing = reply.response_metadata["routing"]
        assert routing["experiment"] == "tiers"
        assert routing["priority"] == ("cost" if routing["arm"] == "cheap" else "performance")
        seen.setdefault(name, set()).add(routing["arm"])
        assert routing["arm"] == model.arm_for(tenant(name)).arm
    assert all(len(arms) == 1 for arms in seen.values())
    assert {arm for arms in seen.values() for arm in arms} == {"cheap", "strong"}


def test_bad_settings_and_a_missing_key_are_refused_before_any_call(emulator):
    arms = {"a": RoutedChatBedrock(), "b": RoutedChatBedrock()}
    with pytest.raises(ValueError, match="two or more arms"):
        RoutingExperiment(arms={"a": arms["a"]})
    with pytest.raises(ValueError, match="exactly the arms"):
        RoutingExperiment(arms=arms, weights={"a": 1.0})
    with pytest.raises(ValueError, match="positive finite"):
        RoutingExperiment(arms=arms, weights={"a": 1.0, "b": float("nan")})
    with pytest.raises(ValueError, match="not an arm"):
        RoutingExperiment(arms=arms, control="c")
    model = RoutingExperiment(arms=arms, key="user_id")
    with pytest.raises(InvalidRequestError, match="'user_id'"):
        model.invoke("hello", config=tenant("acme"))
    with pytest.raises(InvalidRequestError):
        list(model.stream("hello"))
    assert emulator.requests == []


def test_key_from_configurable_or_a_function(emulator):
    by_thread = experiment(key="thread_id")
    reply = by_thread.invoke("hi", config={"configurable": {"thread_id": "th-1"}})
    assert reply.response_metadata["routing"]["arm"] == pick_arm("tiers", "th-1", {"cheap": 1.0, "strong": 1.0})
    by_function = experiment(key=lambda config: config["metadata"]["user"]["id"])
    reply = by_function.invoke("hi", config={"metadata": {"user": {"id": 42}}})
    assert reply.response_metadata["routing"]["arm"] == pick_arm("tiers", "42", {"cheap": 1.0, "strong": 1.0})


def test_per_arm_stats_scores_and_intervals(emulator, tmp_path):
    model = experiment()
    audit = tmp_path / "audit.jsonl"
    with get_bedrock_stats_callback(sinks=[JsonlAuditLog(audit)]) as stats:
        recorder = OutcomeRecorder(tmp_path / "outcomes.jsonl", stats=[stats])
        for i in range(16):
            reply = model.invoke(
                f"Summarise the plot of Hamlet (request {i})", config={**tenant(f"t{i}"), "callbacks": [recorder]}
            )
            arm = reply.response_metadata["routing"]["arm"]
            recorder.record_outcome(reply, 1.0 if arm == "strong" else float(i % 2))
    data = stats.to_dict()["experiments"]["tiers"]
    arms = data["arms"]
    assert set(arms) == {"cheap", "strong"}
    assert data["control"] == "cheap"
    assert arms["cheap"]["requests"] + arms["strong"]["requests"] == 16
    for name in arms:
        assert arms[name]["score"]["count"] == arms[name]["requests"]
        assert arms[name]["cost_per_request_usd"]["count"] == arms[name]["requests"]
        assert arms[name]["cost_per_request_usd"]["mean"] == pytest.approx(
            arms[name]["cost_usd"]["total"] / arms[name]["requests"]
        )
        assert arms[name]["latency_ms"]["count"] == arms[name]["requests"]
    assert arms["strong"]["score"]["mean"] == 1.0
    comparison = data["comparison"]["strong"]
    assert comparison["vs"] == "cheap"
    cost = comparison["cost_per_request_usd"]
    assert cost["low"] < cost["difference"] < cost["high"]
    assert cost["difference"] > 0  # the performance arm pays for stronger models
    assert comparison["score"]["difference"] == pytest.approx(1.0 - arms["cheap"]["score"]["mean"])
    text = report_text(stats.figures, width=150)
    assert "Experiment tiers (control: cheap)" in text
    assert "difference vs cheap" in text
    outcomes = load_outcomes(tmp_path / "outcomes.jsonl")
    assert {o.metadata["arm"] for o in outcomes} == {"cheap", "strong"}
    lines = [line for line in audit.read_text().splitlines() if line]
    assert len(lines) == 16
    assert all('"experiment": {"name": "tiers"' in line for line in lines)


def test_lcel_chain_batch_and_tools(emulator):
    model = experiment()
    chain = ChatPromptTemplate.from_messages([("human", "Tell me about {topic}")]) | model | StrOutputParser()
    with get_bedrock_stats_callback() as stats:
        assert chain.invoke({"topic": "rivers"}, config=tenant("t1"))
        answers = model.batch(["a", "b", "c"], config=[tenant("t1"), tenant("t2"), tenant("t3")])
    assert [a.response_metadata["routing"]["arm"] for a in answers] == [
        model.arm_for(tenant(t)).arm for t in ("t1", "t2", "t3")
    ]
    arms = stats.to_dict()["experiments"]["tiers"]["arms"]
    assert sum(a["requests"] for a in arms.values()) == 4
    assert stats.requests == 4

    class Person(BaseModel):
        """A person mentioned in the text."""

        name: str = Field(description="the person's name")
        age: int = Field(description="age in years")

    person = model.with_structured_output(Person).invoke("Ada Lovelace was 36 years old.", config=tenant("t2"))
    assert isinstance(person, Person)


def test_stream_and_async(emulator):
    model = experiment()
    with get_bedrock_stats_callback() as stats:
        chunks = list(model.stream("Tell me about rivers", config=tenant("t5")))
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    routing = full.response_metadata["routing"]
    assert routing["arm"] == model.arm_for(tenant("t5")).arm
    assert routing["model_id"]  # the arm's own routing record, merged with the stamp
    assert full.text
    assert stats.to_dict()["experiments"]["tiers"]["arms"][routing["arm"]]["requests"] == 1


async def test_async_invoke_stream_and_batch(emulator):
    model = experiment()
    with get_bedrock_stats_callback() as stats:
        reply = await model.ainvoke("hello", config=tenant("t6"))
        chunks = [c async for c in model.astream("hello", config=tenant("t7"))]
        replies = await model.abatch(["x", "y"], config=[tenant("t8"), tenant("t9")])
        events = [e async for e in model.astream_events("hello", config=tenant("t10"), version="v2")]
    assert {"on_chat_model_start", "on_chat_model_stream", "on_chat_model_end"} <= {e["event"] for e in events}
    assert events[0]["metadata"]["routing_arm"] == model.arm_for(tenant("t10")).arm
    assert reply.response_metadata["routing"]["arm"] == model.arm_for(tenant("t6")).arm
    assert chunks[0].response_metadata["routing"]["arm"] == model.arm_for(tenant("t7")).arm
    assert [r.response_metadata["routing"]["arm"] for r in replies] == [
        model.arm_for(tenant(t)).arm for t in ("t8", "t9")
    ]
    arms = stats.to_dict()["experiments"]["tiers"]["arms"]
    assert sum(a["requests"] for a in arms.values()) == 5


def test_cache_hits_count_for_their_arm_at_zero_cost(emulator):
    set_llm_cache(InMemoryExactCache())
    model = experiment()
    with get_bedrock_stats_callback() as stats:
        first = model.invoke("What is the capital of Peru?", config=tenant("t1"))
        second = model.invoke("What is the capital of Peru?", config=tenant("t1"))
    assert second.response_metadata["cache"]["hit"] is True
    arm = first.response_metadata["routing"]["arm"]
    assert second.response_metadata["routing"]["arm"] == arm
    figures = stats.to_dict()["experiments"]["tiers"]["arms"][arm]
    assert figures["requests"] == 2
    assert figures["cache"]["hits"] == 1
    assert figures["api_calls"] == 1
    assert figures["cost_per_request_usd"]["count"] == 2
    assert figures["cost_per_request_usd"]["mean"] == pytest.approx(figures["cost_usd"]["total"] / 2)
    assert len(emulator.requests) == 1


def test_workers_share_arm_figures_through_redis(emulator, redis_client, tmp_path):
    model = experiment()
    workers = [BedrockStatsCallbackHandler(sinks=[RedisStatsAggregator(redis_client, prefix="ab")]) for _ in range(2)]
    together = BedrockStatsCallbackHandler()
    for i in range(12):
        worker = workers[i % 2]
        recorder = OutcomeRecorder(tmp_path / "o.jsonl", stats=[worker, together])
        reply = model.invoke(
            f"Name a river (request {i})", config={**tenant(f"t{i}"), "callbacks": [worker, together, recorder]}
        )
        recorder.record_outcome(reply, 1.0 if reply.response_metadata["routing"]["arm"] == "strong" else i % 3 / 2)
    shared = RedisStatsAggregator(redis_client, prefix="ab").totals()["experiments"]["tiers"]
    local = together.to_dict()["experiments"]["tiers"]
    assert shared["control"] == local["control"] == "cheap"
    for arm in ("cheap", "strong"):
        assert shared["arms"][arm]["requests"] == local["arms"][arm]["requests"]
        assert shared["arms"][arm]["score"] == pytest.approx(local["arms"][arm]["score"])
        assert shared["arms"][arm]["cost_per_request_usd"] == pytest.approx(local["arms"][arm]["cost_per_request_usd"])
    for figure in ("cost_per_request_usd", "score"):
        interval = shared["comparison"]["strong"][figure]
        assert interval == pytest.approx(local["comparison"]["strong"][figure])
        assert interval["low"] < interval["difference"] < interval["high"]


class _Starts(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts: list[tuple[list[str], dict]] = []

    def on_chat_model_start(self, serialized, messages, *, tags=None, metadata=None, **kwargs) -> None:
        self.starts.append((list(tags or []), dict(metadata or {})))


def test_the_experiments_own_callbacks_tags_and_metadata_reach_the_arm_run(emulator, tmp_path):
    recorder, starts, passed = OutcomeRecorder(tmp_path / "o.jsonl"), _Starts(), _Starts()
    model = experiment(callbacks=[recorder, starts], tags=["ab"], metadata={"app": "shop"})
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | model
    for reply in (
        model.invoke("hello", config={**tenant("t1"), "callbacks": [passed], "tags": ["call"]}),
        chain.invoke({"q": "hello"}, config=tenant("t2")),
    ):
        assert recorder.record_outcome(reply, 1.0) is not None
    (tags, metadata), (chain_tags, _) = starts.starts
    assert set(tags) == {"ab", "call"}
    assert metadata["app"] == "shop"
    assert metadata["routing_arm"] == model.arm_for(tenant("t1")).arm
    assert "ab" in chain_tags
    assert len(passed.starts) == 1


def test_legacy_generate_is_refused_with_a_clear_message(emulator):
    with pytest.raises(NotImplementedError, match="invoke/stream/batch"):
        experiment().generate([[HumanMessage("hello")]])
    assert emulator.requests == []
