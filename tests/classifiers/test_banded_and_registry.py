"""BandedClassifier (heuristic first, LLM inside the band) against the emulator; the name registry."""

from __future__ import annotations

import pytest
from langchain_core.runnables import RunnableLambda
from pydantic import ValidationError

from langchain_bedrock_routing.routing.classifiers import (
    CLASSIFIERS,
    BandedClassifier,
    EmbeddingComplexityClassifier,
    HeuristicComplexityClassifier,
    LLMComplexityClassifier,
    RouteDecision,
    resolve_classifier,
)

UNSURE = "Why is the sky blue?"  # scores inside the lower band (0.30-0.40)


def _cascade() -> BandedClassifier:
    return BandedClassifier(second=LLMComplexityClassifier(region_name="us-east-1"))


def test_clear_cases_never_reach_the_llm(emulator):
    decision = _cascade().invoke("hi")
    assert decision.classifier == "heuristic"
    assert "outside the uncertainty bands" in decision.reason
    assert emulator.requests == []


def test_uncertain_cases_ask_the_llm(emulator):
    first = HeuristicComplexityClassifier().invoke(UNSURE)
    assert 0.3 <= first.score < 0.4
    decision = _cascade().invoke(UNSURE)
    assert decision.classifier == "llm"
    assert decision.reason.startswith(f"heuristic score {first.score:.2f} inside uncertainty band")
    assert [r.model_id for r in emulator.requests] == ["amazon.nova-micro-v1:0"]


async def test_async_cascade_and_llm_failure_fall_back(emulator):
    emulator.set_faults(fail_models=["amazon.nova-micro-v1:0"])
    decision = await _cascade().ainvoke(UNSURE)
    assert decision.classifier == "heuristic"
    assert "inside uncertainty band" in decision.reason
    assert "llm classifier failed" in decision.reason


def test_band_edges_and_validation(emulator):
    never = BandedClassifier(bands=(), second=LLMComplexityClassifier(region_name="us-east-1"))
    always = BandedClassifier(bands=((0.0, 1.0),), second=LLMComplexityClassifier(region_name="us-east-1"))
    assert never.invoke(UNSURE).classifier == "heuristic"
    assert always.invoke("hi").classifier == "llm"
    assert "inside uncertainty band [0.00, 1.00)" in always.invoke("hi").reason
    with pytest.raises(ValidationError, match="0 <= low <= high <= 1"):
        BandedClassifier(bands=((0.8, 0.2),))


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("heuristic", HeuristicComplexityClassifier),
        ("llm", LLMComplexityClassifier),
        ("embedding", EmbeddingComplexityClassifier),
        ("cascade", BandedClassifier),
        (" Heuristic ", HeuristicComplexityClassifier),
        (None, HeuristicComplexityClassifier),
    ],
)
def test_names_resolve_to_classifiers(name, kind):
    assert isinstance(resolve_classifier(name), kind)


def test_unknown_name_lists_the_choices():
    with pytest.raises(
        ValueError, match="unknown classifier 'magic'; valid choices: heuristic, llm, embedding, cascade"
    ):
        resolve_classifier("magic")
    assert set(CLASSIFIERS) == {"heuristic", "llm", "embedding", "cascade"}


def test_runnables_pass_through_and_functions_are_wrapped():
    mine = HeuristicComplexityClassifier()
    assert resolve_classifier(mine) is mine
    always_complex = resolve_classifier(
        lambda _messages: RouteDecision(tier="complex", score=1.0, reason="policy", classifier="mine")
    )
    assert isinstance(always_complex, RunnableLambda)
    assert always_complex.invoke("hi").tier == "complex"


def test_other_types_are_rejected():
    with pytest.raises(TypeError, match=r"must be a name .* a Runnable or a function, got int"):
        resolve_classifier(3)  # type: ignore[arg-type]


def test_calls_models_says_which_classifiers_may_bill_a_call():
    from langchain_bedrock_routing.routing.classifiers import StickyClassifier

    assert not HeuristicComplexityClassifier().calls_models
    assert not EmbeddingComplexityClassifier.default().calls_models  # offline HashingEmbeddings
    assert LLMComplexityClassifier().calls_models
    assert BandedClassifier().calls_models
    assert not StickyClassifier().calls_models
    assert StickyClassifier(classifier=LLMComplexityClassifier()).calls_models
