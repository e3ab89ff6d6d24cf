"""Runs soak requests through a chat model from sync worker threads and an asyncio loop at once.

Every call is one :class:`CallOutcome`: a cache hit, a miss answered by Bedrock, a documented
``AllModelsFailedError`` (with its attempts), or any other exception (a broken guarantee).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.runnables import RunnableConfig

from langchain_bedrock_routing.catalog import TIERS, base_model_id
from langchain_bedrock_routing.errors import AllModelsFailedError
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock
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
    answer_id: str | None = None
    """The answer message's id: the run that produced it from Bedrock (a hit carries its producer's id)."""
    started: float = 0.0
    ended: float = 0.0
    """Start and end of the call (``time.monotonic()`` seconds)."""


def _outcome(request: SoakRequest, message: BaseMessage, started: float) -> CallOutcome:
    cache = message.response_metadata.get("cache") or {}
    text, ended = str(message.text), time.monotonic()
    kind = str(cache.get("kind")) if cache.get("hit") else None
    status: Status = "hit" if cache.get("hit") else "miss"
    return CallOutcome(request, status, cache_kind=kind, text=text, answer_id=message.id, started=started, ended=ended)


def _failure(request: SoakRequest, error: Exception, started: float) -> CallOutcome:
    ended = time.monotonic()
    if isinstance(error, AllModelsFailedError):
        return CallOutcome(
            request, "all_failed", error=str(error), attempts=tuple(error.attempts), started=started, ended=ended
        )
    return CallOutcome(request, "error", error=repr(error), started=started, ended=ended)


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
        started = time.monotonic()
        try:
            if request.mode != "stream":
                return _outcome(request, self.llm.invoke(request.text, config, **kwargs), started)
            message = AIMessageChunk(content="")
            for chunk in self.llm.stream(request.text, config, **kwargs):
                message += chunk
            return _outcome(request, message, started)
        except Exception as error:  # every failure is recorded and judged afterwards
            return _failure(request, error, started)
        finally:
            self.progress.advance()

    async def acall(self, request: SoakRequest) -> CallOutcome:
        """One async call (``ainvoke`` or ``astream``); never raises."""
        config, kwargs = self._call_args(request)
        started = time.monotonic()
        try:
            if request.mode != "astream":
                result: AIMessage = await self.llm.ainvoke(request.text, config, **kwargs)
                return _outcome(request, result, started)
            message = AIMessageChunk(content="")
            async for chunk in self.llm.astream(request.text, config, **kwargs):
                message += chunk
            return _outcome(request, message, started)
        except Exception as error:  # every failure is recorded and judged afterwards
            return _failure(request, error, started)
        finally:
            self.progress.advance()

    def variant(self, *, llm: RoutedChatBedrock | None = None, sync_workers: int | None = None) -> SoakRunner:
        """A runner like this one (same callbacks, progress and pinned model) with another ``llm`` or pool size."""
        return SoakRunner(
            llm or self.llm,
            callbacks=self.callbacks,
            progress=self.progress,
            down_model=self.down_model,
            sync_workers=sync_workers or self.sync_workers,
            async_concurrency=self.async_concurrency,
        )

    def run_async(self, requests: Sequence[SoakRequest], concurrency: int) -> list[CallOutcome]:
        """Every request (any mode is sent async) on a fresh event loop, ``concurrency`` at a time."""
        return asyncio.run(self._run_async(requests, concurrency))

    async def _run_async(self, requests: Sequence[SoakRequest], concurrency: int | None = None) -> list[CallOutcome]:
        gate = asyncio.Semaphore(concurrency or self.async_concurrency)

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
