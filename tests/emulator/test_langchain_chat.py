"""Unmodified langchain-aws ChatBedrockConverse against the emulator: invoke, stream, async, batch."""

from __future__ import annotations

from langchain_aws import ChatBedrockConverse
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage

from langchain_bedrock_routing.emulator import BedrockEmulator

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def _chat(model: str = f"us.{HAIKU}", **kwargs) -> ChatBedrockConverse:
    return ChatBedrockConverse(model=model, region_name="us-east-1", **kwargs)


def test_invoke_reads_the_endpoint_from_the_environment(emulator: BedrockEmulator):
    message = _chat().invoke("What is 12 + 30?")
    assert isinstance(message, AIMessage)
    assert message.text == "12 + 30 = 42."
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] > 0
    (record,) = emulator.requests
    assert (record.operation, record.model_id, record.invoked_model_id) == ("Converse", f"us.{HAIKU}", HAIKU)
    assert record.billed
    assert record.input_tokens == message.usage_metadata["input_tokens"]


def test_extractive_answer_from_the_system_prompt(emulator: BedrockEmulator):
    system = (
        "Acme's refund window is 30 days from delivery. Shipping to Canada takes 5 business days. "
        "Support is open Monday to Friday."
    )
    message = _chat().invoke([SystemMessage(system), HumanMessage("How long does shipping to Canada take?")])
    assert message.text == "Shipping to Canada takes 5 business days."


def test_stream_yields_chunks_that_add_up_to_the_invoke_reply(emulator: BedrockEmulator):
    chat = _chat()
    prompt = "Explain how photosynthesis works in plants?"
    chunks = list(chat.stream(prompt))
    assert len(chunks) > 3
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.text == chat.invoke(prompt).text
    assert total.usage_metadata is not None
    assert total.usage_metadata["output_tokens"] == emulator.requests[0].output_tokens
    assert [r.operation for r in emulator.requests] == ["ConverseStream", "Converse"]


async def test_ainvoke_and_astream(emulator: BedrockEmulator):
    chat = _chat("amazon.nova-lite-v1:0")
    message = await chat.ainvoke("Hello there")
    assert message.text == "Hello! How can I help you today?"
    pieces = [chunk.text async for chunk in chat.astream("Hello there")]
    assert "".join(pieces) == message.text
    assert {r.invoked_model_id for r in emulator.requests} == {"amazon.nova-lite-v1:0"}


def test_batch_answers_each_prompt_in_order(emulator: BedrockEmulator):
    replies = _chat().batch(["What is 1 + 1?", "What is 2 * 8?", "What is 9 - 4?"])
    assert [r.text for r in replies] == ["1 + 1 = 2.", "2 * 8 = 16.", "9 - 4 = 5."]
    assert len(emulator.requests) == 3
