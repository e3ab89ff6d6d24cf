"""The soak's auditors catch what they look for: corrupt answers, dangling vectors, extra bills, partial fallbacks."""

from __future__ import annotations

import time

from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration

from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.emulator.requestlog import RequestRecord
from reliability.audit import audit_billing, audit_semantic_cache
from reliability.runner import CallOutcome, every_candidate_failed, foreign_hits
from reliability.workload import SoakRequest, build_workload

TIERS = {"simple": ["s1", "s2"], "medium": ["m1"], "complex": ["c1", "c2"]}


def _store(cache: RedisSemanticCache, question: str) -> None:
    cache.update(dumps([HumanMessage(question)]), "llm", [ChatGeneration(message=AIMessage(f"answer to {question}"))])


def test_cache_audit_passes_clean_entries_and_flags_corrupt_and_dangling(redis_client, redis_url):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, namespace="audit", ttl=60)
    for question in ("What is the capital of Chile?", "How do I reverse a list in Go?", "Explain a trie."):
        _store(cache, question)
    clean = audit_semantic_cache(redis_client, "audit", cache.codec)
    assert (clean.answers, clean.vectors, clean.ok) == (3, 3, True)

    answers = sorted(k.decode() for k in redis_client.scan_iter(match="audit:sem:*:r:*"))
    blob = redis_client.get(answers[0])
    redis_client.set(answers[0], blob[:-3] + bytes(b ^ 0xFF for b in blob[-3:]))  # tampered tail
    redis_client.delete(answers[1])  # as if expired or lost in a crash
    audited = audit_semantic_cache(redis_client, "audit", cache.codec)
    assert audited.corrupt == [answers[0]]
    assert (audited.vectors_to_corrupt, audited.vectors_without_answer, audited.ok) == (1, 1, False)
    cache.close()


def _record(*, billed: bool, status: int = 200, code: str | None = None, model: str = "amazon.nova-micro-v1:0"):
    return RequestRecord("Converse", model, model if billed else None, status, code, 1, 1, 0, 0, 0, time.time(), billed)


def test_billing_audit_counts_faults_and_catches_a_second_bill():
    records = [
        _record(billed=True),
        _record(billed=False, status=429, code="ThrottlingException"),
        _record(billed=False, status=503, code="ServiceUnavailableException"),
        _record(billed=False, status=503, code="ServiceUnavailableException", model="amazon.nova-premier-v1:0"),
        _record(billed=True),
    ]
    fine = audit_billing(records, successful_misses=2, stats_api_calls=2, down_model="amazon.nova-premier-v1:0")
    assert (fine.throttles, fine.server_errors, fine.down_model_errors, fine.duplicate_bills, fine.ok) == (
        1, 1, 1, 0, True,
    )  # fmt: skip
    double = audit_billing(records, successful_misses=1, stats_api_calls=2, down_model="amazon.nova-premier-v1:0")
    assert (double.duplicate_bills, double.ok) == (1, False)


def test_every_candidate_failed_needs_the_start_tier_and_all_tiers_above():
    def attempts(*models_tiers: tuple[str, str]):
        return [{"model_id": m, "tier": t, "error": "ThrottlingException"} for m, t in models_tiers]

    full = attempts(("m1", "medium"), ("c1", "complex"), ("c2", "complex"))
    assert every_candidate_failed(full, TIERS)
    assert not every_candidate_failed(full[:2], TIERS)  # c2 never tried
    assert not every_candidate_failed([{**full[0], "error": None}, *full[1:]], TIERS)
    assert not every_candidate_failed([], TIERS)
    assert every_candidate_failed(attempts(("s2", "simple"), ("s1", "simple"), ("m1", "medium"), *[
        ("c1", "complex"), ("c2", "complex")]), TIERS)  # fmt: skip


def test_workload_is_seeded_and_echoes_refer_back_with_the_same_tenant_and_priority():
    first, again = build_workload(500, seed=3), build_workload(500, seed=3)
    assert first == again
    assert build_workload(500, seed=4) != first
    for request in first:
        if request.refers_to is not None:
            original = first[request.refers_to]
            assert original.index < request.index
            assert original.kind == "new"
            assert (original.tenant, original.priority) == (request.tenant, request.priority)
            if request.kind == "repeat":
                assert request.text == original.text
    assert {r.complexity for r in first} == {"simple", "medium", "complex"}


def test_foreign_hits_flags_an_answer_another_tenant_received():
    def outcome(index: int, tenant: str | None, status: str, text: str) -> CallOutcome:
        request = SoakRequest(index, "new", "invoke", "What is the capital of Peru?", tenant, None, "simple")
        return CallOutcome(request, status, text=text)  # type: ignore[arg-type]

    outcomes = [outcome(0, "acme", "miss", "Lima"), outcome(1, "acme", "hit", "Lima"), outcome(2, None, "miss", "x")]
    assert foreign_hits(outcomes) == []
    leaked = outcome(3, "globex", "hit", "Lima")
    assert foreign_hits([*outcomes, leaked]) == [leaked]
