"""Versioned byte envelope for cached generations, and the hit marker put on served answers.

Layout: ``b"LBR"``, version byte, flags byte (bit 0 zlib, bit 1 AES-GCM), then the body. The body
is JSON ``{"created_at": <unix s>, "expires_at": <unix s, optional>, "meta": {...}, "generations": [...]}``,
compressed first when that
helps, then encrypted (12-byte nonce + ciphertext; the header and the caller's ``associated_data``,
e.g. the Redis key, are authenticated). Each generation is plain fields, ``{"cls": <generation class
name>, "info": generation_info, "text": ...}`` or, for chat generations, ``"message":
message.model_dump()`` instead of ``"text"`` (chat text is derived from the message).
Decoding builds objects only from a closed table: the four generation classes, and ``AIMessage``
(message type ``"ai"``) or ``AIMessageChunk`` (``"AIMessageChunk"``), validated by pydantic; no
LangChain reviver runs. Anything else raises :class:`CorruptEntryError`. Version-1 entries (the
generations as ``langchain_core.load.dumps`` text) are refused the same way, so they are counted
misses that the next store overwrites, and so is a body with malformed contents: no generations, times
that are not finite non-negative numbers, an expiry before the creation.
A codec remembers its last few decoded envelopes (by their bytes): a repeated hit skips inflating,
parsing and validating, and gets its own copies (see :func:`.copies.owned`), which share nothing mutable with the
remembered entry or with any other hit.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.load.serializable import to_json_not_implemented
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, Generation, GenerationChunk

from langchain_bedrock_routing.caching.copies import owned
from langchain_bedrock_routing.caching.partition import is_chat_prompt
from langchain_bedrock_routing.errors import CorruptEntryError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENVELOPE_VERSION = 2
KEY_ENV_VAR = "LBR_CACHE_KEY"
"""Environment variable holding the base64 AES key (16, 24 or 32 bytes) for encryption at rest."""

_MAGIC = b"LBR"
_FLAG_ZLIB = 1
_FLAG_AESGCM = 2
_NONCE_BYTES = 12
_MIN_COMPRESS_BYTES = 256
_MAX_BODY_BYTES = 64 * 1024 * 1024
_MEMO_MAX_BLOB_BYTES = 64 * 1024
"""Envelopes larger than this are decoded every time rather than remembered."""
DEFAULT_MEMO_ENTRIES = 256
"""Decoded envelopes a codec remembers (least recently used go first)."""
_GENERATION_CLASSES: dict[str, type[Generation]] = {
    cls.__name__: cls for cls in (ChatGenerationChunk, ChatGeneration, GenerationChunk, Generation)
}
"""The only generation classes decoded, most derived first (encoding names the first ``isinstance`` match)."""
_MESSAGE_CLASSES: dict[str, type[BaseMessage]] = {"ai": AIMessage, "AIMessageChunk": AIMessageChunk}
"""The only message classes decoded, by their ``type`` field."""

HitKind = Literal["exact", "semantic"]


@dataclass(frozen=True)
class CachedEntry:
    """A decoded envelope: the generations, caller metadata, creation and expiry times (unix seconds)."""

    generations: list[Generation]
    meta: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    expires_at: float | None = None

    def age_s(self, now: float | None = None) -> float:
        """Seconds since the entry was stored (never negative)."""
        return max(0.0, (time.time() if now is None else now) - self.created_at)

    def expired(self, now: float | None = None) -> bool:
        """True once the TTL it was stored with has passed (never for entries stored without one)."""
        return self.expires_at is not None and (time.time() if now is None else now) >= self.expires_at

    def detached(self) -> CachedEntry:
        """A copy sharing nothing mutable with this entry, for the caller to mark and modify (:func:`.copies.owned`)."""
        return CachedEntry(owned(self.generations), owned(self.meta), self.created_at, self.expires_at)


def _load_key(raw: bytes | str | None) -> bytes:
    """The AES key from ``raw`` (bytes, or base64 text) or, when ``None``, from ``$LBR_CACHE_KEY``."""
    source = "encryption_key" if raw is not None else f"${KEY_ENV_VAR}"
    if raw is None:
        raw = os.environ.get(KEY_ENV_VAR)
        if not raw:
            raise ValueError(
                f"encryption requested but {source} is not set: put a base64 AES key (16/24/32 bytes) there"
            )
    if isinstance(raw, str):
        try:
            raw = base64.b64decode(raw, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"{source} is not valid base64") from exc
    if len(raw) not in (16, 24, 32):
        raise ValueError(f"{source} decodes to {len(raw)} bytes; AES-GCM needs 16, 24 or 32")
    return raw


def _aesgcm(key: bytes) -> AESGCM:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("encryption at rest needs `pip install langchain-bedrock-routing[crypto]`") from exc
    return AESGCM(key)


class EnvelopeCodec:
    """Encodes and decodes envelopes with one compression and encryption setting.

    ``encrypt=True`` takes the key from ``encryption_key`` (bytes or base64 text) or ``$LBR_CACHE_KEY``;
    a codec that encrypts refuses plaintext entries, and one without a key refuses encrypted ones.
    ``memo_entries``: how many decoded envelopes (of at most 64 KiB each) to remember; 0 remembers none.
    """

    def __init__(
        self,
        *,
        compress: bool = True,
        encrypt: bool = False,
        encryption_key: bytes | str | None = None,
        memo_entries: int = DEFAULT_MEMO_ENTRIES,
    ) -> None:
        if isinstance(memo_entries, bool) or not isinstance(memo_entries, int) or memo_entries < 0:
            raise ValueError(f"memo_entries must be an int >= 0, got {memo_entries!r}")
        self.compress = compress
        self._cipher = _aesgcm(_load_key(encryption_key)) if encrypt or encryption_key is not None else None
        self._memo: OrderedDict[tuple[bytes, bytes], CachedEntry] = OrderedDict()
        self._memo_entries = memo_entries
        self._memo_lock = threading.Lock()

    @property
    def encrypts(self) -> bool:
        """True when values are encrypted at rest."""
        return self._cipher is not None

    def encode(
        self,
        generations: Sequence[Generation],
        *,
        meta: Mapping[str, Any] | None = None,
        created_at: float | None = None,
        ttl_s: float | None = None,
        associated_data: bytes = b"",
    ) -> bytes:
        """Serialize ``generations`` with ``meta`` (JSON-able), the creation time (default: now) and, with ``ttl_s``
        (seconds), the time it expires."""
        created = time.time() if created_at is None else created_at
        expiry = {} if ttl_s is None else {"expires_at": created + ttl_s}
        body = json.dumps(
            {
                "created_at": created,
                **expiry,
                "meta": dict(meta or {}),
                "generations": [_generation_fields(gen) for gen in generations],
            },
            separators=(",", ":"),
            default=to_json_not_implemented,  # stored as a plain description, never revived
        ).encode("utf-8")
        flags = 0
        if self.compress and len(body) >= _MIN_COMPRESS_BYTES:
            packed = zlib.compress(body, 6)
            if len(packed) < len(body):
                body, flags = packed, flags | _FLAG_ZLIB
        if self._cipher is not None:
            flags |= _FLAG_AESGCM
            header = _MAGIC + bytes([ENVELOPE_VERSION, flags])
            nonce = os.urandom(_NONCE_BYTES)
            return header + nonce + self._cipher.encrypt(nonce, body, header + associated_data)
        return _MAGIC + bytes([ENVELOPE_VERSION, flags]) + body

    def decode(self, blob: bytes, *, associated_data: bytes = b"") -> CachedEntry:
        """The entry in ``blob``, the caller's own copy; raises :class:`CorruptEntryError` on anything unexpected."""
        if not isinstance(blob, bytes | bytearray):
            raise CorruptEntryError("not a langchain-bedrock-routing cache entry")
        blob = bytes(blob)
        if not self._memo_entries or len(blob) > _MEMO_MAX_BLOB_BYTES:
            return self._decode(blob, associated_data)
        memo_key = (blob, associated_data)
        entry = self._remembered(memo_key)
        if entry is None:
            entry = self._decode(blob, associated_data)
            self._remember(memo_key, entry)
        return entry.detached()

    def _remembered(self, memo_key: tuple[bytes, bytes]) -> CachedEntry | None:
        with self._memo_lock:
            entry = self._memo.get(memo_key)
            if entry is not None:
                self._memo.move_to_end(memo_key)
            return entry

    def _remember(self, memo_key: tuple[bytes, bytes], entry: CachedEntry) -> None:
        with self._memo_lock:
            self._memo[memo_key] = entry
            while len(self._memo) > self._memo_entries:
                self._memo.popitem(last=False)

    def _decode(self, blob: bytes, associated_data: bytes) -> CachedEntry:
        if len(blob) < 5 or blob[:3] != _MAGIC:
            raise CorruptEntryError("not a langchain-bedrock-routing cache entry")
        version, flags = blob[3], blob[4]
        if version != ENVELOPE_VERSION:
            raise CorruptEntryError(f"envelope version {version}, this library reads {ENVELOPE_VERSION}")
        body = blob[5:]
        if flags & _FLAG_AESGCM:
            body = self._decrypt(blob[:5], body, associated_data)
        elif self._cipher is not None:
            raise CorruptEntryError("plaintext entry where encryption is required")
        if flags & _FLAG_ZLIB:
            body = _inflate(body)
        return _parse_body(body)

    def _decrypt(self, header: bytes, body: bytes, associated_data: bytes) -> bytes:
        if self._cipher is None:
            raise CorruptEntryError("encrypted entry but no key configured (encrypt=True, $LBR_CACHE_KEY)")
        from cryptography.exceptions import InvalidTag

        try:
            return self._cipher.decrypt(body[:_NONCE_BYTES], body[_NONCE_BYTES:], header + associated_data)
        except (InvalidTag, ValueError) as exc:
            raise CorruptEntryError("entry fails authentication (wrong key, wrong slot or tampered)") from exc


def _inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, _MAX_BODY_BYTES)
    except zlib.error as exc:
        raise CorruptEntryError(f"bad zlib data: {exc}") from exc
    if inflater.unconsumed_tail or not inflater.eof:
        raise CorruptEntryError(f"compressed body truncated or larger than {_MAX_BODY_BYTES} bytes")
    return out


def _generation_fields(gen: Generation) -> dict[str, Any]:
    """The JSON-able fields of ``gen``: its class name, ``generation_info`` and its message or text."""
    cls = next(name for name, known in _GENERATION_CLASSES.items() if isinstance(gen, known))
    fields: dict[str, Any] = {"cls": cls, "info": gen.generation_info}
    if isinstance(gen, ChatGeneration):
        fields["message"] = gen.message.model_dump()
    else:
        fields["text"] = gen.text
    return fields


def _generation(fields: Any) -> Generation:
    """The generation described by ``fields``; raises on a class or message type outside the table."""
    cls = _GENERATION_CLASSES.get(fields["cls"])
    if cls is None:
        raise ValueError(f"generation class {fields['cls']!r} is not one of {sorted(_GENERATION_CLASSES)}")
    if issubclass(cls, ChatGeneration):
        message = fields["message"]
        message_cls = _MESSAGE_CLASSES.get(message["type"])
        if message_cls is None:
            raise ValueError(f"message type {message['type']!r} is not one of {sorted(_MESSAGE_CLASSES)}")
        return cls.model_validate({"message": message_cls.model_validate(message), "generation_info": fields["info"]})
    return cls.model_validate({"text": fields["text"], "generation_info": fields["info"]})


def _unix_time(value: Any, name: str) -> float:
    """``value`` as unix seconds; ``ValueError`` unless it is a finite, non-negative number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise ValueError(f"{name} is {value!r}, not a finite non-negative number of unix seconds")
    return float(value)


def _parse_body(body: bytes) -> CachedEntry:
    try:
        doc = json.loads(body)
        created_at = _unix_time(doc["created_at"], "created_at")
        expires_at = None if doc.get("expires_at") is None else _unix_time(doc["expires_at"], "expires_at")
        if expires_at is not None and expires_at < created_at:
            raise ValueError(f"expires_at {expires_at} is before created_at {created_at}")
        meta, raw = doc["meta"], doc["generations"]
        if not isinstance(meta, dict) or not isinstance(raw, list):
            raise ValueError("entry body has the wrong shape: meta is not an object or generations not a list")
        generations = [_generation(fields) for fields in raw]
    except Exception as exc:  # any parse or validation failure is the same problem for the caller
        raise CorruptEntryError(f"unreadable entry body: {exc!r}") from exc
    check_generations(generations)
    return CachedEntry(generations=generations, meta=meta, created_at=created_at, expires_at=expires_at)


def check_generations(generations: Sequence[object], prompt: str | None = None) -> None:
    """Raise :class:`CorruptEntryError` unless ``generations`` can answer ``prompt``: at least one, all
    ``Generation`` objects, and all chat generations for a chat model's prompt (``dumps(messages)``: a plain
    one would reach the user unmarked as a hit). ``prompt=None`` skips the prompt check."""
    if not generations:
        raise CorruptEntryError("an entry with no generations")
    if all(isinstance(gen, ChatGeneration) for gen in generations):
        return
    if not all(isinstance(gen, Generation) for gen in generations):
        raise CorruptEntryError("an entry holding something other than generations")
    if prompt is not None and is_chat_prompt(prompt):
        raise CorruptEntryError("plain text generations for a chat model's prompt (no message to mark as a hit)")


def usage_meta(generations: Sequence[Generation]) -> dict[str, Any]:
    """Usage and model id of the answer (summed over generations), so a later hit can be priced."""
    usage: dict[str, int] = {}
    model: str | None = None
    for gen in generations:
        message = getattr(gen, "message", None)
        if not isinstance(message, AIMessage):
            continue
        for name, value in (message.usage_metadata or {}).items():
            if isinstance(value, int):
                usage[name] = usage.get(name, 0) + value
        model = model or message.response_metadata.get("model_id") or message.response_metadata.get("model_name")
    return {"usage": usage, "model": model}


def mark_hit(
    generations: Sequence[Generation],
    kind: HitKind,
    *,
    similarity: float | None = None,
    age_s: float = 0.0,
    copy: bool = True,
) -> list[Generation]:
    """``generations`` whose chat messages carry ``response_metadata["cache"]``.

    With ``copy`` (the default) the result is a copy sharing nothing mutable with the inputs (see
    :func:`.copies.owned`); with ``copy=False`` the messages are marked in place (for objects just decoded or
    copied, which nothing else holds). Plain ``Generation`` objects have no message and are not marked; usage
    metadata is kept so the saved cost can be priced.
    """
    marker = {"hit": True, "kind": kind, "similarity": similarity, "age_s": round(age_s, 3)}
    marked = owned(list(generations)) if copy else list(generations)
    for gen in marked:
        if isinstance(gen, ChatGeneration):
            gen.message.response_metadata["cache"] = dict(marker)
    return marked
