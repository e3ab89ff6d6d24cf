"""Envelope round trips, refusal of anything corrupt, foreign or unsafe, and hit marking."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, Generation
from langchain_core.prompts import PromptTemplate

from langchain_bedrock_routing.caching import CorruptEntryError, mark_hit
from langchain_bedrock_routing.caching.envelope import (
    EnvelopeCodec,
    decode_generations,
    encode_generations,
    usage_meta,
)

USAGE = {"input_tokens": 40, "output_tokens": 8, "total_tokens": 48}


def _chat_gen(text: str = "Paris.") -> ChatGeneration:
    return ChatGeneration(message=AIMessage(text, usage_metadata=USAGE, response_metadata={"model_id": "m1"}))


def test_round_trip_keeps_generations_meta_and_creation_time():
    gens = [_chat_gen(), Generation(text="plain", generation_info={"k": 1})]
    blob = encode_generations(gens, meta={"question": "capital of France?"})
    decoded, meta = decode_generations(blob)
    assert decoded == gens
    assert meta["question"] == "capital of France?"
    assert meta["created_at"] > 0


@given(text=st.text(max_size=3000), compress=st.booleans(), encrypt=st.booleans())
def test_round_trip_for_any_text(text: str, compress: bool, encrypt: bool):
    codec = EnvelopeCodec(compress=compress, encryption_key=b"k" * 16 if encrypt else None)
    entry = codec.decode(codec.encode([_chat_gen(text)], associated_data=b"key"), associated_data=b"key")
    assert entry.generations[0].text == text


def test_usage_meta_prices_a_later_hit():
    assert usage_meta([_chat_gen(), _chat_gen()]) == {
        "usage": {"input_tokens": 80, "output_tokens": 16, "total_tokens": 96},
        "model": "m1",
    }


def _body(generations_json: str) -> bytes:
    return b"LBR\x01\x00" + json.dumps({"created_at": 1.0, "meta": {}, "generations": generations_json}).encode()


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "not a langchain-bedrock-routing cache entry"),
        (b"\x80\x04pickle", "not a langchain-bedrock-routing cache entry"),
        (b"LBR\x02\x00{}", "envelope version 2"),
        (b"LBR\x01\x00{not json", "unreadable entry body"),
        (b"LBR\x01\x01" + zlib.compress(b"x" * 10)[:-3], "truncated"),
        (b"LBR\x01\x01not zlib", "bad zlib data"),
        (b"LBR\x01\x02" + b"\x00" * 40, "no key configured"),
        (_body(dumps([HumanMessage("hi")])), "unreadable entry body"),  # not an allowed class
        (_body(dumps(PromptTemplate.from_template("{x}"))), "unreadable entry body"),
        (_body(json.dumps({"lc": 1, "type": "secret", "id": ["AWS_SECRET_ACCESS_KEY"]})), "wrong shape"),
        (_body(json.dumps([1, 2])), "not generations"),
    ],
)
def test_corrupt_or_foreign_values_raise_corrupt_entry_error(blob: bytes, message: str):
    with pytest.raises(CorruptEntryError, match=message):
        EnvelopeCodec().decode(blob)


def test_decompression_bomb_is_refused():
    bomb = b"LBR\x01\x01" + zlib.compress(b"0" * (65 * 1024 * 1024), 1)
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
