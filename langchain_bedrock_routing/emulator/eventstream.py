"""Encoder for the binary ``application/vnd.amazon.eventstream`` framing ConverseStream replies use.

A message is: a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes, all
big-endian uint32), the headers, the payload, and a CRC32 of everything before it.
Headers here are all strings (type 7): name length (1 byte), name, 7, value length (2 bytes), value.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING_HEADER = 7


def _encode_headers(headers: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        raw_name, raw_value = name.encode("utf-8"), value.encode("utf-8")
        out += struct.pack("!B", len(raw_name)) + raw_name
        out += struct.pack("!BH", _STRING_HEADER, len(raw_value)) + raw_value
    return bytes(out)


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message with correct prelude and message CRC32s."""
    raw_headers = _encode_headers(headers)
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(raw_headers))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack("!I", zlib.crc32(body))


def event_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """An ``event`` message (e.g. ``contentBlockDelta``) with a JSON payload."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def chunk_message(payload: dict[str, Any]) -> bytes:
    """An InvokeModelWithResponseStream ``chunk`` event: ``{"bytes": base64 of the JSON payload}``."""
    raw = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return event_message("chunk", {"bytes": base64.b64encode(raw).decode("ascii")})


def exception_message(exception_type: str, message: str, **fields: Any) -> bytes:
    """An ``exception`` message (e.g. ``throttlingException``) that botocore raises as ``EventStreamError``.

    The JSON payload is ``{"message": ..., **fields}`` (e.g. ``originalStatusCode`` of ``modelStreamErrorException``).
    """
    headers = {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    return encode_message(headers, json.dumps({"message": message, **fields}).encode("utf-8"))
