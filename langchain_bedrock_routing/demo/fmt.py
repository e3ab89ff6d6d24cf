"""Number formats of the demo's tables: USD, milliseconds, percentages, tokens."""

from __future__ import annotations

from decimal import Decimal


def usd(value: Decimal | float | None) -> str:
    """``$0.001234`` (six decimals: single calls cost fractions of a cent); ``unknown`` for ``None``."""
    return "unknown" if value is None else f"${float(value):,.6f}"


def ms(value: float | None) -> str:
    """Whole milliseconds, ``-`` for ``None``."""
    return "-" if value is None else f"{value:,.0f} ms"


def pct(value: float | None) -> str:
    """A fraction as a percentage with one decimal, ``-`` for ``None``."""
    return "-" if value is None else f"{value:.1%}"


def short_model(model_id: str) -> str:
    """The catalog's display name of ``model_id``, else the id itself."""
    from langchain_bedrock_routing.catalog import get_catalog

    catalog = get_catalog()
    return catalog.get(model_id).name if model_id in catalog else model_id
