"""One ``ChatBedrockConverse`` per target, built on first use and reused, all sharing one boto3 client.

A deployment that names its own region, endpoint or credentials gets a pool of its own with those settings (its
own clients, shared by the deployments that name the same connection), built on first use and reused.

Delegates are built with ``cache=False`` (the router already consulted LangChain's cache) and with a
botocore config of ``retries={"max_attempts": max_retries, "mode": "standard"}`` (default one retry) so a
throttled or unavailable model hands over to the next candidate quickly instead of backing off for
seconds; pass your own ``config`` to change that. The connect timeout is short (:data:`CONNECT_TIMEOUT`) and
an attempt under a request deadline gets a delegate whose client has its timeouts cut to the time left
(see :mod:`.deadline`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.config import Config
from langchain_aws import ChatBedrockConverse
from langchain_aws.utils import create_aws_client
from pydantic import SecretStr

from langchain_bedrock_routing.routing.deadline import CONNECT_TIMEOUT, Timeouts
from langchain_bedrock_routing.routing.targets import Target

_TIMED_CLIENTS = 16
"""How many clients with deadline-cut timeouts a pool keeps (least recently used dropped first)."""


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
        """The user's ``config``, else one with few retries (fast fallback), read timeout ``timeout`` (default 60 s)
        and connect timeout :data:`CONNECT_TIMEOUT` (or ``timeout`` if shorter), in seconds."""
        if self.config is not None:
            return self.config
        read = self.timeout if self.timeout is not None else 60.0
        return Config(
            retries={"max_attempts": self.max_retries, "mode": "standard"},
            connect_timeout=min(CONNECT_TIMEOUT, read),
            read_timeout=read,
        )

    def base_config(self) -> Any:
        """The botocore config of the shared client: the user's ``client``'s own, else :meth:`botocore_config`."""
        if self.client is not None:
            return getattr(getattr(self.client, "meta", None), "config", None) or Config()
        return self.botocore_config()


def config_timeouts(config: Any) -> tuple[Timeouts, int]:
    """A botocore config's timeouts and its HTTP tries per call (botocore's defaults where it sets none)."""
    retries = config.retries if isinstance(config.retries, dict) else {}
    if "total_max_attempts" in retries:
        tries = int(retries["total_max_attempts"])
    elif "max_attempts" in retries:
        tries = int(retries["max_attempts"]) + 1
    else:  # botocore's defaults: 3 tries in standard and adaptive mode, 5 in legacy mode
        tries = 3 if retries.get("mode") in ("standard", "adaptive") else 5
    return Timeouts(connect=float(config.connect_timeout), read=float(config.read_timeout)), max(tries, 1)


class DelegatePool:
    """Lazily built, reused delegates keyed by target key (model id or deployment name); thread-safe."""

    def __init__(self, settings: DelegateSettings) -> None:
        self._settings = settings
        self._delegates: dict[str, ChatBedrockConverse] = {}
        self._connections: dict[tuple[tuple[str, Any], ...], DelegatePool] = {}
        self._clients: tuple[Any, Any] | None = None
        self._timed: OrderedDict[Timeouts, Any] = OrderedDict()
        self._lock = threading.Lock()
        timeouts, tries = config_timeouts(settings.base_config())
        self.timeouts: Timeouts = timeouts
        """The configured connect and read timeouts of each HTTP try."""
        self.tries: int = tries
        """HTTP tries of one attempt: the first plus botocore's retries."""

    @property
    def retimable(self) -> bool:
        """False when the user gave their own ``client``: its timeouts cannot be cut to a deadline."""
        return self._settings.client is None

    def timed(self, target: Target, timeouts: Timeouts) -> ChatBedrockConverse:
        """The delegate of ``target`` using a client with ``timeouts`` (the shared one when they are the configured
        timeouts, or the client is the user's)."""
        pool = self._pool_of(target)
        delegate = pool.get(target)
        if timeouts == pool.timeouts or not pool.retimable:
            return delegate
        return delegate.model_copy(update={"client": pool._timed_client(timeouts)})

    def _pool_of(self, target: Target) -> DelegatePool:
        """This pool, or the one of the connection ``target``'s deployment names (made on first use)."""
        connection = () if target.deployment is None else target.deployment.connection
        if not connection:
            return self
        pool = self._connections.get(connection)
        if pool is None:
            with self._lock:
                pool = self._connections.get(connection)
                if pool is None:
                    pool = DelegatePool(replace(self._settings, client=None, **_overrides(dict(connection))))
                    self._connections[connection] = pool
        return pool

    def _timed_client(self, timeouts: Timeouts) -> Any:
        with self._lock:
            client = self._timed.get(timeouts)
            if client is None:
                client = self.runtime_client(Config(connect_timeout=timeouts.connect, read_timeout=timeouts.read))
                self._timed[timeouts] = client
                if len(self._timed) > _TIMED_CLIENTS:
                    self._timed.popitem(last=False)
            self._timed.move_to_end(timeouts)
            return client

    def get(self, target: Target) -> ChatBedrockConverse:
        """The delegate of ``target``, built on first use."""
        pool = self._pool_of(target)
        delegate = pool._delegates.get(target.key)
        if delegate is None:
            with pool._lock:
                delegate = pool._delegates.get(target.key)
                if delegate is None:
                    delegate = pool._build(target)
                    pool._delegates[target.key] = delegate
        return delegate

    def runtime_client(self, overrides: Config | None = None) -> Any:
        """A new ``bedrock-runtime`` client with the delegates' endpoint, region and credentials and their botocore
        config updated by ``overrides`` (e.g. a classifier's own retries and timeouts); the router's ``client``
        itself when it was given one."""
        if self._settings.client is not None:
            return self._settings.client
        common = self._client_kwargs()
        if overrides is not None:
            common["config"] = common["config"].merge(overrides)
        return create_aws_client(service_name="bedrock-runtime", **common)

    def _shared_clients(self) -> tuple[Any, Any]:
        if self._clients is None:
            s = self._settings
            common = self._client_kwargs()
            runtime = s.client or create_aws_client(service_name="bedrock-runtime", **common)
            control = _LazyClient(lambda: create_aws_client(service_name="bedrock", **{**common, "endpoint_url": None}))
            self._clients = (runtime, control)
        return self._clients

    def _client_kwargs(self) -> dict[str, Any]:
        """``create_aws_client`` arguments for the router's own clients."""
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


_CREDENTIALS = (
    "credentials_profile_name",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "api_key",
)


def _overrides(connection: dict[str, Any]) -> dict[str, Any]:
    """A deployment's settings over the router's: credentials of its own replace all of the router's."""
    if any(name in connection for name in _CREDENTIALS):
        return {**dict.fromkeys(_CREDENTIALS), **connection}
    return connection


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
