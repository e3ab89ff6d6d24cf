"""Chat models for handler tests: a scripted model and one that delegates to others (like a router)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import zstandard
from botocore.exceptions import ClientError
from langchain_core.callbacks import CallbackManager, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr


def usage(input_tokens: int, output_tokens: int, cache_read: int = 0, cache_write: int = 0) -> dict[str, Any]:
    """LangChain usage_metadata as langchain-aws builds it (input includes prompt-cache tokens)."""
    total_in = input_tokens + cache_read + cache_write
    return {
        "input_tokens": total_in,
        "output_tokens": output_tokens,
        "total_tokens": total_in + output_tokens,
        "input_token_details": {"cache_read": cache_read, "cache_creation": cache_write},
    }


def throttled() -> ClientError:
    """The error botocore raises for a throttled Bedrock call."""
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Converse")


class ScriptedChatModel(BaseChatModel):
    """Answers each call with the next scripted AIMessage, or raises the scripted exception."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_id: str
    script: list[Any]
    """AIMessages to answer with or exceptions to raise, in order."""
    repeat_last: bool = True
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        return {"ls_provider": "test", "ls_model_name": self.model_id, "ls_model_type": "chat"}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._lock:
            item = self.script[0] if self.repeat_last and len(self.script) == 1 else self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        message = item.model_copy(deep=True)
        message.response_metadata.setdefault("model_name", self.model_id)
        return ChatResult(generations=[ChatGeneration(message=message)])


class DelegatingChatModel(BaseChatModel):
    """Calls ``before`` (e.g. a classifier chain) then each delegate in turn until one answers."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    delegates: list[BaseChatModel]
    before: Callable[[list[BaseMessage], Any], None] | None = None

    @property
    def _llm_type(self) -> str:
        return "delegating"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        callbacks = (
            CallbackManager(
                handlers=run_manager.inheritable_handlers,
                inheritable_handlers=run_manager.inheritable_handlers,
                parent_run_id=run_manager.run_id,
                inheritable_metadata=run_manager.inheritable_metadata,
            )
            if run_manager
            else None
        )
        if self.before is not None:
            self.before(messages, {"callbacks": callbacks})
        attempts: list[dict[str, Any]] = []
        for delegate in self.delegates:
            model_id = getattr(delegate, "model_id", None)
            try:
                answer = delegate.invoke(messages, {"callbacks": callbacks})
            except ClientError as exc:
                attempts.append({"model_id": model_id, "error": exc.response["Error"]["Code"]})
                continue
            attempts.append({"model_id": model_id, "error": None})
            message = AIMessage(
                content=answer.content,
                usage_metadata=answer.usage_metadata,
                response_metadata={
                    "routing": {"tier": "simple", "model_id": model_id, "classifier": "test", "attempts": attempts}
                },
            )
            return ChatResult(generations=[ChatGeneration(message=message)])
        raise throttled()


@pytest.fixture
def scripted() -> type[ScriptedChatModel]:
    return ScriptedChatModel


@pytest.fixture
def delegating() -> type[DelegatingChatModel]:
    return DelegatingChatModel


@pytest.fixture
def usage_of() -> Callable[..., dict[str, Any]]:
    return usage


@pytest.fixture
def throttling() -> Callable[[], ClientError]:
    return throttled


class RecordingServer:
    """A loopback HTTP server that records every request and answers with ``respond(method, path, headers, body)``."""

    def __init__(self, respond: Callable[[str, str, Any, bytes], tuple[int, dict[str, str], bytes]]) -> None:
        self.requests: list[tuple[str, str, Any, bytes]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "zstd":
                    body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
                with server._lock:
                    server.requests.append((self.command, self.path, self.headers, body))
                status, headers, payload = respond(self.command, self.path, self.headers, body)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = _handle  # noqa: N815

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def recording_server() -> type[RecordingServer]:
    return RecordingServer
