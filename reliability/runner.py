"""Runs soak requests through a chat model from sync worker threads and an asyncio loop at once.

Every call is one :class:`CallOutcome`: a cache hit, a miss answered by Bedrock, a documented
``AllModelsFailedError`` (with its attempts), or any other exception (a broken guarantee).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.runnables import RunnableConfig

from langchain_bedrock_routing.catalog import TIERS, base_model_id
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock
from langchain_bedrock_routing.routing.errors import AllModelsFailedError
from reliability.chaos import Progress
from reliability.workload import SoakRequest

Status = Literal["hit", "miss", "all_failed", "error"]


@dataclass(frozen=True)
class CallOutcome:
    """What one user call returned: its status, the cache kind of a hit, and the error or attempts of a failure."""

    request: SoakRequest
    status: Status
    cache_kind: str | None = None
    text: str = ""
    """The answer's text (empty for failures)."""
    error: str | None = None
    attempts: tuple[Mapping[str, Any], ...] = ()


def _outcome(request: SoakRequest, message: BaseMessage) -> CallOutcome:
    cache = message.response_metadata.get("cache") or {}
    text = str(message.text)
    if cache.get("hit"):
        return CallOutcome(request, "hit", cache_kind=str(cache.get("kind")), text=text)
    return CallOutcome(request, "miss", text=text)


def _failure(request: SoakRequest, error: Exception) -> CallOutcome:
    if isinstance(error, AllModelsFailedError):
        return CallOutcome(request, "all_failed", error=str(error), attempts=tuple(error.attempts))
    return CallOutcome(request, "error", error=repr(error))


def foreign_hits(outcomes: Sequence[CallOutcome]) -> list[CallOutcome]:
    """Hits whose answer no miss of the same tenant and priority ever received from Bedrock (a leak or a mix-up).

    Every cached answer was stored by a miss of this run, and tenant and per-call priority both partition the
    cache, so a hit must repeat text that its own (tenant, priority) got from Bedrock.
    """
    produced: dict[tuple[str | None, str | None], set[str]] = {}
    for outcome in outcomes:
        if outcome.status == "miss":
            produced.setdefault((outcome.request.tenant, outcome.request.priority), set()).add(outcome.text)
    return [
        o
        for o in outcomes
        if o.status == "hit" and o.text not in produced.get((o.request.tenant, o.request.priority), set())
    ]


def every_candidate_failed(attempts: Sequence[Mapping[str, Any]], tiers: Mapping[str, Sequence[str]]) -> bool:
    """True when the attempts cover every model the router could have tried, each with an error.

    A request starts in some tier and escalates upwards, so its candidates are every model of the lowest
    tier tried and of all tiers above it (what ``escalate_on_failure`` adds).
    """
    if not attempts or any(a.get("error") is None for a in attempts):
        return False
    tried = {base_model_id(str(a["model_id"])) for a in attempts}
    lowest = min(TIERS.index(str(a["tier"])) for a in attempts)
    needed = {base_model_id(m) for tier in TIERS[lowest:] for m in tiers.get(tier, ())}
    return needed <= tried


class SoakRunner:
    """Sends requests to ``llm`` with ``callbacks``; ``down_model`` is pinned for requests of kind ``down``."""

    def __init__(
        self,
        llm: RoutedChatBedrock,
        *,
        callbacks: Sequence[BaseCallbackHandler],
        progress: Progress,
        down_model: str,
        sync_workers: int = 4,
        async_concurrency: int = 8,
    ) -> None:
        self.llm = llm
        self.callbacks = list(callbacks)
        self.progress = progress
        self.down_model = down_model
        self.sync_workers = sync_workers
        self.async_concurrency = async_concurrency

    def _call_args(self, request: SoakRequest) -> tuple[RunnableConfig, dict[str, Any]]:
        config = request.config()
        config["callbacks"] = self.callbacks
        kwargs = {"model": self.down_model} if request.kind == "down" else {}
        return config, kwargs

    def call(self, request: SoakRequest) -> CallOutcome:
        """One sync call (``invoke`` or ``stream``); never raises."""
        config, kwargs = self._call_args(request)
        try:
            if request.mode == "stream":
                message = AIMessageChunk(content="")
                for chunk in self.llm.stream(request.text, config, **kwargs):
                    message += chunk
                return _outcome(request, message)
            return _outcome(request, self.llm.invoke(request.text, config, **kwargs))
        except Exception as error:  # every failure is recorded and judged afterwards
            return _failure(request, error)
        finally:
            self.progress.advance()

    async def acall(self, request: SoakRequest) -> CallOutcome:
        """One async call (``ainvoke`` or ``astream``); never raises."""
        config, kwargs = self._call_args(request)
        try:
            if request.mode == "astream":
                message = AIMessageChunk(content="")
                async for chunk in self.llm.astream(request.text, config, **kwargs):
                    message += chunk
                return _outcome(request, message)
            result: AIMessage = await self.llm.ainvoke(request.text, config, **kwargs)
            return _outcome(request, result)
        except Exception as error:  # every failure is recorded and judged afterwards
            return _failure(request, error)
        finally:
            self.progress.advance()

    async def _run_async(self, requests: Sequence[SoakRequest]) -> list[CallOutcome]:
        gate = asyncio.Semaphore(self.async_concurrency)

        async def gated(request: SoakRequest) -> CallOutcome:
            async with gate:
                return await self.acall(request)

        try:
            return list(await asyncio.gather(*(gated(r) for r in requests)))
        finally:
            await _close_async_cache(self.llm)

    def run(self, requests: Sequence[SoakRequest]) -> list[CallOutcome]:
        """Run every request (sync ones on a thread pool, async ones on one event loop); outcomes in input order."""
        async_requests = [r for r in requests if r.is_async]
        async_result: list[CallOutcome] = []
        failure: list[BaseException] = []

        def async_main() -> None:
            try:
                async_result.extend(asyncio.run(self._run_async(async_requests)))
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)

        loop_thread = threading.Thread(target=async_main, name="soak-async", daemon=True)
        loop_thread.start()
        with ThreadPoolExecutor(self.sync_workers, thread_name_prefix="soak-sync") as pool:
            sync_result = list(pool.map(self.call, [r for r in requests if not r.is_async]))
        loop_thread.join()
        if failure:
            raise failure[0]
        return sorted([*sync_result, *async_result], key=lambda o: o.request.index)


async def _close_async_cache(llm: RoutedChatBedrock) -> None:
    """Close the async Redis client the model's cache opened on this loop (the loop ends with the run)."""
    aclose = getattr(llm.cache, "aclose", None)
    if aclose is not None:
        await aclose()
