"""``BedrockEmulator``: the offline Bedrock Runtime emulator, run in a background thread or in the foreground."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeAlias

from langchain_bedrock_routing.catalog import PromptRouterSpec
from langchain_bedrock_routing.emulator.aio_server import AsyncioHTTPServer
from langchain_bedrock_routing.emulator.embeddings import TextEmbedder
from langchain_bedrock_routing.emulator.faults import FaultConfig, FaultInjector
from langchain_bedrock_routing.emulator.latency import Sleeper
from langchain_bedrock_routing.emulator.requestlog import RequestRecord
from langchain_bedrock_routing.emulator.router import PromptRouters
from langchain_bedrock_routing.emulator.server import EmulatorHTTPServer
from langchain_bedrock_routing.emulator.service import EmulatorService
from langchain_bedrock_routing.emulator.world import OutcomesWorld

REGION = "us-east-1"
"""The region clients name when they call the emulator (it serves every region alike)."""
DUMMY_CREDENTIAL = "emulator"
"""Access key id and secret handed to clients: botocore must sign, the emulator checks no signature."""
Front: TypeAlias = Literal["threads", "asyncio"]
"""The HTTP front: a thread per connection (``ThreadingHTTPServer``), or one asyncio event loop (aiohttp)."""
FRONTS: tuple[Front, ...] = ("threads", "asyncio")
_Server: TypeAlias = "EmulatorHTTPServer | AsyncioHTTPServer"


class BedrockEmulator:
    """A local Bedrock Runtime endpoint that unmodified boto3 and langchain-aws can call.

    ``port=0`` picks a free port. ``latency_scale`` multiplies the modeled latency actually
    slept (0 = no sleeping). ``throttle_rate``/``error_rate`` are per-request probabilities of
    ``ThrottlingException`` (429) and ``ServiceUnavailableException`` (503); ``fail_models``
    always get 503 and ``not_ready_models`` ``ModelNotReadyException``. ``stream_error`` (an exception event of
    ``ConverseStreamOutput``: ``modelStreamErrorException``, ``throttlingException`` ...) cuts served ConverseStream
    replies after ``stream_error_after`` content deltas, with probability ``stream_error_rate``, for
    ``stream_error_models`` (empty: all); such requests are logged with that ``error_code`` and not billed.
    ``rpm_quota`` throttles each model beyond that many requests in the last 60 s (a Bedrock quota).
    Faults are drawn from RNGs seeded by ``seed``. ``prompt_routers`` adds
    custom routers keyed by ARN or router id. ``clock`` (seconds) drives prompt-cache TTLs. ``outcomes`` (an
    outcomes or weak/strong JSONL file) makes the prompts it holds an offline world: each model answers them as well
    as the file says it did, and a shadow judge's verdicts agree (see :mod:`.world`). ``embedder``
    ``(text, dimensions) -> unit vector`` embeds text for the embedding models (default: hashed n-grams); evals and
    tests pass a real model's, e.g. ``evals.wordllama_embeddings.titan_embedder``. ``fixed_latency_ms`` makes every
    Converse / InvokeModel reply take exactly that long instead of its modeled latency. ``front`` picks the HTTP
    server: ``"threads"`` (a thread per connection) or ``"asyncio"`` (one event loop: replies wait without holding a
    thread, for hundreds of concurrent slow calls); both serve the same replies.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_scale: float = 0.0,
        throttle_rate: float = 0.0,
        error_rate: float = 0.0,
        fail_models: Iterable[str] = (),
        seed: int = 0,
        prompt_routers: Mapping[str, PromptRouterSpec] | None = None,
        not_ready_models: Iterable[str] = (),
        clock: Callable[[], float] = time.monotonic,
        stream_error: str | None = None,
        stream_error_after: int = 0,
        stream_error_rate: float = 1.0,
        stream_error_models: Iterable[str] = (),
        rpm_quota: int | None = None,
        outcomes: str | Path | None = None,
        embedder: TextEmbedder | None = None,
        fixed_latency_ms: float | None = None,
        front: Front = "threads",
    ) -> None:
        if front not in FRONTS:
            raise ValueError(f"unknown front {front!r}; choose one of {', '.join(FRONTS)}")
        config = FaultConfig.build(
            throttle_rate,
            error_rate,
            fail_models,
            not_ready_models,
            stream_error,
            stream_error_after,
            stream_error_rate,
            stream_error_models,
            rpm_quota,
        )
        faults = FaultInjector(config, seed, clock)
        self.service = EmulatorService(
            faults=faults,
            routers=PromptRouters(prompt_routers),
            sleeper=Sleeper(latency_scale, fixed_latency_ms),
            seed=seed,
            clock=clock,
            world=None if outcomes is None else OutcomesWorld.load(outcomes),
            embedder=embedder,
        )
        self._address = (host, port)
        self._front = front
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        """``http://host:port`` of the running server."""
        host, port = self._require_server().server_address[:2]
        return f"http://{host!s}:{port}"

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments that point a client at this emulator: endpoint, region, dummy credentials.

        They fit ``RoutedChatBedrock``, ``ChatBedrockConverse``, ``BedrockEmbeddings`` and
        ``boto3.client("bedrock-runtime", ...)`` alike; nothing is read from the AWS environment.
        """
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": REGION,
            "aws_access_key_id": DUMMY_CREDENTIAL,
            "aws_secret_access_key": DUMMY_CREDENTIAL,
        }

    def environ(self) -> dict[str, str]:
        """The same settings as AWS environment variables, for code that reads them: ``os.environ.update(...)``."""
        return {
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.endpoint_url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIAL,
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIAL,
        }

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, in arrival order, failed requests included."""
        return self.service.log.snapshot()

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.service.log.clear()

    def clear_prompt_cache(self) -> None:
        """Forget every cached prompt prefix."""
        self.service.cache.clear()

    def set_faults(
        self,
        throttle_rate: float = 0.0,
        error_rate: float = 0.0,
        fail_models: Iterable[str] = (),
        not_ready_models: Iterable[str] = (),
        stream_error: str | None = None,
        stream_error_after: int = 0,
        stream_error_rate: float = 1.0,
        stream_error_models: Iterable[str] = (),
        rpm_quota: int | None = None,
    ) -> None:
        """Replace the injected faults (omitted arguments mean no such fault; see the class docstring)."""
        self.service.faults.configure(
            FaultConfig.build(
                throttle_rate,
                error_rate,
                fail_models,
                not_ready_models,
                stream_error,
                stream_error_after,
                stream_error_rate,
                stream_error_models,
                rpm_quota,
            )
        )

    def start(self) -> BedrockEmulator:
        """Bind and serve in a daemon thread; returns ``self``."""
        if self._server is None:
            front = AsyncioHTTPServer if self._front == "asyncio" else EmulatorHTTPServer
            self._server = front(self._address, self.service)
            self._thread = threading.Thread(target=self._server.serve_forever, name="bedrock-emulator", daemon=True)
            self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the server stops (the CLI's foreground mode; Ctrl-C interrupts)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _require_server(self) -> _Server:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return self._server

    def __enter__(self) -> BedrockEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
