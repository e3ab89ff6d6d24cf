"""The router's LangChain model profile (``.profile``): what every configured model can do.

A request may go to any configured tier (classification, escalation, fallback), so a capability is
``True`` only when every target has it, and the token limits are the smallest of all targets. Each
target's profile is langchain-aws's (the one its ``ChatBedrockConverse`` delegate reports) with the
catalog's context window, output cap, tool, image and PDF support over it; a prompt router counts as
the models it chooses between. LangChain reads it, e.g. ``create_agent(response_format=...)`` uses
native structured output when ``structured_output`` is ``True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast, get_type_hints

from langchain_core.language_models.model_profile import ModelProfile

from langchain_bedrock_routing.catalog import Tier, get_catalog
from langchain_bedrock_routing.catalog.profiles import ProfilesUnavailableError, installed_profiles
from langchain_bedrock_routing.routing.targets import Target

_LIMITS = ("max_input_tokens", "max_output_tokens")
_LEFT_OUT = frozenset({"mid_conversation_system_messages", "mid_conversation_tools", "name", "status", "open_weights"})
"""Keys langchain-aws drops for Converse (which hoists every system message into ``system``), and facts about one
model rather than capabilities."""


def tiers_profile(targets: Mapping[Tier, Sequence[Target]]) -> ModelProfile:
    """The profile every target of every tier satisfies: booleans ANDed, token limits minimised."""
    known = _langchain_aws_profiles()
    return _intersection([_model_profile(m, known) for tier in targets.values() for t in tier for m in _models(t)])


def _models(target: Target) -> tuple[str, ...]:
    """Model ids a target may run: the router's models, else its own id."""
    return target.router_models or (target.model_id,)


def _model_profile(model_id: str, known: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``known`` (langchain-aws's profiles) for ``model_id`` or its base id, with the catalog's fields over it."""
    spec = get_catalog().get(model_id)
    profile = dict(known.get(model_id) or known.get(spec.model_id) or {})
    profile.update(
        max_input_tokens=spec.max_input_tokens,
        max_output_tokens=spec.max_output_tokens,
        tool_calling=spec.tool_calling,
        image_inputs=spec.image_inputs,
        pdf_inputs=spec.pdf_inputs,
    )
    return profile


def _langchain_aws_profiles() -> Mapping[str, Mapping[str, Any]]:
    try:
        return installed_profiles()
    except ProfilesUnavailableError:
        return {}


def _intersection(profiles: Iterable[Mapping[str, Any]]) -> ModelProfile:
    profiles = list(profiles)
    declared = set(get_type_hints(ModelProfile)) - _LEFT_OUT
    keys = {key for p in profiles for key in p if key in declared}
    merged: dict[str, Any] = {}
    for key in sorted(keys):
        values = [p.get(key) for p in profiles]
        if key in _LIMITS:
            merged[key] = min(v for v in values if isinstance(v, int))
        elif all(isinstance(v, bool) or v is None for v in values):
            merged[key] = all(v is True for v in values)
    return cast(ModelProfile, merged)
