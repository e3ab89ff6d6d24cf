"""Sticky routing: once a conversation escalates to a tier, later turns do not drop below it.

A conversation is keyed by ``config["configurable"]["thread_id"]`` (when given) plus a hash of its
first human message. Without a thread id, a conversation's first turn starts fresh (two chats that
open with the same words do not inherit each other's tier); pass ``thread_id`` to make the key exact.
Memory is an LRU of at most ``max_conversations`` keys.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import Field, PrivateAttr

from langchain_bedrock_routing.catalog import TIERS
from langchain_bedrock_routing.core.closing import aclose_parts
from langchain_bedrock_routing.routing.classifiers.base import ComplexityClassifier, message_parts
from langchain_bedrock_routing.routing.classifiers.heuristic import HeuristicComplexityClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision


def conversation_key(messages: list[BaseMessage], config: RunnableConfig | None) -> str:
    """Stable key of a conversation: thread id (if configured) and the first human message's text."""
    thread_id = ((config or {}).get("configurable") or {}).get("thread_id")
    first = next((m for m in messages if m.type == "human"), messages[0])
    digest = hashlib.blake2b(f"{thread_id}\x00{message_parts(first).text}".encode(), digest_size=16).hexdigest()
    return digest


class StickyClassifier(ComplexityClassifier):
    """Wraps ``classifier``; a turn's tier is the highest tier its conversation has reached so far."""

    classifier: Runnable[Any, RouteDecision] = Field(default_factory=HeuristicComplexityClassifier)
    max_conversations: int = Field(default=10_000, gt=0)
    """Conversations remembered (least recently used are forgotten first)."""
    _memory: OrderedDict[str, RouteDecision] = PrivateAttr(default_factory=OrderedDict)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def calls_models(self) -> bool:
        """Whether the wrapped classifier may call a model."""
        return not isinstance(self.classifier, ComplexityClassifier) or self.classifier.calls_models

    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        """The inner decision, raised to the conversation's highest tier so far."""
        return self._remember(messages, config, self.classifier.invoke(messages, config))

    async def aclassify_messages(
        self, messages: list[BaseMessage], config: RunnableConfig | None = None
    ) -> RouteDecision:
        """Async :meth:`classify_messages` (the inner classifier runs async)."""
        return self._remember(messages, config, await self.classifier.ainvoke(messages, config))

    async def aclose(self) -> None:
        """Close the wrapped classifier's connections of the running event loop."""
        await aclose_parts(self.classifier)

    def forget(self) -> None:
        """Drop every remembered conversation."""
        with self._lock:
            self._memory.clear()

    def _remember(
        self, messages: list[BaseMessage], config: RunnableConfig | None, fresh: RouteDecision
    ) -> RouteDecision:
        key = conversation_key(messages, config)
        has_thread = bool(((config or {}).get("configurable") or {}).get("thread_id"))
        first_turn = sum(1 for m in messages if m.type == "human") <= 1
        with self._lock:
            held = None if first_turn and not has_thread else self._memory.get(key)
            decision = fresh
            if held is not None and TIERS.index(held.tier) > TIERS.index(fresh.tier):
                decision = fresh.model_copy(
                    update={
                        "tier": held.tier,
                        "score": max(held.score, fresh.score),
                        "reason": f"sticky: conversation already reached {held.tier}; now {fresh.reason}",
                    }
                )
            self._memory[key] = decision
            self._memory.move_to_end(key)
            while len(self._memory) > self.max_conversations:
                self._memory.popitem(last=False)
        return decision
