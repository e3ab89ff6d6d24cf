"""Property tests (hypothesis): partitions and keys are injective in everything an answer depends on,
tenants never share entries, and cache envelopes round-trip any AI message exactly.

Extends ``tests/caching_semantic/test_partition.py`` (fixed alphabets, fixed scope strings) to
arbitrary unicode text and arbitrary (cache tenant, request tenant) pairs built the way the caches
build them.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, Generation, GenerationChunk

from langchain_bedrock_routing import (
    CorruptEntryError,
    HashingEmbeddings,
    InMemoryExactCache,
    InMemorySemanticCache,
    RedisCache,
    RedisSemanticCache,
    cache_scope,
)
from langchain_bedrock_routing.caching.base import CacheBase
from langchain_bedrock_routing.caching.context import RequestCacheContext, tenant_scope
from langchain_bedrock_routing.caching.envelope import EnvelopeCodec
from langchain_bedrock_routing.caching.keys import exact_key
from langchain_bedrock_routing.caching.partition import partition_id, split_prompt

_text = st.text(min_size=1, max_size=20).filter(str.strip)
_tenant_id = st.text(alphabet=st.sampled_from("ab:|{}*\n0 1\u0430\u00e9"), min_size=1, max_size=6)
_tenant = st.none() | _tenant_id
_request = st.fixed_dictionaries(
    {
        "llm": st.sampled_from(["model-a", "model-b"]),
        "tools": st.sampled_from([(), ("search",), ("search", "calc")]),
        "system": st.none() | _text,
        "history": st.lists(st.tuples(st.booleans(), _text), max_size=3),
        "cache_tenant": _tenant,
        "request_tenant": _tenant,
        "question": _text,
    }
)
_PARTITION_FIELDS = ("llm", "tools", "system", "history", "cache_tenant", "request_tenant")


def _messages(request: dict[str, Any]) -> list[BaseMessage]:
    system: list[BaseMessage] = [SystemMessage(request["system"])] if request["system"] is not None else []
    history = [HumanMessage(t) if human else AIMessage(t) for human, t in request["history"]]
    return [*system, *history, HumanMessage(request["question"])]


def _llm_string(request: dict[str, Any]) -> str:
    return f"{request['llm']}---[('tools', {list(request['tools'])!r})]"


def _scope(request: dict[str, Any]) -> str:
    return tenant_scope(request["cache_tenant"], RequestCacheContext(tenant=request["request_tenant"]))


def _partition(request: dict[str, Any]) -> str:
    return partition_id(_llm_string(request), split_prompt(dumps(_messages(request))).context, _scope(request))


def _exact(request: dict[str, Any]) -> str:
    return exact_key(
        "lbr", llm_string=_llm_string(request), prompt=dumps(_messages(request)), tenant_scope=_scope(request)
    )


@settings(max_examples=400, deadline=None)
@given(_request, _request)
def test_same_partition_iff_same_llm_string_system_history_tools_and_tenants(a: dict[str, Any], b: dict[str, Any]):
    assert (_partition(a) == _partition(b)) == all(a[k] == b[k] for k in _PARTITION_FIELDS)


@settings(max_examples=400, deadline=None)
@given(_request, _request)
def test_same_exact_key_iff_same_everything(a: dict[str, Any], b: dict[str, Any]):
    assert (_exact(a) == _exact(b)) == all(a[k] == b[k] for k in (*_PARTITION_FIELDS, "question"))


@settings(max_examples=200, deadline=None)
@given(_request, _text, _text)
def test_moving_text_across_a_turn_boundary_changes_the_partition(base: dict[str, Any], left: str, right: str):
    """Same concatenated text, split differently between two turns: never the same partition."""
    a = {**base, "history": [(True, left), (False, right + "ok")]}
    b = {**base, "history": [(True, left + right), (False, "ok")]}
    assert _partition(a) != _partition(b)
    assert _exact(a) != _exact(b)


def _answer(text: str) -> list[Generation]:
    message = AIMessage(text, response_metadata={"stopReason": "end_turn"})
    return [ChatGeneration(message=message)]


def _isolation(cache: CacheBase, question: str, owner: str, other: str) -> None:
    prompt = dumps([HumanMessage(question)])
    with cache_scope(tenant=owner):
        cache.update(prompt, "llm", _answer(f"for {owner}"))
    with cache_scope(tenant=other):
        assert cache.lookup(prompt, "llm") is None
    with cache_scope(tenant=owner):
        served = cache.lookup(prompt, "llm")
        assert served is not None
        assert served[0].text == f"for {owner}"


_distinct_tenants = st.lists(_tenant_id, min_size=2, max_size=2, unique=True).map(tuple)


@settings(max_examples=150, deadline=None)
@given(question=_text, tenants=_distinct_tenants)
def test_in_process_caches_never_serve_another_tenant(question: str, tenants: tuple[str, str]):
    for cache in (InMemoryExactCache(), InMemorySemanticCache(HashingEmbeddings())):
        _isolation(cache, question, *tenants)


@pytest.mark.parametrize("kind", ["exact", "semantic"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=_text, tenants=_distinct_tenants)
def test_redis_caches_never_serve_another_tenant(kind: str, redis_url: str, question: str, tenants: tuple[str, str]):
    cache = (
        RedisCache(redis_url=redis_url)
        if kind == "exact"
        else RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url)
    )
    cache.clear()
    _isolation(cache, question, *tenants)
    cache.close()


_json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
_json = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_tool_call = st.builds(
    lambda name, args, i: {"name": name, "args": args, "id": f"call_{i}", "type": "tool_call"},
    st.text(alphabet="abcdefgh_", min_size=1, max_size=10),
    st.dictionaries(st.text(max_size=8), _json, max_size=3),
    st.integers(0, 10**6),
)
_usage = st.builds(
    lambda i, o, r, w: {
        "input_tokens": i + r + w, "output_tokens": o, "total_tokens": i + r + w + o,
        "input_token_details": {"cache_read": r, "cache_creation": w},
    },
    *(st.integers(0, 10**7) for _ in range(4)),
)  # fmt: skip
_content = st.text(max_size=200) | st.lists(
    st.builds(lambda t: {"type": "text", "text": t}, st.text(max_size=50)), max_size=3
)
_ai_message = st.builds(
    AIMessage,
    content=_content,
    tool_calls=st.lists(_tool_call, max_size=2),
    usage_metadata=st.none() | _usage,
    response_metadata=st.dictionaries(st.text(max_size=10), _json, max_size=4),
    id=st.none() | st.text(max_size=12),
)
_generation_info = st.none() | st.dictionaries(st.text(max_size=6), _json, max_size=2)
_generation = (
    st.builds(ChatGeneration, message=_ai_message, generation_info=_generation_info)
    | st.builds(
        ChatGenerationChunk,
        message=st.builds(
            AIMessageChunk,
            content=_content,
            usage_metadata=st.none() | _usage,
            response_metadata=st.dictionaries(st.text(max_size=10), _json, max_size=4),
        ),
        generation_info=_generation_info,
    )
    | st.builds(Generation, text=st.text(max_size=50), generation_info=_generation_info)
    | st.builds(GenerationChunk, text=st.text(max_size=50))
)


@settings(max_examples=300, deadline=None)
@given(
    generations=st.lists(_generation, min_size=1, max_size=3),
    meta=st.dictionaries(st.text(max_size=8), _json, max_size=3),
    compress=st.booleans(),
    encrypt=st.booleans(),
    associated=st.binary(max_size=40),
)
def test_envelope_round_trips_any_ai_message(
    generations: list[Generation], meta: dict[str, Any], compress: bool, encrypt: bool, associated: bytes
):
    codec = EnvelopeCodec(compress=compress, encryption_key=b"k" * 32 if encrypt else None)
    entry = codec.decode(
        codec.encode(generations, meta=meta, created_at=12.5, associated_data=associated), associated_data=associated
    )
    assert entry.generations == generations
    assert entry.meta == meta
    assert entry.created_at == 12.5


@settings(max_examples=200, deadline=None)
@given(generations=st.lists(_generation, min_size=1, max_size=2), compress=st.booleans(), data=st.data())
def test_any_changed_byte_of_an_encrypted_entry_is_refused(
    generations: list[Generation], compress: bool, data: st.DataObject
):
    codec = EnvelopeCodec(compress=compress, encryption_key=b"k" * 32)
    blob = bytearray(codec.encode(generations, created_at=1.0, associated_data=b"lbr:exact:{k}"))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CorruptEntryError):
        codec.decode(bytes(blob), associated_data=b"lbr:exact:{k}")
