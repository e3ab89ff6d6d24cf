"""A semantic-cache lookup in one round trip: a server-side Lua script does the exact GET, the VSIM, and reads the
answers of the neighbours at or above the threshold, so the caller's guard picks among them without a second trip.

The script (``EVALSHA``; on ``NOSCRIPT`` it is sent once with ``EVAL``, which also caches it again) touches only
keys of one partition: the exact answer key and the vector set are passed in ``KEYS``, and each neighbour's answer
key is ``<answer prefix><entry id>`` under the same hash tag, so in Redis Cluster every key is in the script's slot.
A ``VSIM`` called from a script runs in the server's main thread, like ``NOTHREAD``: measured faster than the default
threaded VSIM at 1k, 10k and 100k entries on 2 cores (the server starts a thread per threaded VSIM and wakes the
client from it), at the price of blocking other clients for the search (about 0.3-0.6 ms at 100k entries).
Reply: ``[exact answer]`` when the exact entry exists (and was asked for), else ``[nil, (entry, score, attributes,
answer) * n]``, best first; scores are the vector-set similarity ``(1 + cosine) / 2``; a neighbour whose answer has
expired comes with a nil answer. Where scripts are not allowed (an ACL user without ``EVALSHA``, a server that
disabled them) the same steps run in two pipelined round trips.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.exceptions import NoPermissionError, NoScriptError, ResponseError

from langchain_bedrock_routing.core.redis_conn import AsyncClient, SyncClient
from langchain_bedrock_routing.core.vectorsets import parse_scored_attributes, translate_error

LOOKUP_SCRIPT = """
if ARGV[3] == '1' then
  local exact = redis.call('GET', KEYS[1])
  if exact then return {exact} end
end
local found = redis.call('VSIM', KEYS[2], unpack(ARGV, 5))
local threshold = tonumber(ARGV[1])
local out = {false}
for i = 1, #found, 3 do
  local entry = found[i]
  if entry ~= ARGV[4] and tonumber(found[i + 1]) >= threshold then
    out[#out + 1] = entry
    out[#out + 1] = found[i + 1]
    out[#out + 1] = found[i + 2]
    out[#out + 1] = redis.call('GET', ARGV[2] .. entry)
  end
end
return out
"""
LOOKUP_SHA = hashlib.sha1(LOOKUP_SCRIPT.encode()).hexdigest()


@dataclass(frozen=True)
class Neighbour:
    """A stored entry near the query: its id, similarity, question (from its attributes, or ``None``) and answer
    blob (``None`` when it has expired)."""

    entry: str
    score: float
    attributes: str | None
    blob: bytes | str | None


@dataclass(frozen=True)
class Found:
    """What one lookup round trip found: the exact entry's answer blob (``None``: absent or not asked for), and the
    neighbours at or above the threshold other than the exact entry, best first (empty after an exact hit)."""

    exact: bytes | str | None
    neighbours: list[Neighbour]


@dataclass(frozen=True)
class LookupCall:
    """One lookup's keys and arguments: the exact answer key, the answer key prefix (plus an entry id gives its
    answer key), the exact entry id, the threshold, and the ``VSIM`` command to run (``VSIM <vset key> ...``, with
    ``WITHSCORES WITHATTRIBS``: the script reads its reply as (entry, score, attributes) triples)."""

    exact_key: str
    answer_prefix: str
    entry: str
    threshold: float
    vsim: Sequence[Any]

    @property
    def vset_key(self) -> str:
        """The vector set searched."""
        return str(self.vsim[1])

    def args(self, exact_first: bool) -> list[Any]:
        """``numkeys, KEYS..., ARGV...`` for ``EVALSHA``/``EVAL``; ``exact_first``: return the exact answer alone
        when it exists (no ``VSIM``)."""
        argv = [repr(self.threshold), self.answer_prefix, int(exact_first), self.entry, *self.vsim[2:]]
        return [2, self.exact_key, self.vset_key, *argv]


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def parse_found(reply: Any) -> Found:
    """The :class:`Found` of a lookup script reply (see the module docstring for its shape)."""
    items = list(reply or [None])
    rest = items[1:]
    neighbours = [
        Neighbour(_text(e), float(s), None if a is None else _text(a), b)
        for e, s, a, b in zip(rest[0::4], rest[1::4], rest[2::4], rest[3::4], strict=True)
    ]
    return Found(items[0], neighbours)


def _script_denied(exc: ResponseError) -> bool:
    """True when this user may not run scripts at all: an ACL without ``EVALSHA``/``EVAL`` (rather than one lacking a
    key or a command inside the script), or a server that renamed or disabled them (``unknown command 'evalsha'``)."""
    message = str(exc).lower()
    denied = isinstance(exc, NoPermissionError) and ("'evalsha' command" in message or "'eval' command" in message)
    return denied or "unknown command 'evalsha'" in message or "unknown command 'eval'" in message


def _first_commands(call: LookupCall, exact_first: bool) -> list[Sequence[Any]]:
    return [("GET", call.exact_key), call.vsim] if exact_first else [call.vsim]


def _close(call: LookupCall, replies: Sequence[Any], exact_first: bool) -> tuple[Any, list[tuple[str, float, Any]]]:
    """The exact answer (``None`` when not asked for), and the neighbours the script would read the answers of."""
    exact = replies[0] if exact_first else None
    if exact is not None:
        return exact, []
    near = parse_scored_attributes(replies[-1])
    return None, [(e, s, a) for e, s, a in near if e != call.entry and s >= call.threshold]


def _second_commands(call: LookupCall, near: Sequence[tuple[str, float, Any]]) -> list[Sequence[Any]]:
    return [("GET", call.answer_prefix + entry) for entry, _, _ in near]


def _found(exact: Any, near: Sequence[tuple[str, float, Any]], blobs: Sequence[Any]) -> Found:
    return Found(exact, [Neighbour(e, s, a, b) for (e, s, a), b in zip(near, blobs, strict=True)])


class Lookup:
    """Runs lookups as the script (``EVALSHA``, then ``EVAL`` once if the server lost it), or, after the server said
    this ACL user may not run scripts, as the same steps in two pipelined round trips (exact GET and VSIM, then the
    close neighbours' answers). Vector-set errors are translated (see :func:`translate_error`)."""

    def __init__(self) -> None:
        self.scripted = True

    def run(self, client: SyncClient, call: LookupCall, exact_first: bool) -> Found:
        """One lookup on a sync client."""
        try:
            if self.scripted:
                try:
                    return parse_found(self._script(client, call, exact_first))
                except ResponseError as exc:
                    if not _script_denied(exc):
                        raise
                    self.scripted = False
            exact, near = _close(call, _pipeline(client, _first_commands(call, exact_first)), exact_first)
            return _found(exact, near, _pipeline(client, _second_commands(call, near)) if near else [])
        except ResponseError as exc:
            raise translate_error(exc, call.vset_key) from exc

    async def arun(self, client: AsyncClient, call: LookupCall, exact_first: bool) -> Found:
        """Async :meth:`run`."""
        try:
            if self.scripted:
                try:
                    return parse_found(await self._ascript(client, call, exact_first))
                except ResponseError as exc:
                    if not _script_denied(exc):
                        raise
                    self.scripted = False
            first = await _apipeline(client, _first_commands(call, exact_first))
            exact, near = _close(call, first, exact_first)
            return _found(exact, near, await _apipeline(client, _second_commands(call, near)) if near else [])
        except ResponseError as exc:
            raise translate_error(exc, call.vset_key) from exc

    @staticmethod
    def _script(client: SyncClient, call: LookupCall, exact_first: bool) -> Any:
        run: Any = client.execute_command  # untyped in redis-py
        try:
            return run("EVALSHA", LOOKUP_SHA, *call.args(exact_first))
        except NoScriptError:
            return run("EVAL", LOOKUP_SCRIPT, *call.args(exact_first))

    @staticmethod
    async def _ascript(client: AsyncClient, call: LookupCall, exact_first: bool) -> Any:
        run: Any = client.execute_command  # untyped in redis-py
        try:
            return await run("EVALSHA", LOOKUP_SHA, *call.args(exact_first))
        except NoScriptError:
            return await run("EVAL", LOOKUP_SCRIPT, *call.args(exact_first))


def _pipeline(client: SyncClient, commands: Sequence[Sequence[Any]]) -> list[Any]:
    pipe = client.pipeline(transaction=False)
    for command in commands:
        pipe.execute_command(*command)
    return list(pipe.execute())


async def _apipeline(client: AsyncClient, commands: Sequence[Sequence[Any]]) -> list[Any]:
    pipe = client.pipeline(transaction=False)
    for command in commands:
        pipe.execute_command(*command)
    return list(await pipe.execute())
