"""Semantic-cache quality with real embedding models offline (WordLlama and all-MiniLM-L6-v2, the [eval] extra),
and the emulator serving Titan embeddings from WordLlama.

The quality test runs the cross-validated protocol of evals/semantic_cache.py on a slice (about half of each
labelled set, by a stable hash of the pair id) and fails when the guarded cache serves more than the documented
share of traps on the folds its threshold was not chosen on; another checks MiniLM at the default threshold on the
blind sets E to P.
"""

from __future__ import annotations

import socket

import numpy as np
import pytest
from langchain_aws import BedrockEmbeddings, ChatBedrockConverse
from langchain_core.embeddings import Embeddings
from langchain_core.globals import set_llm_cache
from langchain_core.outputs import Generation

from evals import wordllama_embeddings
from evals.minilm_embeddings import MiniLMEmbeddings
from evals.semantic_cache import GUARDS, HELD_OUT_SETS, SETS, WRONG_ANSWER_BOUND, load_pairs, score_pairs
from evals.semantic_cv import Setting, cross_validate, fold_of, rates
from evals.wordllama_embeddings import DIMENSIONS, WordLlamaEmbeddings, embed_texts, titan_embedder
from langchain_bedrock_routing.caching.guard import alignment
from langchain_bedrock_routing.caching.guard_align import EDIT_MARGIN
from langchain_bedrock_routing.caching.semantic_base import DEFAULT_SIMILARITY_THRESHOLD
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.emulator import BedrockEmulator

TITAN = "amazon.titan-embed-text-v2:0"
NOVA = "amazon.nova-micro-v1:0"


def test_the_model_loads_from_the_installed_wheel_with_the_network_closed(monkeypatch: pytest.MonkeyPatch):
    def refuse(*_args: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    wordllama_embeddings._model.cache_clear()
    assert wordllama_embeddings.available()
    vectors = WordLlamaEmbeddings().embed_documents(["refund window", "Refunds within 14 days.", ""])
    assert [len(v) for v in vectors] == [DIMENSIONS] * 3
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5)
    assert not any(vectors[2])  # no tokens: zeros, as documented


def test_vectors_equal_wordllamas_own_inference():
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    tokenizer, table = wordllama_embeddings._model()
    reference = WordLlamaInference(table, Tokenizer.from_str(tokenizer.to_str()))
    texts = ["What is the capital of France?", "Which city is the capital of France?", "refund window"]
    assert np.allclose(embed_texts(texts), reference.embed(texts, norm=True), atol=1e-5)


def test_paraphrases_score_higher_than_unrelated_questions():
    anchor, paraphrase, unrelated = embed_texts(
        ["What is the capital of France?", "Which city is the capital of France?", "How do I bake sourdough bread?"]
    )
    assert float(anchor @ paraphrase) > 0.85
    assert float(anchor @ unrelated) < 0.35


@pytest.mark.parametrize("embeddings", [WordLlamaEmbeddings, MiniLMEmbeddings])
def test_held_out_wrong_answers_on_a_slice_stay_within_the_documented_bound(embeddings: type[Embeddings]):
    pairs = [p for path in SETS.values() for p in load_pairs(path) if fold_of(p["id"], 2) == 0]
    scored = score_pairs(InMemorySemanticCache(embeddings()), pairs)
    held_out, chosen = cross_validate(scored, ["on"])  # the guard and its second stage, as the caches run them
    assert held_out.traps >= 100
    assert held_out.paraphrases >= 100
    assert held_out.wrong_rate <= WRONG_ANSWER_BOUND, held_out
    assert held_out.true_hits > 0
    for setting in chosen:  # the guard earns its keep at every threshold chosen
        off = rates(scored, type(setting)("off", setting.threshold))
        assert rates(scored, setting).wrong * 3 <= off.wrong


def test_at_the_default_threshold_minilm_stays_within_the_bound_on_the_blind_sets():
    """Sets E to P were written blind to the guard and never tuned on: at the default threshold (no threshold chosen
    here) MiniLM with the guard serves at most the documented share of their traps (docs/caches.md: 43.0% / 2.5%)."""
    pairs = [p for path in HELD_OUT_SETS.values() for p in load_pairs(path)]
    scored = score_pairs(InMemorySemanticCache(MiniLMEmbeddings()), pairs, {"on": GUARDS["on"]})
    at_default = rates(scored, Setting("on", DEFAULT_SIMILARITY_THRESHOLD))
    assert at_default.traps > 1000
    assert at_default.wrong_rate <= WRONG_ANSWER_BOUND, at_default
    assert at_default.hit_rate >= 0.4, at_default


def test_the_emulator_serves_titan_embeddings_from_the_real_model():
    with BedrockEmulator(embedder=titan_embedder) as emulator:
        titan = BedrockEmbeddings(model_id=TITAN, **emulator.client_kwargs())
        vector = titan.embed_query("What is the capital of France?")
        assert np.allclose(vector, titan_embedder("What is the capital of France?", 1024), atol=1e-6)
        set_llm_cache(InMemorySemanticCache(titan, similarity_threshold=0.95))
        chat = ChatBedrockConverse(model=NOVA, **emulator.client_kwargs())
        first = chat.invoke("How do I reverse a list in Python?")
        paraphrase = chat.invoke("What's the way to reverse a list in Python?")
        trap = chat.invoke("How do I reverse a list in Java?")
        chats = [r for r in emulator.requests if r.model_id == NOVA]
    assert paraphrase.text == first.text
    assert paraphrase.response_metadata["cache"]["kind"] == "semantic"
    assert "cache" not in trap.response_metadata
    assert len(chats) == 2  # the first question and the trap; the paraphrase cost nothing


def test_a_one_word_edit_needs_the_second_stages_margin_above_the_threshold():
    cached, narrower, same_words = (
        "What are the side effects of aspirin?",
        "What are the long-term side effects of aspirin?",  # 0.953 with WordLlama
        "What side effects does aspirin have?",
    )
    assert alignment(narrower, cached).margin == EDIT_MARGIN
    assert alignment(same_words, cached).margin == 0.0
    cache = InMemorySemanticCache(WordLlamaEmbeddings(), similarity_threshold=0.92)
    cache.update(cached, "llm", [Generation(text="answer")])
    assert [cache.lookup(q, "llm") is not None for q in (narrower, same_words)] == [False, True]
    unguarded = InMemorySemanticCache(WordLlamaEmbeddings(), similarity_threshold=0.92, guard=False)
    unguarded.update(cached, "llm", [Generation(text="answer")])
    assert unguarded.lookup(narrower, "llm") is not None  # the embedding alone scores it like a paraphrase
