"""One ``ChatBedrockConverse`` per target, built on first use and reused, all sharing one boto3 client.

Delegates are built with ``cache=False`` (the router already consulted LangChain's cache) and with a
botocore config of ``retries={"max_attempts": max_retries, "mode": "standard"}`` (default one retry) so a
throttled or unavailable model hands over to the next candidate quickly instead of backing off for
seconds; pass your own ``config`` to change that.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from langchain_aws import ChatBedrockConverse
from langchain_aws.utils import create_aws_client
from pydantic import SecretStr

from langchain_bedrock_routing.routing.targets import Target


@dataclass(frozen=True)
class DelegateSettings:
    """Connection and generation settings shared by every delegate (``None`` = the delegate's default)."""

    region_name: str | None = None
    endpoint_url: str | None = None
    credentials_profile_name: str | None = None
    aws_access_key_id: SecretStr | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_session_token: SecretStr | None = None
    api_key: SecretStr | None = None
    config: Any = None
    timeout: float | None = None
    max_retries: int = 1
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    client: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Further ``ChatBedrockConverse`` fields (``guardrails``, ``performance_config`` ...), passed as given."""

    def botocore_config(self) -> Any:
        """The user's ``config``, else one with few retries (fast fallback) and ``timeout`` in seconds."""
        if self.config is not None:
            return self.config
        return Config(
            retries={"max_attempts": self.max_retries, "mode": "standard"},
            connect_timeout=self.timeout if self.timeout is not None else 60,
            read_timeout=self.timeout if self.timeout is not None else 60,
        )


class DelegatePool:
    """Lazily built, reused delegates keyed by target id; thread-safe."""

    def __init__(self, settings: DelegateSettings) -> None:
        self._settings = settings
        self._delegates: dict[str, ChatBedrockConverse] = {}
        self._clients: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def get(self, target: Target) -> ChatBedrockConverse:
        """The delegate of ``target``, built on first use."""
        delegate = self._delegates.get(target.model_id)
        if delegate is None:
            with self._lock:
                delegate = self._delegates.get(target.model_id)
                if delegate is None:
                    delegate = self._build(target)
                    self._delegates[target.model_id] = delegate
        return delegate

    def runtime_client(self, overrides: Config | None = None) -> Any:
        """A new ``bedrock-runtime`` client with the delegates' endpoint, region and credentials and their botocore
        config updated by ``overrides`` (e.g. a classifier's own retries and timeouts); the router's ``client``
        itself when it was given one."""
        if self._settings.client is not None:
            return self._settings.client
        common = self._common()
        if overrides is not None:
            common["config"] = common["config"].merge(overrides)
        return create_aws_client(service_name="bedrock-runtime", **common)

    def _common(self) -> dict[str, Any]:
        """``create_aws_client`` arguments shared by every client of this router."""
        s = self._settings
        return {
            "region_name": s.region_name,
            "credentials_profile_name": s.credentials_profile_name,
            "aws_access_key_id": s.aws_access_key_id,
            "aws_secret_access_key": s.aws_secret_access_key,
            "aws_session_token": s.aws_session_token,
            "endpoint_url": s.endpoint_url,
            "config": s.botocore_config(),
            "api_key": s.api_key,
        }

    def _shared_clients(self) -> tuple[Any, Any]:
        if self._clients is None:
            s = self._settings
            common = self._common()
            runtime = s.client or create_aws_client(service_name="bedrock-runtime", **common)
            control = _LazyClient(lambda: create_aws_client(service_name="bedrock", **{**common, "endpoint_url": None}))
            self._clients = (runtime, control)
        return self._clients

    def _build(self, target: Target) -> ChatBedrockConverse:
        s = self._settings
        runtime, control = self._shared_clients()
        params: dict[str, Any] = {
            "model": target.model_id,
            "client": runtime,
            "bedrock_client": control,
            "region_name": s.region_name,
            "provider": target.provider,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
            "top_p": s.top_p,
            "stop": s.stop or None,
            "cache": False,
            **s.extra,
        }
        if target.is_router:
            params["base_model"] = target.spec.model_id
        return ChatBedrockConverse(**params)


class _LazyClient:
    """A boto3 client created on first attribute access.

    ``ChatBedrockConverse`` insists on a control-plane ``bedrock`` client but only calls it for
    application inference profiles; building it eagerly put 80-400 ms on a router's first request.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = self._factory()
        return getattr(self._client, name)
