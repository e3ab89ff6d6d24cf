"""Fixtures for the exact-cache tests: a fresh global LLM cache slot and a fake chat model factory."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage


@pytest.fixture
def numbered_model() -> Callable[..., GenericFakeChatModel]:
    """A factory of LangChain's own fake chat model answering "answer 1", "answer 2", ... in call order."""

    def make(**kwargs: object) -> GenericFakeChatModel:
        answers = (
            AIMessage(f"answer {i}", usage_metadata={"input_tokens": 10, "output_tokens": i, "total_tokens": 10 + i})
            for i in range(1, 10_000)
        )
        return GenericFakeChatModel(messages=answers, **kwargs)

    return make
