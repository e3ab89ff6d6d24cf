"""Cache warming: run prompts through a chat model once so that later identical (or, for a semantic cache,
similar) requests are cache hits.

Each prompt goes through the model's ordinary ``invoke`` path (``batch_as_completed``), so the cache key
is exactly the one later calls compute: the same ``llm_string`` and prompt serialization, and the tenant
from ``config["metadata"]["tenant_id"]``. A prompt already in the cache comes back as a hit and costs
nothing, so warming twice pays once. Costs and tokens come from :class:`BedrockStatsCallbackHandler`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from langchain_core.caches import BaseCache
from langchain_core.globals import get_llm_cache
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration
from langchain_core.runnables import RunnableConfig

from langchain_bedrock_routing.caching.base import CacheBase
from langchain_bedrock_routing.caching.context import TENANT_METADATA_KEY, validate_tenant
from langchain_bedrock_routing.callbacks.answer import error_code, read_answer
from langchain_bedrock_routing.callbacks.figures import RequestOutcome, outcome_cost
from langchain_bedrock_routing.callbacks.handler import BedrockStatsCallbackHandler
from langchain_bedrock_routing.catalog import ModelCatalog
from langchain_bedrock_routing.catalog.pricing import TokenUsage
from langchain_bedrock_routing.warming.prompts import WarmPrompt
from langchain_bedrock_routing.warming.report import WarmReport, WarmResult, WarmStatus

PromptLike = WarmPrompt | str | Sequence[BaseMessage]
Progress = Callable[[WarmResult], None]
"""Called once per prompt as it finishes (in completion order), from the caller's thread or event loop."""

WARMING_TAG = "cache-warming"
_MAX_ERROR_CHARS = 300


def _cache_prompt(messages: Sequence[BaseMessage]) -> str:
    """The prompt string LangChain's chat models look the cache up with (messages without ids)."""
    return dumps([m.model_copy(update={"id": None}) if m.id is not None else m for m in messages])


def resolve_cache(model: BaseChatModel, cache: BaseCache | None) -> tuple[BaseChatModel, BaseCache]:
    """The model to call and the cache its calls will fill; ``ValueError`` when there is nothing to fill.

    ``cache=None``: the model's own cache (``model.cache``) or the global one (``set_llm_cache``). A given
    ``cache`` is attached to a copy of the model; ``cache`` is not part of LangChain's key (``llm_string``),
    so the entries serve the same model configuration whichever way it later reaches that cache.
    """
    if not isinstance(model, BaseChatModel):
        raise TypeError(f"model must be a LangChain BaseChatModel, got {type(model).__name__}")
    if cache is not None:
        if not isinstance(cache, BaseCache):
            raise TypeError(f"cache must be a LangChain BaseCache, got {type(cache).__name__}")
        return (model if model.cache is cache else model.model_copy(update={"cache": cache})), cache
    if model.cache is False:
        raise ValueError("model.cache is False, so its calls store nothing: pass cache= to choose the cache to warm")
    active = model.cache if isinstance(model.cache, BaseCache) else get_llm_cache()
    if active is None:
        raise ValueError("no cache to warm: pass cache=..., set the model's cache=, or call set_llm_cache(...) first")
    return model, active


def _counters(cache: BaseCache) -> dict[str, Any] | None:
    return cache.stats.as_dict() if isinstance(cache, CacheBase) else None


def _counter_delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any] | None:
    if before is None or after is None:
        return None
    delta: dict[str, Any] = {k: v - before[k] for k, v in after.items() if isinstance(v, int)}
    old_skips: dict[str, int] = before.get("skipped") or {}
    delta["skipped"] = {r: n - old_skips.get(r, 0) for r, n in (after.get("skipped") or {}).items()}
    delta["skipped"] = {r: n for r, n in delta["skipped"].items() if n}
    return delta


class _WarmRun:
    """One warming run: validated prompts, one config per prompt to send, and the results as they finish."""

    def __init__(
        self,
        model: BaseChatModel,
        prompts: Iterable[PromptLike],
        *,
        cache: BaseCache | None,
        concurrency: int,
        tenant: str | None,
        progress: Progress | None,
        catalog: ModelCatalog | None,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")
        if isinstance(prompts, str):
            raise TypeError("prompts must be an iterable of prompts, not one string: wrap it in a list")
        self.model, self.cache = resolve_cache(model, cache)
        default_tenant = validate_tenant(tenant)
        self.prompts = [WarmPrompt.of(p, default_tenant) for p in prompts]
        self.progress = progress
        self._outcomes: dict[UUID, RequestOutcome] = {}
        self.handler = BedrockStatsCallbackHandler(catalog=catalog, tenant_key=TENANT_METADATA_KEY, sinks=[self])
        self.results: list[WarmResult | None] = [None] * len(self.prompts)
        self.to_send: list[int] = []
        self.run_ids: list[UUID] = []
        first_seen: dict[tuple[str, str | None], int] = {}
        for i, prompt in enumerate(self.prompts):
            key = (_cache_prompt(prompt.messages), prompt.tenant)
            if key in first_seen:
                self.results[i] = self._duplicate(i, first_seen[key])
            else:
                first_seen[key] = i
                self.to_send.append(i)
                self.run_ids.append(uuid4())
        self.concurrency = concurrency
        self._started = time.perf_counter()
        self._before = _counters(self.cache)

    def announce_duplicates(self) -> None:
        """Report the duplicates (settled before any call) to the progress callback."""
        for result in self.results:
            if result is not None and self.progress is not None:
                self.progress(result)

    def record(self, outcome: RequestOutcome) -> None:
        """Sink for the stats handler: keep each request's outcome until :meth:`finish` reads it."""
        self._outcomes[outcome.run_id] = outcome

    @property
    def inputs(self) -> list[list[BaseMessage]]:
        """The conversations to send, in :attr:`to_send` order."""
        return [list(self.prompts[i].messages) for i in self.to_send]

    @property
    def configs(self) -> list[RunnableConfig]:
        """One run config per conversation sent: its run id, tenant, metadata and the stats handler."""
        configs: list[RunnableConfig] = []
        for i, run_id in zip(self.to_send, self.run_ids, strict=True):
            prompt = self.prompts[i]
            metadata = {**prompt.metadata, TENANT_METADATA_KEY: prompt.tenant}  # None names the shared scope
            configs.append(
                RunnableConfig(
                    callbacks=[self.handler],
                    run_id=run_id,
                    metadata=metadata,
                    tags=[WARMING_TAG],
                    max_concurrency=self.concurrency,
                )
            )
        return configs

    def _result(self, index: int, status: WarmStatus, reason: str | None = None, **fields: Any) -> WarmResult:
        prompt = self.prompts[index]
        return WarmResult(index, prompt.line, prompt.tenant, prompt.preview, status, reason, **fields)

    def _duplicate(self, index: int, first: int) -> WarmResult:
        line = self.prompts[first].line
        return self._result(index, "duplicate", f"same as line {line}" if line is not None else f"same as #{first}")

    def finish(self, position: int, output: object) -> WarmResult:
        """Record the outcome of the ``position``-th conversation sent; calls the progress callback."""
        index = self.to_send[position]
        outcome = self._outcomes.pop(self.run_ids[position], None)
        spent: dict[str, Any] = {"tokens": TokenUsage(), "cost_usd": Decimal(0)}
        if outcome is not None:
            spent = {
                "model_id": outcome.model_id,
                "tokens": sum((usage for _, usage in outcome.spend), TokenUsage()),
                "cost_usd": outcome_cost(self.handler.figures.catalog, outcome).total,
            }
        if isinstance(output, Exception):
            result = self._result(index, "failed", f"{error_code(output)}: {output}"[:_MAX_ERROR_CHARS], **spent)
        elif not isinstance(output, AIMessage):
            raise TypeError(f"warming needs a chat model answering with an AIMessage, got {type(output).__name__}")
        else:
            answer = read_answer(output)
            if answer.cached:
                result = self._result(index, "already_cached", answer.cache_kind, model_id=answer.model_id)
            else:
                skip = self._skip_reason(self.prompts[index], output)
                spent["model_id"] = answer.model_id
                result = self._result(index, "stored" if skip is None else "not_stored", skip, **spent)
        self.results[index] = result
        if self.progress is not None:
            self.progress(result)
        return result

    def _skip_reason(self, prompt: WarmPrompt, answer: AIMessage) -> str | None:
        """Why the cache's store policy refuses this answer (as the cache itself decides), else ``None``."""
        if not isinstance(self.cache, CacheBase):
            return None
        return self.cache.policy.skip_reason(_cache_prompt(prompt.messages), [ChatGeneration(message=answer)])

    def report(self) -> WarmReport:
        """The report once every prompt has finished."""
        done = tuple(r for r in self.results if r is not None)
        if len(done) != len(self.results):
            raise RuntimeError("warming report requested before every prompt finished")
        return WarmReport(
            results=done,
            elapsed_s=time.perf_counter() - self._started,
            cache=type(self.cache).__name__,
            cache_counters=_counter_delta(self._before, _counters(self.cache)),
        )


def warm_cache(
    model: BaseChatModel,
    prompts: Iterable[PromptLike],
    *,
    cache: BaseCache | None = None,
    concurrency: int = 4,
    tenant: str | None = None,
    progress: Progress | None = None,
    catalog: ModelCatalog | None = None,
) -> WarmReport:
    """Run each prompt through ``model`` once (``concurrency`` at a time) so its answer lands in the cache.

    ``prompts``: :class:`WarmPrompt` (e.g. from :func:`load_prompts`), text, or message lists; ``tenant``
    applies to prompts that name none. ``cache``: the cache to fill (default: the one the model uses).
    Already-cached prompts are hits and cost nothing; a failing prompt is reported and the run goes on.
    Input errors raise ``ValueError``/``TypeError`` before any model call.
    """
    run = _WarmRun(
        model, prompts, cache=cache, concurrency=concurrency, tenant=tenant, progress=progress, catalog=catalog
    )
    run.announce_duplicates()
    for position, output in run.model.batch_as_completed(run.inputs, run.configs, return_exceptions=True):
        run.finish(position, output)
    return run.report()


async def awarm_cache(
    model: BaseChatModel,
    prompts: Iterable[PromptLike],
    *,
    cache: BaseCache | None = None,
    concurrency: int = 4,
    tenant: str | None = None,
    progress: Progress | None = None,
    catalog: ModelCatalog | None = None,
) -> WarmReport:
    """Async :func:`warm_cache` (``ainvoke`` per prompt, at most ``concurrency`` at once)."""
    run = _WarmRun(
        model, prompts, cache=cache, concurrency=concurrency, tenant=tenant, progress=progress, catalog=catalog
    )
    run.announce_duplicates()
    async for position, output in run.model.abatch_as_completed(run.inputs, run.configs, return_exceptions=True):
        run.finish(position, output)
    return run.report()
