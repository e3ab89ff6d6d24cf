"""Adversarial tenant isolation: no tenant is ever served another tenant's answer, whatever its id.

Every test runs on the four caches (exact / semantic, in process / Redis 8).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration

from langchain_bedrock_routing import RoutedChatBedrock, cache_scope
from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import CacheFactory

QUESTION = "What is the capital of France?"
PARAPHRASE = "Can you tell me the capital of France?"
LLM = "routed-llm-string"
LOOK_ALIKE = "\u0430cme"  # Cyrillic a: renders like "acme"

CRAFTED = [
    "acme",
    LOOK_ALIKE,
    "ACME",
    "acme ",
    "acme\u200b",  # zero-width space
    "a:b",
    "a",
    "b:c",
    "{acme}",
    "*",
    "lbr:*",
    "a\nb",
    "|",
    "a|",
    "1:a|",  # the shape of an internal scope string
    "0:|a",
    "t" * 10_000,
    "t" * 9_999,
    "🙂",
]


def _prompt(text: str) -> str:
    return dumps([HumanMessage(text)])


def _answer(text: str) -> list[ChatGeneration]:
    message = AIMessage(text, response_metadata={"stopReason": "end_turn"}, usage_metadata={
        "input_tokens": 7, "output_tokens": 3, "total_tokens": 10})  # fmt: skip
    return [ChatGeneration(message=message)]


def _served(cache_lookup: list[ChatGeneration] | None) -> str | None:
    return None if cache_lookup is None else cache_lookup[0].text


def test_crafted_tenant_ids_each_get_only_their_own_answer(make_any_cache: CacheFactory):
    cache = make_any_cache()
    for tenant in CRAFTED:
        with cache_scope(tenant=tenant):
            cache.update(_prompt(QUESTION), LLM, _answer(f"answer for {tenant!r}"))
    with cache_scope():
        assert _served(cache.lookup(_prompt(QUESTION), LLM)) is None  # no tenant: the shared scope is empty
    for tenant in CRAFTED:
        with cache_scope(tenant=tenant):
            assert _served(cache.lookup(_prompt(QUESTION), LLM)) == f"answer for {tenant!r}"
            if make_any_cache.kind == "semantic":  # type: ignore[attr-defined]
                assert _served(cache.lookup(_prompt(PARAPHRASE), LLM)) == f"answer for {tenant!r}"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # (cache-level tenant, request tenant, prompt): naive concatenation would make these pairs equal
        ((None, "a:b", "c"), (None, "a", "b:c")),
        (("a:b", "c", "q"), ("a", "b:c", "q")),
        (("a|", "b", "q"), ("a", "|b", "q")),
        (("x", None, "q"), (None, "x", "q")),
        (("1:a", None, "q"), (None, "1:a", "q")),
    ],
)
def test_ids_that_collide_when_concatenated_naively_stay_apart(
    make_any_cache: CacheFactory, first: tuple[str | None, str | None, str], second: tuple[str | None, str | None, str]
):
    caches = {}
    for cache_tenant, request_tenant, prompt in (first, second):
        cache = caches.setdefault(cache_tenant, make_any_cache(tenant=cache_tenant))
        with cache_scope(tenant=request_tenant):
            cache.update(_prompt(prompt), LLM, _answer(f"{cache_tenant}/{request_tenant}/{prompt}"))
    for cache_tenant, request_tenant, prompt in (first, second):
        with cache_scope(tenant=request_tenant):
            served = _served(caches[cache_tenant].lookup(_prompt(prompt), LLM))
        assert served == f"{cache_tenant}/{request_tenant}/{prompt}"


@pytest.mark.parametrize("bad", ["", 42, b"acme"])
def test_empty_or_non_string_tenant_is_refused(
    bad: object, make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    with pytest.raises(ValueError, match="tenant must be a non-empty string or None, got"):
        make_any_cache(tenant=bad)
    with pytest.raises(ValueError, match="tenant must be a non-empty string or None"), cache_scope(tenant=bad):  # type: ignore[arg-type]
        pass
    set_llm_cache(make_any_cache())
    with pytest.raises(ValueError, match=r'config\["metadata"\]\["tenant_id"\] must be a non-empty string or None'):
        router().invoke(QUESTION, config={"metadata": {"tenant_id": bad}})
    assert len(emulator.requests) == 0


def test_near_duplicate_questions_across_tenants_never_share_an_answer(
    make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    set_llm_cache(make_any_cache())
    llm = router()

    def ask(question: str, tenant: str) -> bool:
        reply = llm.invoke(question, config={"metadata": {"tenant_id": tenant}})
        return bool(reply.response_metadata.get("cache", {}).get("hit"))

    assert ask(QUESTION, "acme") is False
    assert ask(QUESTION, LOOK_ALIKE) is False  # a look-alike tenant
    assert ask(PARAPHRASE, "globex") is False
    assert ask(QUESTION, "globex") is (make_any_cache.kind == "semantic")  # type: ignore[attr-defined]
    assert ask(QUESTION, "acme") is True
    assert len(emulator.requests) == (3 if make_any_cache.kind == "semantic" else 4)  # type: ignore[attr-defined]


def test_a_scope_and_run_metadata_naming_different_tenants_fail_before_any_call(
    make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    set_llm_cache(make_any_cache())
    with cache_scope(tenant="acme"), pytest.raises(ValueError, match="conflicting cache tenants for one request"):
        router().invoke(QUESTION, config={"metadata": {"tenant_id": "globex"}})
    assert len(emulator.requests) == 0


async def test_async_calls_keep_tenants_apart(
    make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    set_llm_cache(make_any_cache())
    llm = router()
    for tenant in ("acme", "a:b", "a"):
        reply = await llm.ainvoke(QUESTION, config={"metadata": {"tenant_id": tenant}})
        assert "cache" not in reply.response_metadata
    reply = await llm.ainvoke(QUESTION, config={"metadata": {"tenant_id": "a:b"}})
    assert reply.response_metadata["cache"]["hit"] is True
    assert len(emulator.requests) == 3
