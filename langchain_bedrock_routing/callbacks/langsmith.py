"""LangSmith: a ``LangChainTracer`` that puts routing, cache and cost figures on each chat-model run's metadata.

The figures go under ``metadata["bedrock"]`` (``metadata_key``), so LangSmith can filter and group
runs by ``bedrock.cache.kind``, ``bedrock.routing.tier`` or ``bedrock.model_id``. ``cost_usd`` is
what this run's own model call was billed (0 for a cache hit); ``saved_usd`` what a hit saved.
``ls_model_name`` is set to the model that actually answered: a router only knows it after the run
has started, so the run's start metadata names its default model.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from langchain_core.outputs import LLMResult
from langchain_core.tracers.langchain import LangChainTracer
from langchain_core.tracers.schemas import Run

from langchain_bedrock_routing.callbacks.answer import Answer, first_message, read_answer
from langchain_bedrock_routing.catalog import ModelCatalog, get_catalog
from langchain_bedrock_routing.catalog.pricing import price_usage


def answer_figures(answer: Answer, catalog: ModelCatalog) -> dict[str, Any]:
    """JSON-safe figures of one answer: model, cache event, routing, tokens, cost and saving (USD)."""
    price = price_usage(catalog, answer.model_id, answer.usage).total
    value = None if price is None else float(price)
    return {
        "model_id": answer.model_id,
        "cache": {"hit": answer.cached, "kind": answer.cache_kind, "similarity": answer.cache_similarity},
        "routing": {
            "tier": answer.tier,
            "classifier": answer.classifier,
            "priority": answer.routing.get("priority"),
            "score": answer.routing.get("score"),
            "fallbacks": 0 if answer.cached else len(answer.failed_attempts),
        },
        "tokens": answer.usage.as_dict(),
        "cost_usd": 0.0 if answer.cached else value,
        "saved_usd": value if answer.cached else 0.0,
    }


class BedrockLangSmithTracer(LangChainTracer):
    """``LangChainTracer`` (same arguments: ``client``, ``project_name`` ...) adding ``metadata[metadata_key]``."""

    def __init__(self, *, metadata_key: str = "bedrock", catalog: ModelCatalog | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metadata_key = metadata_key
        self.catalog = catalog or get_catalog()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> Run:
        """Attach the figures, then end the run as ``LangChainTracer`` does (which sends them)."""
        run = self.run_map.get(str(run_id))
        message = first_message(response)
        if run is not None and message is not None:
            fallback_model = (run.extra.get("metadata") or {}).get("ls_model_name")
            answer = read_answer(message, fallback_model)
            metadata = run.extra.setdefault("metadata", {})
            metadata[self.metadata_key] = answer_figures(answer, self.catalog)
            if answer.model_id:
                metadata["ls_model_name"] = answer.model_id
        return super().on_llm_end(response, run_id=run_id, **kwargs)
