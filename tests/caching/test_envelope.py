"""Envelope round trips, refusal of anything corrupt, foreign or unsafe, and hit marking."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, Generation, GenerationChunk
from langchain_core.prompts import PromptTemplate

from langchain_bedrock_routing.caching import CorruptEntryError
from langchain_bedrock_routing.caching.envelope import (
    EnvelopeCodec,
    mark_hit,
    usage_meta,
)

USAGE = {"input_tokens": 40, "output_tokens": 8, "total_tokens": 48}


def _chat_gen(text: str = "Paris.") -> ChatGeneration:
    return ChatGeneration(message=AIMessage(text, usage_metadata=USAGE, response_metadata={"model_id": "m1"}))


def test_round_trip_keeps_generations_meta_and_creation_time():
    gens = [_chat_gen(), Generation(text="plain", generation_info={"k": 1})]
    codec = EnvelopeCodec()
    entry = codec.decode(codec.encode(gens, meta={"question": "capital of France?"}))
    assert entry.generations == gens
    assert entry.meta["question"] == "capital of France?"
    assert entry.created_at > 0


@given(text=st.text(max_size=3000), compress=st.booleans(), encrypt=st.booleans())
def test_round_trip_for_any_text(text: str, compress: bool, encrypt: bool):
    codec = EnvelopeCodec(compress=compress, encryption_key=b"k" * 16 if encrypt else None)
    entry = codec.decode(codec.encode([_chat_gen(text)], associated_data=b"key"), associated_data=b"key")
    assert entry.generations[0].text == text


def test_expiry_time_round_trips_and_ends_the_entry():
    codec = EnvelopeCodec()
    entry = codec.decode(codec.encode([_chat_gen()], created_at=100.0, ttl_s=60))
    assert entry.expires_at == 160.0
    assert not entry.expired(now=159.9)
    assert entry.expired(now=160.0)
    assert codec.decode(codec.encode([_chat_gen()])).expires_at is None
    assert not codec.decode(codec.encode([_chat_gen()], created_at=0.0)).expired()


@pytest.mark.parametrize("memo_entries", [0, 1, 256])
def test_each_decode_returns_the_callers_own_objects(memo_entries: int):
    gen = ChatGeneration(
        message=AIMessage(
            [{"type": "text", "text": "Paris."}],
            usage_metadata=USAGE,
            response_metadata={"model_id": "m1"},
            tool_calls=[{"name": "lookup", "args": {"q": "x"}, "id": "t1"}],
        ),
        generation_info={"finish": "stop"},
    )
    codec = EnvelopeCodec(memo_entries=memo_entries)
    blob = codec.encode([gen])
    first = codec.decode(blob).generations[0]
    assert isinstance(first, ChatGeneration)
    first.message.response_metadata["cache"] = {"hit": True}
    first.message.content.append({"type": "text", "text": "changed"})  # type: ignore[union-attr]
    first.message.tool_calls.clear()  # type: ignore[attr-defined]
    first.message.usage_metadata["total_tokens"] = 0  # type: ignore[index]
    first.generation_info["finish"] = "changed"  # type: ignore[index]
    assert codec.decode(blob).generations == [gen]


def test_memo_is_keyed_by_bytes_and_associated_data():
    codec = EnvelopeCodec(encryption_key=b"k" * 16, memo_entries=2)
    blob = codec.encode([_chat_gen("one")], associated_data=b"key-1")
    assert codec.decode(blob, associated_data=b"key-1").generations[0].text == "one"
    with pytest.raises(CorruptEntryError, match="authentication"):
        codec.decode(blob, associated_data=b"key-2")
    others = [codec.encode([_chat_gen(f"other {i}")]) for i in range(3)]
    assert [codec.decode(other).generations[0].text for other in others] == ["other 0", "other 1", "other 2"]
    assert codec.decode(blob, associated_data=b"key-1").generations[0].text == "one"


@pytest.mark.parametrize("memo_entries", [-1, 1.5, True, "8"])
def test_bad_memo_size_is_refused(memo_entries: object):
    with pytest.raises(ValueError, match="memo_entries"):
        EnvelopeCodec(memo_entries=memo_entries)  # type: ignore[arg-type]


def test_usage_meta_prices_a_later_hit():
    assert usage_meta([_chat_gen(), _chat_gen()]) == {
        "usage": {"input_tokens": 80, "output_tokens": 16, "total_tokens": 96},
        "model": "m1",
    }


def _body(generations: object, meta: object = None, version: int = 2) -> bytes:
    doc = {"created_at": 1.0, "meta": {} if meta is None else meta, "generations": generations}
    return b"LBR" + bytes([version, 0]) + json.dumps(doc).encode()


def _ai_fields(**message: object) -> dict[str, object]:
    return {"cls": "ChatGeneration", "info": None, "message": {"type": "ai", "content": "hi", **message}}


_CONSTRUCTOR = json.loads(dumps(PromptTemplate.from_template("{x}")))


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "not a langchain-bedrock-routing cache entry"),
        (b"\x80\x04pickle", "not a langchain-bedrock-routing cache entry"),
        (_body(dumps([_chat_gen()]), version=1), "envelope version 1, this library reads 2"),  # a v1 entry
        (b"LBR\x09\x00{}", "envelope version 9"),
        (b"LBR\x02\x00{not json", "unreadable entry body"),
        (b"LBR\x02\x01" + zlib.compress(b"x" * 10)[:-3], "truncated"),
        (b"LBR\x02\x01not zlib", "bad zlib data"),
        (b"LBR\x02\x02" + b"\x00" * 40, "no key configured"),
        (_body(dumps([_chat_gen()])), "unreadable entry body"),  # v1 generations text under a v2 header
        (_body([{**_ai_fields(), "message": HumanMessage("hi").model_dump()}]), "message type 'human' is not one"),
        (_body([{**_ai_fields(), "message": {**_CONSTRUCTOR, "type": "constructor"}}]), "message type 'constructor'"),
        (_body([{"cls": "PromptTemplate", "info": None, "text": "x"}]), "generation class 'PromptTemplate' is not one"),
        (_body([{**_ai_fields(), "cls": "ChatGenerationChunk"}]), "unreadable entry body"),  # needs a chunk
        (_body([{"cls": "Generation", "info": None}]), "unreadable entry body"),  # no text
        (_body([{"cls": "Generation", "info": None, "text": 5}]), "unreadable entry body"),
        (_body([{"cls": "Generation", "info": [1], "text": "x"}]), "unreadable entry body"),
        (_body([_ai_fields(content=7)]), "unreadable entry body"),
        (_body([_ai_fields(usage_metadata={"input_tokens": "many"})]), "unreadable entry body"),
        (_body([{"cls": "ChatGeneration", "info": None}]), "unreadable entry body"),  # no message
        (_body([1, 2]), "unreadable entry body"),
        (_body({"lc": 1, "type": "secret", "id": ["AWS_SECRET_ACCESS_KEY"]}), "unreadable entry body"),
        (_body([], meta=[1]), "wrong shape"),
    ],
)
def test_corrupt_or_foreign_values_raise_corrupt_entry_error(blob: bytes, message: str):
    with pytest.raises(CorruptEntryError, match=message):
        EnvelopeCodec().decode(blob)


def test_every_generation_class_round_trips_and_serialized_objects_stay_plain_data():
    gens = [
        _chat_gen(),
        ChatGenerationChunk(message=AIMessageChunk("part", response_metadata={"x": _CONSTRUCTOR})),
        Generation(text="plain", generation_info={"k": 1}),
        GenerationChunk(text="chunk"),
    ]
    codec = EnvelopeCodec()
    decoded = codec.decode(codec.encode(gens)).generations
    assert decoded == gens
    assert [type(g) for g in decoded] == [type(g) for g in gens]
    assert decoded[1].message.response_metadata["x"] == _CONSTRUCTOR  # a dict, never revived


def test_decompression_bomb_is_refused():
    bomb = b"LBR\x02\x01" + zlib.compress(b"0" * (65 * 1024 * 1024), 1)
    with pytest.raises(CorruptEntryError, match="larger than"):
        EnvelopeCodec().decode(bomb)


def test_encryption_refuses_plaintext_tampering_and_the_wrong_key():
    secure = EnvelopeCodec(encryption_key=b"a" * 32)
    blob = secure.encode([_chat_gen("secret")])
    assert b"secret" not in blob
    with pytest.raises(CorruptEntryError, match="plaintext entry"):
        secure.decode(EnvelopeCodec().encode([_chat_gen()]))
    with pytest.raises(CorruptEntryError, match="fails authentication"):
        EnvelopeCodec(encryption_key=b"b" * 32).decode(blob)
    with pytest.raises(CorruptEntryError, match="fails authentication"):
        secure.decode(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(CorruptEntryError, match="fails authentication"):
        secure.decode(blob, associated_data=b"another key")


def test_mark_hit_marks_copies_and_keeps_usage():
    original = _chat_gen()
    (marked, plain) = mark_hit([original, Generation(text="x")], "semantic", similarity=0.93, age_s=12.34567)
    assert marked.message.response_metadata["cache"] == {
        "hit": True,
        "kind": "semantic",
        "similarity": 0.93,
        "age_s": 12.346,
    }
    assert marked.message.response_metadata["model_id"] == "m1"
    assert marked.message.usage_metadata == USAGE
    assert "cache" not in original.message.response_metadata
    assert plain == Generation(text="x")


def test_mark_hit_without_copy_marks_fresh_objects_in_place():
    fresh = _chat_gen()
    (marked,) = mark_hit([fresh], "exact", similarity=1.0, copy=False)
    assert marked is fresh
    assert fresh.message.response_metadata == {
        "model_id": "m1",
        "cache": {"hit": True, "kind": "exact", "similarity": 1.0, "age_s": 0.0},
    }
