"""RedisSemanticCache's lookup layout: questions as vector-set attributes, one answer read per hit, older entries."""

from __future__ import annotations

import time

import pytest
import redis

from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache, question_attributes, question_of
from langchain_bedrock_routing.core.vectorsets import vadd_args
from langchain_bedrock_routing.embeddings import HashingEmbeddings

from .conftest import answer, prompt

LLM = "model-a"
STORED = "How do I reverse a list in Python?"
PARAPHRASE = "What's the way to reverse a list in Python?"
OTHERS = ["How do I reverse a list in Python quickly?", "How can I reverse a list in Python?"]


class SlowEmbeddings(HashingEmbeddings):
    """Hashing embeddings that take 5 ms a call, like a remote embedding model (only slower than a round trip)."""

    def embed_query(self, text: str) -> list[float]:
        """The hashing vector, after a 5 ms pause."""
        time.sleep(0.005)
        return super().embed_query(text)


def _vset(client: redis.Redis) -> str:
    return next(k.decode() for k in client.keys("*") if k.endswith(b":vset"))


def _kind(hit: object) -> str:
    assert isinstance(hit, list)
    return str(hit[0].message.response_metadata["cache"]["kind"])


def test_each_vector_carries_its_question(redis_url: str, redis_client: redis.Redis):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, similarity_threshold=0.8, guard=False)
    for i, text in enumerate([STORED, *OTHERS]):
        cache.update(prompt(text), LLM, answer(f"answer {i}"))
    vset = _vset(redis_client)
    elements = redis_client.execute_command("VSIM", vset, "ELE", redis_client.execute_command("VRANDMEMBER", vset))
    questions = {question_of(redis_client.execute_command("VGETATTR", vset, e).decode()) for e in elements}
    assert questions == {STORED, *OTHERS}
    assert _kind(cache.lookup(prompt(PARAPHRASE), LLM)) == "semantic"


def test_an_exact_match_wins_and_is_marked_exact(redis_url: str):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, similarity_threshold=0.5, guard=False)
    cache.update(prompt(PARAPHRASE), LLM, answer("paraphrase's answer"))
    cache.update(prompt(STORED), LLM, answer("exact answer"))
    hit = cache.lookup(prompt(STORED), LLM)
    assert _kind(hit) == "exact"
    assert hit is not None
    assert hit[0].text == "exact answer"


def _store_old_layout(cache: RedisSemanticCache, client: redis.Redis, question: str, text: str) -> None:
    """Write an entry the way caches did before questions were attributes: in the envelope, none on the vector."""
    loc = cache.locate(prompt(question), LLM, "")
    key = cache._answer_key(loc)
    client.set(key, cache.codec.encode(answer(text), meta={"question": question}, associated_data=key.encode()))
    client.execute_command(
        *vadd_args(cache._key(loc.partition, "vset"), loc.entry, cache.embedder.embed(question), "q8")
    )


def test_entries_without_the_question_attribute_are_judged_on_their_envelope(redis_url: str, redis_client: redis.Redis):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url)
    _store_old_layout(cache, redis_client, "How many days are in 3 weeks?", "21")
    _store_old_layout(cache, redis_client, STORED, "Use reversed().")
    hit = cache.lookup(prompt(PARAPHRASE), LLM)
    assert _kind(hit) == "semantic"
    assert hit is not None
    assert hit[0].text == "Use reversed()."
    assert cache.lookup(prompt("How many days are in 4 weeks?"), LLM) is None  # the guard reads the envelope
    assert cache.guard_rejections == 1
    assert _kind(cache.lookup(prompt(STORED), LLM)) == "exact"


def test_an_entry_whose_question_is_nowhere_is_never_served(redis_url: str, redis_client: redis.Redis):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, similarity_threshold=0.5, guard=False)
    cache.update(prompt(STORED), LLM, answer("Use reversed()."))
    vset = _vset(redis_client)
    (element,) = redis_client.execute_command("VSIM", vset, "ELE", redis_client.execute_command("VRANDMEMBER", vset))
    redis_client.execute_command("VSETATTR", vset, element, "")  # drops the attribute; the envelope has no question
    assert cache.lookup(prompt(PARAPHRASE), LLM) is None
    assert _kind(cache.lookup(prompt(STORED), LLM)) == "exact"


def test_encrypted_caches_keep_questions_out_of_the_vector_set(redis_url: str, redis_client: redis.Redis):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, encrypt=True, encryption_key=b"k" * 32)
    cache.update(prompt(STORED), LLM, answer("Use reversed()."))
    vset = _vset(redis_client)
    (element,) = redis_client.execute_command("VSIM", vset, "ELE", redis_client.execute_command("VRANDMEMBER", vset))
    assert redis_client.execute_command("VGETATTR", vset, element) is None
    assert _kind(cache.lookup(prompt(PARAPHRASE), LLM)) == "semantic"


async def test_a_slow_embedder_is_not_called_for_an_exact_hit(redis_url: str):
    RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url).update(prompt(STORED), LLM, answer("Use reversed()."))
    cache = RedisSemanticCache(SlowEmbeddings(), redis_url=redis_url)
    assert _kind(cache.lookup(prompt(STORED), LLM)) == "exact"
    assert _kind(await cache.alookup(prompt(STORED), LLM)) == "exact"
    assert cache.embedder.calls == 0
    assert _kind(cache.lookup(prompt(PARAPHRASE), LLM)) == "semantic"
    assert cache.embedder.calls == 1
    assert _kind(cache.lookup(prompt(STORED), LLM)) == "exact"  # the last call was slow: still no embedding
    assert cache.embedder.calls == 1
    await cache.aclose()


@pytest.mark.parametrize("attributes", [None, "not json", '{"q": 7}', '["q"]', "{}"])
def test_unusable_attributes_mean_no_question(attributes: str | None):
    assert question_of(attributes) is None
    assert question_of(question_attributes('a "quoted" question')) == 'a "quoted" question'
