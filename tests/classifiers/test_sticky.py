"""StickyClassifier: a conversation keeps the highest tier it reached; memory is bounded."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage

from langchain_bedrock_routing.routing.classifiers.heuristic import HeuristicComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.sticky import StickyClassifier, conversation_key

HARD = (
    "Design a sharded job queue. Compare approaches, explain the tradeoffs and analyze failure modes:\n"
    "1. requirements\n2. design\n3. code\n4. tests"
)


def _conversation(*follow_ups: str) -> list:
    messages: list = [HumanMessage(HARD)]
    for text in follow_ups:
        messages += [AIMessage("Sure, here it is."), HumanMessage(text)]
    return messages


def test_follow_up_stays_on_the_escalated_tier():
    sticky = StickyClassifier()
    assert sticky.invoke(_conversation()).tier == "complex"
    later = sticky.invoke(_conversation("ok thanks"))
    plain = HeuristicComplexityClassifier().invoke(_conversation("ok thanks"))
    assert plain.tier != "complex"
    assert later.tier == "complex"
    assert later.reason.startswith("sticky: conversation already reached complex")
    assert later.score >= plain.score


def test_without_memory_of_the_conversation_nothing_changes():
    sticky = StickyClassifier()
    assert sticky.invoke(_conversation("ok thanks")) == HeuristicComplexityClassifier().invoke(
        _conversation("ok thanks")
    )


def test_thread_ids_separate_conversations_with_the_same_opening():
    sticky = StickyClassifier()
    sticky.invoke(_conversation(), {"configurable": {"thread_id": "a"}})
    other = sticky.invoke(_conversation("ok thanks"), {"configurable": {"thread_id": "b"}})
    same = sticky.invoke(_conversation("ok thanks"), {"configurable": {"thread_id": "a"}})
    assert other.tier != "complex"
    assert same.tier == "complex"


def test_a_first_turn_without_thread_id_starts_fresh():
    sticky = StickyClassifier()
    sticky.invoke([HumanMessage("hi"), AIMessage("hello"), HumanMessage(HARD)])
    assert sticky.invoke("hi").tier == "simple"


def test_memory_is_bounded_least_recently_used_first():
    sticky = StickyClassifier(max_conversations=2)
    for opening in ("one", "two", "three"):
        sticky.invoke([HumanMessage(opening), AIMessage("?"), HumanMessage(HARD)])
    assert sticky.invoke([HumanMessage("one"), AIMessage("?"), HumanMessage("ok")]).tier != "complex"
    assert sticky.invoke([HumanMessage("three"), AIMessage("?"), HumanMessage("ok")]).tier == "complex"
    sticky.forget()
    assert sticky.invoke([HumanMessage("three"), AIMessage("?"), HumanMessage("ok")]).tier != "complex"


async def test_async_path_remembers_too():
    sticky = StickyClassifier()
    await sticky.ainvoke(_conversation())
    assert (await sticky.ainvoke(_conversation("ok thanks"))).tier == "complex"


def test_conversation_key_depends_on_thread_and_opening_only():
    base = conversation_key(_conversation(), None)
    assert conversation_key(_conversation("later", "even later"), None) == base
    assert conversation_key(_conversation(), {"configurable": {"thread_id": "t"}}) != base
    assert conversation_key([HumanMessage("other")], None) != base
