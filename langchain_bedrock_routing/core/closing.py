"""Closing the async connections of composed parts (models, embeddings, classifiers, Redis-backed counters)."""

from __future__ import annotations


async def aclose_parts(*parts: object) -> None:
    """Await ``aclose()`` of each part that has one: its connections of the running event loop."""
    for part in parts:
        closing = getattr(part, "aclose", None)
        if closing is not None:
            await closing()
