"""langchain-aws's model profiles, folded into one snapshot per base model id.

langchain-aws lists a profile per id it knows, with and without inference-profile prefixes
(``us.``, ``eu.``, ``global.`` ...). The catalog keeps one entry per base id: its ``profile`` (the
five fields routing and the emulator read) and, per prefix whose profile differs, only the fields
that differ (``variants``, e.g. ``global.openai.gpt-5.6-luna`` takes no PDF where the base id does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_bedrock_routing.catalog._catalog import base_model_id, profile_fields
from langchain_bedrock_routing.errors import BedrockRoutingError

PROFILE_FIELDS: tuple[str, ...] = tuple(profile_fields({}))
"""The profile fields the catalog keeps (context window, output cap, capabilities)."""

PREFIX_PREFERENCE: tuple[str, ...] = ("", "us.", "global.", "eu.", "apac.", "jp.", "au.", "ca.", "in.", "us-gov.")
"""Which form's profile stands for the base id when langchain-aws lists several (first present wins)."""

MINIMUM_LANGCHAIN_AWS = "1.9.1"
"""The langchain-aws release whose profiles ``models.json`` was synced from (the ``pyproject.toml`` floor)."""


class ProfilesUnavailableError(BedrockRoutingError, RuntimeError):
    """The installed langchain-aws ships no model profiles (missing, or older than the profiles module)."""


@dataclass
class ProfileSnapshot:
    """What langchain-aws says about one base model id, across every form it lists."""

    name: str
    profile: dict[str, Any]
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)


def installed_profiles() -> dict[str, dict[str, Any]]:
    """langchain-aws's profiles by id; :class:`ProfilesUnavailableError` naming the version needed if absent."""
    try:
        from langchain_aws.data._profiles import _PROFILES
    except ImportError as exc:
        raise ProfilesUnavailableError(
            f"the installed langchain-aws has no model profiles (langchain_aws.data._profiles: {exc}); "
            f"install langchain-aws>={MINIMUM_LANGCHAIN_AWS}"
        ) from None
    return dict(_PROFILES)


def installed_version() -> str:
    """The installed langchain-aws version, or ``"not installed"``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("langchain-aws")
    except PackageNotFoundError:
        return "not installed"


def prefix_of(model_id: str) -> str:
    """The inference-profile prefix of an id (``"us."``, ``"global."`` ...), ``""`` for a base id."""
    base = base_model_id(model_id)
    return model_id[: len(model_id) - len(base)] if model_id.endswith(base) else ""


def _display_name(raw: Mapping[str, Any], model_id: str) -> str:
    name = str(raw.get("name") or model_id)
    return name.rsplit(" (", 1)[0] if name.endswith(")") else name


def snapshots(profiles: Mapping[str, Mapping[str, Any]]) -> dict[str, ProfileSnapshot]:
    """One :class:`ProfileSnapshot` per base id of ``profiles`` (only chat profiles with text output)."""
    by_base: dict[str, dict[str, Mapping[str, Any]]] = {}
    for model_id, raw in profiles.items():
        if raw.get("text_outputs", True) and raw.get("max_input_tokens"):
            by_base.setdefault(base_model_id(model_id), {})[prefix_of(model_id)] = raw
    result: dict[str, ProfileSnapshot] = {}
    for base, forms in sorted(by_base.items()):
        main = next(p for p in (*PREFIX_PREFERENCE, *sorted(forms)) if p in forms)
        profile = profile_fields(forms[main])
        variants = {
            prefix: diff
            for prefix, raw in sorted(forms.items())
            if (diff := {k: v for k, v in profile_fields(raw).items() if profile[k] != v})
        }
        result[base] = ProfileSnapshot(_display_name(forms[main], base), profile, variants)
    return result
