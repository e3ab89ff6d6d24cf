"""Where the demo and ``bedrock-routing warm`` send Bedrock calls: the emulator or real Bedrock.

Offline, an ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` already set (an emulator you started) is used as is;
otherwise a :class:`BedrockEmulator` runs in process at ``latency_scale`` times its latency model. Offline
models sign with placeholder credentials (the emulator checks none), so no AWS account is needed. Live,
calls go to ``https://bedrock-runtime.{region}.amazonaws.com`` with the user's credentials (``profile``
or the usual AWS chain), whatever endpoint variable is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from langchain_aws import BedrockEmbeddings, ChatBedrockConverse
from pydantic import SecretStr

from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing import RoutedChatBedrock

ENDPOINT_ENV = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
DEFAULT_REGION = "us-east-1"
EMBEDDINGS_MODEL = "amazon.titan-embed-text-v2:0"
_OFFLINE_KEY = SecretStr("offline-emulator")
MAX_CONNECTIONS = 32
"""HTTP connections the shared client keeps (the demo runs up to 20 calls at once)."""


@dataclass(frozen=True)
class Backend:
    """A Bedrock Runtime endpoint and how to reach it; builds chat and embedding models sharing one boto3 client."""

    endpoint_url: str
    region: str
    client: Any
    """The ``bedrock-runtime`` boto3 client every model built here uses (thread-safe, built once)."""
    live: bool = False
    profile: str | None = None
    emulator: BedrockEmulator | None = None
    """The in-process emulator, when this backend started one (its request log is readable)."""
    latency_scale: float | None = None
    """The in-process emulator's latency scale; ``None`` when live or using an external endpoint."""

    @property
    def label(self) -> str:
        """One line saying where calls go (printed by the demo and the examples)."""
        if self.live:
            return f"Amazon Bedrock in {self.region}" + (f" (profile {self.profile})" if self.profile else "")
        if self.emulator is None:
            return f"Bedrock emulator at {self.endpoint_url} (from ${ENDPOINT_ENV})"
        return f"in-process Bedrock emulator at {self.endpoint_url}, latency model x{self.latency_scale:g}"

    def _aws(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "region_name": self.region,
            "endpoint_url": self.endpoint_url,
            "client": self.client,
        }
        if self.live:
            settings["credentials_profile_name"] = self.profile
        else:
            settings["aws_access_key_id"] = _OFFLINE_KEY
            settings["aws_secret_access_key"] = _OFFLINE_KEY
        return settings

    def routed(self, **kwargs: Any) -> RoutedChatBedrock:
        """A ``RoutedChatBedrock`` on this endpoint; ``kwargs`` are its other fields (preset, cache ...)."""
        return RoutedChatBedrock(**self._aws(), **kwargs)

    def converse(self, model_id: str, **kwargs: Any) -> ChatBedrockConverse:
        """A plain langchain-aws ``ChatBedrockConverse`` for ``model_id`` on this endpoint."""
        return ChatBedrockConverse(model=model_id, **self._aws(), **kwargs)

    def embeddings(self, model_id: str = EMBEDDINGS_MODEL) -> BedrockEmbeddings:
        """langchain-aws ``BedrockEmbeddings`` (Titan Text Embeddings V2 by default) on this endpoint."""
        return BedrockEmbeddings(model_id=model_id, **self._aws())


def live_endpoint(region: str) -> str:
    """The public Bedrock Runtime endpoint of ``region``."""
    return f"https://bedrock-runtime.{region}.amazonaws.com"


def runtime_client(endpoint_url: str, region: str, *, live: bool = False, profile: str | None = None) -> Any:
    """A ``bedrock-runtime`` client: the user's credentials when ``live``, placeholder ones for an emulator."""
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=MAX_CONNECTIONS)
    if live:
        session = boto3.Session(profile_name=profile, region_name=region)
    else:
        key = _OFFLINE_KEY.get_secret_value()
        session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=key, region_name=region)
    return session.client("bedrock-runtime", endpoint_url=endpoint_url, config=config)


def offline_backend(
    endpoint_url: str,
    region: str = DEFAULT_REGION,
    emulator: BedrockEmulator | None = None,
    latency_scale: float | None = None,
) -> Backend:
    """A backend for an emulator at ``endpoint_url`` (the in-process ``emulator`` at ``latency_scale`` when given)."""
    client = runtime_client(endpoint_url, region)
    return Backend(endpoint_url, region, client, emulator=emulator, latency_scale=latency_scale)


@contextmanager
def open_backend(
    *, live: bool = False, region: str = DEFAULT_REGION, profile: str | None = None, latency_scale: float = 1.0
) -> Iterator[Backend]:
    """The backend for one run: live Bedrock, ``$AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, or an in-process emulator."""
    if live:
        endpoint = live_endpoint(region)
        client = runtime_client(endpoint, region, live=True, profile=profile)
        yield Backend(endpoint, region, client, live=True, profile=profile)
        return
    external = os.environ.get(ENDPOINT_ENV)
    if external:
        yield offline_backend(external, region)
        return
    with BedrockEmulator(latency_scale=latency_scale) as emulator:
        yield offline_backend(emulator.endpoint_url, region, emulator, latency_scale)
