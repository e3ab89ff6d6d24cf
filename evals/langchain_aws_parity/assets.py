"""A pytest plugin that serves the files langchain-aws's tests download from local bytes (no network).

``httpx.get`` of a ``.pdf``, ``.png``/``.jpg`` or ``.wav`` URL returns a small valid file of that type built
in memory; a loopback URL goes to the real ``httpx.get``; any other URL raises, so a test that needs the network
fails loudly instead of reaching it. Load with ``-p evals.langchain_aws_parity.assets`` or import it (it patches
at import, before test modules import).
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import httpx

_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 20 50 Td (Dummy PDF file) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png(width: int = 16, height: int = 16) -> bytes:
    """A valid RGB PNG of ``width`` x ``height`` pixels (a colour gradient)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 15 % 256, y * 15 % 256, 128)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def wav(samples: int = 8000) -> bytes:
    """A valid mono 16-bit 8 kHz WAV of silence, ``samples`` samples long."""
    data = b"\x00\x00" * samples
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def asset_for(url: str) -> bytes:
    """The local bytes standing in for ``url``; ``RuntimeError`` for a URL with no local stand-in."""
    path = url.split("?", 1)[0].lower()
    for suffixes, content in ((".pdf",), _PDF), ((".png", ".jpg", ".jpeg"), png()), ((".wav",), wav()):
        if path.endswith(suffixes):
            return content
    raise RuntimeError(f"no local asset for {url}; the parity run never reaches the network")


_REAL_GET = httpx.get
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _local_get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
    if httpx.URL(str(url)).host in _LOOPBACK:
        return _REAL_GET(url, *args, **kwargs)
    return httpx.Response(200, content=asset_for(str(url)), request=httpx.Request("GET", str(url)))


if getattr(httpx.get, "__module__", "") != __name__:
    httpx.get = _local_get
