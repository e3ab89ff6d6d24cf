"""The native async path goes through the proxy botocore's own HTTP session would use: ``Config(proxies=...)`` with
the proxy URL's credentials, else ``HTTP_PROXY`` / ``NO_PROXY``; checked against a real forwarding HTTP proxy."""

from __future__ import annotations

import asyncio
import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ProxyConnectionError

from langchain_bedrock_routing.core.async_bedrock import AsyncBedrock, replayed
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing import RoutedChatBedrock
from langchain_bedrock_routing.testing.ports import free_port

from .conftest import NOVA_TIERS, fixed

PROMPT = "Hi! What is the capital of France?"
_HOP_BY_HOP = {"connection", "proxy-connection", "proxy-authorization", "keep-alive", "transfer-encoding"}


class _ForwardingProxy(ThreadingHTTPServer):
    """An HTTP forward proxy: takes absolute-URI requests, records (URI, ``Proxy-Authorization``), relays them."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.seen: list[tuple[str, str | None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ForwardingProxy

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Proxy-Authorization")))
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        upstream.request("POST", target.path + (f"?{target.query}" if target.query else ""), body, headers)
        reply = upstream.getresponse()
        data = reply.read()
        upstream.close()
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in _HOP_BY_HOP | {"content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def proxy() -> Iterator[_ForwardingProxy]:
    server = _ForwardingProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _router(emulator: BedrockEmulator, **settings: Any) -> RoutedChatBedrock:
    return RoutedChatBedrock(tiers=NOVA_TIERS, classifier=fixed("simple"), **{**emulator.client_kwargs(), **settings})


async def _ainvoke(router: RoutedChatBedrock) -> str:
    try:
        return (await router.ainvoke(PROMPT)).text
    finally:
        await router.aclose()


def test_ainvoke_goes_through_the_configured_proxy_with_its_credentials(
    emulator: BedrockEmulator, proxy: _ForwardingProxy
):
    address = urlsplit(proxy.url).netloc
    router = _router(emulator, config=Config(proxies={"http": f"http://user:s%40cret@{address}"}))
    answer = asyncio.run(_ainvoke(router))
    assert answer == router.invoke(PROMPT).text
    target = f"{emulator.endpoint_url}/model/amazon.nova-micro-v1%3A0/converse"
    # async, then sync: the same request, its path as signed ("%3A" kept: a decoded ":" breaks SigV4 on AWS)
    assert proxy.seen == [(target, "Basic dXNlcjpzQGNyZXQ=")] * 2
    assert [r.status for r in emulator.requests] == [200, 200]


def test_the_environment_proxy_and_no_proxy_apply_as_on_the_sync_path(
    emulator: BedrockEmulator, proxy: _ForwardingProxy, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    asyncio.run(_ainvoke(_router(emulator)))
    assert [uri for uri, _ in proxy.seen] == [f"{emulator.endpoint_url}/model/amazon.nova-micro-v1%3A0/converse"]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    answer = asyncio.run(_ainvoke(_router(emulator)))
    assert answer
    assert len(proxy.seen) == 1
    assert len(emulator.requests) == 2


def test_an_unreachable_proxy_raises_what_the_sync_client_raises(emulator: BedrockEmulator):
    down = f"http://127.0.0.1:{free_port()}"
    client = boto3.client(
        "bedrock-runtime",
        **emulator.client_kwargs(),
        config=Config(proxies={"http": down}, retries={"total_max_attempts": 1, "mode": "standard"}),
    )

    def converse(c: Any) -> Any:
        return c.converse(modelId="amazon.nova-micro-v1:0", messages=[{"role": "user", "content": [{"text": "hi"}]}])

    with pytest.raises(ProxyConnectionError) as sync_error:
        converse(client)

    async def send() -> Any:
        bedrock = AsyncBedrock()
        try:
            return await replayed(bedrock, client, converse)
        finally:
            await bedrock.aclose()

    with pytest.raises(ProxyConnectionError) as async_error:
        asyncio.run(send())
    assert str(async_error.value).startswith(f'Failed to connect to proxy URL: "{down}"')
    assert str(sync_error.value).startswith(f'Failed to connect to proxy URL: "{down}')
    assert emulator.requests == []
