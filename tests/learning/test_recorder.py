"""record_outcome: routed answers (invoke, stream, run id) become outcome lines in JSONL or Redis, under the
PII policy, from many threads; a failing sink never raises into the app."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_bedrock_routing.learning import (
    JsonlSink,
    OutcomeLookupError,
    OutcomeRecorder,
    RedisSink,
    load_outcomes,
    sinks,
)
from langchain_bedrock_routing.routing import RoutedChatBedrock


@pytest.fixture
def router(emulator):
    def make(recorder: OutcomeRecorder) -> RoutedChatBedrock:
        return RoutedChatBedrock(region_name="us-east-1", endpoint_url=emulator.endpoint_url, callbacks=[recorder])

    return make


def test_invoke_answer_is_recorded_with_its_prompt_and_tier(tmp_path, router):
    path = tmp_path / "outcomes.jsonl"
    recorder = OutcomeRecorder(path)
    llm = router(recorder)
    answer = llm.invoke([SystemMessage("Be brief."), HumanMessage("What is the capital of France?")])
    written = recorder.record_outcome(answer, True, metadata={"user": "u1"})
    (outcome,) = load_outcomes(path)
    assert written == outcome
    routing = answer.response_metadata["routing"]
    assert outcome.messages == (("system", "Be brief."), ("user", "What is the capital of France?"))
    assert outcome.outcomes == {routing["tier"]: 1.0}
    assert outcome.metadata["model_id"] == routing["model_id"]
    assert outcome.metadata["user"] == "u1"
    assert outcome.id is not None
    assert answer.id is not None
    assert answer.id.startswith(f"lc_run--{outcome.id}")
    assert recorder.recorded == 1


def test_stream_and_run_id_and_model_key(tmp_path, router):
    recorder = OutcomeRecorder(tmp_path / "o.jsonl", key="model")
    llm = router(recorder)
    chunks = list(llm.stream("Compare three sorting algorithms and prove their worst-case bounds"))
    run_id = chunks[0].id.removeprefix("lc_run--")
    kept = uuid.uuid4()
    answer = llm.invoke("hello there", config={"run_id": kept})
    recorder.record_outcome(run_id, 0.0)
    recorder.record_outcome(kept, 0.5)
    first, second = load_outcomes(tmp_path / "o.jsonl")
    assert first.text.startswith("Compare three sorting")
    assert list(first.outcomes.values()) == [0.0]
    assert next(iter(first.outcomes)).startswith("global.anthropic.")  # a model id, not a tier
    assert second.outcomes == {answer.response_metadata["routing"]["model_id"]: 0.5}
    assert second.id == str(kept)


def test_unknown_runs_and_bad_scores_are_refused(tmp_path, router):
    recorder = OutcomeRecorder(tmp_path / "o.jsonl")
    with pytest.raises(OutcomeLookupError, match="callbacks=\\[recorder\\]"):
        recorder.record_outcome(uuid.uuid4(), 1.0)
    with pytest.raises(OutcomeLookupError, match="neither a run id nor a LangChain message id"):
        recorder.record_outcome("not-an-id", 1.0)
    answer = router(recorder).invoke("hi")
    with pytest.raises(ValueError, match=r"score must be a number in \[0, 1\]"):
        recorder.record_outcome(answer, 2)
    assert not (tmp_path / "o.jsonl").exists()


def test_old_runs_are_forgotten(tmp_path, router):
    recorder = OutcomeRecorder(tmp_path / "o.jsonl", max_runs=1)
    llm = router(recorder)
    first = llm.invoke("first question")
    llm.invoke("second question")
    with pytest.raises(OutcomeLookupError, match="last 1 runs"):
        recorder.record_outcome(first, 1.0)


def test_pii_conversations_are_skipped_unless_kept(tmp_path, router):
    skip = OutcomeRecorder(tmp_path / "skip.jsonl")
    keep = OutcomeRecorder(tmp_path / "keep.jsonl", pii="keep")
    prompt = "Write to jane.doe@example.com about the invoice"
    for recorder in (skip, keep):
        answer = router(recorder).invoke(prompt)
        recorder.record_outcome(answer, 1.0)
    assert not (tmp_path / "skip.jsonl").exists()
    assert (skip.skipped_pii, skip.recorded) == (1, 0)
    assert load_outcomes(tmp_path / "keep.jsonl")[0].text == prompt


@pytest.mark.parametrize("kind", ["stream", "list"])
def test_redis_sink_from_many_threads(redis_client, router, tmp_path, kind, monkeypatch):
    monkeypatch.setattr(sinks, "_PAGE", 7)  # lines() reads back in several pages
    sink = RedisSink(redis_client, "app:outcomes", kind=kind)
    recorder = OutcomeRecorder(sink)
    llm = router(recorder)
    answers = [llm.invoke(f"question number {i}") for i in range(8)]

    def score(index: int) -> None:
        for _ in range(25):
            recorder.record_outcome(answers[index], index / 10)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(score, range(8)))
    lines = list(sink.lines())
    assert len(lines) == 200
    assert recorder.recorded == 200
    assert sink.export(tmp_path / "export.jsonl") == 200
    records = load_outcomes(tmp_path / "export.jsonl")
    assert len({r.id for r in records}) == 8
    assert sorted({r.text for r in records}) == sorted(f"question number {i}" for i in range(8))


def test_jsonl_lines_stay_whole_under_threads(tmp_path):
    sink = JsonlSink(tmp_path / "o.jsonl")
    line = json.dumps({"prompt": "x" * 5000, "outcomes": {"simple": 1}})
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: sink.write(line), range(400)))
    assert (tmp_path / "o.jsonl").read_text("utf-8").splitlines() == [line] * 400


def test_redis_sink_trims_and_checks_its_settings(redis_client):
    sink = RedisSink(redis_client, "capped", kind="list", maxlen=3)
    for i in range(5):
        sink.write(f'{{"prompt": "p{i}", "outcomes": {{"simple": 1}}}}')
    assert [json.loads(line)["prompt"] for line in sink.lines()] == ["p2", "p3", "p4"]
    with pytest.raises(ValueError, match="valid kinds: stream, list"):
        RedisSink(redis_client, kind="set")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="maxlen must be a positive"):
        RedisSink(redis_client, maxlen=0)


def test_dead_redis_is_counted_not_raised(own_redis_server, router):
    recorder = OutcomeRecorder(RedisSink(own_redis_server.client()))
    answer = router(recorder).invoke("hi")
    own_redis_server.stop()
    assert recorder.record_outcome(answer, 1.0) is None
    assert (recorder.failures, recorder.recorded) == (1, 0)
