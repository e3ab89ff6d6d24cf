"""Thin typed wrapper over Redis 8 vector-set commands (VADD, VSIM, VREM, VCARD, VDIM, VINFO).

Goes through ``execute_command`` so it works with any redis-py >= 5 client (standalone or
cluster, sync or ``redis.asyncio``) and parses replies whether or not redis-py registered its
own vector-set callbacks. Scores returned by :meth:`VectorSets.similar` are the server's
vector-set similarity: ``(1 + cosine) / 2`` in [0, 1] (1 identical, 0.5 orthogonal, 0 opposite).
Server errors that mean misconfiguration become specific exceptions with actionable messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
from redis.exceptions import ResponseError

Quantization = Literal["q8", "noquant", "bin"]
QUANTIZATIONS: tuple[str, ...] = get_args(Quantization)

_DIM_MISMATCH = re.compile(r"dimension mismatch - got (\d+) but set has (\d+)", re.IGNORECASE)


class VectorSetsUnavailableError(RuntimeError):
    """The server has no vector-set commands (Redis < 8, or Valkey)."""


class VectorDimensionError(ValueError):
    """The embeddings' dimension differs from the vector set already stored under a key."""


def translate_error(exc: ResponseError, key: str) -> Exception:
    """The specific error for a vector-set ``ResponseError``, or ``exc`` itself if it is not a known one."""
    message = str(exc)
    if "unknown command" in message.lower():
        return VectorSetsUnavailableError(
            "RedisSemanticCache needs Redis >= 8.0 (vector sets: VADD/VSIM); this server has no vector-set "
            f"commands ({message}). Upgrade to Redis 8, or use RedisCache (exact match), which works on "
            "Redis 6.2+, Valkey and Redis Cluster."
        )
    match = _DIM_MISMATCH.search(message)
    if match:
        return VectorDimensionError(
            f"the embeddings give {match.group(1)}-dimensional vectors but the vector set {key!r} holds "
            f"{match.group(2)}-dimensional ones: use the same embeddings model as when it was filled, "
            "or another namespace, or clear() the cache"
        )
    if "quantization mismatch" in message.lower():
        return ValueError(
            f"the vector set {key!r} was created with another quantization than asked: use the same "
            f"quantization (one of {QUANTIZATIONS}), another namespace, or clear() the cache"
        )
    return exc


def vadd_args(key: str, element: str, vector: Sequence[float], quantization: Quantization) -> list[Any]:
    """Arguments of ``VADD key FP32 <blob> element <QUANT>`` (little-endian float32 blob)."""
    blob = np.asarray(vector, dtype="<f4").tobytes()
    return ["VADD", key, "FP32", blob, element, quantization.upper()]


def vsim_args(key: str, vector: Sequence[float], count: int) -> list[Any]:
    """Arguments of ``VSIM key FP32 <blob> WITHSCORES COUNT count``."""
    return ["VSIM", key, "FP32", np.asarray(vector, dtype="<f4").tobytes(), "WITHSCORES", "COUNT", count]


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


def parse_info(reply: Any) -> dict[str, Any] | None:
    """VINFO as a ``str -> value`` dict (bytes decoded), or ``None`` when the key does not exist."""
    if not reply:
        return None
    items = reply.items() if isinstance(reply, dict) else zip(reply[0::2], reply[1::2], strict=True)
    return {_text(k): _text(v) if isinstance(v, bytes) else v for k, v in items}


class VectorSets:
    """Vector-set commands on a sync redis-py client (``redis.Redis`` or ``redis.RedisCluster``)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _run(self, key: str, *args: Any) -> Any:
        try:
            return self.client.execute_command(*args)
        except ResponseError as exc:
            raise translate_error(exc, key) from exc

    def add(self, key: str, element: str, vector: Sequence[float], quantization: Quantization = "q8") -> bool:
        """Add or update ``element``; True if it was new."""
        return bool(self._run(key, *vadd_args(key, element, vector, quantization)))

    def similar(self, key: str, vector: Sequence[float], count: int = 4) -> list[tuple[str, float]]:
        """Up to ``count`` nearest ``(element, score)`` pairs, best first; [] when the key is missing."""
        return parse_scored(self._run(key, *vsim_args(key, vector, count)))

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


class AsyncVectorSets:
    """Vector-set commands on a ``redis.asyncio`` client; the async twin of :class:`VectorSets`."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def _run(self, key: str, *args: Any) -> Any:
        try:
            return await self.client.execute_command(*args)
        except ResponseError as exc:
            raise translate_error(exc, key) from exc

    async def add(self, key: str, element: str, vector: Sequence[float], quantization: Quantization = "q8") -> bool:
        """Add or update ``element``; True if it was new."""
        return bool(await self._run(key, *vadd_args(key, element, vector, quantization)))

    async def similar(self, key: str, vector: Sequence[float], count: int = 4) -> list[tuple[str, float]]:
        """Up to ``count`` nearest ``(element, score)`` pairs, best first; [] when the key is missing."""
        return parse_scored(await self._run(key, *vsim_args(key, vector, count)))

    async def remove(self, key: str, element: str) -> bool:
        """Remove ``element``; True if it was there."""
        return bool(await self._run(key, "VREM", key, element))

    async def card(self, key: str) -> int:
        """Number of elements (0 when the key is missing)."""
        return int(await self._run(key, "VCARD", key))

    async def dim(self, key: str) -> int | None:
        """Vector dimension of the set, or ``None`` when the key is missing."""
        info = await self.info(key)
        return None if info is None else int(info["vector-dim"])

    async def info(self, key: str) -> dict[str, Any] | None:
        """VINFO fields (``quant-type``, ``vector-dim``, ``size`` ...), or ``None`` when the key is missing."""
        return parse_info(await self._run(key, "VINFO", key))
