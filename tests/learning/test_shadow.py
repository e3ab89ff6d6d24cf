"""ShadowJudge against an emulator outcomes world: verdicts agree with the world, are recorded as outcomes, spend is
counted apart, and nothing (a full queue, a failing judge) reaches the user's call."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.runnables import RunnableLambda

from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback
from langchain_bedrock_routing.catalog import Tier
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.learning import OutcomeRecorder, ShadowJudge, load_outcomes
from langchain_bedrock_routing.learning.judge import DEFAULT_JUDGE_MODEL, parse_grade
from langchain_bedrock_routing.routing import RoutedChatBedrock, RouteDecision

CHOICE = "Which number is prime?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:"
ROWS = [
    {"prompt": CHOICE, "outcomes": {"simple": 0, "medium": 1, "complex": 1}},
    {"prompt": "Name a colour of the rainbow.", "outcomes": {"simple": 1, "complex": 1}},
    {"prompt": "Summarise the causes of the First World War.", "outcomes": {"simple": 0.25, "complex": 0.9}},
] + [{"prompt": f"Question number {i} about gardening?", "outcomes": {"simple": 1, "complex": 1}} for i in range(60)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BedrockEmulator]:
    path = tmp_path_factory.mktemp("world") / "world.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), "utf-8")
    with BedrockEmulator(outcomes=path) as emulator:
        yield emulator


def fixed(tier: Tier) -> RunnableLambda:
    return RunnableLambda(lambda _: RouteDecision(tier=tier, score=0.5, reason="test", classifier="fixed"))


def router(world: BedrockEmulator, judge: ShadowJudge, tier: Tier = "simple", **kwargs: object) -> RoutedChatBedrock:
    return RoutedChatBedrock(**world.client_kwargs(), classifier=fixed(tier), shadow=judge, **kwargs)


def test_verdicts_agree_with_the_world_and_are_recorded(world, emulator, tmp_path):
    """The session emulator is in $AWS_ENDPOINT_URL_BEDROCK_RUNTIME: the shadow calls must still go where the
    router's own calls go (its endpoint_url), like the user's call."""
    world.clear_requests()
    judge = ShadowJudge(tmp_path / "out.jsonl", rate=1.0)
    with get_bedrock_stats_callback() as stats:
        llm = router(world, judge)
        answers = [llm.invoke(row["prompt"], config={"metadata": {"tenant_id": "acme"}}) for row in ROWS[:3]]
        assert judge.flush(timeout=60)
    assert (judge.shadowed, judge.judged, judge.failures, judge.ungraded) == (3, 3, 0, 0)
    by_prompt = {o.text: o for o in load_outcomes(tmp_path / "out.jsonl")}
    assert by_prompt[CHOICE].outcomes == {"simple": 0.0, "complex": 1.0}
    assert by_prompt["Name a colour of the rainbow."].outcomes == {"simple": 1.0, "complex": 1.0}
    assert by_prompt["Summarise the causes of the First World War."].outcomes == {"simple": 0.25, "complex": 1.0}
    record = by_prompt[CHOICE]
    assert record.metadata["source"] == "shadow-judge"
    assert record.metadata["judge_model"] == DEFAULT_JUDGE_MODEL
    assert record.metadata["tenant_id"] == "acme"
    assert record.metadata["strong_model_id"] == "global.anthropic.claude-opus-5"
    assert answers[0].id.startswith(f"lc_run--{record.id}")
    assert "The answer is" in answers[0].content  # a wrong letter: the world's simple tier fails this one
    # every call, the user's, the shadow's and the judge's, reached the router's endpoint
    models = [r.model_id for r in world.requests if r.operation == "Converse"]
    assert models.count("global.anthropic.claude-opus-5") == 3
    assert models.count(DEFAULT_JUDGE_MODEL) == 3
    assert not [r for r in emulator.requests if r.operation == "Converse"]
    # spend: the user's 3 requests in the totals, the shadow and judge calls apart
    figures = stats.to_dict()
    assert figures["total"]["requests"] == 3
    assert figures["total"]["api_calls"] == 3
    assert set(figures["models"]) == {"anthropic.claude-haiku-5-5"}
    assert figures["tenants"]["acme"]["requests"] == 3
    assert {k: p["api_calls"] for k, p in figures["purposes"].items()} == {"judge": 3, "shadow": 3}
    assert all(p["cost_usd"]["total"] > 0 for p in figures["purposes"].values())


def test_graded_outcomes_keyed_by_model(world, tmp_path):
    judge = ShadowJudge(OutcomeRecorder(tmp_path / "out.jsonl", key="model"), rate=1.0)
    router(world, judge, tier="medium").invoke(CHOICE)
    assert judge.flush(timeout=60)
    (record,) = load_outcomes(tmp_path / "out.jsonl")
    assert record.outcomes == {"global.anthropic.claude-sonnet-5": 1.0, "global.anthropic.claude-opus-5": 1.0}


def test_never_shadowed_cached_strongest_no_store_or_unsampled(world, tmp_path):
    judge = ShadowJudge(tmp_path / "out.jsonl", rate=1.0)
    llm = router(world, judge, cache=InMemoryCache())
    llm.invoke(ROWS[3]["prompt"])
    llm.invoke(ROWS[3]["prompt"])  # a cache hit
    llm.invoke(ROWS[4]["prompt"], config={"metadata": {"cache": "no-store"}})
    strong = ShadowJudge(tmp_path / "strong.jsonl", rate=1.0)
    router(world, strong, tier="complex").invoke(ROWS[5]["prompt"])
    none = ShadowJudge(tmp_path / "none.jsonl", rate=0.0)
    router(world, none).invoke(ROWS[6]["prompt"])
    for j in (judge, strong, none):
        assert j.flush(timeout=60)
    assert judge.skipped == {"cached": 1, "no-store": 1}
    assert judge.judged == 1
    assert strong.skipped == {"strongest tier": 1}
    assert none.skipped == {"not sampled": 1}
    assert not (tmp_path / "strong.jsonl").exists()
    assert not (tmp_path / "none.jsonl").exists()


def test_sampling_is_a_stable_share_of_conversations(world, tmp_path):
    judge = ShadowJudge(tmp_path / "out.jsonl", rate=0.3)
    llm = router(world, judge)
    prompts = [row["prompt"] for row in ROWS[3:]]
    picked = [judge.sampled(llm._convert_input(p).to_messages()) for p in prompts]
    assert picked == [judge.sampled(llm._convert_input(p).to_messages()) for p in prompts]
    assert 0.1 < sum(picked) / len(picked) < 0.5
    other = ShadowJudge(tmp_path / "other.jsonl", rate=0.3, salt="another sample")
    assert picked != [other.sampled(llm._convert_input(p).to_messages()) for p in prompts]


class _BlockingSink:
    """A sink whose writes wait for ``release``; ``entered`` is set at the first write."""

    def __init__(self) -> None:
        self.entered, self.release, self.lines = threading.Event(), threading.Event(), []

    def write(self, line: str) -> None:
        self.entered.set()
        assert self.release.wait(60)
        self.lines.append(line)


def test_a_full_queue_drops_and_counts_without_slowing_the_call(world):
    sink = _BlockingSink()
    judge = ShadowJudge(sink, rate=1.0, max_queue=1)
    llm = router(world, judge)
    llm.invoke(ROWS[3]["prompt"])
    assert sink.entered.wait(60)  # the worker holds the first request
    llm.invoke(ROWS[4]["prompt"])  # queued
    answer = llm.invoke(ROWS[5]["prompt"])  # dropped: the user still gets the answer
    assert answer.content
    assert (judge.shadowed, judge.dropped) == (2, 1)
    sink.release.set()
    assert judge.close(timeout=60)
    assert judge.judged == 2
    assert len(sink.lines) == 2


def test_a_failing_judge_model_is_counted_never_raised(world, tmp_path):
    judge = ShadowJudge(tmp_path / "out.jsonl", rate=1.0)
    world.set_faults(fail_models=[DEFAULT_JUDGE_MODEL])
    try:
        answer = router(world, judge, max_retries=0).invoke(ROWS[3]["prompt"])
        assert judge.flush(timeout=60)
    finally:
        world.set_faults()
    assert answer.content
    assert (judge.failures, judge.judged) == (1, 0)
    assert not (tmp_path / "out.jsonl").exists()


def test_one_judge_per_router_and_a_rate_in_range(world, tmp_path):
    judge = ShadowJudge(tmp_path / "out.jsonl", rate=0.5)
    router(world, judge)
    with pytest.raises(ValueError, match="one ShadowJudge per router"):
        router(world, judge)
    for rate in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match="rate must be"):
            ShadowJudge(tmp_path / "out.jsonl", rate=rate)


def test_streamed_answers_are_judged_too(world, tmp_path: Path):
    judge = ShadowJudge(tmp_path / "out.jsonl", rate=1.0)
    chunks = list(router(world, judge).stream(CHOICE))
    assert chunks
    assert judge.flush(timeout=60)
    (record,) = load_outcomes(tmp_path / "out.jsonl")
    assert record.outcomes == {"simple": 0.0, "complex": 1.0}


async def test_async_answers_are_judged_off_the_event_loop(world, tmp_path: Path):
    judge = ShadowJudge(tmp_path / "out.jsonl", rate=1.0)
    answer = await router(world, judge).ainvoke(CHOICE)
    assert answer.content
    assert judge.flush(timeout=60)
    (record,) = load_outcomes(tmp_path / "out.jsonl")
    assert record.outcomes == {"simple": 0.0, "complex": 1.0}


def test_a_judge_reply_without_a_grade_line_records_nothing(emulator, tmp_path: Path):
    """The plain emulator answers a judge prompt with sentences of its system prompt ("Grade 5 if the candidate
    ..."): that is no verdict."""
    judge = ShadowJudge(tmp_path / "out.jsonl", rate=1.0)
    RoutedChatBedrock(**emulator.client_kwargs(), classifier=fixed("simple"), shadow=judge).invoke(CHOICE)
    assert judge.flush(timeout=60)
    assert (judge.shadowed, judge.ungraded, judge.judged) == (1, 1, 0)
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize(
    ("reply", "grade"),
    [("Grade: 4", 4), ("**Grade:** 2", 2), ("The answer is fine.\ngrade: 5", 5), ("Grade 5 if it is good.", None),
     ("Grade: 7", None), ("", None)],
)  # fmt: skip
def test_grades_are_read_from_a_grade_line(reply: str, grade: int | None):
    assert parse_grade(reply) == grade
