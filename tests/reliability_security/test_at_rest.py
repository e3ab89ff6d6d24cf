"""What Redis holds at rest, read back raw: hashed keys, no PII under ``skip_pii``, AES-GCM values.

Raw values are read with plain redis-py and inflated by hand when zlib-compressed, so a plaintext
check cannot be fooled by compression.
"""

from __future__ import annotations

import base64
import os
import re
import zlib
from collections.abc import Callable

import pytest
import redis
from langchain_core.globals import set_llm_cache
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration

from langchain_bedrock_routing import (
    CachePolicy,
    CorruptEntryError,
    HashingEmbeddings,
    RedisCache,
    RedisSemanticCache,
    RoutedChatBedrock,
)
from langchain_bedrock_routing.caching import CacheBase
from langchain_bedrock_routing.caching.envelope import EnvelopeCodec
from langchain_bedrock_routing.caching.pii import contains_pii
from langchain_bedrock_routing.emulator import BedrockEmulator

Router = Callable[..., RoutedChatBedrock]
KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()
PII = {
    "email": "jane.doe@example.com",
    "phone": "+1 415 555 0134",
    "card": "4111 1111 1111 1111",
    "ssn": "123-45-6789",
    "nino": "AB 12 34 56 C",
}
PII_PROMPTS = {
    "email": f"My email is {PII['email']}, which password manager should I use?",
    "phone": f"Call me at {PII['phone']} about the overdue invoice",
    "card": f"My card {PII['card']} was charged twice, what should I do?",
    "ssn": f"My SSN is {PII['ssn']}, which tax form do I need?",
    "nino": f"My National Insurance number is {PII['nino']}, how do I claim?",
}
QUESTIONS = [
    "Which pangolin species live in Borneo?",
    "How do narwhals use their tusks?",
    "Why do quokkas look like they are smiling?",
]
_EXACT_KEY = re.compile(rb"^lbr:exact:\{[0-9a-f]{64}\}$")
_SEMANTIC_KEY = re.compile(rb"^lbr:sem:\{[0-9a-f]{32}\}:(vset|order|r:[0-9a-f]{24})$")
_ENTRY_ID = re.compile(rb"^[0-9a-f]{24}$")


def readable(value: bytes) -> bytes:
    """``value`` plus its inflated body when it is an uncompressed-by-now plaintext envelope."""
    if value[:3] == b"LBR" and len(value) > 5 and value[4] == 1:
        return value + zlib.decompress(value[5:])
    return value


def raw_dump(client: redis.Redis) -> dict[bytes, list[bytes]]:
    """Every key with everything stored under it (string values, sorted-set and vector-set members)."""
    dump: dict[bytes, list[bytes]] = {}
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            dump[key] = [readable(client.get(key))]
        elif kind == b"zset":
            dump[key] = list(client.zrange(key, 0, -1))
        elif kind == b"vectorset":
            members = client.execute_command("VRANDMEMBER", key, int(client.execute_command("VCARD", key)))
            dump[key] = [*members, *(client.execute_command("VGETATTR", key, m) or b"" for m in members)]
        else:
            raise AssertionError(f"unexpected {kind!r} key {key!r}")
    return dump


def _string_values(client: redis.Redis) -> dict[bytes, bytes]:
    """Every string key (the answer envelopes) with its raw value."""
    return {key: client.get(key) for key in client.scan_iter(count=1000) if client.type(key) == b"string"}


def _everything(dump: dict[bytes, list[bytes]]) -> bytes:
    return b"\n".join(part for key, values in dump.items() for part in (key, *values))


def _caches(redis_url: str, **options: object) -> list[CacheBase]:
    return [
        RedisCache(redis_url=redis_url, **options),  # type: ignore[arg-type]
        RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, **options),  # type: ignore[arg-type]
    ]


def _run(llm: RoutedChatBedrock, cache: CacheBase, prompts: list[str], tenant: str | None = None) -> list[str]:
    set_llm_cache(cache)
    config = {"metadata": {"tenant_id": tenant}} if tenant else None
    return [str(llm.invoke(p, config=config).content) for p in prompts]


def test_the_pii_samples_are_pii():
    assert all(contains_pii(p) for p in PII_PROMPTS.values())


@pytest.mark.parametrize("kind", [0, 1], ids=["exact", "semantic"])
def test_pii_is_not_stored_when_the_policy_is_on(kind: int, redis_url: str, redis_client: redis.Redis, router: Router):
    cache = _caches(redis_url, policy=CachePolicy(skip_pii=True))[kind]
    _run(router(), cache, [*PII_PROMPTS.values(), QUESTIONS[0]])
    assert cache.stats.skipped == {"pii": len(PII)}
    assert cache.stats.stores == 1
    stored = _everything(raw_dump(redis_client))
    for value in PII.values():
        assert value.encode() not in stored
    # an answer with PII is not stored either, even for a clean prompt
    answer = AIMessage(f"Write to {PII['email']}", response_metadata={"stopReason": "end_turn"})
    cache.update(dumps([HumanMessage(QUESTIONS[1])]), "llm", [ChatGeneration(message=answer)])
    assert cache.stats.skipped == {"pii": len(PII) + 1}
    assert PII["email"].encode() not in _everything(raw_dump(redis_client))


def test_the_raw_dump_would_see_pii_stored_without_the_policy(redis_url: str, redis_client: redis.Redis):
    answer = AIMessage(f"Write to {PII['email']}", response_metadata={"stopReason": "end_turn"})
    for cache in _caches(redis_url):
        cache.update(dumps([HumanMessage(PII_PROMPTS["phone"])]), "llm", [ChatGeneration(message=answer)])
    stored = _everything(raw_dump(redis_client))
    assert stored.count(PII["email"].encode()) >= 2  # the answer, in both caches
    assert stored.count(PII["phone"].encode()) == 1  # the question: the semantic cache keeps it (the exact one a hash)


def test_keys_carry_hashes_not_prompt_or_tenant_text(redis_url: str, redis_client: redis.Redis, router: Router):
    secret_words = ["pangolin", "narwhal", "quokka", "Borneo", "acme-corp"]
    for cache in _caches(redis_url):
        _run(router(), cache, QUESTIONS)
        _run(router(), cache, QUESTIONS, tenant="acme-corp")
    dump = raw_dump(redis_client)
    assert len(dump) >= 8
    for key, values in dump.items():
        assert _EXACT_KEY.match(key) or _SEMANTIC_KEY.match(key), key
        if not key.endswith((b":vset", b":order")):
            continue
        # members are ids too; a vector's attribute is its question (plaintext, like an unencrypted envelope)
        assert all(_ENTRY_ID.match(member) or member.startswith(b'{"q":') for member in values if member), values
    keys = b"\n".join(dump).lower()
    for word in secret_words:
        assert word.lower().encode() not in keys


@pytest.mark.parametrize("kind", [0, 1], ids=["exact", "semantic"])
def test_encrypted_values_hold_no_plaintext_and_decrypt_only_with_the_key(
    kind: int, redis_url: str, redis_client: redis.Redis, router: Router
):
    cache = _caches(redis_url, encrypt=True, encryption_key=KEY)[kind]
    answers = _run(router(), cache, QUESTIONS)
    values = _string_values(redis_client)
    assert len(values) == len(QUESTIONS)
    blob = b"\n".join(values.values())
    for text in [*QUESTIONS, *answers, "pangolin", "narwhal", "quokka"]:
        assert text.encode() not in blob
        assert text[:12].encode() not in blob
    decrypted = []
    for key, value in values.items():
        assert value[:4] == b"LBR\x02"
        assert value[4] & 2  # the AES-GCM flag
        decrypted.append(EnvelopeCodec(encryption_key=KEY).decode(value, associated_data=key).generations[0].text)
        with pytest.raises(CorruptEntryError, match="fails authentication"):
            EnvelopeCodec(encryption_key=OTHER_KEY).decode(value, associated_data=key)
        with pytest.raises(CorruptEntryError, match="encrypted entry but no key configured"):
            EnvelopeCodec().decode(value, associated_data=key)
    assert sorted(decrypted) == sorted(answers)
    cache.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", [0, 1], ids=["exact", "semantic"])
@pytest.mark.parametrize("where", ["flags", "nonce", "ciphertext", "tag", "truncated"])
def test_tampered_ciphertext_is_a_counted_miss(
    kind: int, where: str, redis_url: str, redis_client: redis.Redis, router: Router, emulator: BedrockEmulator
):
    cache = _caches(redis_url, encrypt=True, encryption_key=KEY)[kind]
    llm = router()
    _run(llm, cache, [QUESTIONS[0]])
    ((key, raw),) = _string_values(redis_client).items()
    value = bytearray(raw)
    if where == "truncated":
        value = value[: len(value) // 2]
    else:
        position = {"flags": 4, "nonce": 8, "ciphertext": 5 + 12 + 3, "tag": len(value) - 1}[where]
        value[position] ^= 0x01
    redis_client.set(key, bytes(value))
    reply = llm.invoke(QUESTIONS[0])
    assert "cache" not in reply.response_metadata  # answered by the model
    assert cache.stats.corrupt == 1
    assert len(emulator.requests) == 2
    cache.close()  # type: ignore[attr-defined]


def test_an_encrypted_value_moved_to_another_key_does_not_decrypt(
    redis_url: str, redis_client: redis.Redis, router: Router
):
    cache = RedisCache(redis_url=redis_url, encrypt=True, encryption_key=KEY)
    llm = router()
    _run(llm, cache, QUESTIONS[:1], tenant="acme")
    (acme,) = redis_client.keys("lbr:exact:*")
    _run(llm, cache, QUESTIONS[:1], tenant="globex")
    (globex,) = set(redis_client.keys("lbr:exact:*")) - {acme}
    assert redis_client.exists(acme, globex) == 2
    redis_client.set(globex, redis_client.get(acme))  # an attacker with write access copies acme's entry
    reply = llm.invoke(QUESTIONS[0], config={"metadata": {"tenant_id": "globex"}})
    assert "cache" not in reply.response_metadata
    assert cache.stats.corrupt == 1
    cache.close()


def test_a_cache_with_another_key_or_none_serves_counted_misses(redis_url: str, router: Router):
    llm = router()
    _run(llm, RedisCache(redis_url=redis_url, encrypt=True, encryption_key=KEY), QUESTIONS[:1])
    for reader in (RedisCache(redis_url=redis_url, encryption_key=OTHER_KEY), RedisCache(redis_url=redis_url)):
        set_llm_cache(reader)
        assert "cache" not in llm.invoke(QUESTIONS[0]).response_metadata
        assert reader.stats.corrupt == 1
        reader.close()


def test_the_key_comes_from_the_environment(redis_url: str, monkeypatch: pytest.MonkeyPatch, router: Router):
    monkeypatch.delenv("LBR_CACHE_KEY", raising=False)
    with pytest.raises(ValueError, match=r"encryption requested but \$LBR_CACHE_KEY is not set"):
        RedisCache(redis_url=redis_url, encrypt=True)
    monkeypatch.setenv("LBR_CACHE_KEY", base64.b64encode(os.urandom(10)).decode())
    with pytest.raises(ValueError, match=r"\$LBR_CACHE_KEY decodes to 10 bytes; AES-GCM needs 16, 24 or 32"):
        RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, encrypt=True)
    monkeypatch.setenv("LBR_CACHE_KEY", KEY)
    cache = RedisCache(redis_url=redis_url, encrypt=True)
    llm = router()
    assert _run(llm, cache, [QUESTIONS[0]] * 2)
    assert cache.stats.hits == 1
    cache.close()
