"""The classifier contract: a LangChain ``Runnable`` from a conversation to a :class:`RouteDecision`.

Input may be a ``str`` (one human turn), a ``PromptValue`` or a sequence of messages (anything
``langchain_core.messages.convert_to_messages`` accepts). Every classifier converts it with
:func:`to_messages`, so they compose and can replace one another.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

from langchain_core.callbacks import AsyncCallbackManagerForChainRun, CallbackManagerForChainRun
from langchain_core.messages import BaseMessage, HumanMessage, MessageLikeRepresentation, convert_to_messages
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import RunnableConfig, RunnableSerializable, run_in_executor
from pydantic import BaseModel, ConfigDict, Field, model_validator

from langchain_bedrock_routing.catalog import Tier
from langchain_bedrock_routing.routing.blocks import DOCUMENT_KINDS, IMAGE_KINDS, block_kind, content_text
from langchain_bedrock_routing.routing.decision import RouteDecision

ClassifierInput = Union[str, PromptValue, Sequence[MessageLikeRepresentation]]  # noqa: UP007 (runtime alias)


def to_messages(value: ClassifierInput) -> list[BaseMessage]:
    """The conversation as messages; a ``str`` becomes one human turn. Raises ``ValueError`` if empty."""
    if isinstance(value, str):
        return [HumanMessage(content=value)]
    messages = convert_to_messages(value)
    if not messages:
        raise ValueError("cannot classify an empty message list: pass at least one message")
    return messages


def last_human_index(messages: Sequence[BaseMessage]) -> int:
    """Index of the last human turn, or of the last message when no turn is human (e.g. system only)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].type == "human":
            return index
    return len(messages) - 1


@dataclass(frozen=True)
class MessageParts:
    """The text of a message and how many image and document blocks it carries."""

    text: str
    images: int
    documents: int


def message_parts(message: BaseMessage) -> MessageParts:
    """Text and attachment counts of one message (str content or content blocks, LangChain or Converse style)."""
    if isinstance(message.content, str):
        return MessageParts(message.content, 0, 0)
    kinds = [block_kind(block) for block in message.content if isinstance(block, dict)]
    images = sum(kind in IMAGE_KINDS for kind in kinds)
    documents = sum(kind in DOCUMENT_KINDS for kind in kinds)
    return MessageParts(content_text(message.content), images, documents)


class TierThresholds(BaseModel):
    """Score cut points: ``score < medium`` is simple, ``medium <= score < complex`` medium, else complex."""

    model_config = ConfigDict(frozen=True)

    medium: float = Field(default=0.35, ge=0.0, le=1.0)
    complex: float = Field(default=0.65, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> TierThresholds:
        if self.medium > self.complex:
            raise ValueError(f"thresholds need medium <= complex, got medium={self.medium}, complex={self.complex}")
        return self

    def tier_for(self, score: float) -> Tier:
        """The tier of a score in [0, 1]."""
        if score >= self.complex:
            return "complex"
        return "medium" if score >= self.medium else "simple"


class ComplexityClassifier(RunnableSerializable[ClassifierInput, RouteDecision], ABC):
    """Base of every classifier: implement :meth:`classify_messages` (and, for I/O, :meth:`aclassify_messages`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def calls_models(self) -> bool:
        """True when classifying may call (and bill) a model: the router then runs it as a traced child run."""
        return False

    @abstractmethod
    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        """Decide on a non-empty conversation; ``config`` carries callbacks and ``configurable`` values."""

    async def aclassify_messages(
        self, messages: list[BaseMessage], config: RunnableConfig | None = None
    ) -> RouteDecision:
        """Async :meth:`classify_messages`; the default runs the sync one inline when it calls no model (CPU only),
        else in the executor."""
        if not self.calls_models:
            return self.classify_messages(messages, config)
        return await run_in_executor(config, self.classify_messages, messages, config)

    async def aclose(self) -> None:
        """Close the HTTP connections this classifier's async calls opened on the running event loop (none here)."""

    def invoke(self, input: ClassifierInput, config: RunnableConfig | None = None, **kwargs: Any) -> RouteDecision:
        """Classify ``input`` (str, PromptValue or messages) as a traced Runnable call."""
        return self._call_with_config(self._classify_input, input, config)

    async def ainvoke(
        self,
        input: ClassifierInput,
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> RouteDecision:
        """Async :meth:`invoke`."""
        return await self._acall_with_config(self._aclassify_input, input, config)

    def _classify_input(
        self, value: ClassifierInput, run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> RouteDecision:
        return self.classify_messages(to_messages(value), config)

    async def _aclassify_input(
        self, value: ClassifierInput, run_manager: AsyncCallbackManagerForChainRun, config: RunnableConfig
    ) -> RouteDecision:
        return await self.aclassify_messages(to_messages(value), config)


class ScoringClassifier(ComplexityClassifier, ABC):
    """A classifier that computes a score in [0, 1] and maps it to a tier with ``thresholds``."""

    thresholds: TierThresholds = Field(default_factory=TierThresholds)
    """Cut points from score to tier (defaults: simple < 0.35 <= medium < 0.65 <= complex)."""

    def decide(self, score: float, reason: str, classifier: str) -> RouteDecision:
        """A decision for ``score`` (clipped to [0, 1]) with its tier from ``thresholds``."""
        score = min(1.0, max(0.0, score))
        return RouteDecision(tier=self.thresholds.tier_for(score), score=score, reason=reason, classifier=classifier)
