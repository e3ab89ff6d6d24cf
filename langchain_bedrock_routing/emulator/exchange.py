"""The emulator's HTTP exchanges without the transport: a request (method, path, body) in, a :class:`Reply` out.

Bedrock paths: ``POST /model/{modelId}/converse``, ``/converse-stream``, ``/invoke``,
``/invoke-with-response-stream`` and ``/count-tokens``.
Admin: ``GET /_emulator/requests`` (the request log as JSON), ``DELETE /_emulator/requests``
(clear it), ``GET|POST /_emulator/faults`` (read or replace injected faults, JSON body with
``throttle_rate``, ``error_rate``, ``fail_models``, ``not_ready_models``, ``stream_error``,
``stream_error_after``, ``stream_error_rate``, ``stream_error_models``, ``rpm_quota``), ``GET /_emulator/health``.
Both HTTP fronts (:mod:`.server`, threads; :mod:`.aio_server`, asyncio) send what :func:`handle` returns: they differ
only in how they wait (``Reply.wait_s`` and the per-message delays of a stream) and write.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Reply:
    """What to send: after ``wait_s`` seconds, the status, headers and ``body``; or, when ``messages`` is set, a
    chunked event stream of those messages, each sent after its delay in seconds."""

    status: int
    content_type: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    wait_s: float = 0.0
    messages: Iterable[tuple[bytes, float]] | None = None
    close: bool = False
    """Close the connection after this reply (its request body was not read)."""

    def head(self) -> dict[str, str]:
        """Headers of the reply except its framing (``Content-Length`` / ``Transfer-Encoding``)."""
        return {"Content-Type": self.content_type, "x-amzn-RequestId": str(uuid.uuid4()), **self.headers}


def json_reply(status: int, payload: Any, wait_s: float = 0.0) -> Reply:
    """A JSON reply."""
    return Reply(status, "application/json", json.dumps(payload).encode("utf-8"), wait_s=wait_s)


def error_reply(error: BedrockError, *, close: bool = False) -> Reply:
    """Bedrock's restJson error reply (the code in ``x-amzn-ErrorType``)."""
    return Reply(error.status, "application/json", error.body(), {"x-amzn-ErrorType": f"{error.code}:"}, close=close)


def body_length(header: str | None) -> int:
    """Bytes of request body a ``Content-Length`` header announces (0 without one); ``BedrockError`` when it is
    not a number or exceeds :data:`MAX_BODY_BYTES` (the front then answers without reading the body)."""
    try:
        length = int(header or 0)
    except ValueError:
        raise validation("Invalid Content-Length header.") from None
    if length < 0 or length > MAX_BODY_BYTES:
        raise validation(f"Request body of {length} bytes exceeds the limit of {MAX_BODY_BYTES} bytes.")
    return length


def handle(service: EmulatorService, method: str, path: str, body: bytes) -> Reply:
    """The reply to one request (``method`` GET, DELETE or POST); a Bedrock operation that fails unexpectedly is a
    logged 500 ``InternalServerException``."""
    if method == "GET":
        return _get(service, path)
    if method == "DELETE":
        if path == "/_emulator/requests":
            service.log.clear()
            return json_reply(200, {"cleared": True})
        return error_reply(not_found(f"No route for DELETE {path}."))
    if path == "/_emulator/faults":
        return _set_faults(service, body)
    match = _ROUTE.match(path.split("?", 1)[0])
    if match is None:
        return error_reply(not_found(f"No Bedrock Runtime operation at POST {path}."))
    return _operation(service, _OPERATIONS[match.group("op")], unquote(match.group("model")), body)


def _get(service: EmulatorService, path: str) -> Reply:
    """Admin reads: request log, faults, health."""
    if path == "/_emulator/requests":
        return json_reply(200, [r.to_dict() for r in service.log.snapshot()])
    if path == "/_emulator/faults":
        config = service.faults.config
        return json_reply(200, {**config.__dict__, **config.model_sets()})
    if path == "/_emulator/health":
        return json_reply(200, {"status": "ok"})
    return error_reply(not_found(f"No route for GET {path}."))


def _set_faults(service: EmulatorService, body: bytes) -> Reply:
    try:
        raw = decode_json(body, "faults")
        if not isinstance(raw, dict):
            raise validation("faults must be a JSON object")
        service.faults.configure(FaultConfig.build(**raw))
    except (BedrockError, TypeError, ValueError) as exc:
        return error_reply(exc if isinstance(exc, BedrockError) else validation(f"Invalid faults: {exc}"))
    return json_reply(200, {"configured": True})


def _operation(service: EmulatorService, operation: Operation, model_id: str, body: bytes) -> Reply:
    native: NativeReply | None = None
    try:
        if operation == "CountTokens" or (operation == "InvokeModel" and not service.is_chat_model(model_id)):
            return _unbilled_or_embedding(service, operation, model_id, body)
        if operation.startswith("InvokeModel"):
            completion, native = service.invoke_chat(model_id, body)
        else:
            completion = service.converse(model_id, body)
    except Exception as exc:
        if not isinstance(exc, BedrockError):
            logger.exception("emulator failed on %s %s", operation, model_id)
        failure = exc if isinstance(exc, BedrockError) else _internal(exc)
        service.record(operation, model_id, status=failure.status, error=failure)
        return error_reply(failure)
    cut = service.faults.stream_cut(completion.invoked_model_id) if operation == "ConverseStream" else None
    interrupted = None if cut is None else (cut.exception_type, streamed_output_tokens(completion, cut))
    service.record(operation, model_id, status=200, completion=completion, interrupted=interrupted)
    if native is not None:
        return _native(service, operation, completion, native)
    if operation == "Converse":
        return json_reply(200, completion.response(), service.sleeper.reply_seconds(completion.timing.total_ms))
    return _stream(service, completion, cut)


def _unbilled_or_embedding(service: EmulatorService, operation: Operation, model_id: str, body: bytes) -> Reply:
    """CountTokens, or InvokeModel on an embedding model (raises :class:`BedrockError`, logged by the caller)."""
    if operation == "CountTokens":
        tokens = service.count_tokens(model_id, body)
        service.record(operation, model_id, status=200)
        return json_reply(200, {"inputTokens": tokens})
    response, invoked_id, tokens, latency = service.invoke(model_id, body)
    service.record(operation, model_id, status=200, invoked=(invoked_id, tokens, latency))
    return json_reply(200, response, service.sleeper.reply_seconds(latency))


def _native(service: EmulatorService, operation: Operation, completion: Completion, native: NativeReply) -> Reply:
    """An InvokeModel reply (JSON with Bedrock's token-count headers) or its event-stream of ``chunk`` events."""
    timing = completion.timing
    wait_s = service.sleeper.reply_seconds(timing.total_ms)
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
        return Reply(200, "application/json", json.dumps(native.body).encode("utf-8"), headers, wait_s)
    metrics = {
        "inputTokenCount": completion.input_tokens,
        "outputTokenCount": completion.reply.output_tokens,
        "invocationLatency": timing.total_ms,
        "firstByteLatency": round(timing.ttft_ms),
    }
    chunks = (chunk_message(event) for event in native.chunks(metrics))
    return Reply(200, EVENTSTREAM, b"".join(chunks), wait_s=wait_s)


def _stream(service: EmulatorService, completion: Completion, cut: StreamCut | None) -> Reply:
    """A ConverseStream reply: one body when nothing is slept, else chunked messages at their modeled times."""
    sleeper = service.sleeper
    messages = stream_messages(completion, cut)
    if sleeper.scale == 0:
        return Reply(200, EVENTSTREAM, b"".join(message for message, _ in messages))
    return Reply(200, EVENTSTREAM, messages=((m, sleeper.seconds(delay_ms)) for m, delay_ms in messages))


def _internal(exc: Exception) -> BedrockError:
    return BedrockError("InternalServerException", f"Emulator internal error: {type(exc).__name__}.")
