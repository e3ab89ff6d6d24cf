"""Settings of one demo run and what every step shares: backend, console, tier models, progress bars."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from langchain_bedrock_routing.backend import DEFAULT_REGION, Backend
from langchain_bedrock_routing.catalog import Tier
from langchain_bedrock_routing.routing import RoutedChatBedrock, presets

DEFAULT_CHART = Path("bedrock-routing-demo.png")


@dataclass(frozen=True)
class DemoSettings:
    """What the user asked for. ``latency_scale`` ``None`` means 1.0 (realistic), or 0 with ``quick``."""

    quick: bool = False
    live: bool = False
    region: str = DEFAULT_REGION
    profile: str | None = None
    preset: str = "claude"
    latency_scale: float | None = None
    chart_path: Path = DEFAULT_CHART
    summary_json: Path | None = None
    assume_yes: bool = False
    max_tokens: int = 400
    """Reply cap of every demo call (bounds the live cost estimate)."""

    def __post_init__(self) -> None:
        if self.preset not in presets():
            raise ValueError(f"unknown preset {self.preset!r}; valid presets: {', '.join(sorted(presets()))}")
        if self.latency_scale is not None and self.latency_scale < 0:
            raise ValueError(f"latency scale must be >= 0, got {self.latency_scale}")
        if self.max_tokens < 1:
            raise ValueError(f"max tokens must be >= 1, got {self.max_tokens}")

    @property
    def effective_latency_scale(self) -> float:
        """The emulator's latency scale for this run."""
        if self.latency_scale is not None:
            return self.latency_scale
        return 0.0 if self.quick else 1.0


@dataclass
class DemoContext:
    """Shared by the demo steps."""

    settings: DemoSettings
    backend: Backend
    console: Console
    _router: RoutedChatBedrock | None = field(default=None, init=False, repr=False, compare=False)

    def tier_model(self, tier: Tier) -> str:
        """The preset's primary model of ``tier``."""
        return presets()[self.settings.preset][tier][0]

    def routed(self, **changes: Any) -> RoutedChatBedrock:
        """The preset's router with the demo's reply cap, with ``changes`` (``cache``, ``prompt_cache``) applied.

        Every variant is a shallow pydantic copy of one router, so all share its delegates and clients and
        only the first call of the run pays for building them.
        """
        if self._router is None:
            self._router = self.backend.routed(
                preset=self.settings.preset, max_tokens=self.settings.max_tokens, cache=False
            )
        return self._router.model_copy(update=changes)

    def progress(self) -> Progress:
        """A progress display for a long step (transient: it disappears when done)."""
        return Progress(
            TextColumn("{task.description:<26}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )

    def latency_note(self) -> str:
        """Where the latency figures come from, printed under every table that shows them."""
        if self.backend.live:
            return "Latency: measured against Amazon Bedrock (client side, includes the network)."
        scale = self.backend.latency_scale
        slept = "" if scale is None else f", slept at scale x{scale:g}"
        return (
            "Latency: produced by the offline emulator's latency model (catalog time to first token + prefill + "
            f"decode per model{slept}), measured client side; not a measurement of Amazon Bedrock."
        )
