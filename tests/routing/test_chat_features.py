"""Everything a chat model does, through the router and the emulator."""

from __future__ import annotations

from typing import Any

from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, Field

from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock

from .conftest import NOVA_TIERS, fixed

SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def routed(**kwargs):
    return RoutedChatBedrock(**{"tiers": NOVA_TIERS, "classifier": fixed("simple"), **kwargs})


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="the person's name")
    age: int = Field(description="age in years")


def test_stream_last_chunk_carries_routing(emulator):
    chunks = list(routed().stream("tell me about rivers"))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert chunks[-1].chunk_position == "last"
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    assert full.text
    assert full.usage_metadata["output_tokens"] > 0
    assert full.response_metadata["routing"]["model_id"] == "amazon.nova-micro-v1:0"
    assert full.response_metadata["model_name"] == "amazon.nova-micro-v1:0"
    assert [r.operation for r in emulator.requests] == ["ConverseStream"]


async def test_astream_ainvoke_abatch(emulator):
    model = routed()
    chunks = [c async for c in model.astream("hello")]
    assert chunks[-1].response_metadata["routing"]["tier"] == "simple"
    reply = await model.ainvoke("hello", config={"configurable": {"priority": "performance"}})
    assert reply.response_metadata["routing"]["tier"] == "medium"
    replies = await model.abatch(["a", "b"], config={"configurable": {"priority": "performance"}})
    assert [r.response_metadata["routing"]["priority"] for r in replies] == ["performance", "performance"]


def test_tool_calling_round_trip(emulator):
    model = routed().bind_tools([add])
    question = HumanMessage("Use the add tool to add 2 and 3.")
    reply = model.invoke([question])
    [call] = reply.tool_calls
    assert call["name"] == "add"
    assert reply.response_metadata["routing"]["model_id"] == "amazon.nova-micro-v1:0"
    answer = model.invoke([question, reply, ToolMessage(str(add.__call__(**call["args"])), tool_call_id=call["id"])])
    assert answer.text


def test_tool_choice_forces_a_call_and_streams(emulator):
    model = routed().bind_tools([add], tool_choice="add")
    full = None
    for chunk in model.stream("what's up?"):
        full = chunk if full is None else full + chunk
    assert full.tool_calls[0]["name"] == "add"
    assert full.response_metadata["routing"]["tier"] == "simple"


def test_unicode_tool_arguments_survive_the_router(emulator):
    def register(customer_name: str) -> str:
        """Register a customer."""
        return customer_name

    model = routed().bind_tools([register], tool_choice="any")
    for name in ("你好啊集团", "こんにちは株式会社", "Привет"):
        reply = model.invoke(f"Register this customer. customer name: {name}")
        assert reply.tool_calls[0]["args"] == {"customer_name": name}


def test_structured_output(emulator):
    model = routed().with_structured_output(Person)
    person = model.invoke("Ada Lovelace was 36 years old.")
    assert isinstance(person, Person)
    raw = routed().with_structured_output(Person, include_raw=True).invoke("Ada Lovelace was 36 years old.")
    assert raw["raw"].response_metadata["routing"]["tier"] == "simple"


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts: list[dict[str, Any]] = []
        self.ends: list[Any] = []

    def on_chat_model_start(self, serialized, messages, **kwargs):
        self.starts.append(kwargs)

    def on_llm_end(self, response, **kwargs):
        self.ends.append(response)


def test_callbacks_tags_and_metadata(emulator):
    recorder = Recorder()
    routed().invoke("hello", config={"callbacks": [recorder], "tags": ["t1"], "metadata": {"tenant": "acme"}})
    assert len(recorder.ends) == 1
    start = recorder.starts[0]
    assert "t1" in start["tags"]
    assert start["metadata"]["tenant"] == "acme"
    assert start["metadata"]["ls_provider"] == "amazon_bedrock"
    message = recorder.ends[0].generations[0][0].message
    assert message.response_metadata["routing"]["model_id"] == "amazon.nova-micro-v1:0"


def long_system_prompt(tokens: int) -> str:
    return " ".join(f"rule{i} applies." for i in range(tokens // 3))


def test_prompt_cache_auto_writes_then_reads_when_prefix_is_long_enough(emulator):
    minimum = get_catalog().get(SONNET).cache_min_tokens
    model = routed(tiers={"medium": [SONNET]}, prompt_cache="auto")
    system = SystemMessage(long_system_prompt(minimum + 300))
    first = model.invoke([system, HumanMessage("first question")])
    second = model.invoke([system, HumanMessage("second question")])
    assert first.response_metadata["routing"]["prompt_cache"] is True
    assert emulator.requests[0].cache_write_input_tokens > 0
    assert emulator.requests[1].cache_read_input_tokens > 0
    assert second.usage_metadata["input_token_details"]["cache_read"] > 0


def test_prompt_cache_auto_skips_short_prefixes_and_off_never_caches(emulator):
    minimum = get_catalog().get(SONNET).cache_min_tokens
    short = SystemMessage(long_system_prompt(minimum // 2))
    reply = routed(tiers={"medium": [SONNET]}, prompt_cache="auto").invoke([short, HumanMessage("q")])
    assert reply.response_metadata["routing"]["prompt_cache"] is False
    long = SystemMessage(long_system_prompt(minimum + 300))
    routed(tiers={"medium": [SONNET]}).invoke([long, HumanMessage("q")])
    assert all(r.cache_write_input_tokens == 0 for r in emulator.requests)


def test_streaming_uses_the_response_cache(emulator):
    cache = InMemoryCache()
    model = routed(cache=cache)
    first = list(model.stream("stream me"))
    second = list(model.stream("stream me"))
    assert len(emulator.requests) == 1
    assert "".join(c.text for c in second) == "".join(c.text for c in first)
    assert second[-1].chunk_position == "last"
    assert model.invoke("stream me").text == "".join(c.text for c in first)
    assert len(emulator.requests) == 1


def test_delegates_are_built_lazily_and_reused(emulator):
    model = routed()
    assert emulator.requests == []
    model.invoke("one")
    model.invoke("two")
    target = model._targets["simple"][0]
    assert model._pool.get(target) is model._pool.get(target)
    assert model._pool.get(target).cache is False


async def test_a_streamed_hit_is_replayed_word_by_word_with_the_marker_on_the_last_chunk(emulator):
    from langchain_bedrock_routing.caching import InMemoryExactCache

    model = routed(cache=InMemoryExactCache())
    answer = model.invoke("Tell me a little about the Bedrock emulator.")
    replayed = [chunk async for chunk in model.astream("Tell me a little about the Bedrock emulator.")]
    assert len(emulator.requests) == 1
    assert len(replayed) == len(answer.text.split()) + 1
    assert "".join(c.text for c in replayed) == answer.text
    assert replayed[-1].chunk_position == "last"
    assert replayed[-1].response_metadata["cache"]["hit"] is True
    assert all("cache" not in c.response_metadata for c in replayed[:-1])
    merged = replayed[0]
    for chunk in replayed[1:]:
        merged += chunk
    assert merged.usage_metadata == answer.usage_metadata
