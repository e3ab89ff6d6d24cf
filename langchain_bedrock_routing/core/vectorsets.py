"""Thin typed wrapper over Redis 8 vector-set commands (VADD, VSIM, VREM, VCARD, VINFO, VGETATTR).

Goes through ``execute_command`` so it works with any redis-py >= 5 client (standalone or
cluster, sync or ``redis.asyncio``) and parses replies whether or not redis-py registered its
own vector-set callbacks. Scores returned by :meth:`VectorSets.similar` are the server's
vector-set similarity: ``(1 + cosine) / 2`` in [0, 1] (1 identical, 0.5 orthogonal, 0 opposite).
Server errors that mean misconfiguration become specific exceptions with actionable messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
from redis.exceptions import ResponseError

from langchain_bedrock_routing.errors import VectorDimensionError, VectorSetsUnavailableError

Quantization = Literal["q8", "noquant", "bin"]
QUANTIZATIONS: tuple[str, ...] = get_args(Quantization)

_DIM_MISMATCH = re.compile(r"dimension mismatch - got (\d+) but set has (\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class SetOwner:
    """Who uses the vector sets, named in error messages: the class, what to use without Redis 8, how to restart."""

    name: str
    alternative: str
    fresh_start: str


SEMANTIC_CACHE_OWNER = SetOwner(
    "RedisSemanticCache",
    "RedisCache (exact match), which works on Redis 6.2+, Valkey and Redis Cluster",
    "another namespace, or clear() the cache",
)


def translate_error(exc: ResponseError, key: str, owner: SetOwner = SEMANTIC_CACHE_OWNER) -> Exception:
    """The specific error for a vector-set ``ResponseError``, or ``exc`` itself if it is not a known one."""
    message = str(exc)
    lowered = message.lower()
    if "unknown command" in lowered or ("unknown" in lowered and "command called from" in lowered):  # or a script
        return VectorSetsUnavailableError(
            f"{owner.name} needs Redis >= 8.0 (vector sets: VADD/VSIM); this server has no vector-set "
            f"commands ({message}). Upgrade to Redis 8, or use {owner.alternative}."
        )
    match = _DIM_MISMATCH.search(message)
    if match:
        return VectorDimensionError(
            f"the embeddings give {match.group(1)}-dimensional vectors but the vector set {key!r} holds "
            f"{match.group(2)}-dimensional ones: use the same embeddings model as when it was filled, "
            f"or {owner.fresh_start}"
        )
    if "quantization mismatch" in message.lower():
        return ValueError(
            f"the vector set {key!r} was created with another quantization than asked: use the same "
            f"quantization (one of {QUANTIZATIONS}), {owner.fresh_start}"
        )
    if "filter expression" in message.lower():
        return ValueError(
            f"{message} (a FILTER expression tests top-level JSON attributes, e.g. '.year >= 2020 and "
            '.lang == "en"\'; see https://redis.io/docs/latest/develop/data-types/vector-sets/filtered-search/)'
        )
    return exc


def vadd_args(
    key: str, element: str, vector: Sequence[float], quantization: Quantization, attributes: str | None = None
) -> list[Any]:
    """Arguments of ``VADD key FP32 <blob> element <QUANT> [SETATTR <json>]`` (little-endian float32 blob)."""
    blob = np.asarray(vector, dtype="<f4").tobytes()
    args: list[Any] = ["VADD", key, "FP32", blob, element, quantization.upper()]
    return args if attributes is None else [*args, "SETATTR", attributes]


def vsim_args(
    key: str,
    vector: Sequence[float],
    count: int,
    *,
    with_attributes: bool = False,
    filter: str | None = None,
    filter_ef: int | None = None,
    ef: int | None = None,
    no_thread: bool = False,
) -> list[Any]:
    """Arguments of ``VSIM key FP32 <blob> WITHSCORES [WITHATTRIBS] COUNT count [EF ef] [FILTER expr [FILTER-EF n]]
    [NOTHREAD]`` (``EF``: exploration factor, server default 100; ``NOTHREAD``: search in the server's main thread
    instead of a new worker thread)."""
    args: list[Any] = ["VSIM", key, "FP32", np.asarray(vector, dtype="<f4").tobytes(), "WITHSCORES"]
    args += [*(["WITHATTRIBS"] if with_attributes else []), "COUNT", count, *(["EF", ef] if ef is not None else [])]
    if filter is not None:
        args += ["FILTER", filter, *(["FILTER-EF", filter_ef] if filter_ef is not None else [])]
    return [*args, "NOTHREAD"] if no_thread else args


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def parse_scored(reply: Any) -> list[tuple[str, float]]:
    """``[(element, score), ...]`` best first, from a VSIM WITHSCORES reply (map, flat list or pairs)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        pairs = list(reply.items())
    elif isinstance(reply[0], list | tuple):
        pairs = [(item[0], item[1]) for item in reply]
    else:
        pairs = list(zip(reply[0::2], reply[1::2], strict=True))
    scored = [(_text(element), float(score)) for element, score in pairs]
    return sorted(scored, key=lambda pair: -pair[1])


def parse_scored_attributes(reply: Any) -> list[tuple[str, float, str | None]]:
    """``[(element, score, attributes JSON or None), ...]`` best first, from VSIM WITHSCORES WITHATTRIBS."""
    if not reply:
        return []
    if isinstance(reply, dict):
        triples = [(element, value[0], value[1]) for element, value in reply.items()]
    else:
        triples = list(zip(reply[0::3], reply[1::3], reply[2::3], strict=True))
    scored = [(_text(e), float(s), None if a is None else _text(a)) for e, s, a in triples]
    return sorted(scored, key=lambda triple: -triple[1])


def parse_info(reply: Any) -> dict[str, Any] | None:
    """VINFO as a ``str -> value`` dict (bytes decoded), or ``None`` when the key does not exist."""
    if not reply:
        return None
    items = reply.items() if isinstance(reply, dict) else zip(reply[0::2], reply[1::2], strict=True)
    return {_text(k): _text(v) if isinstance(v, bytes) else v for k, v in items}


class VectorSets:
    """Vector-set commands on a sync redis-py client (``redis.Redis`` or ``redis.RedisCluster``)."""

    def __init__(self, client: Any, owner: SetOwner = SEMANTIC_CACHE_OWNER) -> None:
        self.client = client
        self.owner = owner

    def _run(self, key: str, *args: Any) -> Any:
        try:
            return self.client.execute_command(*args)
        except ResponseError as exc:
            raise translate_error(exc, key, self.owner) from exc

    def _run_many(self, key: str, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Replies of ``commands`` sent in one pipeline round trip (no transaction)."""
        pipe = self.client.pipeline(transaction=False)
        for args in commands:
            pipe.execute_command(*args)
        try:
            return list(pipe.execute())
        except ResponseError as exc:
            raise translate_error(exc, key, self.owner) from exc

    def add(
        self,
        key: str,
        element: str,
        vector: Sequence[float],
        quantization: Quantization = "q8",
        attributes: str | None = None,
    ) -> bool:
        """Add or update ``element`` (and its JSON ``attributes`` when given); True if it was new."""
        return bool(self._run(key, *vadd_args(key, element, vector, quantization, attributes)))

    def add_many(
        self, key: str, items: Sequence[tuple[str, Sequence[float], str | None]], quantization: Quantization = "q8"
    ) -> int:
        """Add or update ``(element, vector, attributes JSON or None)`` items in one round trip; how many were new."""
        commands = [vadd_args(key, element, vector, quantization, attrs) for element, vector, attrs in items]
        return sum(bool(reply) for reply in self._run_many(key, commands))

    def similar(self, key: str, vector: Sequence[float], count: int = 4) -> list[tuple[str, float]]:
        """Up to ``count`` nearest ``(element, score)`` pairs, best first; [] when the key is missing."""
        return parse_scored(self._run(key, *vsim_args(key, vector, count)))

    def similar_with_attributes(
        self,
        key: str,
        vector: Sequence[float],
        count: int = 4,
        filter: str | None = None,
        filter_ef: int | None = None,
    ) -> list[tuple[str, float, str | None]]:
        """Up to ``count`` nearest ``(element, score, attributes)`` whose attributes pass ``filter``, best first;
        ``filter_ef``: how many candidates the server may test against the filter (its default: ``count * 100``)."""
        args = vsim_args(key, vector, count, with_attributes=True, filter=filter, filter_ef=filter_ef)
        return parse_scored_attributes(self._run(key, *args))

    def attributes(self, key: str, elements: Sequence[str]) -> list[str | None]:
        """The JSON attributes of each element in one round trip (``None``: missing element or no attributes)."""
        replies = self._run_many(key, [("VGETATTR", key, element) for element in elements])
        return [None if reply is None else _text(reply) for reply in replies]

    def remove_many(self, key: str, elements: Sequence[str]) -> int:
        """Remove ``elements`` in one round trip; how many were there."""
        return sum(bool(reply) for reply in self._run_many(key, [("VREM", key, element) for element in elements]))

    def remove(self, key: str, element: str) -> bool:
        """Remove ``element``; True if it was there."""
        return bool(self._run(key, "VREM", key, element))

    def card(self, key: str) -> int:
        """Number of elements (0 when the key is missing)."""
        return int(self._run(key, "VCARD", key))

    def dim(self, key: str) -> int | None:
        """Vector dimension of the set, or ``None`` when the key is missing."""
        info = self.info(key)
        return None if info is None else int(info["vector-dim"])

    def info(self, key: str) -> dict[str, Any] | None:
        """VINFO fields (``quant-type``, ``vector-dim``, ``size`` ...), or ``None`` when the key is missing."""
        return parse_info(self._run(key, "VINFO", key))
