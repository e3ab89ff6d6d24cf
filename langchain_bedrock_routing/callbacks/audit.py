"""JSONL audit log: one line per request with its routing decision, cache event, cost and latency.

Prompt text is never written unless ``include_prompt=True``; by default a line carries the
SHA-256 of the prompt (keyed HMAC-SHA-256 when ``hash_key`` is given, so short prompts cannot be
guessed by hashing candidates).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from langchain_bedrock_routing.callbacks.figures import RequestOutcome, outcome_cost, outcome_saved
from langchain_bedrock_routing.catalog import ModelCatalog, get_catalog
from langchain_bedrock_routing.core.routing_metadata import RoutingMetadata

_ROUTING_FIELDS = ("tier", "model_id", "score", "classifier", "priority", "requested_tier", "attempts")
"""Routing fields logged; the classifier's ``reason`` may quote the prompt, so it goes with ``include_prompt``."""


def _routing_fields(routing: RoutingMetadata, include_reason: bool) -> dict[str, Any]:
    """The logged subset of a routing record."""
    fields = (*_ROUTING_FIELDS, *(("reason",) if include_reason else ()))
    return {key: value for key, value in routing.items() if key in fields}


class JsonlAuditLog:
    """An :class:`OutcomeSink` appending JSON lines to ``target`` (a path, opened in append mode, or a text stream)."""

    def __init__(
        self,
        target: str | Path | IO[str],
        *,
        include_prompt: bool = False,
        hash_key: bytes | None = None,
        catalog: ModelCatalog | None = None,
    ) -> None:
        self._own = isinstance(target, (str, Path))
        self._stream: IO[str] = open(target, "a", encoding="utf-8") if isinstance(target, (str, Path)) else target  # noqa: SIM115
        self.include_prompt = include_prompt
        self.hash_key = hash_key
        self.catalog = catalog or get_catalog()
        self._lock = threading.Lock()

    def _digest(self, prompt: str) -> str:
        data = prompt.encode("utf-8")
        if self.hash_key is None:
            return "sha256:" + hashlib.sha256(data).hexdigest()
        return "hmac-sha256:" + hmac.new(self.hash_key, data, hashlib.sha256).hexdigest()

    def entry(self, outcome: RequestOutcome) -> dict[str, Any]:
        """The JSON-safe record of one request (what :meth:`record` writes)."""
        answer = outcome.answer
        cost = outcome_cost(self.catalog, outcome).total
        saved = outcome_saved(self.catalog, outcome)
        entry: dict[str, Any] = {
            "ts": datetime.now(timezone.utc).isoformat(),
            "run_id": str(outcome.run_id),
            "tenant": outcome.tenant,
            "purpose": outcome.purpose,
            "model_id": outcome.model_id,
            "event": "error" if answer is None else ("cache_hit" if answer.cached else "model_call"),
            "cache": None
            if answer is None
            else {"hit": answer.cached, "kind": answer.cache_kind, "similarity": answer.cache_similarity},
            "routing": None
            if answer is None or not answer.routing
            else _routing_fields(answer.routing, self.include_prompt),
            "tokens": None if answer is None else answer.usage.as_dict(),
            "billed_calls": [{"model_id": m, "tokens": u.as_dict()} for m, u in outcome.spend],
            "failed_calls": [{"model_id": a.model_id, "error": a.error} for a in outcome.api_errors],
            "cost_usd": None if cost is None else float(cost),
            "saved_usd": None if saved is None else float(saved),
            "latency_ms": round(outcome.latency_ms, 3),
            "error": outcome.error,
            "prompt_hash": self._digest(outcome.prompt),
            "experiment": None
            if outcome.assignment is None
            else {"name": outcome.assignment.experiment, "arm": outcome.assignment.arm},
        }
        if self.include_prompt:
            entry["prompt"] = outcome.prompt
        return entry

    def record(self, outcome: RequestOutcome) -> None:
        """Append one line and flush it."""
        line = json.dumps(self.entry(outcome), default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        """Close the file if this log opened it."""
        if self._own:
            self._stream.close()
