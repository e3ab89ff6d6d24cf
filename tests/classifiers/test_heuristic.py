"""HeuristicComplexityClassifier: features, thresholds, input forms, conversation awareness."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from pydantic import ValidationError

from langchain_bedrock_routing.routing.classifiers.base import TierThresholds
from langchain_bedrock_routing.routing.classifiers.heuristic import (
    HeuristicComplexityClassifier,
    HeuristicWeights,
    shipped_weights,
)
from langchain_bedrock_routing.routing.decision import RouteDecision

HARD = (
    "Design a multi-region rate limiter for our public API. Compare token bucket and sliding window, explain the "
    "tradeoffs, and analyze failure modes when a region is partitioned.\n"
    "1. requirements and assumptions\n2. the design\n3. a Redis Lua script\n4. how you would test it"
)


FEATURES = ("length", "reasoning", "asks", "tasks", "multi_part", "math", "code", "code_words", "acronyms", "questions")
FEATURES += ("sentences", "personal", "context", "depth", "image", "document")


@pytest.fixture
def classifier() -> HeuristicComplexityClassifier:
    return HeuristicComplexityClassifier()


def test_greeting_is_simple_and_design_task_is_complex(classifier):
    easy = classifier.invoke("hi")
    hard = classifier.invoke(HARD)
    assert (easy.tier, hard.tier) == ("simple", "complex")
    assert easy.classifier == hard.classifier == "heuristic"
    assert 0.0 <= easy.score < hard.score <= 1.0
    assert "multi_part" in hard.reason
    assert "asks" in hard.reason


def test_str_messages_and_prompt_value_agree(classifier):
    prompt = ChatPromptTemplate.from_messages([("human", "{q}")]).invoke({"q": HARD})
    as_text = classifier.invoke(HARD)
    assert classifier.invoke([HumanMessage(HARD)]) == as_text
    assert classifier.invoke([("human", HARD)]) == as_text
    assert classifier.invoke(prompt) == as_text


def test_empty_message_list_is_rejected(classifier):
    with pytest.raises(ValueError, match="empty message list"):
        classifier.invoke([])


@pytest.mark.parametrize(
    ("feature", "text"),
    [
        ("reasoning", "Explain why this would fail and whether we should compare alternatives"),
        ("asks", "Design it, then prove it terminates"),
        ("tasks", "Explain the rules and summarize them"),
        ("multi_part", "Do these:\n1. a\n2. b\n3. c"),
        ("multi_part", "Statement 1 | x. Statement 2 | y."),
        ("math", "Solve x^2 + 3*4 = 2(x+1) where \\frac{1}{2} ≤ x"),
        ("code", "```\ndef f(x):\n    return {x};\n}\n```"),
        ("code_words", "Write a Python function for this query"),
        ("acronyms", "Does GDPR apply to our HTTP logs"),
        ("questions", "Which one"),
        ("sentences", "It broke. We rolled back"),
        ("personal", "my team asked me"),
    ],
)
def test_each_feature_fires(feature, text):
    unit = HeuristicComplexityClassifier(weights=HeuristicWeights.model_validate(dict.fromkeys(FEATURES, 1.0)))
    if feature == "questions":
        text += "?"
    assert unit.features([HumanMessage(text)])[feature] > 0.0
    assert unit.features([HumanMessage("hello there")])[feature] == 0.0


def test_default_weights_are_the_shipped_data_file():
    shipped = shipped_weights()
    assert shipped["provenance"]["generated_by"] == "python -m evals.fit_heuristic"
    assert HeuristicWeights().model_dump() == pytest.approx(shipped["weights"])
    assert HeuristicWeights(reasoning=0.9).model_dump() == pytest.approx({**shipped["weights"], "reasoning": 0.9})


def test_a_short_proof_request_is_not_simple(classifier):
    # the MMLU-tuned weights scored this 0.35, "simple": length dominated and "prove" counted like "if"
    assert classifier.invoke("Prove that sqrt(2) is irrational").tier != "simple"


def test_offset_and_scale_move_scores_but_keep_their_order():
    shifted = HeuristicComplexityClassifier(weights=HeuristicWeights(offset=20.0, scale=1.0))
    easy, hard = shifted.invoke("hi").score, shifted.invoke(HARD).score
    assert 0.0 < easy < hard < 0.5  # far below the offset, yet still ranked


def test_attachments_raise_the_score(classifier):
    text = {"type": "text", "text": "What is in this?"}
    image = {"type": "image", "source_type": "base64", "data": "aGk=", "mime_type": "image/png"}
    document = {"document": {"format": "pdf", "name": "report", "source": {"bytes": b"%PDF"}}}
    plain = classifier.invoke([HumanMessage(content=[text])])
    with_image = classifier.invoke([HumanMessage(content=[text, image])])
    with_document = classifier.invoke([HumanMessage(content=[text, document])])
    assert plain.score < with_image.score < with_document.score
    assert "image" in with_image.reason
    assert "document" in with_document.reason


def test_last_human_turn_is_scored_in_its_conversation(classifier):
    follow_up = HumanMessage("and the second one?")
    alone = classifier.invoke([follow_up])
    in_context = classifier.invoke([HumanMessage(HARD), AIMessage("Here is a long design ... " * 40), follow_up])
    assert in_context.score > alone.score
    features = classifier.features([HumanMessage(HARD), AIMessage("ok"), follow_up])
    assert features["context"] > 0.0
    assert features["depth"] > 0.0
    assert features["multi_part"] == 0.0  # the parts belong to the earlier turn


def test_system_prompt_and_trailing_ai_turn_do_not_count_as_the_request(classifier):
    request = classifier.invoke("hi")
    with_system = classifier.invoke([SystemMessage(HARD), HumanMessage("hi")])
    with_reply = classifier.invoke([HumanMessage("hi"), AIMessage(HARD)])
    assert with_system.score == request.score
    assert with_reply.score == request.score


def test_weights_and_thresholds_are_tunable():
    text = "Explain why the sky is blue"
    default = HeuristicComplexityClassifier().invoke(text)
    heavier = HeuristicComplexityClassifier(weights=HeuristicWeights(reasoning=1.0)).invoke(text)
    strict = HeuristicComplexityClassifier(thresholds=TierThresholds(medium=0.01, complex=0.02)).invoke(text)
    assert heavier.score > default.score
    assert strict.tier == "complex"
    assert strict.score == default.score


def test_bad_thresholds_and_weights_are_rejected():
    with pytest.raises(ValidationError, match="medium <= complex"):
        TierThresholds(medium=0.8, complex=0.2)
    with pytest.raises(ValidationError, match="scale"):
        HeuristicWeights(scale=0)


async def test_ainvoke_and_batch_match_invoke(classifier):
    texts = ["hi", HARD]
    expected = [classifier.invoke(t) for t in texts]
    assert await classifier.ainvoke(texts[1]) == expected[1]
    assert classifier.batch(texts) == expected
    assert await classifier.abatch(texts) == expected


def test_composes_with_other_runnables(classifier):
    chain = RunnableLambda(lambda q: f"Question: {q}") | classifier | RunnableLambda(lambda d: d.tier)
    assert chain.invoke("hi") == "simple"
    assert isinstance(classifier.invoke("hi"), RouteDecision)


def test_invoke_is_traced_through_callbacks(classifier):
    from langchain_core.callbacks import BaseCallbackHandler

    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.events: list[tuple[str, object]] = []

        def on_chain_start(self, serialized, inputs, **kwargs) -> None:
            self.events.append(("start", kwargs.get("name")))

        def on_chain_end(self, outputs, **kwargs) -> None:
            self.events.append(("end", outputs))

    recorder = Recorder()
    decision = classifier.invoke("hi", {"callbacks": [recorder], "run_name": "route-classifier"})
    assert recorder.events == [("start", "route-classifier"), ("end", decision)]


def test_long_turns_are_scanned_at_head_and_tail_but_measured_in_full():
    classifier = HeuristicComplexityClassifier(max_scan_chars=100)
    filler = "x " * 500
    assert classifier.features([HumanMessage(f"{filler} why")])["reasoning"] > 0.0
    assert classifier.features([HumanMessage(f"why {filler}")])["reasoning"] > 0.0
    assert classifier.features([HumanMessage(f"{filler} why {filler}")])["reasoning"] == 0.0
    longer = classifier.features([HumanMessage(filler * 2)])["length"]
    assert longer > classifier.features([HumanMessage(filler)])["length"]
