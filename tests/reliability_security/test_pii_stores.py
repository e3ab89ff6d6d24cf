"""``skip_pii`` end to end: the formats issue 12 found stored are never stored, in any cache or call path.

Each prompt goes through a :class:`RoutedChatBedrock` on the emulator (whose answers repeat the prompt's
words, so the answer carries the PII too) by ``invoke``, ``ainvoke`` or ``stream``. Redis is then
saved to an uncompressed RDB file and that file is searched byte for byte: it holds every key, answer
envelope (the caches are built with ``compress=False``), vector-set element and attribute.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from langchain_bedrock_routing import (
    CachePolicy,
    HashingEmbeddings,
    InMemoryExactCache,
    InMemorySemanticCache,
    RedisCache,
    RedisSemanticCache,
    RoutedChatBedrock,
)
from langchain_bedrock_routing.caching import CacheBase
from langchain_bedrock_routing.emulator import BedrockEmulator

NOVA = {"simple": ["amazon.nova-micro-v1:0"], "medium": ["amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}
ISSUE_12_FORMATS = [
    (str(row["label"]), str(row["value"]))
    for row in map(
        json.loads, (Path(__file__).parents[1] / "data" / "pii_issue12.jsonl").read_text("utf-8").splitlines()
    )
]
"""The formats issue 12 listed (non-ASCII and IDN e-mails, fullwidth at sign, spaced and bare phone numbers,
spaced and bare SSNs, lowercase NINOs) with the classic ones, as ``(label, value)``."""
PATHS = ["invoke", "ainvoke", "stream"]
CacheMaker = Callable[..., CacheBase]


def prompt(index: int, label: str, value: str) -> str:
    """The question for one format; ``marker{index}`` is a plain word that shows whether anything was stored."""
    return f"My {label} is {value}, please help me fill in form marker{index}."


def encodings(value: str) -> list[bytes]:
    """The byte forms ``value`` could be stored in: UTF-8 as written, NFKC-normalised, JSON-escaped."""
    forms = {value, unicodedata.normalize("NFKC", value)}
    return list({enc for form in forms for enc in (form.encode(), json.dumps(form)[1:-1].encode())})


def rdb_bytes(client: redis.Redis) -> bytes:
    """Everything the server holds, as an uncompressed RDB snapshot (keys, strings, vector sets with attributes)."""
    client.config_set("rdbcompression", "no")
    client.save()
    config = client.config_get("dir") | client.config_get("dbfilename")
    return (Path(config["dir"]) / config["dbfilename"]).read_bytes()


async def ask(llm: RoutedChatBedrock, path: str, text: str) -> str:
    """The answer to ``text`` asked through ``path`` (``invoke``, ``ainvoke`` or ``stream``)."""
    if path == "invoke":
        return str(llm.invoke(text).content)
    if path == "ainvoke":
        return str((await llm.ainvoke(text)).content)
    return "".join(str(chunk.content) for chunk in llm.stream(text))


@pytest.fixture(params=["exact-redis", "semantic-redis"])
def redis_cache(request: pytest.FixtureRequest, redis_url: str) -> CacheMaker:
    """A factory of one of the two Redis caches, values uncompressed so the RDB shows them as stored."""
    if request.param == "exact-redis":
        return lambda **kw: RedisCache(redis_url=redis_url, compress=False, **kw)
    return lambda **kw: RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, compress=False, **kw)


@pytest.mark.parametrize("path", PATHS)
async def test_no_issue_12_format_reaches_redis(
    path: str, redis_cache: CacheMaker, redis_client: redis.Redis, emulator: BedrockEmulator
):
    cache = redis_cache(policy=CachePolicy(skip_pii=True))
    llm = RoutedChatBedrock(endpoint_url=emulator.endpoint_url, region_name="us-east-1", tiers=NOVA, cache=cache)
    for index, (label, value) in enumerate(ISSUE_12_FORMATS):
        await ask(llm, path, prompt(index, label, value))
    dump = rdb_bytes(redis_client)
    leaked = [v for i, (_, v) in enumerate(ISSUE_12_FORMATS) if f"marker{i}".encode() in dump]
    leaked += [v for _, v in ISSUE_12_FORMATS if any(form in dump for form in encodings(v))]
    assert leaked == []
    assert cache.stats.skipped == {"pii": len(ISSUE_12_FORMATS)}
    assert cache.stats.stores == 0


async def test_the_rdb_search_sees_a_stored_prompt_and_answer(
    redis_cache: CacheMaker, redis_client: redis.Redis, emulator: BedrockEmulator
):
    """The control: without ``skip_pii`` the same search finds every answer (both caches) and every question
    (the semantic cache keeps it in the vector-set attribute), so the test above can fail."""
    cache = redis_cache()
    llm = RoutedChatBedrock(endpoint_url=emulator.endpoint_url, region_name="us-east-1", tiers=NOVA, cache=cache)
    samples = [0, 5, 9, 19, 21]  # non-ASCII e-mail, fullwidth at sign, spaced phone, bare SSN, lowercase NINO
    answers = [await ask(llm, "invoke", prompt(i, *ISSUE_12_FORMATS[i])) for i in samples]
    dump = rdb_bytes(redis_client)
    assert all(any(form in dump for form in encodings(answer)) for answer in answers)
    if isinstance(cache, RedisSemanticCache):
        assert all(f"marker{i}".encode() in dump for i in samples)
        assert all(any(form in dump for form in encodings(ISSUE_12_FORMATS[i][1])) for i in samples)


@pytest.mark.parametrize("make", [InMemoryExactCache, lambda **kw: InMemorySemanticCache(HashingEmbeddings(), **kw)])
@pytest.mark.parametrize("path", PATHS)
async def test_no_issue_12_format_is_kept_in_process(path: str, make: CacheMaker, emulator: BedrockEmulator):
    cache = make(policy=CachePolicy(skip_pii=True))
    llm = RoutedChatBedrock(endpoint_url=emulator.endpoint_url, region_name="us-east-1", tiers=NOVA, cache=cache)
    for index, (label, value) in enumerate(ISSUE_12_FORMATS):
        await ask(llm, path, prompt(index, label, value))
        await ask(llm, path, prompt(index, label, value))  # asked again: a miss, since nothing was kept
    assert cache.stats.skipped == {"pii": 2 * len(ISSUE_12_FORMATS)}
    assert (cache.stats.stores, cache.stats.hits) == (0, 0)
