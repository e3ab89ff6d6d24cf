"""Injected faults: random throttling and service errors, and models made unavailable or not ready."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from langchain_bedrock_routing.catalog import base_model_id
from langchain_bedrock_routing.emulator.errors import BedrockError


def _rate(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
    return float(value)


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities per request (0..1) and base model ids that always fail."""

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    fail_models: frozenset[str] = field(default_factory=frozenset)
    not_ready_models: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls,
        throttle_rate: float = 0.0,
        error_rate: float = 0.0,
        fail_models: Iterable[str] = (),
        not_ready_models: Iterable[str] = (),
    ) -> FaultConfig:
        """Validated config; model ids may carry geo prefixes or ARNs (they are reduced to base ids)."""
        return cls(
            throttle_rate=_rate("throttle_rate", throttle_rate),
            error_rate=_rate("error_rate", error_rate),
            fail_models=frozenset(base_model_id(m) for m in fail_models),
            not_ready_models=frozenset(base_model_id(m) for m in not_ready_models),
        )


class FaultInjector:
    """Decides, from a seeded RNG, whether a request to a model fails and how."""

    def __init__(self, config: FaultConfig, seed: int = 0) -> None:
        self._config = config
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def config(self) -> FaultConfig:
        """The faults currently injected."""
        return self._config

    def configure(self, config: FaultConfig) -> None:
        """Replace the injected faults (takes effect for the next request)."""
        self._config = config

    def check(self, model_id: str) -> BedrockError | None:
        """The error a request to ``model_id`` (base id) should get, or ``None`` to serve it."""
        config = self._config
        if model_id in config.fail_models:
            return BedrockError("ServiceUnavailableException", f"Model {model_id} is currently unavailable.")
        if model_id in config.not_ready_models:
            return BedrockError("ModelNotReadyException", f"Model {model_id} is not ready to serve requests.")
        with self._lock:
            draw = self._rng.random()
        if draw < config.throttle_rate:
            return BedrockError("ThrottlingException", "Too many requests, please wait before trying again.")
        if draw < config.throttle_rate + config.error_rate:
            return BedrockError("ServiceUnavailableException", "Service is temporarily unavailable, try again.")
        return None
