"""Deployments: a tier member that names where a model runs (region, endpoint, account) and its quotas.

A tier member is a model id, or a dict whose keys reuse the router's own parameter names plus quotas::

    {"model": "amazon.nova-micro-v1:0", "region_name": "us-west-2", "endpoint_url": ..., "credentials_profile_name":
     ..., "rpm": 600, "tpm": 400_000, "weight": 1, "name": ...}

Connection keys left out are the router's. ``rpm`` / ``tpm`` are the deployment's requests and tokens (input plus
output) per minute; ``weight`` (default 1) its share among same-model deployments without limits; ``name`` (default
``model@region``) labels it in routing metadata, statistics and shared-limit keys, so it must be unique.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from langchain_bedrock_routing.errors import InvalidRequestError
from langchain_bedrock_routing.routing.arguments import check_region, near_miss

CONNECTION_KEYS: Mapping[str, str] = {
    "region_name": "region_name",
    "endpoint_url": "endpoint_url",
    "base_url": "endpoint_url",
    "credentials_profile_name": "credentials_profile_name",
    "aws_access_key_id": "aws_access_key_id",
    "aws_secret_access_key": "aws_secret_access_key",
    "aws_session_token": "aws_session_token",
    "bedrock_api_key": "api_key",
    "api_key": "api_key",
}
"""A deployment's connection keys (the router's parameter names and aliases) -> the delegate setting they set."""
SECRET_KEYS = frozenset(
    {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "bedrock_api_key", "api_key"}
)
DEPLOYMENT_KEYS = frozenset({"model", "name", "rpm", "tpm", "weight", *CONNECTION_KEYS})
"""Every key a deployment dict accepts."""


@dataclass(frozen=True)
class Deployment:
    """One place a model runs: its name, connection overrides (delegate setting -> value) and per-minute quotas."""

    model: str
    name: str
    connection: tuple[tuple[str, Any], ...] = ()
    """Delegate settings this deployment overrides (``region_name``, ``endpoint_url``, credentials ...), sorted."""
    rpm: int | None = None
    tpm: int | None = None
    weight: float = 1.0

    @property
    def region(self) -> str | None:
        """The region this deployment names (``None``: the router's)."""
        return dict(self.connection).get("region_name")

    @property
    def failure_domain(self) -> str:
        """What fails together: the region and endpoint (``"@"`` + the router's when neither is set)."""
        settings = dict(self.connection)
        return f"{settings.get('region_name') or ''}@{settings.get('endpoint_url') or ''}"


def parse_deployment(entry: Mapping[str, Any], tier: str, default_region: str | None) -> Deployment:
    """A deployment from its dict; :class:`InvalidRequestError` naming the problem and the valid keys otherwise."""
    where = f"deployment {dict(_redacted(entry))!r} in tier {tier!r}"
    for key in entry:
        if key not in DEPLOYMENT_KEYS:
            raise InvalidRequestError(
                f"unknown key {key!r} in {where}{near_miss(str(key), DEPLOYMENT_KEYS)}; valid keys: "
                f"{', '.join(sorted(DEPLOYMENT_KEYS))}"
            )
    model = entry.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError(f"{where} needs 'model': a model id string")
    check_region(entry.get("region_name"))
    connection: dict[str, Any] = {}
    for key, setting in CONNECTION_KEYS.items():
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, str | SecretStr):
            raise InvalidRequestError(f"{key} of {where} must be a string, got {type(value).__name__}")
        if setting in connection:
            raise InvalidRequestError(f"{where} gives {setting} twice (once as {key!r})")
        connection[setting] = SecretStr(value) if key in SECRET_KEYS and isinstance(value, str) else value
    rpm, tpm = _quota(entry, "rpm", where), _quota(entry, "tpm", where)
    weight = entry.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight < float("inf"):
        raise InvalidRequestError(f"weight of {where} must be a finite number > 0, got {weight!r}")
    name = entry.get("name") or f"{model}@{connection.get('region_name') or default_region or 'default'}"
    if not isinstance(name, str):
        raise InvalidRequestError(f"name of {where} must be a string, got {name!r}")
    return Deployment(model, name, tuple(sorted(connection.items())), rpm, tpm, float(weight))


def _quota(entry: Mapping[str, Any], key: str, where: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"{key} of {where} must be an int >= 1 (per minute) or None, got {value!r}")
    return value


def _redacted(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: ("**********" if k in SECRET_KEYS and v is not None else v) for k, v in entry.items()}


def check_unique(deployments: list[Deployment]) -> None:
    """Raise :class:`InvalidRequestError` when two deployments share a name (they would share limits and stats)."""
    seen: dict[str, Deployment] = {}
    for deployment in deployments:
        other = seen.get(deployment.name)
        if other is not None and other != deployment:
            raise InvalidRequestError(
                f"two deployments are named {deployment.name!r} (model@region by default): give each a distinct "
                "'name' (e.g. the account), or they would share rate limits and statistics"
            )
        seen[deployment.name] = deployment


def hide_secrets(tiers: object) -> object:
    """``tiers`` with the secret values of its deployment dicts wrapped in ``SecretStr`` (kept out of reprs and
    logs); anything else as given."""
    if not isinstance(tiers, Mapping):
        return tiers
    return {tier: _hidden(members) for tier, members in tiers.items()}


def _hidden(members: object) -> object:
    if isinstance(members, Mapping):
        return {k: SecretStr(v) if k in SECRET_KEYS and isinstance(v, str) else v for k, v in members.items()}
    if isinstance(members, list | tuple):
        return [_hidden(member) for member in members]
    return members
