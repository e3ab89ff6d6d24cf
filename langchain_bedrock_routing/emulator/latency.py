"""Latency model: time to first token plus prefill and decode time, per model, from the catalog.

Prefill runs at ``PREFILL_TOKENS_PER_S`` for uncached input and ten times faster for input read
from the prompt cache, so cache reads answer sooner. Times are modeled in ms; ``scale`` only
stretches how long the emulator really sleeps (0 = never sleeps).
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_bedrock_routing.catalog import LatencyProfile

PREFILL_TOKENS_PER_S = 20_000.0
CACHED_PREFILL_SPEEDUP = 10.0


@dataclass(frozen=True)
class Timing:
    """Modeled times of one reply in ms: first token, then per output token."""

    ttft_ms: float
    per_token_ms: float
    output_tokens: int

    @property
    def total_ms(self) -> int:
        """Whole modeled latency, rounded to ms (what ``metrics.latencyMs`` reports)."""
        return round(self.ttft_ms + self.per_token_ms * self.output_tokens)


def model_timing(profile: LatencyProfile, uncached_input: int, cached_input: int, output_tokens: int) -> Timing:
    """Modeled timing of a reply of ``output_tokens`` to ``uncached_input`` + ``cached_input`` input tokens."""
    prefill_s = (uncached_input + cached_input / CACHED_PREFILL_SPEEDUP) / PREFILL_TOKENS_PER_S
    speed = profile.output_tokens_per_s
    per_token_ms = 1000.0 / speed if speed > 0 else 0.0
    return Timing(ttft_ms=profile.ttft_ms + prefill_s * 1000.0, per_token_ms=per_token_ms, output_tokens=output_tokens)


class Sleeper:
    """How long the emulator waits: modeled milliseconds times ``scale`` (no waiting at all when ``scale`` is 0).

    ``fixed_ms`` (when set) replaces a whole reply's modeled latency: every Converse and InvokeModel reply waits
    exactly that long, whatever its tokens (streams keep the scaled per-event waits).
    """

    def __init__(self, scale: float, fixed_ms: float | None = None) -> None:
        if scale < 0:
            raise ValueError(f"latency_scale must be >= 0, got {scale}")
        if fixed_ms is not None and not fixed_ms >= 0:
            raise ValueError(f"fixed_latency_ms must be >= 0, got {fixed_ms}")
        self.scale = scale
        self.fixed_ms = fixed_ms

    def reply_seconds(self, modeled_ms: float) -> float:
        """Seconds a whole reply waits: ``fixed_ms`` when set, else the scaled ``modeled_ms``."""
        return self.seconds(modeled_ms) if self.fixed_ms is None else self.fixed_ms / 1000.0

    def seconds(self, modeled_ms: float) -> float:
        """``modeled_ms * scale`` in seconds (0 when nothing is slept)."""
        return modeled_ms * self.scale / 1000.0 if self.scale > 0 and modeled_ms > 0 else 0.0
