"""RoutedChatBedrock against the emulator: routing, policy per call, explainability, cache keys."""

from __future__ import annotations

import base64

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_bedrock_routing.catalog import base_model_id, get_catalog
from langchain_bedrock_routing.errors import ContextWindowExceededError, CostCapExceededError
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock

from .conftest import NOVA_TIERS, fixed

ROUTER_ARN = "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1"


def routed(emulator, **kwargs):
    return RoutedChatBedrock(**{"tiers": NOVA_TIERS, "classifier": fixed("simple", 0.1), **kwargs})


def test_defaults_work_from_the_environment(emulator):
    model = RoutedChatBedrock()
    reply = model.invoke("hi")
    routing = reply.response_metadata["routing"]
    assert reply.text
    assert routing["classifier"] == "heuristic"
    assert routing["tier"] == routing["requested_tier"]
    [record] = emulator.requests
    assert record.model_id == routing["model_id"]
    assert get_catalog().get(record.model_id).family in ("claude-5", "claude-5-5")


def test_routing_metadata_explains_the_decision(emulator):
    reply = routed(emulator).invoke("hello there")
    routing = reply.response_metadata["routing"]
    assert routing["tier"] == "simple"
    assert routing["model_id"] == "amazon.nova-micro-v1:0"
    assert routing["score"] == 0.1
    assert routing["classifier"] == "fixed"
    assert routing["reason"] == "fixed"
    assert routing["priority"] == "balanced"
    assert routing["attempts"] == [{"model_id": "amazon.nova-micro-v1:0", "tier": "simple", "error": None}]
    assert reply.response_metadata["model_name"] == "amazon.nova-micro-v1:0"
    assert [r.model_id for r in emulator.requests] == ["amazon.nova-micro-v1:0"]


def test_classify_is_public(emulator):
    model = RoutedChatBedrock(tiers=NOVA_TIERS)
    decision = model.classify("Prove that there are infinitely many primes, then analyze the proof's structure.")
    assert decision.classifier == "heuristic"
    assert decision == model.classify(
        [HumanMessage("Prove that there are infinitely many primes, then analyze the proof's structure.")]
    )
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("priority", "model_id"), [("cost", "amazon.nova-lite-v1:0"), ("performance", "amazon.nova-pro-v1:0")]
)
def test_priority_per_call_through_config(emulator, priority, model_id):
    model = routed(emulator, classifier=fixed("complex" if priority == "cost" else "medium"))
    reply = model.invoke("hello", config={"configurable": {"priority": priority}})
    assert reply.response_metadata["routing"]["priority"] == priority
    assert reply.response_metadata["routing"]["model_id"] == model_id


def test_priority_in_the_constructor_and_batch(emulator):
    model = routed(emulator, priority="performance")
    replies = model.batch(["one", "two"], config={"configurable": {"priority": "balanced"}})
    assert [r.response_metadata["routing"]["tier"] for r in replies] == ["simple", "simple"]
    assert model.invoke("three").response_metadata["routing"]["tier"] == "medium"


def test_bad_priority_per_call_is_a_value_error(emulator):
    with pytest.raises(ValueError, match="cost, balanced, performance, latency"):
        routed(emulator).invoke("hi", config={"configurable": {"priority": "fast"}})
    assert emulator.requests == []


def test_cache_key_differs_per_priority_and_router_configuration(emulator):
    cache = InMemoryCache()
    model = routed(emulator, cache=cache)
    model.invoke("same question")
    model.invoke("same question")
    assert len(emulator.requests) == 1
    model.invoke("same question", config={"configurable": {"priority": "performance"}})
    assert len(emulator.requests) == 2
    other = routed(emulator, cache=cache, tiers={**NOVA_TIERS, "simple": ["amazon.nova-lite-v1:0"]})
    other.invoke("same question")
    assert len(emulator.requests) == 3
    assert model._get_llm_string(priority="cost") != model._get_llm_string(priority="latency")


def test_delegates_do_not_cache_a_second_time(emulator):
    cache = InMemoryCache()
    model = routed(emulator, cache=cache)
    model.invoke("cache me")
    assert len(cache._cache) == 1


def test_empty_message_list_is_a_value_error(emulator):
    with pytest.raises(ValueError, match="empty message list"):
        routed(emulator).invoke([])
    assert emulator.requests == []


def test_prompt_too_large_for_every_model_fails_before_any_call(emulator):
    model = routed(emulator, tiers={"simple": ["amazon.nova-micro-v1:0"]})
    huge = "word " * 130_000
    with pytest.raises(ContextWindowExceededError, match="128000") as info:
        model.invoke(huge)
    assert info.value.estimated_tokens > 128_000
    assert emulator.requests == []


def test_context_window_moves_to_a_larger_model(emulator):
    reply = routed(emulator).invoke("word " * 129_000)
    routing = reply.response_metadata["routing"]
    assert routing["model_id"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert routing["skipped"][0]["model_id"] == "amazon.nova-micro-v1:0"


def test_images_go_to_models_that_accept_them(emulator):
    image = {
        "type": "image",
        "base64": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
        "mime_type": "image/png",
    }
    model = routed(emulator)
    reply = model.invoke([HumanMessage([{"type": "text", "text": "what is in this picture?"}, image])])
    assert reply.response_metadata["routing"]["model_id"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert [r.model_id for r in emulator.requests] == ["anthropic.claude-3-haiku-20240307-v1:0"]


def test_documents_go_to_models_that_accept_them(emulator):
    pdf = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF").decode()
    document = {"type": "file", "base64": pdf, "mime_type": "application/pdf", "filename": "report.pdf"}
    reply = routed(emulator).invoke([HumanMessage([{"type": "text", "text": "summarize the report"}, document])])
    routing = reply.response_metadata["routing"]
    assert routing["model_id"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert routing["skipped"] == [
        {"model_id": "amazon.nova-micro-v1:0", "tier": "simple", "reason": "lacks document input"}
    ]


def test_cost_cap_caps_the_tier(emulator):
    catalog = get_catalog()
    cap = 2e-5
    for model_id in ("amazon.nova-pro-v1:0", "amazon.nova-lite-v1:0"):
        assert catalog.get(model_id).prices.output * 100 / 1e6 > cap
    model = routed(emulator, classifier=fixed("complex"), max_tokens=100, max_cost_per_request=cap)
    routing = model.invoke("short question").response_metadata["routing"]
    assert (routing["requested_tier"], routing["tier"], routing["model_id"]) == (
        "complex",
        "simple",
        "amazon.nova-micro-v1:0",
    )
    assert emulator.requests[0].model_id == "amazon.nova-micro-v1:0"
    with pytest.raises(CostCapExceededError):
        routed(emulator, max_tokens=100, max_cost_per_request=1e-12).invoke("short question")
    assert len(emulator.requests) == 1


def test_pinned_model_per_call(emulator):
    reply = routed(emulator).invoke("hi", model="amazon.nova-pro-v1:0")
    assert reply.response_metadata["model_name"] == "amazon.nova-pro-v1:0"
    assert reply.response_metadata["routing"]["classifier"] == "pinned"
    with pytest.raises(ValueError, match="unknown pinned model"):
        routed(emulator).invoke("hi", model="acme.gpt")


def test_prompt_router_reports_the_invoked_model(emulator):
    model = routed(emulator, tiers={"simple": [ROUTER_ARN]})
    reply = model.invoke("hi")
    routing = reply.response_metadata["routing"]
    [record] = emulator.requests
    assert record.invoked_model_id is not None
    assert base_model_id(routing["model_id"]) == base_model_id(record.invoked_model_id)
    assert routing["target"] == ROUTER_ARN
    assert reply.response_metadata["model_name"] == routing["model_id"]


def test_ls_params_report_provider_and_model(emulator):
    model = routed(emulator, temperature=0.2, max_tokens=50, stop=["END"])
    params = model._get_ls_params()
    assert params["ls_provider"] == "amazon_bedrock"
    assert params["ls_model_name"] == "amazon.nova-lite-v1:0"
    assert (params["ls_temperature"], params["ls_max_tokens"], params["ls_stop"]) == (0.2, 50, ["END"])
    assert model._get_ls_params(model="amazon.nova-pro-v1:0")["ls_model_name"] == "amazon.nova-pro-v1:0"


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"priority": "cheap"}, "cost, balanced, performance, latency"),
        ({"preset": "gpt"}, "claude, claude-3, claude-4, claude-5.5, cross-provider, nova, nova-2"),
        ({"tiers": {"easy": ["amazon.nova-micro-v1:0"]}}, "simple, medium, complex"),
        ({"tiers": {"simple": ["acme.model"]}}, "amazon.nova-micro-v1:0"),
        ({"classifier": "astrology"}, "heuristic"),
        ({"prompt_cache": "always"}, "off, auto"),
    ],
)
def test_bad_construction_names_the_valid_choices(kwargs, names):
    with pytest.raises(ValueError, match=names):
        RoutedChatBedrock(**kwargs)


def test_stop_sequences_reach_the_delegate(emulator):
    model = routed(emulator)
    messages = [SystemMessage("Be brief."), HumanMessage("tell me about rivers")]
    full = model.invoke(messages).text
    cut_word = full.split()[len(full.split()) // 2]
    reply = model.invoke(messages, stop=[cut_word])
    assert reply.response_metadata["stopReason"] == "stop_sequence"
    assert cut_word not in reply.text
    assert len(reply.text) < len(full)


def test_sticky_keeps_a_conversation_on_the_tier_it_escalated_to(emulator):
    from langchain_core.messages import AIMessage

    from langchain_bedrock_routing.catalog import TIERS

    hard = (
        "1. Prove that the sum of the first n odd numbers is n^2 by induction.\n"
        "2. Analyze the time complexity of `sum(i*j for i in range(n) for j in range(i))` and derive a bound.\n"
        "3. Compare three alternative designs, evaluate the trade-offs step by step, and justify your choice."
    )
    conversation = [HumanMessage(hard), AIMessage("Here is the analysis ..."), HumanMessage("thanks!")]
    config = {"configurable": {"thread_id": "t-1"}}
    plain = RoutedChatBedrock(tiers=NOVA_TIERS)
    sticky = RoutedChatBedrock(tiers=NOVA_TIERS, sticky=True)
    escalated = plain.classify(hard).tier
    assert TIERS.index(plain.classify(conversation, config).tier) < TIERS.index(escalated)
    assert sticky.classify(hard, config).tier == escalated
    reply = sticky.invoke(conversation, config=config)
    assert reply.response_metadata["routing"]["tier"] == escalated
    assert reply.response_metadata["routing"]["reason"].startswith("sticky:")
