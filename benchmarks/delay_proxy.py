"""A TCP proxy that delays every byte by a fixed time each way: a Redis across a network, on one machine.

``python -m benchmarks.delay_proxy <upstream port> <one-way delay s>`` listens on a free port of 127.0.0.1 and prints
``ready <port>`` once it accepts connections. :func:`delayed` runs it as a child process.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def receive() -> None:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay_s, data))
        queue.put_nowait((0.0, b""))

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                writer.close()
                return
            await asyncio.sleep(max(0.0, due - loop.time()))
            writer.write(data)
            await writer.drain()

    await asyncio.gather(receive(), send(), return_exceptions=True)


async def _serve(upstream_port: int, delay_s: float) -> None:
    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        await asyncio.gather(_forward(reader, up_writer, delay_s), _forward(up_reader, writer, delay_s))

    server = await asyncio.start_server(connect, "127.0.0.1", 0)
    print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


@contextmanager
def delayed(upstream_port: int, delay_s: float) -> Iterator[int]:
    """A proxy to ``127.0.0.1:upstream_port`` adding ``delay_s`` seconds each way; yields its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.delay_proxy", str(upstream_port), str(delay_s)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if line[:1] != ["ready"]:
            raise RuntimeError(f"the delay proxy did not start: {line!r}")
        yield int(line[1])
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), float(sys.argv[2])))
