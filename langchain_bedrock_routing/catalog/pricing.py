"""Token usage split into Bedrock's billing categories, and its cost at catalog prices (USD).

Shared by the statistics callbacks and the router's budgets, so both price a call the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from langchain_bedrock_routing.catalog._catalog import ModelCatalog
from langchain_bedrock_routing.errors import UnknownModelError

_PER_TOKEN = Decimal(1_000_000)


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one or more calls, each counted in exactly one billing category.

    ``input`` is the uncached input (Bedrock's ``inputTokens``), ``cache_read`` and
    ``cache_write`` are Bedrock prompt-cache tokens, ``output`` the generated tokens.
    """

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def total(self) -> int:
        """All tokens of every category."""
        return self.input + self.output + self.cache_read + self.cache_write

    @classmethod
    def from_usage_metadata(cls, usage: Mapping[str, Any] | None) -> TokenUsage:
        """Split LangChain ``usage_metadata`` (whose ``input_tokens`` includes cache tokens) by category.

        langchain-aws reports Bedrock's cache writes as ``cache_creation``, or per TTL as
        ``ephemeral_5m_input_tokens`` / ``ephemeral_1h_input_tokens`` (then ``cache_creation`` is 0).
        """
        if not usage:
            return cls()
        details: Mapping[str, Any] = usage.get("input_token_details") or {}
        cache_read = int(details.get("cache_read") or 0)
        cache_write = sum(
            int(details.get(key) or 0)
            for key in ("cache_creation", "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
        )
        total_input = int(usage.get("input_tokens") or 0)
        return cls(
            input=max(total_input - cache_read - cache_write, 0),
            output=int(usage.get("output_tokens") or 0),
            cache_read=cache_read,
            cache_write=cache_write,
        )

    def as_dict(self) -> dict[str, int]:
        """JSON-safe token counts by category."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Cost:
    """USD per billing category; ``None`` where tokens were used at a price the catalog does not know."""

    input: Decimal | None = Decimal(0)
    output: Decimal | None = Decimal(0)
    cache_read: Decimal | None = Decimal(0)
    cache_write: Decimal | None = Decimal(0)

    def __add__(self, other: Cost) -> Cost:
        return Cost(*(_add(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)))

    @property
    def total(self) -> Decimal | None:
        """Sum of all categories, ``None`` if any part is unknown."""
        parts = [getattr(self, f.name) for f in fields(self)]
        return None if any(p is None for p in parts) else sum(parts, Decimal(0))

    def as_dict(self) -> dict[str, float | None]:
        """JSON-safe USD figures by category plus ``total``."""
        out = {f.name: _float(getattr(self, f.name)) for f in fields(self)}
        out["total"] = _float(self.total)
        return out


def price_usage(catalog: ModelCatalog, model_id: str | None, usage: TokenUsage) -> Cost:
    """What ``usage`` costs on ``model_id`` at catalog prices; categories with tokens but no price are unknown."""
    if usage.total == 0:
        return Cost()
    try:
        prices = catalog.get(model_id).prices if model_id else None
    except UnknownModelError:
        prices = None
    return Cost(
        *(
            _part(getattr(usage, f.name), None if prices is None else getattr(prices, f.name))
            for f in fields(TokenUsage)
        )
    )


def price_counterfactual(catalog: ModelCatalog, model_id: str, usage: TokenUsage) -> Cost:
    """What ``usage`` would cost on ``model_id``; prompt-cache tokens count as plain input if it has no prompt cache."""
    if catalog.get(model_id).supports_prompt_cache:
        return price_usage(catalog, model_id, usage)
    plain = TokenUsage(input=usage.input + usage.cache_read + usage.cache_write, output=usage.output)
    return price_usage(catalog, model_id, plain)


def _part(tokens: int, price: float | None) -> Decimal | None:
    if tokens == 0:
        return Decimal(0)
    return None if price is None else Decimal(tokens) * Decimal(str(price)) / _PER_TOKEN


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a + b


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
