"""An interrupted stream is never cached: the next identical call is a miss that reaches Bedrock (the emulator).

Real path: RoutedChatBedrock and CachingChatBedrockConverse with RedisCache on a real redis-server and with
InMemoryExactCache, through stream and astream; then a completed stream is stored and the third call is a hit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
from botocore.exceptions import EventStreamError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk

from langchain_bedrock_routing.caching import InMemoryExactCache, RedisCache
from langchain_bedrock_routing.caching.base import CacheBase
from langchain_bedrock_routing.converse import CachingChatBedrockConverse
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.errors import StreamInterruptedError
from langchain_bedrock_routing.routing import RoutedChatBedrock

from .conftest import NOVA_TIERS, fixed

MICRO = "amazon.nova-micro-v1:0"
PROMPT = "Describe, step by step, how TCP opens and closes a connection."


def _router(cache: CacheBase) -> BaseChatModel:
    return RoutedChatBedrock(tiers=NOVA_TIERS, classifier=fixed("simple", 0.1), region_name="us-east-1", cache=cache)


def _converse(cache: CacheBase) -> BaseChatModel:
    return CachingChatBedrockConverse(model=MICRO, region_name="us-east-1", cache=cache)


@pytest.fixture(params=["redis", "memory"])
def cache_and_count(request: pytest.FixtureRequest, redis_url: str) -> Iterator[tuple[CacheBase, Callable[[], int]]]:
    """The cache under test and a count of the entries it holds (Redis keys, or in-process entries)."""
    if request.param == "memory":
        memory = InMemoryExactCache()
        yield memory, lambda: len(memory)
        return
    cache = RedisCache(redis_url, ttl=60)
    client = redis.Redis.from_url(redis_url)
    yield cache, lambda: len(list(client.scan_iter("lbr:*")))
    client.close()
    cache.close()


async def _collect(
    model: BaseChatModel, use_async: bool, into: list[AIMessageChunk] | None = None
) -> list[AIMessageChunk]:
    """The streamed chunks, appended to ``into`` as they arrive (so a caller sees them if the stream fails)."""
    received = [] if into is None else into
    if use_async:
        async for chunk in model.astream(PROMPT):
            received.append(chunk)
    else:
        for chunk in model.stream(PROMPT):
            received.append(chunk)
    return received


@pytest.mark.parametrize(
    ("make_model", "raised"),
    [(_router, StreamInterruptedError), (_converse, EventStreamError)],
    ids=["RoutedChatBedrock", "CachingChatBedrockConverse"],
)
@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_an_interrupted_stream_leaves_no_entry_and_the_next_call_reaches_bedrock(
    emulator: BedrockEmulator,
    cache_and_count: tuple[CacheBase, Callable[[], int]],
    make_model: Callable[[CacheBase], BaseChatModel],
    raised: type[Exception],
    use_async: bool,
):
    cache, entries = cache_and_count
    model = make_model(cache)
    emulator.set_faults(stream_error="modelStreamErrorException", stream_error_after=2, stream_error_models=[MICRO])
    received: list[AIMessageChunk] = []
    with pytest.raises(raised, match="modelStreamErrorException"):
        await _collect(model, use_async, received)
    assert "".join(c.text for c in received).strip()
    assert entries() == 0
    emulator.set_faults()
    fresh = await _collect(model, use_async)
    assert len(emulator.requests) == 2
    assert "cache" not in fresh[-1].response_metadata
    assert entries() > 0
    replayed = await _collect(model, use_async)
    assert len(emulator.requests) == 2
    assert replayed[-1].response_metadata["cache"]["hit"] is True
    assert "".join(c.text for c in replayed) == "".join(c.text for c in fresh)
