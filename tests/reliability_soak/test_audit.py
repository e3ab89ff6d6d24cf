"""The soak's auditors catch what they look for: corrupt answers, dangling vectors, extra bills, partial fallbacks."""

from __future__ import annotations

import re
import time

from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration

from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.emulator.requestlog import RequestRecord
from langchain_bedrock_routing.emulator.text import key_phrase
from reliability.audit import audit_billing, audit_semantic_cache
from reliability.provenance import Window, billed_misses, foreign_hits, repeat_bills, wrong_answers
from reliability.runner import CallOutcome, every_candidate_failed
from reliability.traps import trap_requests
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


def _call(index: int, status: str, answer_id: str, *, tenant: str | None = "acme", meaning: str = "peru",
          start: float = 0.0, end: float = 1.0, text: str = "Lima", **fields) -> CallOutcome:  # fmt: skip
    request = SoakRequest(index, "new", "invoke", f"capital of {meaning}?", tenant, None, "simple", meaning=meaning,
                          **fields)  # fmt: skip
    return CallOutcome(request, status, text=text, answer_id=answer_id, started=start, ended=end)  # type: ignore[arg-type]


def test_provenance_flags_a_hit_produced_for_another_tenant_or_meaning():
    made = _call(0, "miss", "run-1")
    own = _call(1, "hit", "run-1", start=2, end=2)
    assert foreign_hits([made, own]) == []
    assert not wrong_answers([made, own])
    leaked = _call(2, "hit", "run-1", tenant="globex", start=3, end=3)
    unknown = _call(3, "hit", "run-9", start=3, end=3)
    assert foreign_hits([made, own, leaked, unknown]) == [leaked, unknown]
    other = _call(4, "hit", "run-1", meaning="chile", start=4, end=4)
    assert wrong_answers([made, other]) == {"new": 1}


def test_expect_pattern_catches_a_trap_twin_served_the_other_answer():
    twins = trap_requests(2, seed=1, start=0, tenants=(None,))
    assert [r.kind for r in twins] == ["swapped_order"] * 4 + ["code_word"] * 4
    first, twin = twins[0], twins[2]
    assert first.meaning != twin.meaning
    assert first.text.split()[:2] == twin.text.split()[:2]
    emulated = {r.text: f"Good question about {key_phrase(r.text)}." for r in twins}
    assert all(re.search(r.expect, emulated[r.text]) for r in twins)  # each prompt's own answer passes
    assert not re.search(twin.expect, emulated[first.text])  # the twin's answer does not
    word, other = twins[4], twins[6]
    assert len(word.text.split(",")) > 25
    assert not re.search(other.expect, emulated[word.text])


def test_repeat_bills_are_sorted_by_cause_and_followers_are_not_billed():
    first = _call(0, "miss", "a", start=0, end=1)
    burst = _call(1, "miss", "b", start=0.5, end=1.5)
    follower = _call(2, "miss", "b", start=0.6, end=1.5)  # shares the answer of #1: one bill
    later = _call(3, "miss", "c", start=5, end=6)
    outage = _call(4, "miss", "d", start=10, end=11)
    assert len(billed_misses([first, burst, follower, later, outage])) == 4
    causes = repeat_bills(
        [first, burst, follower, later, outage], outages=[Window(9, 10.5)], full=[], coalescing=lambda o: False
    )
    assert causes == {"burst": 1, "other": 1, "redis_outage": 1}
    coalesced = repeat_bills([first, burst], outages=[], full=[], coalescing=lambda o: True)
    assert coalesced == {"burst_coalesced": 1}
    refused_store = _call(6, "miss", "f", start=30, end=31)  # answered while Redis refused writes
    asked_again = _call(7, "miss", "g", start=40, end=41)
    refused_lookup = _call(8, "miss", "h", start=32, end=33)  # a full Redis must still serve it
    full = [Window(30.5, 33.5)]
    assert repeat_bills([refused_store, asked_again], outages=[], full=full, coalescing=lambda o: False) == {
        "full_redis": 1
    }
    assert repeat_bills([first, refused_lookup], outages=[], full=full, coalescing=lambda o: False) == {"other": 1}
    lost = _call(5, "miss", "e", start=20, end=21, delivery="uncopied_scope")
    assert repeat_bills([first, lost], outages=[], full=[], coalescing=lambda o: False) == {"unscoped": 1}
