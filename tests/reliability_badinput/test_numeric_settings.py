"""Numeric settings are checked as given: a bool, NaN, infinity or out-of-range value is refused before any call.

Pydantic would coerce ``max_tokens=True`` to 1 and accept ``temperature=nan``; the router refuses both in
the constructor and as per-call keyword arguments, naming the setting and its valid values.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from langchain_bedrock_routing import RoutedChatBedrock

Refused = Callable[..., pytest.ExceptionInfo[BaseException]]
Router = Callable[..., RoutedChatBedrock]

BAD_SETTINGS = [
    ("max_tokens", True, "max_tokens must be an int >= 1 or None"),
    ("max_tokens", 2.5, "max_tokens must be an int >= 1 or None"),
    ("temperature", True, "temperature must be a finite number >= 0 or None"),
    ("temperature", math.nan, "temperature must be a finite number >= 0 or None"),
    ("temperature", -0.5, "temperature must be a finite number >= 0 or None"),
    ("top_p", math.inf, "top_p must be a finite number from 0 to 1 or None"),
    ("top_p", 1.5, "top_p must be a finite number from 0 to 1 or None"),
    ("timeout", False, "timeout must be a finite number > 0 seconds or None"),
    ("timeout", math.nan, "timeout must be a finite number > 0 seconds or None"),
    ("timeout", 0, "timeout must be a finite number > 0 seconds or None"),
    ("max_retries", True, "max_retries must be an int >= 0"),
    ("max_retries", -1, "max_retries must be an int >= 0"),
    ("cooldown_failures", True, "cooldown_failures must be an int >= 1"),
    ("cooldown_seconds", math.nan, "cooldown_seconds must be a finite number >= 0 seconds"),
    ("cooldown_seconds", -math.inf, "cooldown_seconds must be a finite number >= 0 seconds"),
    ("output_tokens_estimate", True, "output_tokens_estimate must be an int >= 1"),
]


@pytest.mark.parametrize(("field", "value", "match"), BAD_SETTINGS)
def test_bad_numeric_setting_is_refused_by_the_constructor(
    field: str, value: object, match: str, router: Router, refused: Refused
):
    refused(ValidationError, match, lambda: router(**{field: value}))


@pytest.mark.parametrize(
    ("field", "value", "match"), [row for row in BAD_SETTINGS if row[0] in ("max_tokens", "temperature", "top_p")]
)
def test_bad_numeric_override_is_refused_per_call(
    field: str, value: object, match: str, router: Router, refused: Refused
):
    llm = router()
    refused(ValueError, match, lambda: llm.invoke("What is the capital of Peru?", **{field: value}))


def test_valid_numbers_are_kept_as_given(router: Router):
    llm = router(max_tokens=64, temperature=0, top_p=1, timeout=5, max_retries=0, cooldown_seconds=0)
    assert (llm.max_tokens, llm.temperature, llm.top_p, llm.timeout, llm.max_retries) == (64, 0, 1, 5, 0)
    assert llm.invoke("What is the capital of Peru?", max_tokens=32, temperature=0.2, top_p=0.9).content
