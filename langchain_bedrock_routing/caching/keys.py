"""Redis key layout: ``<namespace>:<kind>:{<hash tag>}[:<suffix>]``; keys carry hashes, never prompt text.

The ``{...}`` hash tag decides the Redis Cluster slot, so every key of one entry (or of one semantic
partition) shares a tag and a slot, while different entries spread over the cluster. A namespace is
one segment (no ``:``), so ``clear()`` of ``lbr`` never touches ``lbr2`` or ``lbr:x``-style neighbours.
"""

from __future__ import annotations

import hashlib
import re

_NAMESPACE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
EXACT_KIND = "exact"


def validate_namespace(namespace: object) -> str:
    """``namespace`` if it is 1-64 of ``[A-Za-z0-9_.-]``; raises ``ValueError`` naming the value otherwise."""
    if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
        raise ValueError(f"namespace must be 1-64 characters of [A-Za-z0-9_.-] (no ':', '{{', '*'), got {namespace!r}")
    return namespace


def digest(*parts: str) -> str:
    """Hex SHA-256 of the parts, length-prefixed so that no two different part lists collide by concatenation."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def make_key(namespace: str, kind: str, tag: str, *suffix: str) -> str:
    """``namespace:kind:{tag}`` plus ``:``-joined ``suffix`` parts; ``tag`` picks the cluster slot."""
    return ":".join((namespace, kind, f"{{{tag}}}", *suffix))


def exact_key(namespace: str, *, llm_string: str, prompt: str, tenant_scope: str) -> str:
    """The exact-cache key of one (llm_string, prompt, tenant scope); its own hash tag spreads entries."""
    return make_key(namespace, EXACT_KIND, digest(llm_string, prompt, tenant_scope))


def kind_pattern(namespace: str, kind: str) -> str:
    """``SCAN MATCH`` pattern for every key of ``kind`` under ``namespace`` (both already validated)."""
    return f"{namespace}:{kind}:*"
