"""Bad-input fixtures: routers on the emulator, embeddings of a chosen dimension, and a refusal check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.emulator import BedrockEmulator

NOVA = {"simple": ["amazon.nova-micro-v1:0"], "medium": ["amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}


@pytest.fixture
def router(emulator: BedrockEmulator) -> Callable[..., RoutedChatBedrock]:
    """A factory of routers on the emulator (Nova tiers unless ``tiers=`` or ``preset=`` is given)."""

    def make(**kwargs: Any) -> RoutedChatBedrock:
        if "preset" not in kwargs:
            kwargs.setdefault("tiers", NOVA)
        return RoutedChatBedrock(endpoint_url=emulator.endpoint_url, region_name="us-east-1", **kwargs)

    return make


@pytest.fixture
def refused(emulator: BedrockEmulator) -> Callable[..., pytest.ExceptionInfo[BaseException]]:
    """``refused(ErrorType, match, fn)``: ``fn()`` raises a matching ``ErrorType`` and nothing reached Bedrock."""

    def check(error: type[BaseException], match: str, fn: Callable[[], object]) -> pytest.ExceptionInfo[BaseException]:
        before = len(emulator.requests)
        with pytest.raises(error, match=match) as info:
            fn()
        assert len(emulator.requests) == before, "a request bound to fail reached Bedrock"
        return info

    return check


class FixedDimEmbeddings(Embeddings):
    """Deterministic embeddings of ``dim`` dimensions (a stand-in for a different embedding model)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return [float((len(text) + 3 * i) % 11 + 1) for i in range(self.dim)]
