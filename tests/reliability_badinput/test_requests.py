"""Bad requests are refused before any Bedrock call, with an error that names the problem and the choices.

Each test is one row of the README's "Bad input" table; ``refused`` also checks the emulator's request
log is unchanged, so nothing was spent on a request that was bound to fail.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import pytest
from langchain_aws import BedrockEmbeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableLambda
from pydantic import ValidationError
from rich.console import Console

from langchain_bedrock_routing import (
    ContextWindowExceededError,
    CostCapExceededError,
    InMemorySemanticCache,
    NoCandidateError,
    RoutedChatBedrock,
    get_bedrock_stats_callback,
)
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing import RouteDecision

Refused = Callable[..., pytest.ExceptionInfo[BaseException]]
Router = Callable[..., RoutedChatBedrock]
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
PDF = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
UNPRICED = "qwen.qwen3-32b-v1:0"


@pytest.mark.parametrize(
    ("prompt", "match"),
    [
        ([], "empty message list"),
        ("", "empty prompt"),
        ("   \n\t", "empty prompt"),
        ([SystemMessage("You are helpful.")], "a system message alone is not a conversation"),
        ([SystemMessage("You are helpful."), HumanMessage([])], "empty prompt"),
    ],
)
def test_empty_messages(prompt: Any, match: str, router: Router, refused: Refused):
    refused(ValueError, match, lambda: router().invoke(prompt))
    refused(ValueError, match, lambda: list(router().stream(prompt)))


@pytest.mark.parametrize(
    ("prompt", "match"),
    [
        (42, "Invalid input type <class 'int'>. Must be a PromptValue, str, or list of BaseMessages"),
        ({"content": "hi"}, "Invalid input type <class 'dict'>"),
        ([{"content": "hi"}], "Message dict must contain 'role' and 'content' keys"),
        ([{"role": "wizard", "content": "hi"}], "Unexpected message type: 'wizard'"),
        ([42], "Unsupported message type: <class 'int'>"),
    ],
)
def test_non_message_input(prompt: Any, match: str, router: Router, refused: Refused):
    refused((ValueError, NotImplementedError), match, lambda: router().invoke(prompt))


def _attachment(kind: str) -> HumanMessage:
    block = (
        {"type": "image", "base64": PNG, "mime_type": "image/png"}
        if kind == "image"
        else {"type": "file", "base64": PDF, "mime_type": "application/pdf", "filename": "terms.pdf"}
    )
    return HumanMessage([{"type": "text", "text": "What does this show?"}, block])


@pytest.mark.parametrize(("kind", "capability"), [("image", "image input"), ("document", "document input")])
def test_content_no_configured_model_can_take(kind: str, capability: str, router: Router, refused: Refused):
    text_only = router(
        tiers={"simple": ["amazon.nova-micro-v1:0"], "medium": ["anthropic.claude-3-5-haiku-20241022-v1:0"]}
    )
    info = refused(
        NoCandidateError,
        f"needs {capability} but no configured model has it",
        lambda: text_only.invoke([_attachment(kind)]),
    )
    assert "amazon.nova-micro-v1:0" in str(info.value)
    assert "anthropic.claude-3-5-haiku-20241022-v1:0" in str(info.value)


def test_content_a_model_cannot_take_is_routed_to_one_that_can(router: Router, emulator: BedrockEmulator):
    simple = RunnableLambda(lambda _: RouteDecision(tier="simple", score=0.1, reason="fixed", classifier="fixed"))
    reply = router(classifier=simple).invoke([_attachment("image")])
    routing = reply.response_metadata["routing"]
    assert routing["model_id"] != "amazon.nova-micro-v1:0"
    assert {"model_id": "amazon.nova-micro-v1:0", "tier": "simple", "reason": "lacks image input"} in routing["skipped"]
    assert [r.model_id for r in emulator.requests] == [routing["model_id"]]


def test_prompt_over_every_context_window(router: Router, refused: Refused):
    huge = "lorem ipsum dolor " * 150_000
    info = refused(ContextWindowExceededError, r"the request needs about \d+ tokens", lambda: router().invoke(huge))
    assert "largest context window among the configured models is 300000 tokens (amazon.nova-lite-v1:0)" in str(
        info.value
    )
    fits_without_reply = "word " * 290_000
    refused(
        ContextWindowExceededError,
        "shorten the conversation",
        lambda: router(max_tokens=20_000).invoke(fits_without_reply),
    )


@pytest.mark.parametrize("priority", ["fast", "", None, 1, "Balanced"])
def test_invalid_priority(priority: object, router: Router, refused: Refused):
    valid = "valid priorities: cost, balanced, performance, latency"
    refused(ValidationError, valid, lambda: router(priority=priority))  # a non-string too: the valid ones are named
    refused(ValueError, valid, lambda: router().invoke("hi", config={"configurable": {"priority": priority}}))
    refused(ValueError, valid, lambda: router().invoke("hi", priority=priority))


@pytest.mark.parametrize(
    ("tiers", "match"),
    [
        ({"easy": ["amazon.nova-micro-v1:0"]}, "unknown tier 'easy' in tiers; valid tiers: simple, medium, complex"),
        ({"simple": []}, "tier 'simple' has no model ids"),
    ],
)
def test_invalid_tier(tiers: dict[str, Any], match: str, router: Router, refused: Refused):
    refused(ValidationError, match, lambda: router(tiers=tiers))


def test_invalid_preset(router: Router, refused: Refused):
    valid = "claude, claude-3, claude-4, claude-5.5, cross-provider, nova, nova-2"
    refused(ValidationError, f"unknown preset 'gpt'; valid presets: {valid}", lambda: router(preset="gpt"))


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("max_cost_per_request", -0.01, "max_cost_per_request must be a positive number of USD"),
        ("max_cost_per_request", 0, "max_cost_per_request must be a positive number of USD"),
        ("max_tokens", 0, "max_tokens must be an int >= 1"),
    ],
)
def test_invalid_limits(field: str, value: object, match: str, router: Router, refused: Refused):
    refused(ValidationError, match, lambda: router(**{field: value}))


def test_invalid_max_tokens_per_call(router: Router, refused: Refused):
    refused(ValueError, "max_tokens must be an int >= 1", lambda: router().invoke("hi", max_tokens=-5))


def test_model_id_missing_from_the_catalog(router: Router, refused: Refused):
    info = refused(
        ValidationError, "unknown model id 'amazon.nova-nano-v9:0' in tier 'simple'",
        lambda: router(tiers={"simple": ["amazon.nova-nano-v9:0"]}),
    )  # fmt: skip
    assert "amazon.nova-micro-v1:0" in str(info.value)  # the valid ids are listed
    refused(
        ValueError,
        "unknown pinned model 'amazon.nova-nano-v9:0'",
        lambda: router().invoke("hi", model="amazon.nova-nano-v9:0"),
    )
    refused(ValueError, "prompt router .* is not in the catalog; known routers", lambda: router(
        tiers={"complex": ["arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/acme.model:1"]}
    ))  # fmt: skip


def test_unpriced_model_is_skipped_clearly_under_a_cost_cap(router: Router, emulator: BedrockEmulator):
    llm = router(tiers={"simple": [UNPRICED, "amazon.nova-micro-v1:0"]}, max_cost_per_request=0.01)
    routing = llm.invoke("What is 2 + 2?").response_metadata["routing"]
    assert routing["model_id"] == "amazon.nova-micro-v1:0"
    assert {"model_id": UNPRICED, "tier": "simple", "reason": "price unknown, cannot check max_cost_per_request"} in (
        routing["skipped"]
    )
    assert [r.model_id for r in emulator.requests] == ["amazon.nova-micro-v1:0"]


def test_only_unpriced_models_under_a_cost_cap_is_refused(router: Router, refused: Refused):
    llm = router(tiers={"simple": [UNPRICED], "complex": ["moonshotai.kimi-k2.5"]}, max_cost_per_request=0.01)
    refused(
        CostCapExceededError,
        r"no model fits max_cost_per_request=\$0.010000 \(no capable model has a known price\)",
        lambda: llm.invoke("hi"),
    )


def test_unpriced_model_costs_unknown_not_zero_in_stats(router: Router):
    with get_bedrock_stats_callback() as stats:
        router(tiers={"simple": [UNPRICED]}).invoke("What is 2 + 2?")
    figures = stats.to_dict()
    assert figures["total"]["api_calls"] == 1
    assert figures["total"]["cost_usd"]["total"] is None
    assert figures["models"][UNPRICED]["cost_usd"]["input"] is None
    assert stats.total_cost is None
    console = Console(record=True, file=io.StringIO(), width=160, color_system=None)
    stats.report(console=console)
    cost_rows = [line for line in console.export_text().splitlines() if "│ Cost " in line]
    assert cost_rows
    assert "unknown" in cost_rows[0]


@pytest.mark.parametrize("classifier", ["llm", "cascade"])
def test_a_request_no_model_can_serve_spends_nothing_on_an_llm_classifier(
    classifier: str, router: Router, refused: Refused
):
    text_only = router(tiers={"simple": ["amazon.nova-micro-v1:0"]}, classifier=classifier)
    refused(NoCandidateError, "needs image input", lambda: text_only.invoke([_attachment("image")]))
    refused(ContextWindowExceededError, "the request needs about", lambda: text_only.invoke("lorem ipsum " * 200_000))
    capped = router(tiers={"simple": [UNPRICED]}, classifier=classifier, max_cost_per_request=0.01)
    refused(CostCapExceededError, "no capable model has a known price", lambda: capped.invoke("Prove Fermat's theorem"))


@pytest.mark.parametrize("call", ["invoke", "stream", "batch"])
def test_bad_requests_spend_nothing_on_a_billed_semantic_cache_embedder(
    call: str, router: Router, refused: Refused, emulator: BedrockEmulator
):
    """LangChain asks the cache (which embeds with Titan, billed) before the model runs: the router screens first."""
    titan = BedrockEmbeddings(model_id="amazon.titan-embed-text-v2:0", region_name="us-east-1")
    llm = router(tiers={"simple": ["amazon.nova-micro-v1:0"]}, cache=InMemorySemanticCache(titan))

    def ask(prompt: Any, **kwargs: Any) -> object:
        if call == "stream":
            return list(llm.stream(prompt, **kwargs))
        return llm.batch([prompt], **kwargs) if call == "batch" else llm.invoke(prompt, **kwargs)

    refused(ContextWindowExceededError, "the request needs about", lambda: ask("lorem ipsum " * 200_000))
    refused(NoCandidateError, "needs image input", lambda: ask([_attachment("image")]))
    refused(ValueError, "valid priorities", lambda: ask("hi", config={"configurable": {"priority": "fast"}}))
    refused(ValueError, "unknown pinned model 'amazon.nova-nano-v9:0", lambda: ask("hi", model="amazon.nova-nano-v9:0"))
    ask("What is the refund window?")  # a good request embeds (billed) and is answered
    assert [r.operation for r in emulator.requests].count("InvokeModel") >= 1


async def test_async_calls_refuse_the_same_way(router: Router, emulator: BedrockEmulator):
    llm = router(tiers={"simple": ["amazon.nova-micro-v1:0"]})
    with pytest.raises(ValueError, match="empty prompt"):
        await llm.ainvoke("  ")
    with pytest.raises(NoCandidateError, match="needs image input but no configured model has it"):
        await llm.ainvoke([_attachment("image")])
    with pytest.raises(ContextWindowExceededError, match="the request needs about"):
        async for _ in llm.astream("lorem ipsum " * 200_000):
            pass
    assert len(emulator.requests) == 0


def test_a_model_the_catalog_lacks_is_priced_unknown_not_zero_in_stats():
    """Any chat model's answer from a model id the catalog does not know (here LangChain's own fake model)."""
    answer = AIMessage("hi", usage_metadata={"input_tokens": 5, "output_tokens": 2, "total_tokens": 7},
                       response_metadata={"model_name": "acme.unknown-model-v1"})  # fmt: skip
    with get_bedrock_stats_callback() as stats:
        GenericFakeChatModel(messages=iter([answer])).invoke("hi")
    figures = stats.to_dict()
    assert figures["total"]["tokens"]["input"] == 5
    assert figures["models"]["acme.unknown-model-v1"]["cost_usd"]["total"] is None
    assert stats.total_cost is None
