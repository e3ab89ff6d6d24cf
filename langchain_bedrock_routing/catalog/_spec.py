"""Typed records of the model catalog: what one Bedrock model costs, holds and how fast it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Tier = Literal["simple", "medium", "complex"]
TIERS: tuple[Tier, ...] = ("simple", "medium", "complex")


@dataclass(frozen=True)
class Prices:
    """USD per 1M tokens; ``None`` means the price is not known (never guessed)."""

    input: float | None
    output: float | None
    cache_write: float | None
    cache_read: float | None
    source: str | None

    @property
    def known(self) -> bool:
        """True when input and output prices are both known."""
        return self.input is not None and self.output is not None

    def scaled(self, factor: float) -> Prices:
        """Every known price times ``factor`` (rounded to 1e-6 USD per 1M tokens); unknown ones stay unknown."""

        def scale(price: float | None) -> float | None:
            return None if price is None else round(price * factor, 6)

        return Prices(
            scale(self.input), scale(self.output), scale(self.cache_write), scale(self.cache_read), self.source
        )


@dataclass(frozen=True)
class LatencyProfile:
    """Emulator latency model: time to first token (ms) and decode speed (output tokens/s)."""

    ttft_ms: float
    output_tokens_per_s: float


@dataclass(frozen=True)
class ModelSpec:
    """One Bedrock chat model as the router, emulator and stats see it."""

    model_id: str
    name: str
    family: str
    tier: Tier
    prices: Prices
    latency: LatencyProfile
    max_input_tokens: int
    max_output_tokens: int
    tool_calling: bool
    image_inputs: bool
    pdf_inputs: bool
    cache_min_tokens: int | None
    """Smallest prefix (tokens) Bedrock caches at a cache point; ``None``: no prompt caching."""
    geo_premium: float = 0.0
    """Extra fraction Bedrock charges through a geographic inference profile (``us.``, ``eu.`` ...) over the
    listed price, which is the in-region and ``global.`` one (0.1 for Claude 4.5 and later)."""

    @property
    def supports_prompt_cache(self) -> bool:
        """True when Bedrock prompt caching (``cachePoint``) is available for this model."""
        return self.cache_min_tokens is not None


@dataclass(frozen=True)
class PromptRouterSpec:
    """A Bedrock prompt router: two models, the cheaper one used for simpler prompts."""

    router_id: str
    name: str
    models: tuple[str, ...]
    fallback_model: str
    response_quality_difference: float


@dataclass(frozen=True)
class EmbeddingModelSpec:
    """A Bedrock text-embedding model (Titan); price is USD per 1M input tokens."""

    model_id: str
    name: str
    dimensions: tuple[int, ...]
    default_dimensions: int
    max_input_tokens: int
    input_price: float | None
    latency: LatencyProfile
