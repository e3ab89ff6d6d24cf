"""Semantic caches under set_llm_cache with a real ChatBedrockConverse talking to the offline emulator."""

from __future__ import annotations

from langchain_aws import ChatBedrockConverse
from langchain_core.globals import set_llm_cache
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool

from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import SemanticFactory

NOVA = "amazon.nova-micro-v1:0"
STORED = "How do I reverse a list in Python?"
PARAPHRASE = "What's the way to reverse a list in Python?"


@tool
def search_docs(query: str) -> str:
    """Search the product documentation."""
    return query


def _chat() -> ChatBedrockConverse:
    return ChatBedrockConverse(model=NOVA, region_name="us-east-1")


def test_paraphrase_is_served_from_the_cache_without_a_paid_call(emulator: BedrockEmulator, make_semantic):
    cache = make_semantic()
    set_llm_cache(cache)
    first = _chat().invoke(STORED)
    second = _chat().invoke(PARAPHRASE)
    assert len(emulator.requests) == 1
    assert second.text == first.text
    assert second.response_metadata["cache"]["kind"] == "semantic"
    assert second.usage_metadata["output_tokens"] == first.usage_metadata["output_tokens"]


def test_bound_tools_and_system_prompts_are_part_of_the_partition(emulator: BedrockEmulator, make_semantic):
    set_llm_cache(make_semantic())
    chat = _chat()
    chat.invoke(STORED)
    chat.bind_tools([search_docs]).invoke(STORED)  # tools reach the cache inside llm_string
    chat.invoke([SystemMessage("Answer about document A."), HumanMessage(STORED)])
    chat.invoke([SystemMessage("Answer about document B."), HumanMessage(PARAPHRASE)])
    assert len(emulator.requests) == 4
    chat.bind_tools([search_docs]).invoke(PARAPHRASE)
    chat.invoke([SystemMessage("Answer about document A."), HumanMessage(PARAPHRASE)])
    assert len(emulator.requests) == 4


async def test_tenants_from_run_metadata_never_share(emulator: BedrockEmulator, make_semantic: SemanticFactory):
    cache = make_semantic()
    set_llm_cache(cache)
    chat = _chat()
    for tenant, question in [("a", STORED), ("b", PARAPHRASE), ("a", PARAPHRASE), ("b", STORED)]:
        await chat.ainvoke(question, config={"metadata": {"tenant_id": tenant}})
    assert len(emulator.requests) == 2
    assert cache.stats.hits == 2
