"""Bedrock prompt routers: an ARN naming two models; simple prompts go to the cheaper one.

Complexity is scored from the last user turn (length, questions, reasoning verbs, code) and
the conversation's size; the router's ``response_quality_difference`` (0..1, fraction of
quality the caller accepts to lose) raises the bar for the stronger model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from langchain_bedrock_routing.catalog import PromptRouterSpec, get_catalog, prompt_router_id
from langchain_bedrock_routing.emulator.request import ConverseRequest
from langchain_bedrock_routing.emulator.text import words

_REASONING_TEXT = """analyze analyse compare contrast evaluate prove derive design architect optimize optimise
    trade-offs tradeoffs critique justify plan strategy refactor debug implement algorithm step-by-step reasoning why"""
_REASONING = frozenset(_REASONING_TEXT.split())
_CODE = re.compile(r"```|\bdef \w+\(|\bclass \w+|;\s*$|\{\s*$", re.MULTILINE)
_ARN = re.compile(r"^arn:aws[\w-]*:bedrock:(?P<region>[\w-]*):(?P<account>\d*):")
COMPLEX_THRESHOLD = 4.0


def complexity(request: ConverseRequest) -> float:
    """Prompt complexity score (0 = trivial; 4 or more = complex)."""
    last = " ".join(b["text"] for b in request.messages[-1].content if isinstance(b.get("text"), str))
    said = words(last)
    score = len(said) / 40.0 + last.count("?") * 0.5
    score += 1.5 * len(set(said) & _REASONING) + (3.0 if _CODE.search(last) else 0.0)
    score += min(request.input_tokens / 2000.0, 2.0)
    return score


class PromptRouters:
    """The catalog's default routers plus custom ones, keyed by ARN or router id."""

    def __init__(self, custom: Mapping[str, PromptRouterSpec] | None = None) -> None:
        self._custom = {prompt_router_id(k) or k: v for k, v in (custom or {}).items()}

    def find(self, model_id: str) -> PromptRouterSpec | None:
        """The router a model id names (an ARN or a bare custom router id), else ``None``."""
        router_id = prompt_router_id(model_id)
        if router_id is None:
            return self._custom.get(model_id)
        return self._custom.get(router_id) or get_catalog().prompt_router(router_id)

    def choose(self, router: PromptRouterSpec, request: ConverseRequest) -> str:
        """Base id of the model the router sends ``request`` to (a model of unknown price is never the cheap one)."""
        ranked = sorted(router.models, key=_price_rank)
        cheap, strong = ranked[0], ranked[-1]
        bar = COMPLEX_THRESHOLD * (1.0 + router.response_quality_difference)
        return strong if complexity(request) >= bar else cheap


def _price_rank(model_id: str) -> tuple[bool, float]:
    """Sort key of a router's models: known input prices ascending, unknown prices last."""
    price = get_catalog().get(model_id).prices.input
    return price is None, price or 0.0


def invoked_model_arn(router_arn: str, model_id: str) -> str:
    """The inference-profile ARN Bedrock reports in ``trace.promptRouter.invokedModelId``."""
    match = _ARN.match(router_arn)
    region = match.group("region") if match and match.group("region") else "us-east-1"
    account = match.group("account") if match and match.group("account") else "000000000000"
    geo = {"us": "us", "eu": "eu", "ap": "apac"}.get(region.split("-")[0], "us")
    return f"arn:aws:bedrock:{region}:{account}:inference-profile/{geo}.{model_id}"
