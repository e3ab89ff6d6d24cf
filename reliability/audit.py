"""Checks after a soak: every cache entry decodes, every vector points at an answer, nothing was billed twice.

:func:`audit_semantic_cache` reads the semantic cache's namespace straight from Redis (layout in
:mod:`langchain_bedrock_routing.caching.semantic_redis`): each answer key ``...:r:<entry>`` must decode
with the cache's own envelope codec (key as associated data), and each element of each vector set
``...:vset`` must name an answer key that decodes or no longer exists (expired, or lost with a crash).
:func:`audit_exact_cache` decodes every ``<namespace>:exact:*`` value of the exact cache the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import redis

from langchain_bedrock_routing.caching.envelope import EnvelopeCodec
from langchain_bedrock_routing.caching.keys import EXACT_KIND, kind_pattern
from langchain_bedrock_routing.caching.semantic_redis import SEMANTIC_KIND
from langchain_bedrock_routing.core.vectorsets import VectorSets
from langchain_bedrock_routing.emulator.requestlog import RequestRecord
from langchain_bedrock_routing.errors import CorruptEntryError

_VSET_SUFFIX = ":vset"
_ANSWER_PART = ":r:"


@dataclass
class CacheAudit:
    """What a scan of one namespace found; ``ok`` when nothing is corrupt or dangling into garbage."""

    keys: int = 0
    answers: int = 0
    corrupt: list[str] = field(default_factory=list)
    vector_sets: int = 0
    vectors: int = 0
    vectors_without_answer: int = 0
    """Elements whose answer key is gone (expired or lost with a crash): served as misses, removed lazily."""
    vectors_to_corrupt: int = 0
    types: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        """No corrupt answer and no vector pointing at one."""
        return not self.corrupt and self.vectors_to_corrupt == 0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decoder(client: redis.Redis, codec: EnvelopeCodec) -> Callable[[str], bool | None]:
    """``decodes(key)``: True/False for a present key that decodes or not, None when it does not exist (memoized)."""
    decodable: dict[str, bool] = {}

    def decodes(key: str) -> bool | None:
        if key not in decodable:
            blob = client.get(key)
            if blob is None:
                return None
            try:
                if not isinstance(blob, bytes):
                    raise CorruptEntryError("a text value where the cache stores bytes")
                codec.decode(blob, associated_data=key.encode())
                decodable[key] = True
            except CorruptEntryError:
                decodable[key] = False
        return decodable[key]

    return decodes


def audit_exact_cache(client: redis.Redis, namespace: str, codec: EnvelopeCodec) -> CacheAudit:
    """Scan every key of ``namespace``'s exact cache and decode every value."""
    audit = CacheAudit()
    decodes = _decoder(client, codec)
    for raw in client.scan_iter(match=kind_pattern(namespace, EXACT_KIND), count=1000):
        key = _text(raw)
        audit.keys += 1
        audit.types[_text(client.type(key))] += 1
        if decodes(key) is not None:
            audit.answers += 1
        if decodes(key) is False:
            audit.corrupt.append(key)
    return audit


def audit_semantic_cache(client: redis.Redis, namespace: str, codec: EnvelopeCodec) -> CacheAudit:
    """Scan every key of ``namespace``'s semantic cache and decode every answer; see the module docstring."""
    audit = CacheAudit()
    decodes = _decoder(client, codec)

    vsets: list[str] = []
    for raw in client.scan_iter(match=f"{namespace}:{SEMANTIC_KIND}:*", count=1000):
        key = _text(raw)
        audit.keys += 1
        kind = _text(client.type(key))
        audit.types[kind] += 1
        if _ANSWER_PART in key:
            audit.answers += 1
            if decodes(key) is False:
                audit.corrupt.append(key)
        elif key.endswith(_VSET_SUFFIX):
            vsets.append(key)
    for vkey in vsets:
        audit.vector_sets += 1
        for element in _vector_set_elements(client, vkey):
            audit.vectors += 1
            state = decodes(vkey.removesuffix(_VSET_SUFFIX) + _ANSWER_PART + element)
            audit.vectors_without_answer += state is None
            audit.vectors_to_corrupt += state is False
    return audit


def _vector_set_elements(client: redis.Redis, key: str) -> list[str]:
    """Every element of a vector set (``VRANDMEMBER`` with a count >= ``VCARD`` returns them all)."""
    size = VectorSets(client).card(key)
    if size == 0:
        return []
    elements = client.vset().vrandmember(key, size)
    return [_text(e) for e in elements] if isinstance(elements, list) else []


@dataclass(frozen=True)
class BillingAudit:
    """The emulator's log against the user calls: one billed record per successful cache miss, no more."""

    billed: int
    successful_misses: int
    stats_api_calls: int
    throttles: int
    server_errors: int
    down_model_errors: int

    @property
    def duplicate_bills(self) -> int:
        """Billed records beyond one per successful miss (each such miss made at least one billed call)."""
        return max(0, self.billed - self.successful_misses)

    @property
    def ok(self) -> bool:
        """Every successful miss billed exactly once, and the stats handler counted the same calls."""
        return self.billed == self.successful_misses == self.stats_api_calls


def audit_billing(
    records: Iterable[RequestRecord], *, successful_misses: int, stats_api_calls: int, down_model: str
) -> BillingAudit:
    """Count billed records and injected faults (throttles, 5xx other than the model kept down) in the log."""
    billed = throttles = server_errors = down = 0
    for record in records:
        billed += record.billed
        if record.error_code == "ThrottlingException":
            throttles += 1
        elif record.status >= 500 and record.model_id.endswith(down_model):
            down += 1
        elif record.status >= 500:
            server_errors += 1
    return BillingAudit(billed, successful_misses, stats_api_calls, throttles, server_errors, down)
