"""A cheap chat model rates the request's complexity (structured output); the heuristic covers its failures.

The rating is ``prompt | llm.with_structured_output(ComplexityRating)``, run as the model call then the parse of its
reply (CPU only, inline: the async path makes no executor hop). The model's
own calls go through LangChain's cache like any chat model call (``set_llm_cache`` or the model's
``cache``), and their tokens and cost (catalog prices) are counted in :attr:`LLMComplexityClassifier.usage`.
The rating comes back as a tool call, which this package's caches store only with ``cache_tool_calls=True``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, TypeAlias

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import BaseOutputParser
from langchain_core.outputs import ChatGeneration
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, RunnableSequence
from pydantic import BaseModel, Field, PrivateAttr

from langchain_bedrock_routing.catalog import UnknownModelError, get_catalog
from langchain_bedrock_routing.core.closing import aclose_parts
from langchain_bedrock_routing.routing.classifiers.base import (
    ComplexityClassifier,
    ScoringClassifier,
    last_human_index,
    message_parts,
)
from langchain_bedrock_routing.routing.classifiers.heuristic import HeuristicComplexityClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision

logger = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "amazon.nova-micro-v1:0"
_SYSTEM = (
    "You route requests to AI models of three sizes. Rate how capable a model must be to answer the user's LATEST "
    "request well, given the conversation so far. 1 = trivial (greeting, lookup, short rewrite); 2 = simple; "
    "3 = moderate (explanations, short code, multi-step but routine); 4 = hard (analysis, non-trivial code or math, "
    "several linked parts); 5 = expert (research-level reasoning, long proofs, system design). Do not answer the "
    "request; only rate it."
)
_PROMPT = ChatPromptTemplate.from_messages(
    [("system", _SYSTEM), ("human", "Conversation so far:\n{context}\n\nLatest request:\n{request}")]
)


_Rating: TypeAlias = "tuple[Runnable[dict[str, str], Any], Callable[[Any], dict[str, Any]]]"
"""The rating call and the parse of its output (see :meth:`LLMComplexityClassifier._rating`)."""


class ComplexityRating(BaseModel):
    """How capable a model must be to answer the latest request well."""

    complexity: int = Field(ge=1, le=5, description="1 trivial, 2 simple, 3 moderate, 4 hard, 5 expert")
    reason: str = Field(description="one short sentence explaining the rating")


@dataclass(frozen=True)
class ClassifierUsage:
    """What the classifier's own model calls used; ``cost_usd`` is ``None`` when a price is unknown."""

    calls: int = 0
    cache_hits: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0


class LLMComplexityClassifier(ScoringClassifier):
    """Asks ``llm`` (default ``ChatBedrockConverse(model="amazon.nova-micro-v1:0")``) for a 1-5 rating.

    Score is ``(rating - 1) / 4``. Any failure (throttling, bad output, no credentials ...) returns
    ``fallback``'s decision with a reason that says the LLM failed and why.
    """

    llm: BaseChatModel | None = None
    """The rating model; ``None`` builds an ``AsyncChatBedrockConverse(model=model_id, ...)`` on first use (its
    async calls stay on the event loop; a plain ``ChatBedrockConverse`` runs them in the loop's executor)."""
    model_id: str = DEFAULT_MODEL_ID
    region_name: str | None = None
    endpoint_url: str | None = None
    client_factory: Callable[[Any], Any] | None = None
    """Builds the default model's ``bedrock-runtime`` client from the classifier's botocore ``Config`` (one
    attempt, ``timeout_s``). ``RoutedChatBedrock`` sets it so the rating call goes where the router's own calls
    go: its endpoint, region, credentials and botocore config, never ``$AWS_ENDPOINT_URL_BEDROCK_RUNTIME``'s."""
    timeout_s: float = Field(default=5.0, gt=0.0)
    """Connect and read timeout (seconds) of the default model; it makes one attempt, no retries: on
    failure the fallback decides at once instead of holding up the request."""
    max_request_chars: int = Field(default=4000, gt=0)
    """The latest request is cut to this many characters before rating (bounds the classifier's cost)."""
    max_context_chars: int = Field(default=1500, gt=0)
    """Earlier turns are summarized into at most this many characters (most recent kept)."""
    fallback: ComplexityClassifier = Field(default_factory=HeuristicComplexityClassifier)
    _steps: _Rating | None = PrivateAttr(default=None)
    _model: BaseChatModel | None = PrivateAttr(default=None)
    _usage: ClassifierUsage = PrivateAttr(default_factory=ClassifierUsage)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def calls_models(self) -> bool:
        """Always: each uncached classification is a model call."""
        return True

    @property
    def usage(self) -> ClassifierUsage:
        """Totals of this classifier's own model calls so far."""
        return self._usage

    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        """Rate the conversation's latest request; on any error, ``fallback``'s decision."""
        try:
            call, parse = self._rating()
            outcome = self._rate(parse(call.invoke(self._prompt_input(messages), config)))
        except Exception as error:  # the optional classifier must never fail a request
            outcome = error
        if isinstance(outcome, RouteDecision):
            return outcome
        return self._fall_back(self.fallback.classify_messages(messages, config), outcome)

    async def aclassify_messages(
        self, messages: list[BaseMessage], config: RunnableConfig | None = None
    ) -> RouteDecision:
        """Async :meth:`classify_messages` through the model's async path."""
        try:
            call, parse = self._rating()
            outcome = self._rate(parse(await call.ainvoke(self._prompt_input(messages), config)))
        except Exception as error:  # the optional classifier must never fail a request
            outcome = error
        if isinstance(outcome, RouteDecision):
            return outcome
        return self._fall_back(await self.fallback.aclassify_messages(messages, config), outcome)

    async def aclose(self) -> None:
        """Close the rating model's HTTP connections of the running event loop (when it has any to close)."""
        await aclose_parts(self._model)

    def _rate(self, result: dict[str, Any]) -> RouteDecision | Exception:
        self._count(result.get("raw"))
        rating = result.get("parsed")
        if not isinstance(rating, ComplexityRating):
            return ValueError(f"the model returned no valid rating ({result.get('parsing_error')})")
        score = (rating.complexity - 1) / 4
        return self.decide(score, f"llm rated {rating.complexity}/5: {rating.reason}", "llm")

    def _fall_back(self, decision: RouteDecision, error: BaseException) -> RouteDecision:
        logger.warning("LLM complexity classifier failed, using its fallback: %r", error)
        with self._lock:
            self._usage = replace(self._usage, failures=self._usage.failures + 1)
        reason = f"llm classifier failed ({type(error).__name__}: {error}); fell back to {decision.reason}"
        return decision.model_copy(update={"reason": reason})

    def _count(self, raw: object) -> None:
        usage = raw.usage_metadata if isinstance(raw, AIMessage) else None
        hit = bool(usage is not None and usage.get("total_cost") == 0)
        tokens_in = 0 if usage is None or hit else usage["input_tokens"]
        tokens_out = 0 if usage is None or hit else usage["output_tokens"]
        cost = self._cost(tokens_in, tokens_out)
        with self._lock:
            u = self._usage
            self._usage = ClassifierUsage(
                calls=u.calls + 1,
                cache_hits=u.cache_hits + hit,
                failures=u.failures,
                input_tokens=u.input_tokens + tokens_in,
                output_tokens=u.output_tokens + tokens_out,
                cost_usd=None if u.cost_usd is None or cost is None else u.cost_usd + cost,
            )

    def _cost(self, tokens_in: int, tokens_out: int) -> float | None:
        model_id = str(getattr(self.llm, "model_id", self.model_id) if self.llm is not None else self.model_id)
        try:
            prices = get_catalog().get(model_id).prices
        except UnknownModelError:
            return None
        if prices.input is None or prices.output is None:
            return None
        return (tokens_in * prices.input + tokens_out * prices.output) / 1_000_000

    def _prompt_input(self, messages: list[BaseMessage]) -> dict[str, str]:
        last = last_human_index(messages)
        request = message_parts(messages[last])
        attachments = f"\n[{request.images} image(s), {request.documents} document(s) attached]"
        earlier = "\n".join(
            f"{m.type}: {message_parts(m).text[:300]}" for m in messages[:last] if m.type in ("human", "ai")
        )
        return {
            "context": earlier[-self.max_context_chars :] or "(none)",
            "request": request.text[: self.max_request_chars]
            + (attachments if request.images or request.documents else ""),
        }

    def _rating(self) -> _Rating:
        """The rating call (prompt and model) and the parse of its output into ``raw`` / ``parsed`` /
        ``parsing_error``. A model whose structured output is ``model | parser`` (chat models' usual shape) is
        split there, so the parse runs inline; any other shape runs whole, with ``include_raw=True``."""
        with self._lock:
            if self._steps is None:
                llm = self._model = self.llm if self.llm is not None else self._default_llm()
                structured = llm.with_structured_output(ComplexityRating)
                if (
                    isinstance(structured, RunnableSequence)
                    and len(structured.steps) == 2
                    and isinstance(structured.last, BaseOutputParser)
                ):
                    self._steps = (_PROMPT | structured.first, partial(_parsed, structured.last))
                else:
                    whole = llm.with_structured_output(ComplexityRating, include_raw=True)
                    self._steps = (_PROMPT | whole, _as_is)
            return self._steps

    def _default_llm(self) -> BaseChatModel:
        from botocore.config import Config

        from langchain_bedrock_routing.routing.async_converse import AsyncChatBedrockConverse

        config = Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=self.timeout_s,
            read_timeout=self.timeout_s,
        )
        client = None if self.client_factory is None else self.client_factory(config)
        model: BaseChatModel = AsyncChatBedrockConverse(
            model=self.model_id,
            client=client,
            region_name=self.region_name,
            base_url=self.endpoint_url,
            temperature=0,
            max_tokens=200,
            config=config,
        )
        return model


def _parsed(parser: BaseOutputParser[Any], message: Any) -> dict[str, Any]:
    """``message`` with its rating as ``with_structured_output(..., include_raw=True)`` gives them."""
    try:
        return {"raw": message, "parsed": parser.parse_result([ChatGeneration(message=message)]), "parsing_error": None}
    except Exception as error:  # as include_raw's fallback: the raw reply, no rating
        return {"raw": message, "parsed": None, "parsing_error": error}


def _as_is(result: dict[str, Any]) -> dict[str, Any]:
    return result
