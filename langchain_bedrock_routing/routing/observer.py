"""The hook by which a learning component watches a router's answers (``RoutedChatBedrock(shadow=...)``).

``routing`` never imports ``learning``: the router only knows this protocol; the shadow judge implements it.
"""

from __future__ import annotations

from typing import Any, Protocol

from langchain_core.callbacks import Callbacks


class AnswerObserver(Protocol):
    """Watches one router's answers through a callback handler of its own."""

    def attach(self, router: Any, callbacks: Callbacks) -> Callbacks:
        """Bind to ``router`` (raises ``ValueError`` when bound to another) and return ``callbacks`` (the router's
        constructor callbacks) with the observer's handler added."""
