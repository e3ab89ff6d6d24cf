"""Threading HTTP front of the emulator: one thread per connection sends what :func:`.exchange.handle` replies.

A client that hangs up mid-reply is logged at DEBUG, not printed as a traceback.
"""

from __future__ import annotations

import logging
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_bedrock_routing.emulator.errors import BedrockError
from langchain_bedrock_routing.emulator.exchange import Reply, body_length, error_reply, handle
from langchain_bedrock_routing.emulator.service import EmulatorService

logger = logging.getLogger(__name__)


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

    def do_GET(self) -> None:
        """Admin reads: request log, faults, health."""
        self._send(handle(self.server.service, "GET", self.path, b""))

    def do_DELETE(self) -> None:
        """``DELETE /_emulator/requests`` clears the request log."""
        self._send(handle(self.server.service, "DELETE", self.path, b""))

    def do_POST(self) -> None:
        """Bedrock operations and fault configuration."""
        try:
            length = body_length(self.headers.get("Content-Length"))
        except BedrockError as error:
            self._send(error_reply(error, close=True))
            return
        body = self.rfile.read(length) if length else b""
        self._send(handle(self.server.service, "POST", self.path, body))

    def _send(self, reply: Reply) -> None:
        if reply.wait_s > 0:
            time.sleep(reply.wait_s)
        self.send_response(reply.status)
        for name, value in reply.head().items():
            self.send_header(name, value)
        if reply.close:
            self.send_header("Connection", "close")  # and closes it after this reply
        if reply.messages is None:
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for message, delay_s in reply.messages:
            if delay_s > 0:
                time.sleep(delay_s)
            self.wfile.write(f"{len(message):x}\r\n".encode("ascii") + message + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
