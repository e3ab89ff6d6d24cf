"""Classifiers that call Bedrock (``llm``, ``cascade``, a trained router over Titan embeddings) use the router's own
endpoint, region and credentials.

Two emulators: the router is pointed at A by its own arguments while ``$AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` names B
and no AWS region or credentials are in the environment. The classifier's call must reach A and nothing may reach B.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from langchain_aws import BedrockEmbeddings

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.classifiers import TrainedClassifier
from langchain_bedrock_routing.routing.classifiers.llm import DEFAULT_MODEL_ID
from tests.routing.test_native_async import run_recorded

# The rating model (Nova Micro) is in no tier, so its requests are the classifier's alone.
TIERS = {
    "simple": ["anthropic.claude-3-haiku-20240307-v1:0"],
    "medium": ["amazon.nova-lite-v1:0"],
    "complex": ["amazon.nova-pro-v1:0"],
}
# Heuristic score 0.34: inside the cascade's default uncertainty band [0.30, 0.40), so the cascade asks the LLM.
BORDERLINE = "Summarize the causes of the French Revolution."


@pytest.fixture
def other_emulator(emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[BedrockEmulator]:
    """Emulator B, named by the environment (no region, no credentials there); ``emulator`` is A."""
    with BedrockEmulator(latency_scale=0.0) as emu_b:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu_b.endpoint_url)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
            monkeypatch.delenv(name, raising=False)
        yield emu_b


def _router(emulator: BedrockEmulator, classifier: str) -> RoutedChatBedrock:
    return RoutedChatBedrock(
        tiers=TIERS,
        classifier=classifier,
        endpoint_url=emulator.endpoint_url,
        region_name="eu-west-3",
        aws_access_key_id="router-key",
        aws_secret_access_key="router-secret",
    )


@pytest.mark.parametrize("classifier", ["llm", "cascade"])
def test_the_classifier_call_goes_to_the_routers_endpoint(
    classifier: str, emulator: BedrockEmulator, other_emulator: BedrockEmulator
) -> None:
    router = _router(emulator, classifier)
    assert router.classify(BORDERLINE).classifier == "llm"
    reply = router.invoke(BORDERLINE)
    assert reply.response_metadata["routing"]["classifier"] == "llm"
    rating_calls = [r for r in emulator.requests if r.model_id == DEFAULT_MODEL_ID]
    assert len(rating_calls) == 2
    assert all(r.status == 200 for r in emulator.requests)
    assert other_emulator.requests == []


def test_the_classifier_shares_a_client_given_to_the_router(
    emulator: BedrockEmulator, other_emulator: BedrockEmulator
) -> None:
    client = boto3.client("bedrock-runtime", **emulator.client_kwargs())
    router = RoutedChatBedrock(tiers=TIERS, classifier="llm", client=client)
    assert router.classify(BORDERLINE).classifier == "llm"
    assert [r.model_id for r in emulator.requests] == [DEFAULT_MODEL_ID]
    assert other_emulator.requests == []


def test_a_trained_routers_bedrock_embeddings_go_to_the_routers_endpoint(
    tmp_path: Path, emulator: BedrockEmulator, other_emulator: BedrockEmulator
) -> None:
    titan = BedrockEmbeddings(model_id="amazon.titan-embed-text-v2:0", **emulator.client_kwargs())
    texts = ["hi", "thanks", "prove the theorem step by step", "design a distributed database"]
    path = tmp_path / "router.json"
    TrainedClassifier(embeddings=titan).fit(texts, ["simple", "simple", "complex", "complex"]).save(path)
    emulator.clear_requests()
    router = _router(emulator, f"trained:{path}")
    assert router.classify("design a distributed queue").classifier == "trained"
    assert [r.operation for r in emulator.requests] == ["InvokeModel"]
    assert other_emulator.requests == []


def test_a_trained_router_classifies_on_the_event_loop(tmp_path: Path, emulator: BedrockEmulator) -> None:
    titan = BedrockEmbeddings(model_id="amazon.titan-embed-text-v2:0", **emulator.client_kwargs())
    texts = ["hi", "thanks", "prove the theorem step by step", "design a distributed database"]
    path = tmp_path / "router.json"
    TrainedClassifier(embeddings=titan).fit(texts, ["simple", "simple", "complex", "complex"]).save(path)
    router = _router(emulator, f"trained:{path}")
    sync = router.invoke("design a distributed queue").response_metadata["routing"]
    emulator.clear_requests()
    reply, used = run_recorded(lambda: router.ainvoke("design a distributed queue"))
    assert used == []
    assert reply.response_metadata["routing"]["classifier"] == "trained"
    assert reply.response_metadata["routing"]["score"] == sync["score"]
    assert [r.operation for r in emulator.requests] == ["InvokeModel", "Converse"]
