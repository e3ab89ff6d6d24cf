"""EmbeddingComplexityClassifier: fit, save/load, shipped default weights, bad input."""

from __future__ import annotations

import json

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.messages import AIMessage, HumanMessage

from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.routing.classifiers.embedding import EmbeddingComplexityClassifier

SIMPLE = ["hi there", "hello", "thanks a lot", "what time is it", "good morning", "say hi", "ok thanks", "hey"]
COMPLEX = [
    "prove the theorem about eigenvalues of symmetric matrices and derive the bound",
    "design a distributed consensus protocol and analyze its failure modes under partitions",
    "derive the gradient of the loss for a transformer attention layer and prove convergence",
    "analyze the tradeoffs of sharding strategies for a multi-tenant database and design migrations",
    "prove that the algorithm terminates and derive its amortized complexity bound",
    "design a fault tolerant scheduler and analyze consistency under concurrent failures",
]


@pytest.fixture
def trained() -> EmbeddingComplexityClassifier:
    labels = ["simple"] * len(SIMPLE) + ["complex"] * len(COMPLEX)
    return EmbeddingComplexityClassifier(embeddings=HashingEmbeddings(256)).fit(SIMPLE + COMPLEX, labels, epochs=200)


def test_fit_separates_the_classes(trained):
    easy = trained.invoke("hello there, thanks")
    hard = trained.invoke("design a protocol and prove its consensus bound under failures")
    assert easy.score < 0.35 < 0.5 < hard.score  # scores are percentiles among the training examples
    assert easy.tier == "simple"
    assert hard.tier != "simple"
    assert easy.classifier == "embedding"
    assert "harder than" in hard.reason


def test_scores_the_last_human_turn(trained):
    follow_up = [HumanMessage(COMPLEX[0]), AIMessage("Here is the proof."), HumanMessage("thanks a lot")]
    assert trained.invoke(follow_up) == trained.invoke("thanks a lot")


def test_save_and_load_round_trip(trained, tmp_path):
    path = tmp_path / "weights.json"
    trained.metadata = {"data": "unit test"}
    trained.save(path)
    loaded = EmbeddingComplexityClassifier.load(path)
    texts = ["hello", COMPLEX[1], "what is the weather"]
    assert loaded.score_texts(texts) == pytest.approx(trained.score_texts(texts), abs=1e-5)
    assert loaded.metadata == {"data": "unit test"}
    assert json.loads(path.read_text())["embeddings"] == {"class": "HashingEmbeddings", "dimensions": 256}


def test_other_embeddings_must_be_passed_to_load(tmp_path):
    fake = DeterministicFakeEmbedding(size=16)
    classifier = EmbeddingComplexityClassifier(embeddings=fake).fit(["a", "b"], [0.0, 1.0], epochs=5)
    classifier.save(tmp_path / "w.json")
    with pytest.raises(ValueError, match="trained with DeterministicFakeEmbedding: pass that embeddings"):
        EmbeddingComplexityClassifier.load(tmp_path / "w.json")
    loaded = EmbeddingComplexityClassifier.load(tmp_path / "w.json", embeddings=fake)
    assert loaded.invoke("a").classifier == "embedding"


def test_boolean_and_score_labels_are_accepted():
    classifier = EmbeddingComplexityClassifier(embeddings=HashingEmbeddings(64))
    classifier.fit(["a", "b", "c"], [True, 0.25, False], epochs=5)
    assert classifier.weights is not None
    assert len(classifier.weights) == 64


def test_default_weights_work_offline_out_of_the_box():
    classifier = EmbeddingComplexityClassifier.default()
    decision = classifier.invoke("What is the capital of France?")
    assert decision.classifier == "embedding"
    assert 0.0 <= decision.score <= 1.0
    assert "held out" in classifier.metadata["split"]


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        ([], [], "at least one"),
        (["a", "b"], ["simple"], "as many labels as texts"),
        (["a"], ["hard"], "valid tier labels: simple, medium, complex"),
        (["a"], [1.5], r"nor a score in \[0, 1\]"),
    ],
)
def test_bad_training_input_is_named(texts, labels, message):
    with pytest.raises(ValueError, match=message):
        EmbeddingComplexityClassifier().fit(texts, labels)


def test_untrained_or_mismatched_classifier_says_so(trained, tmp_path):
    with pytest.raises(ValueError, match="not trained"):
        EmbeddingComplexityClassifier().invoke("hi")
    trained.save(tmp_path / "w.json")
    wrong = EmbeddingComplexityClassifier.load(tmp_path / "w.json", embeddings=HashingEmbeddings(128))
    with pytest.raises(ValueError, match="128 dimensions but the weights expect 256"):
        wrong.invoke("hi")


def test_a_foreign_file_is_rejected(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError, match="not an embedding classifier file"):
        EmbeddingComplexityClassifier.load(path)
