"""Partitioning: only the last human turn is embedded; everything else is an exact partition key."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_bedrock_routing.caching.partition import entry_id, partition_id, split_prompt


def test_last_human_turn_is_the_semantic_text_and_the_rest_is_context():
    messages = [
        SystemMessage("Answer from the attached contract."),
        HumanMessage("Who signed it?"),
        AIMessage("Alice and Bob."),
        HumanMessage("When does it end?"),
    ]
    parts = split_prompt(dumps(messages))
    assert parts.semantic_text == "When does it end?"
    assert "attached contract" in parts.context
    assert "Who signed it?" in parts.context
    assert "When does it end?" not in parts.context


def test_turns_after_the_last_human_turn_and_non_text_blocks_stay_in_the_context():
    image = {"type": "image", "url": "https://example.invalid/cat.png"}
    messages = [
        HumanMessage([{"type": "text", "text": "What is in this picture?"}, image]),
        AIMessage("", tool_calls=[{"name": "lookup", "args": {"q": "cat"}, "id": "t1"}]),
        ToolMessage("a cat", tool_call_id="t1"),
    ]
    parts = split_prompt(dumps(messages))
    assert parts.semantic_text == "What is in this picture?"
    assert "cat.png" in parts.context
    assert "a cat" in parts.context


def test_plain_llm_prompt_is_its_own_semantic_text():
    parts = split_prompt("Sample prompt for testing.")
    assert parts.semantic_text == "Sample prompt for testing."
    assert parts.context == ""


def test_json_that_is_not_chat_messages_can_only_match_exactly():
    foreign = '[{"lc": 1, "type": "constructor", "id": ["os", "system"], "kwargs": {}}]'
    parts = split_prompt(foreign)
    assert parts.semantic_text is None
    assert json.loads(parts.context) == ["unparsed", foreign]
    assert split_prompt(dumps([AIMessage("no human turn")])).semantic_text is None


def test_empty_human_turn_has_no_semantic_text():
    assert split_prompt(dumps([HumanMessage("   ")])).semantic_text is None


def test_entry_ids_are_stable_and_distinct():
    assert entry_id("a") == entry_id("a") != entry_id("b")


_text = st.text(alphabet="abcdef XYZ?", min_size=1, max_size=12).filter(str.strip)
_history = st.lists(st.tuples(st.sampled_from(["human", "ai"]), _text), max_size=3)
_request = st.fixed_dictionaries(
    {
        "llm": st.sampled_from(["model-a", "model-b"]),
        "tools": st.sampled_from([(), ("search",), ("search", "calculator")]),
        "system": st.one_of(st.none(), st.sampled_from(["doc A", "doc B"])),
        "history": _history,
        "tenant": st.sampled_from(["", "2:t1|", "|t2"]),
        "question": _text,
    }
)


def _partition(request: dict) -> str:
    # Bound tools reach the cache inside llm_string (LangChain puts invocation kwargs there).
    llm_string = f"{request['llm']}---[('tools', {list(request['tools'])!r})]"
    history = [HumanMessage(t) if role == "human" else AIMessage(t) for role, t in request["history"]]
    system = [SystemMessage(request["system"])] if request["system"] is not None else []
    parts = split_prompt(dumps([*system, *history, HumanMessage(request["question"])]))
    return partition_id(llm_string, parts.context, request["tenant"])


@settings(max_examples=300, deadline=None)
@given(_request, _request)
def test_same_partition_iff_same_model_tools_system_history_and_tenant(a: dict, b: dict):
    same_context = all(a[k] == b[k] for k in ("llm", "tools", "system", "history", "tenant"))
    assert (_partition(a) == _partition(b)) == same_context


@settings(max_examples=100, deadline=None)
@given(_request, _text)
def test_the_question_never_changes_the_partition(a: dict, other_question: str):
    assert _partition(a) == _partition({**a, "question": other_question})
