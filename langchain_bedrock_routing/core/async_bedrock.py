"""Native async calls of a boto3 ``bedrock-runtime`` client: botocore builds, signs and parses, aiohttp sends.

boto3 has no async client and aiobotocore pins botocore to a narrow range that langchain-aws and boto3 outgrow,
so the async path reuses the sync client's own machinery and only the HTTP exchange is async:

1. :func:`capture` runs a sync call (``client.converse(...)``, or langchain-aws code that makes it) up to botocore's
   ``before-call`` event and stops it there with the finished request: parameters validated and serialized,
   endpoint resolved, exactly as the sync call would have sent them.
2. :meth:`AsyncBedrock.send` signs that request with the client's signer (SigV4 or a Bedrock API key), sends it
   over a pooled ``aiohttp.ClientSession`` (httpx's pool scans every connection per request: quadratic at
   hundreds in flight), retries as the client's botocore retry handler says (its own sleep,
   awaited), parses the reply with the client's parser and raises the same ``ClientError`` subclasses
   (``ThrottlingException`` ...) and connection errors as the sync call. Event streams are decoded with botocore's
   event-stream parser as bytes arrive.

Timeouts are the client's ``connect_timeout`` / ``read_timeout`` (a deadline-cut client's, when given one); the wait
for a reply's head counts only the time the event loop ran on schedule (see :data:`STALL_FACTOR`). Requests go through
the proxy the client's own HTTP session would use (``Config(proxies=...)``, else ``HTTP(S)_PROXY`` / ``NO_PROXY`` as
botocore read them when the client was made), with the credentials of the proxy URL; ``Config(proxies_config=...)``
(a proxy CA bundle or client certificate, TLS forwarding) is not applied on this path.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import ssl
import weakref
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar
from urllib.parse import urlsplit

import aiohttp
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.endpoint import convert_to_response_dict
from botocore.eventstream import EventStream, EventStreamBuffer
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ProxyConnectionError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.hooks import first_non_none_response
from yarl import URL

from langchain_bedrock_routing.core.loop_deadline import LoopDeadline

MAX_CONNECTIONS = 1024
"""Open connections an :class:`AsyncBedrock` keeps per event loop (and concurrent requests it sends at once)."""
STALL_FACTOR = 3.0
"""Connecting and waiting for a reply's head may take ``connect_timeout + read_timeout`` seconds of on-time event
loop (a burst of calls that keeps the loop busy does not time out its own connections), or this many times that
in wall time."""
_T = TypeVar("_T")
_Reply: TypeAlias = "tuple[AWSResponse, bytes | aiohttp.ClientResponse]"
"""A reply and its body, or the unread response of an event stream."""
_CAPTURE_ID = "langchain-bedrock-routing-async-capture"
_capturing: contextvars.ContextVar[bool] = contextvars.ContextVar("capturing_bedrock_request", default=False)
_armed: weakref.WeakSet[Any] = weakref.WeakSet()
"""Event emitters (one per client) that already have the capture stop registered (registering inspects it)."""
_parsers: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
"""Response parsers per parser factory and protocol (stateless: botocore makes a fresh one per reply)."""


@dataclass(frozen=True)
class PreparedCall:
    """A botocore request ready to sign and send: what ``before-call`` saw for one operation of ``client``."""

    client: Any
    operation_model: Any
    request_dict: dict[str, Any]

    @property
    def event_suffix(self) -> str:
        """``<service-id>.<Operation>``, the tail of botocore event names for this call."""
        service_id = self.operation_model.service_model.service_id.hyphenize()
        return f"{service_id}.{self.operation_model.name}"


class _Captured(BaseException):
    """Stops a sync call at ``before-call`` (a ``BaseException`` so no ``except Exception`` on the way swallows it)."""

    def __init__(self, operation_model: Any, request_dict: dict[str, Any]) -> None:
        super().__init__(operation_model.name)
        self.operation_model = operation_model
        self.request_dict = request_dict


def _stop_at_before_call(model: Any, params: dict[str, Any], **kwargs: Any) -> None:
    if _capturing.get():
        raise _Captured(model, params)


def capture(client: Any, start: Callable[[], Any]) -> PreparedCall:
    """The request that ``start()`` (a sync call that ends in one ``client`` API call) would send, without sending
    it. Errors raised before the request is built (botocore's parameter validation, langchain-aws's checks) pass
    through unchanged; ``RuntimeError`` if ``start()`` returns without calling the client."""
    events = client.meta.events
    if events not in _armed:
        events.register_last("before-call", _stop_at_before_call, unique_id=_CAPTURE_ID)
        _armed.add(events)
    token = _capturing.set(True)
    try:
        start()
    except _Captured as captured:
        return PreparedCall(client, captured.operation_model, captured.request_dict)
    finally:
        _capturing.reset(token)
    raise RuntimeError("the call finished without sending a Bedrock request")


async def replayed(bedrock: AsyncBedrock, client: Any, call: Callable[[Any], _T]) -> _T:
    """``call(client)`` (sync code that makes one API call of ``client``) with that call sent on the event loop:
    captured, sent by ``bedrock``, and its parsed reply handed to a second run of ``call``, so the sync code
    parses it as usual."""
    prepared = capture(client, lambda: call(client))
    response = await bedrock.send(prepared)
    return call(_Replay(client, xform_name(prepared.operation_model.name), response))


class _Replay:
    """A client whose ``operation`` returns ``response``; every other attribute is the real client's."""

    def __init__(self, client: Any, operation: str, response: dict[str, Any]) -> None:
        self._client, self._operation, self._response = client, operation, response

    def __getattr__(self, name: str) -> Any:
        if name == self._operation:
            return lambda **_params: self._response
        return getattr(self._client, name)


class AsyncBedrock:
    """Sends :class:`PreparedCall` requests on the running event loop; one pooled HTTP client per loop.

    Close with :meth:`aclose` (on the loop that used it) to release the connections.
    """

    def __init__(self, max_connections: int = MAX_CONNECTIONS) -> None:
        self._max_connections = max_connections
        self._tls: ssl.SSLContext | bool | None = None
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
            weakref.WeakKeyDictionary()
        )

    def _session(self, client: Any) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            if self._tls is None:  # loading the CA bundle takes ~0.1 s: once, not per event loop
                self._tls = _tls(client)
            connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0, ssl=self._tls)
            # the body is passed on as received (botocore checks its length), and no header of ours is added
            session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, skip_auto_headers=("Accept-Encoding", "User-Agent")
            )
            self._sessions[loop] = session
            weakref.finalize(loop, _abandon, session)
        return session

    async def aclose(self) -> None:
        """Close the running loop's HTTP client (clients of other loops are dropped with their loop)."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()

    async def send(self, call: PreparedCall) -> dict[str, Any]:
        """The parsed reply of a non-streaming operation, as ``client.<operation>(...)`` returns it."""
        response, body = await self._exchange(call, stream=False)
        return _parse(call, response, body)

    async def stream(self, call: PreparedCall) -> tuple[dict[str, Any], AsyncGenerator[dict[str, Any], None]]:
        """The parsed head of an event-stream operation and its events as they arrive (``EventStreamError`` for an
        exception event, connection errors as botocore's). Iterate the events to the end or ``aclose()`` them."""
        response, raw = await self._exchange(call, stream=True)
        assert isinstance(raw, aiohttp.ClientResponse)
        parsed = _parse(call, response, None)
        events: EventStream = parsed.pop(call.operation_model.output_shape.event_stream_name)
        return parsed, _events(raw, events)

    async def _exchange(self, call: PreparedCall, *, stream: bool) -> _Reply:
        """Send with botocore's retries; a streaming reply with status 200 comes back unread."""
        client, request_dict = call.client, call.request_dict
        context = request_dict["context"]
        attempts = 1
        while True:
            client._endpoint._update_retries_context(context, attempts)
            request = client._endpoint.create_request(request_dict, call.operation_model)  # signs it
            client.meta.events.emit(f"before-send.{call.event_suffix}", request=request)
            outcome: _Reply | None = None
            caught: Exception | None = None
            try:
                outcome = await self._send_once(call, request, stream=stream)
            except (HTTPClientError, BotoConnectionError) as error:
                caught = error
            parsed = None if outcome is None or outcome[0].status_code < 300 else _parse(call, *outcome)
            pause = first_non_none_response(
                client.meta.events.emit(
                    f"needs-retry.{call.event_suffix}",
                    response=None if outcome is None else (outcome[0], parsed or {"ResponseMetadata": {}}),
                    endpoint=client._endpoint,
                    operation=call.operation_model,
                    attempts=attempts,
                    caught_exception=caught,
                    request_dict=request_dict,
                )
            )
            if pause is None or pause is False:
                if caught is not None:
                    raise caught
                assert outcome is not None
                if parsed is not None:  # the modeled ClientError (ThrottlingException ...), as the sync call raises
                    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = attempts - 1  # "(reached max retries"
                    code = parsed.get("Error", {}).get("Code")
                    raise client.exceptions.from_code(code)(parsed, call.operation_model.name)
                return outcome
            if outcome is not None and isinstance(outcome[1], aiohttp.ClientResponse):
                outcome[1].release()
            await asyncio.sleep(float(pause))
            attempts += 1

    async def _send_once(self, call: PreparedCall, request: Any, *, stream: bool) -> _Reply:
        config = call.client.meta.config
        timeout = aiohttp.ClientTimeout(total=None, sock_read=config.read_timeout)
        head_s = config.connect_timeout + config.read_timeout
        session = self._session(call.client)
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        proxy, proxy_headers = _proxy(call.client, request.url)
        if proxy_headers and not request.url.startswith("https:"):  # a plain-HTTP request carries them itself
            headers.update(proxy_headers)
        with _botocore_errors(request.url, proxy):
            async with LoopDeadline(head_s, head_s * STALL_FACTOR):  # connecting, until the reply's head
                reply = await session.request(
                    request.method,
                    URL(request.url, encoded=True),  # the path as signed (yarl would decode "%3A" to ":")
                    headers=headers,
                    data=request.body or b"",
                    timeout=timeout,
                    proxy=proxy,
                    proxy_headers=proxy_headers,
                )
            try:
                if stream and reply.status < 300:
                    return _aws_response(request.url, reply, b""), reply
                body = await reply.read()
            finally:
                if not (stream and reply.status < 300):
                    reply.release()
        return _aws_response(request.url, reply, body), body


def _abandon(session: aiohttp.ClientSession) -> None:
    """The event loop of ``session`` is gone and its connections with it: mark it closed, so that dropping it (when
    the router was not closed) raises no "unclosed session" warning."""
    if session.connector is not None:
        session.connector._closed = True


def _proxy(client: Any, url: str) -> tuple[str | None, dict[str, str] | None]:
    """The proxy (without credentials) botocore's HTTP session of ``client`` would send ``url`` through, and the
    headers it would send the proxy (``Proxy-Authorization`` from the proxy URL's credentials: on the ``CONNECT`` of
    an HTTPS request, on the request itself otherwise); ``None``s without."""
    config = getattr(client._endpoint.http_session, "_proxy_config", None)
    proxy = config.proxy_url_for(url) if config is not None else None
    if config is None or not proxy:
        return None, None
    parts = urlsplit(proxy)
    bare = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    return bare, config.proxy_headers_for(proxy)


def _tls(client: Any) -> ssl.SSLContext | bool:
    """TLS verification as the client's: off, or against its CA bundle (botocore's ``verify``)."""
    verify = getattr(client._endpoint.http_session, "_verify", True)
    if verify is False:
        return False
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)


def _aws_response(url: str, reply: aiohttp.ClientResponse, body: bytes) -> AWSResponse:
    """The reply as botocore's response; a blob reply (InvokeModel's ``body``) reads from the bytes received."""
    response = AWSResponse(url, reply.status, reply.headers.items(), _Raw(body))  # it makes the HeadersDict
    response._content = body
    return response


class _Raw(io.BytesIO):
    """Received bytes as the raw stream botocore's ``StreamingBody`` reads."""

    def stream(self, amt: int = 1024, decode_content: bool = True) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def _parse(call: PreparedCall, response: AWSResponse, body: bytes | aiohttp.ClientResponse | None) -> dict[str, Any]:
    """botocore's parse of a reply (``body`` ``None`` for an event stream's head; an error reply's modeled fields
    included)."""
    operation_model, endpoint = call.operation_model, call.client._endpoint
    response_dict = convert_to_response_dict(response, operation_model)
    if response.status_code < 300 and operation_model.has_event_stream_output:
        response_dict["body"] = None  # events are decoded as they arrive, see _events
    parser = _parser(endpoint._response_parser_factory, operation_model.service_model.resolved_protocol)
    parsed: dict[str, Any] = parser.parse(response_dict, operation_model.output_shape)
    if response.status_code >= 300:
        endpoint._add_modeled_error_fields(response_dict, parsed, operation_model, parser)
    return parsed


def _parser(factory: Any, protocol: str) -> Any:
    """``factory.create_parser(protocol)``, made once per factory and protocol."""
    made = _parsers.setdefault(factory, {})
    parser = made.get(protocol)
    if parser is None:
        parser = made[protocol] = factory.create_parser(protocol)
    return parser


async def _events(reply: aiohttp.ClientResponse, events: EventStream) -> AsyncGenerator[dict[str, Any], None]:
    buffer = EventStreamBuffer()
    try:
        with _botocore_errors(str(reply.url)):
            async for data in reply.content.iter_any():
                buffer.add_data(data)
                for message in buffer:
                    parsed = events._parse_event(message)
                    if parsed:
                        yield parsed
    finally:
        reply.release()


@contextmanager
def _botocore_errors(url: str, proxy: str | None = None) -> Iterator[None]:
    """aiohttp errors raised as the botocore errors the sync client raises (all retryable for the router)."""
    try:
        yield
    except aiohttp.ClientProxyConnectionError as error:
        raise ProxyConnectionError(proxy_url=proxy, error=error) from error
    except aiohttp.ConnectionTimeoutError as error:
        raise ConnectTimeoutError(endpoint_url=url, error=error) from error
    except (aiohttp.ServerTimeoutError, asyncio.TimeoutError) as error:
        raise ReadTimeoutError(endpoint_url=url, error=error) from error
    except aiohttp.ClientConnectorError as error:
        raise EndpointConnectionError(endpoint_url=url, error=error) from error
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError) as error:
        raise ConnectionClosedError(endpoint_url=url, error=error) from error
    except aiohttp.ClientError as error:
        raise HTTPClientError(error=error) from error
