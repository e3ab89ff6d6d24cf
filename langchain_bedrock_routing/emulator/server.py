"""HTTP front of the emulator: Bedrock Runtime paths plus ``/_emulator/*`` admin endpoints.

Bedrock paths: ``POST /model/{modelId}/converse``, ``/converse-stream``, ``/invoke``,
``/invoke-with-response-stream`` and ``/count-tokens``.
Admin: ``GET /_emulator/requests`` (the request log as JSON), ``DELETE /_emulator/requests``
(clear it), ``GET|POST /_emulator/faults`` (read or replace injected faults, JSON body with
``throttle_rate``, ``error_rate``, ``fail_models``, ``not_ready_models``, ``stream_error``,
``stream_error_after``, ``stream_error_rate``, ``stream_error_models``), ``GET /_emulator/health``.
A client that hangs up mid-reply is logged at DEBUG, not printed as a traceback.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from langchain_bedrock_routing.emulator.errors import BedrockError, not_found, validation
from langchain_bedrock_routing.emulator.eventstream import CONTENT_TYPE as EVENTSTREAM
from langchain_bedrock_routing.emulator.eventstream import chunk_message
from langchain_bedrock_routing.emulator.faults import FaultConfig, StreamCut
from langchain_bedrock_routing.emulator.native import NativeReply
from langchain_bedrock_routing.emulator.requestlog import Operation
from langchain_bedrock_routing.emulator.service import Completion, EmulatorService, decode_json
from langchain_bedrock_routing.emulator.streaming import stream_messages, streamed_output_tokens

logger = logging.getLogger(__name__)
_ROUTE = re.compile(
    r"^/model/(?P<model>[^/]+)/(?P<op>converse|converse-stream|invoke|invoke-with-response-stream|count-tokens)$"
)
_OPERATIONS: dict[str, Operation] = {
    "converse": "Converse",
    "converse-stream": "ConverseStream",
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "count-tokens": "CountTokens",
}
MAX_BODY_BYTES = 32 * 1024 * 1024


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server holding the :class:`EmulatorService` it fronts."""

    daemon_threads = True
    request_queue_size = 1024
    """Pending connections the listening socket holds: a burst of hundreds of concurrent clients connects at once."""

    def __init__(self, address: tuple[str, int], service: EmulatorService) -> None:
        super().__init__(address, BedrockHandler)
        self.service = service

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that disconnected mid-reply is logged at DEBUG; any other error gets the default traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("client %s disconnected mid-reply", client_address, exc_info=True)
            return
        super().handle_error(request, client_address)


class BedrockHandler(BaseHTTPRequestHandler):
    """One HTTP/1.1 keep-alive connection speaking Bedrock Runtime's restJson protocol."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Access log at DEBUG level instead of stderr."""
        logger.debug("%s " + format, self.address_string(), *args)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY_BYTES:
            raise validation(f"Request body of {length} bytes exceeds the limit of {MAX_BODY_BYTES} bytes.")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), "application/json")

    def _send_error(self, error: BedrockError) -> None:
        self._send(error.status, error.body(), "application/json", {"x-amzn-ErrorType": f"{error.code}:"})

    def do_GET(self) -> None:
        """Admin reads: request log, faults, health."""
        service = self.server.service
        if self.path == "/_emulator/requests":
            self._send_json(200, [r.to_dict() for r in service.log.snapshot()])
        elif self.path == "/_emulator/faults":
            config = service.faults.config
            self._send_json(200, {**config.__dict__, **config.model_sets()})
        elif self.path == "/_emulator/health":
            self._send_json(200, {"status": "ok"})
        else:
            self._send_error(not_found(f"No route for GET {self.path}."))

    def do_DELETE(self) -> None:
        """``DELETE /_emulator/requests`` clears the request log."""
        if self.path == "/_emulator/requests":
            self.server.service.log.clear()
            self._send_json(200, {"cleared": True})
        else:
            self._send_error(not_found(f"No route for DELETE {self.path}."))

    def do_POST(self) -> None:
        """Bedrock operations and fault configuration; never lets an exception escape."""
        try:
            body = self._body()
        except (BedrockError, ValueError) as exc:
            self._send_error(exc if isinstance(exc, BedrockError) else validation("Invalid Content-Length header."))
            self.close_connection = True
            return
        if self.path == "/_emulator/faults":
            self._set_faults(body)
            return
        match = _ROUTE.match(self.path.split("?", 1)[0])
        if match is None:
            self._send_error(not_found(f"No Bedrock Runtime operation at POST {self.path}."))
            return
        self._operation(_OPERATIONS[match.group("op")], unquote(match.group("model")), body)

    def _set_faults(self, body: bytes) -> None:
        try:
            raw = decode_json(body, "faults")
            if not isinstance(raw, dict):
                raise validation("faults must be a JSON object")
            self.server.service.faults.configure(FaultConfig.build(**raw))
        except (BedrockError, TypeError, ValueError) as exc:
            self._send_error(exc if isinstance(exc, BedrockError) else validation(f"Invalid faults: {exc}"))
            return
        self._send_json(200, {"configured": True})

    def _operation(self, operation: Operation, model_id: str, body: bytes) -> None:
        service = self.server.service
        native: NativeReply | None = None
        try:
            if operation == "CountTokens" or (operation == "InvokeModel" and not service.is_chat_model(model_id)):
                self._unbilled_or_embedding(operation, model_id, body)
                return
            if operation.startswith("InvokeModel"):
                completion, native = service.invoke_chat(model_id, body)
            else:
                completion = service.converse(model_id, body)
        except Exception as exc:
            if not isinstance(exc, BedrockError):
                logger.exception("emulator failed on %s %s", operation, model_id)
            failure = exc if isinstance(exc, BedrockError) else _internal(exc)
            service.record(operation, model_id, status=failure.status, error=failure)
            self._send_error(failure)
            return
        cut = service.faults.stream_cut(completion.invoked_model_id) if operation == "ConverseStream" else None
        interrupted = None if cut is None else (cut.exception_type, streamed_output_tokens(completion, cut))
        service.record(operation, model_id, status=200, completion=completion, interrupted=interrupted)
        if native is not None:
            self._native(operation, completion, native)
        elif operation == "Converse":
            service.sleeper.sleep_reply(completion.timing.total_ms)
            self._send_json(200, completion.response())
        else:
            self._stream(completion, cut)

    def _unbilled_or_embedding(self, operation: Operation, model_id: str, body: bytes) -> None:
        """CountTokens, or InvokeModel on an embedding model (raises :class:`BedrockError`, logged by the caller)."""
        service = self.server.service
        if operation == "CountTokens":
            tokens = service.count_tokens(model_id, body)
            service.record(operation, model_id, status=200)
            self._send_json(200, {"inputTokens": tokens})
            return
        response, invoked_id, tokens, latency = service.invoke(model_id, body)
        service.record(operation, model_id, status=200, invoked=(invoked_id, tokens, latency))
        self._send_json(200, response)

    def _native(self, operation: Operation, completion: Completion, native: NativeReply) -> None:
        """An InvokeModel reply (JSON with Bedrock's token-count headers) or its event-stream of ``chunk`` events."""
        timing = completion.timing
        self.server.service.sleeper.sleep_reply(timing.total_ms)
        headers = {
            "X-Amzn-Bedrock-Input-Token-Count": str(completion.input_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(completion.reply.output_tokens),
            "X-Amzn-Bedrock-Invocation-Latency": str(timing.total_ms),
        }
        cache = completion.cache
        if cache.read or cache.write:  # prompt caching reports its counts in two more headers
            headers["X-Amzn-Bedrock-Cache-Read-Input-Token-Count"] = str(cache.read)
            headers["X-Amzn-Bedrock-Cache-Write-Input-Token-Count"] = str(cache.write)
        if operation == "InvokeModel":
            self._send(200, json.dumps(native.body).encode("utf-8"), "application/json", headers)
            return
        metrics = {
            "inputTokenCount": completion.input_tokens,
            "outputTokenCount": completion.reply.output_tokens,
            "invocationLatency": timing.total_ms,
            "firstByteLatency": round(timing.ttft_ms),
        }
        chunks = (chunk_message(event) for event in native.chunks(metrics))
        self._send(200, b"".join(chunks), EVENTSTREAM)

    def _stream(self, completion: Completion, cut: StreamCut | None) -> None:
        sleeper = self.server.service.sleeper
        if sleeper.scale == 0:
            self._send(200, b"".join(message for message, _ in stream_messages(completion, cut)), EVENTSTREAM)
            return
        self.send_response(200)
        self.send_header("Content-Type", EVENTSTREAM)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        for message, delay_ms in stream_messages(completion, cut):
            sleeper.sleep_ms(delay_ms)
            self.wfile.write(f"{len(message):x}\r\n".encode("ascii") + message + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


def _internal(exc: Exception) -> BedrockError:
    return BedrockError("InternalServerException", f"Emulator internal error: {type(exc).__name__}.")
