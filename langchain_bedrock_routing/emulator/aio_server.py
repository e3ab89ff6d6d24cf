"""asyncio HTTP front of the emulator: one event loop in one thread sends what :func:`.exchange.handle` replies.

Replies wait with ``asyncio.sleep``, so hundreds of slow replies in flight cost no thread each: the front to use when
the emulator stands in for Bedrock under high concurrency. Its interface is ``socketserver``'s (bind on
construction, :meth:`serve_forever`, :meth:`shutdown`, :meth:`server_close`), as the threading front's.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from aiohttp import web

from langchain_bedrock_routing.emulator.errors import BedrockError
from langchain_bedrock_routing.emulator.exchange import Reply, body_length, error_reply, handle
from langchain_bedrock_routing.emulator.service import EmulatorService

logger = logging.getLogger(__name__)
BACKLOG = 1024
"""Pending connections the listening socket holds: a burst of hundreds of concurrent clients connects at once."""
_METHODS = frozenset({"GET", "DELETE", "POST"})


class AsyncioHTTPServer:
    """Serves :class:`EmulatorService` on ``address`` from an event loop of its own (bound on construction)."""

    def __init__(self, address: tuple[str, int], service: EmulatorService) -> None:
        self.service = service
        self._loop = asyncio.new_event_loop()
        self._stopped = threading.Event()
        try:
            self._web, self._listener = self._loop.run_until_complete(self._bind(address))
        except BaseException:
            self._loop.close()
            raise

    async def _bind(self, address: tuple[str, int]) -> tuple[web.Server, asyncio.Server]:
        server = web.Server(self._handle, access_log=None)
        listener = await self._loop.create_server(server, *address, backlog=BACKLOG)
        return server, listener

    @property
    def server_address(self) -> tuple[str, int]:
        """``(host, port)`` the server listens on."""
        host, port = self._listener.sockets[0].getsockname()[:2]
        return host, port

    def serve_forever(self) -> None:
        """Run the event loop until :meth:`shutdown` (call from the serving thread)."""
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` and wait until it returned (call from another thread)."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket and every connection, end replies in flight and close the loop."""
        self._loop.run_until_complete(self._close())
        self._loop.close()

    async def _close(self) -> None:
        self._listener.close()
        await self._web.shutdown(0.1)
        await self._listener.wait_closed()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method not in _METHODS:
            return web.Response(status=501, text=f"Unsupported method ({request.method!r})")
        try:
            length = body_length(request.headers.get("Content-Length"))
        except BedrockError as error:
            return await _send(request, error_reply(error, close=True))
        body = await request.content.readexactly(length) if length else b""
        return await _send(request, handle(self.service, request.method, request.raw_path, body))


async def _send(request: web.BaseRequest, reply: Reply) -> web.StreamResponse:
    if reply.wait_s > 0:
        await asyncio.sleep(reply.wait_s)
    if reply.messages is None:
        response = web.Response(status=reply.status, body=reply.body, headers=reply.head())
        if reply.close:
            response.force_close()
        return response
    streamed = web.StreamResponse(status=reply.status, headers=reply.head())
    streamed.enable_chunked_encoding()
    try:
        await streamed.prepare(request)
        for message, delay_s in reply.messages:
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            await streamed.write(message)
        await streamed.write_eof()
    except ConnectionError:
        logger.debug("client %s disconnected mid-reply", request.remote, exc_info=True)
    return streamed
