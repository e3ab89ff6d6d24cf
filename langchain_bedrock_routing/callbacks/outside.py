"""Requests a ``get_bedrock_stats_callback`` block cannot see, counted so a miscount is visible.

A block reaches the runs started in its own context and in contexts copied from it (tasks, LangChain's
``batch``, ``asyncio.to_thread``, ``contextvars.copy_context().run``). A thread started without copying
the context carries no block, and nothing links its runs to one. While a block is open, a watcher
registered for every run counts each top-level chat-model request on the ``outside_requests`` of every
open block its context does not carry; it cannot tell such a thread from another, unrelated request
running concurrently, so those count too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, Protocol
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.tracers.context import register_configure_hook


class Outsider(Protocol):
    """A block's handler: told of each request it could not see."""

    def count_outside_request(self) -> None:
        """One chat-model request started outside its block while it was open."""


class _Watcher(BaseCallbackHandler):
    """Counts top-level chat-model runs started in a context with no open block, on every open block."""

    run_inline = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[tuple[Outsider, Callable[[], bool]]] = []

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Count this request on every open block that this context does not carry."""
        if parent_run_id is not None or not self._open:
            return
        with self._lock:
            open_blocks = list(self._open)
        for handler, carried in open_blocks:
            if not carried():
                handler.count_outside_request()

    @contextmanager
    def watching(self, handler: Outsider, carried: Callable[[], bool]) -> Iterator[None]:
        """Count for ``handler`` while the block is open; ``carried()``: whether the current context carries it."""
        entry = (handler, carried)
        with self._lock:
            self._open.append(entry)
        try:
            yield
        finally:
            with self._lock:
                self._open.remove(entry)


_watcher = _Watcher()
_hook_lock = threading.Lock()
_hook_registered = threading.Event()


def watching(handler: Outsider, carried: Callable[[], bool]) -> AbstractContextManager[None]:
    """Count outside requests for ``handler`` while the returned context is entered; ``carried()`` tells
    whether a run's context carries ``handler``'s block. The watcher is registered on first use only, so an app that
    never opens a block runs no extra handler."""
    with _hook_lock:
        if not _hook_registered.is_set():
            # A default (not .set()) so the runs of every thread and task reach the watcher.
            hook: ContextVar[BaseCallbackHandler | None] = ContextVar("lbr_stats_outside", default=_watcher)
            register_configure_hook(hook, inheritable=True)
            _hook_registered.set()
    return _watcher.watching(handler, carried)
