"""Loads ``models.json`` and answers questions about Bedrock model ids.

Each entry's ``profile`` (context window, output cap, capabilities) is a snapshot of langchain-aws's
model profile, refreshed by ``make catalog`` (:mod:`~langchain_bedrock_routing.catalog.sync`), or ours
for models langchain-aws does not profile; ``variants`` override it for one inference-profile prefix.
Loading never imports langchain-aws, so any installed version works.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from typing import Any

from langchain_bedrock_routing.catalog._spec import (
    EmbeddingModelSpec,
    LatencyProfile,
    ModelSpec,
    Prices,
    PromptRouterSpec,
)
from langchain_bedrock_routing.errors import UnknownModelError

_ARN = re.compile(r"^arn:aws[\w-]*:bedrock:(?P<region>[\w-]*):(?P<account>\d*):(?P<kind>[\w-]+)/(?P<id>.+)$")
_GEO_PREFIX = re.compile(r"^(us|us-gov|eu|apac|au|jp|ca|in|global)\.(?=[a-z]+\.)")


def split_model_id(model_id: str) -> tuple[str, str]:
    """``(prefix, base id)`` of a model id, inference-profile id or ARN: ``("us.", "amazon.nova-pro-v1:0")``."""
    match = _ARN.match(model_id)
    if match and match.group("kind") in ("inference-profile", "foundation-model"):
        model_id = match.group("id")
    base = _GEO_PREFIX.sub("", model_id, count=1)
    return model_id[: len(model_id) - len(base)], base


def base_model_id(model_id: str) -> str:
    """Strip an inference-profile ARN or geo prefix (``us.``, ``eu.``, ``apac.``, ``global.`` ...)."""
    return split_model_id(model_id)[1]


def prompt_router_id(model_id: str) -> str | None:
    """The router id (``anthropic.claude:1``) of a prompt-router ARN, else ``None``."""
    match = _ARN.match(model_id)
    if match and match.group("kind") in ("default-prompt-router", "prompt-router"):
        return match.group("id")
    return None


class ModelCatalog:
    """Read-only view of the catalog data file."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.price_sources: dict[str, dict[str, str]] = data.get("price_sources", {})
        self.synced_from: str | None = data.get("synced_from")
        """The langchain-aws version whose profiles the data file was last synced from."""
        self._models = {mid: _model_spec(mid, raw) for mid, raw in data["models"].items()}
        self._variants = {
            (prefix, mid): replace(self._models[mid], **_profile_fields(mid, {**raw["profile"], **fields}))
            for mid, raw in data["models"].items()
            for prefix, fields in raw.get("variants", {}).items()
        }
        self._embeddings = {mid: _embedding_spec(mid, raw) for mid, raw in data["embedding_models"].items()}
        self._routers = {rid: _router_spec(rid, raw) for rid, raw in data["prompt_routers"].items()}

    @property
    def model_ids(self) -> tuple[str, ...]:
        """Base ids of every chat model in the catalog."""
        return tuple(self._models)

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and base_model_id(model_id) in self._models

    def get(self, model_id: str) -> ModelSpec:
        """The spec of a chat model id, profile id or ARN; raises :class:`UnknownModelError`.

        A prefixed id whose langchain-aws profile differs from the base id's (a smaller window, no
        PDF input ...) gets those differences, and a geographic profile (``us.``, ``eu.`` ...) of a model
        with a ``geo_premium`` gets its higher prices; the spec's ``model_id`` is always the base id.
        """
        prefix, base = split_model_id(model_id)
        spec = self._variants.get((prefix, base)) or self._models.get(base)
        if spec is not None and spec.geo_premium and prefix not in ("", "global."):
            return replace(spec, prices=spec.prices.scaled(1.0 + spec.geo_premium))
        if spec is None:
            raise UnknownModelError(
                f"model id {model_id!r} is not in the catalog{self._newer_profile_hint(base)}; "
                f"known ids: {', '.join(sorted(self._models))}"
            )
        return spec

    def _newer_profile_hint(self, base: str) -> str:
        """Why a model the installed langchain-aws profiles is missing, else ``""``."""
        try:
            from langchain_aws.data._profiles import _PROFILES
        except ImportError:
            return ""
        if not any(split_model_id(known)[1] == base for known in _PROFILES):
            return ""
        return (
            f" (the installed langchain-aws profiles it, but models.json was synced from {self.synced_from}: "
            "`make catalog CATALOG_ARGS=--write` adds it)"
        )

    def embedding_model(self, model_id: str) -> EmbeddingModelSpec:
        """The spec of an embedding model id; raises :class:`UnknownModelError`."""
        spec = self._embeddings.get(base_model_id(model_id))
        if spec is None:
            raise UnknownModelError(
                f"embedding model id {model_id!r} is not in the catalog; known ids: {', '.join(self._embeddings)}"
            )
        return spec

    def prompt_router(self, router_id_or_arn: str) -> PromptRouterSpec | None:
        """The prompt router named by an ARN or a bare router id, ``None`` if not a known router."""
        return self._routers.get(prompt_router_id(router_id_or_arn) or router_id_or_arn)


@lru_cache(maxsize=1)
def get_catalog() -> ModelCatalog:
    """The catalog shipped with the package (loaded once)."""
    text = resources.files("langchain_bedrock_routing.catalog").joinpath("models.json").read_text("utf-8")
    return ModelCatalog(json.loads(text))


def _latency(raw: dict[str, Any]) -> LatencyProfile:
    return LatencyProfile(ttft_ms=float(raw["ttft_ms"]), output_tokens_per_s=float(raw["output_tokens_per_s"]))


def profile_fields(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The five :class:`ModelSpec` fields of a langchain-aws-style profile, with their defaults."""
    return {
        "max_input_tokens": int(profile.get("max_input_tokens", 0)),
        "max_output_tokens": int(profile.get("max_output_tokens", 4096)),
        "tool_calling": bool(profile.get("tool_calling", False)),
        "image_inputs": bool(profile.get("image_inputs", False)),
        "pdf_inputs": bool(profile.get("pdf_inputs", False)),
    }


def _profile_fields(model_id: str, profile: Mapping[str, Any]) -> dict[str, Any]:
    if not profile.get("max_input_tokens"):
        raise ValueError(f"catalog entry {model_id!r} has no context window (profile.max_input_tokens)")
    return profile_fields(profile)


def _model_spec(model_id: str, raw: dict[str, Any]) -> ModelSpec:
    prices = raw["prices"]
    cache = raw.get("prompt_cache")
    return ModelSpec(
        model_id=model_id,
        name=raw["name"],
        family=raw["family"],
        tier=raw["tier"],
        prices=Prices(
            input=prices["input"],
            output=prices["output"],
            cache_write=prices["cache_write"],
            cache_read=prices["cache_read"],
            source=prices["source"],
        ),
        latency=_latency(raw["latency"]),
        **_profile_fields(model_id, raw.get("profile", {})),
        cache_min_tokens=None if cache is None else int(cache["min_tokens"]),
        geo_premium=float(raw.get("geo_premium", 0.0)),
    )


def _embedding_spec(model_id: str, raw: dict[str, Any]) -> EmbeddingModelSpec:
    return EmbeddingModelSpec(
        model_id=model_id,
        name=raw["name"],
        dimensions=tuple(raw["dimensions"]),
        default_dimensions=int(raw["default_dimensions"]),
        max_input_tokens=int(raw["max_input_tokens"]),
        input_price=raw["prices"]["input"],
        latency=_latency(raw["latency"]),
    )


def _router_spec(router_id: str, raw: dict[str, Any]) -> PromptRouterSpec:
    return PromptRouterSpec(
        router_id=router_id,
        name=raw["name"],
        models=tuple(raw["models"]),
        fallback_model=raw["fallback_model"],
        response_quality_difference=float(raw["response_quality_difference"]),
    )
