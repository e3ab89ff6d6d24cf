"""The router's numeric settings, checked as given (before pydantic coerces ``True`` to 1) and before any call bills.

A setting must be a real number of the right kind (``bool`` is refused although Python counts it as an int),
finite, and inside its range; ``None`` stands for the model's or library's default where the field allows it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from langchain_bedrock_routing.errors import InvalidRequestError


@dataclass(frozen=True)
class NumberRule:
    """What a setting accepts: an int or any real number, from ``low`` (excluded if ``low_open``) to ``high``."""

    integer: bool
    low: float
    low_open: bool = False
    high: float | None = None
    unit: str = ""

    def describe(self) -> str:
        """The valid values in words, e.g. ``an int >= 1`` or ``a finite number from 0 to 1``."""
        kind = "an int" if self.integer else "a finite number"
        if self.high is not None:
            return f"{kind} from {self.low:g} to {self.high:g}{self.unit}"
        return f"{kind} {'>' if self.low_open else '>='} {self.low:g}{self.unit}"

    def accepts(self, value: object) -> bool:
        """True when ``value`` is of the right kind, finite and in range."""
        if isinstance(value, bool) or not isinstance(value, int if self.integer else int | float):
            return False
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        return above and (self.high is None or value <= self.high)


RULES: Mapping[str, NumberRule] = {
    "max_tokens": NumberRule(integer=True, low=1),
    "temperature": NumberRule(integer=False, low=0),
    "top_p": NumberRule(integer=False, low=0, high=1),
    "timeout": NumberRule(integer=False, low=0, low_open=True, unit=" seconds"),
    "deadline": NumberRule(integer=False, low=0, low_open=True, unit=" seconds"),
    "max_retries": NumberRule(integer=True, low=0),
    "cooldown_failures": NumberRule(integer=True, low=1),
    "cooldown_seconds": NumberRule(integer=False, low=0, unit=" seconds"),
    "output_tokens_estimate": NumberRule(integer=True, low=1),
}
"""Every numeric setting of ``RoutedChatBedrock`` but ``max_cost_per_request`` (see ``validate_cost_cap``)."""
PER_CALL = ("max_tokens", "temperature", "top_p", "deadline")
"""The numeric settings a call may override as keyword arguments (checked per call)."""
OPTIONAL = frozenset({"max_tokens", "temperature", "top_p", "timeout"})
"""Settings whose ``None`` means "the default"."""


def check_number(name: str, value: object) -> None:
    """Raise :class:`InvalidRequestError` (a ``ValueError``) naming ``name``, the value and the valid values,
    unless ``RULES[name]`` accepts it."""
    if value is None and name in OPTIONAL:
        return
    rule = RULES[name]
    if not rule.accepts(value):
        default = " or None (the default)" if name in OPTIONAL else ""
        raise InvalidRequestError(f"{name} must be {rule.describe()}{default}, got {value!r}")


def check_call_numbers(kwargs: Mapping[str, object]) -> None:
    """Check the per-call overrides in ``kwargs`` (see :data:`PER_CALL`); ``ValueError`` on the first bad one."""
    for name in PER_CALL:
        if name in kwargs:
            check_number(name, kwargs[name])
