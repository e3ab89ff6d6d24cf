"""``demo --live``: check credentials, estimate the cost of the run, and ask before spending anything.

The estimate comes from a dry run of the same demo against an in-process emulator (no sleeping): it
gives every Bedrock call the live run will make, with the same routing and cache hits (the caches embed
offline). Each call is priced as an upper bound: all its input at the higher of the input and cache-write
prices, and a full ``max_tokens`` reply.
"""

from __future__ import annotations

import io
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from langchain_bedrock_routing.backend import offline_backend
from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.cli_support import check_credentials, check_region
from langchain_bedrock_routing.demo.context import DemoSettings
from langchain_bedrock_routing.demo.fmt import short_model, usd
from langchain_bedrock_routing.emulator import BedrockEmulator, RequestRecord


@dataclass(frozen=True)
class LiveEstimate:
    """Calls the live run makes per model, and their cost upper bound in USD (``None`` if a price is unknown)."""

    calls: Counter[str]
    input_tokens: int
    max_output_tokens: int
    cost_usd: Decimal | None


def _upper_bound(record: RequestRecord, max_tokens: int) -> Decimal | None:
    prices = get_catalog().get(record.invoked_model_id or record.model_id).prices
    input_price = max((p for p in (prices.input, prices.cache_write) if p is not None), default=None)
    if input_price is None or prices.output is None:
        return None
    tokens_in = record.input_tokens + record.cache_read_input_tokens + record.cache_write_input_tokens
    return (Decimal(str(input_price)) * tokens_in + Decimal(str(prices.output)) * max_tokens) / 1_000_000


def estimate_live_cost(settings: DemoSettings) -> LiveEstimate:
    """Dry-run the demo offline (quietly) and price the Bedrock calls it made as an upper bound."""
    from langchain_bedrock_routing.demo.app import run_demo_on

    with tempfile.TemporaryDirectory() as tmp, BedrockEmulator(latency_scale=0.0) as emulator:
        dry = replace(settings, live=False, latency_scale=0.0, chart_path=Path(tmp) / "dry.png", summary_json=None)
        backend = offline_backend(emulator.endpoint_url, settings.region, emulator, 0.0)
        run_demo_on(backend, dry, Console(file=io.StringIO()))
        records = [r for r in emulator.requests if r.billed and r.operation != "InvokeModel"]
    costs = [_upper_bound(r, settings.max_tokens) for r in records]
    known = [c for c in costs if c is not None]
    return LiveEstimate(
        calls=Counter(r.invoked_model_id or r.model_id for r in records),
        input_tokens=sum(r.input_tokens + r.cache_read_input_tokens + r.cache_write_input_tokens for r in records),
        max_output_tokens=settings.max_tokens * len(records),
        cost_usd=sum(known, Decimal(0)) if len(known) == len(costs) else None,
    )


def confirm_live(settings: DemoSettings, console: Console, ask: Callable[[str], str] = input) -> bool:
    """Check region and credentials, print the estimate and ask; True only when the user agrees (or ``assume_yes``).

    ``SetupError`` when the region or credentials are unusable; ``EOFError`` when ``ask`` finds stdin closed."""
    check_region(settings.region)
    source = check_credentials(settings.profile)
    console.print(f"[bold]Live mode[/]: Amazon Bedrock in {settings.region}, credentials from {source}.")
    console.print("Estimating the cost with a dry run against the offline emulator ...")
    estimate = estimate_live_cost(settings)
    for model_id, count in sorted(estimate.calls.items()):
        console.print(f"  {count:>3} calls to {short_model(model_id)} ({model_id})")
    console.print(
        f"{sum(estimate.calls.values())} calls, about {estimate.input_tokens:,} input tokens and at most "
        f"{estimate.max_output_tokens:,} output tokens: [bold]estimated cost at most {usd(estimate.cost_usd)}[/] "
        "(catalog prices; cache hits are free)."
    )
    if settings.assume_yes:
        return True
    answer = ask("Run against Amazon Bedrock and spend this? [y/N] ")
    return answer.strip().lower() in ("y", "yes")
