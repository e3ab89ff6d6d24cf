"""get_bedrock_stats_callback counts what inherits its context, and shows what it could not see.

Real chat models on the emulator: LangChain's batch (copies the context), a plain ThreadPoolExecutor with
and without ``contextvars.copy_context().run``, and a request outside any block.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from langchain_aws import ChatBedrockConverse

from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback
from langchain_bedrock_routing.emulator import BedrockEmulator

NOVA = "amazon.nova-micro-v1:0"
QUESTIONS = [f"Name {n} prime numbers." for n in range(1, 6)]


def _chat() -> ChatBedrockConverse:
    return ChatBedrockConverse(model=NOVA, region_name="us-east-1")


def test_batch_and_copied_contexts_are_counted(emulator: BedrockEmulator):
    chat = _chat()
    with get_bedrock_stats_callback() as stats, ThreadPoolExecutor(3) as pool:
        chat.batch(QUESTIONS, config={"max_concurrency": 3})
        futures = [pool.submit(contextvars.copy_context().run, partial(chat.invoke, q)) for q in QUESTIONS]
        assert all(f.result().content for f in futures)
    assert stats.requests == 2 * len(QUESTIONS) == len(emulator.requests)
    assert stats.outside_requests == 0


def test_a_plain_thread_is_not_counted_but_shows_as_outside(emulator: BedrockEmulator):
    chat = _chat()
    with get_bedrock_stats_callback() as stats, ThreadPoolExecutor(3) as pool:
        chat.invoke(QUESTIONS[0])
        assert all(reply.content for reply in pool.map(chat.invoke, QUESTIONS))
    assert len(emulator.requests) == 1 + len(QUESTIONS)
    assert stats.requests == 1
    assert stats.outside_requests == len(QUESTIONS)


def test_nested_blocks_and_requests_after_the_block_are_not_outside(emulator: BedrockEmulator):
    chat = _chat()
    with get_bedrock_stats_callback() as outer:
        with get_bedrock_stats_callback() as inner:
            chat.invoke(QUESTIONS[0])
        chat.invoke(QUESTIONS[1])
    chat.invoke(QUESTIONS[2])
    assert (outer.requests, inner.requests) == (2, 1)
    assert outer.outside_requests == inner.outside_requests == 0


def test_a_request_in_another_block_is_outside_this_one(emulator: BedrockEmulator):
    chat = _chat()
    with get_bedrock_stats_callback() as first, ThreadPoolExecutor(1) as pool:

        def in_its_own_block() -> None:
            with get_bedrock_stats_callback() as second:
                chat.invoke(QUESTIONS[0])
            assert (second.requests, second.outside_requests) == (1, 0)

        pool.submit(in_its_own_block).result()
    assert (first.requests, first.outside_requests) == (0, 1)
