"""Per-request cache tenant and directive, carried to ``BaseCache.lookup``/``update`` by context variables.

``BaseCache.lookup(prompt, llm_string)`` sees no run config, so a callback handler registered for every
run (inheritable, ``run_inline``; registered when the first cache is built or ``cache_scope`` is entered, never at
import) copies ``config["metadata"]["tenant_id"]`` and
``config["metadata"]["cache"]`` into a context variable at ``on_chat_model_start``, which LangChain
calls before its cache lookup, and removes them at ``on_llm_end``/``on_llm_error``. ``cache_scope``
sets the same values explicitly around any block of code. Only chat models are covered: LangChain
looks the cache up for plain LLMs before their start callback.

Context variables follow tasks and LangChain's own executors, not a thread the user starts without
copying the context (``contextvars.copy_context().run``). A cache call in such a thread has no scope
at all (:attr:`RequestCacheContext.scoped` false), which the caches refuse once tenants are in play
(see :func:`tenants_in_play`) instead of serving it the shared scope.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, Literal, cast, get_args
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.globals import get_llm_cache
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook

Directive = Literal["no-cache", "no-store", "refresh"]
DIRECTIVES: tuple[str, ...] = get_args(Directive)
TENANT_METADATA_KEY = "tenant_id"
DIRECTIVE_METADATA_KEY = "cache"

logger = logging.getLogger("langchain_bedrock_routing.caching")


@dataclass(frozen=True)
class RequestCacheContext:
    """What the current request allows: its tenant (``None`` = shared) and cache directive.

    ``scoped`` is false when nothing named the request's scope: no ``cache_scope`` in its context and no
    ``tenant_id`` in its run metadata, not even ``None`` (typically a thread that did not copy its caller's context).
    """

    tenant: str | None = None
    directive: Directive | None = None
    scoped: bool = True
    usable: bool = True
    """False for a run whose metadata was invalid while no cache of ours was global: no lookup, no store."""

    @property
    def may_lookup(self) -> bool:
        """False for ``"no-cache"`` and ``"refresh"`` (and for unusable metadata)."""
        return self.usable and self.directive not in ("no-cache", "refresh")

    @property
    def may_store(self) -> bool:
        """False for ``"no-store"`` (and for unusable metadata)."""
        return self.usable and self.directive != "no-store"


_UNSCOPED = RequestCacheContext(scoped=False)
_scope: ContextVar[RequestCacheContext] = ContextVar("lbr_cache_scope", default=_UNSCOPED)
_runs: ContextVar[tuple[tuple[UUID, RequestCacheContext], ...]] = ContextVar("lbr_cache_runs", default=())


class _Gauge:
    """A thread-safe integer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self, n: int) -> None:
        with self._lock:
            self.value += n


_open_tenant_scopes = _Gauge()


def validate_tenant(tenant: object, source: str = "tenant") -> str | None:
    """``tenant`` as a non-empty string or ``None``; raises ``ValueError`` naming ``source`` otherwise."""
    if tenant is None:
        return None
    if not isinstance(tenant, str) or not tenant:
        raise ValueError(f"{source} must be a non-empty string or None, got {tenant!r}")
    return tenant


def validate_directive(directive: object, source: str = "directive") -> Directive | None:
    """``directive`` if it is one of :data:`DIRECTIVES` or ``None``; raises ``ValueError`` otherwise."""
    if directive is None:
        return None
    if directive not in DIRECTIVES:
        raise ValueError(f"{source} must be one of {', '.join(DIRECTIVES)} (or unset), got {directive!r}")
    return cast("Directive", directive)


def _merge(base: RequestCacheContext, tenant: str | None, directive: Directive | None) -> RequestCacheContext:
    if tenant is not None and base.tenant is not None and tenant != base.tenant:
        raise ValueError(f"conflicting cache tenants for one request: {base.tenant!r} and {tenant!r}")
    return RequestCacheContext(
        tenant=tenant or base.tenant, directive=directive or base.directive, scoped=base.scoped or tenant is not None
    )


def current_run_id() -> UUID | None:
    """The id of the innermost chat-model run in this context (``None`` outside any run)."""
    runs = _runs.get()
    return runs[-1][0] if runs else None


_run_end_lock = threading.Lock()
_run_end: dict[UUID, list[Callable[[], None]]] = {}


def on_run_end(run_id: UUID, callback: Callable[[], None]) -> None:
    """Call ``callback()`` once when chat-model run ``run_id`` ends or fails, the last registered first (like
    nested ``with`` blocks); errors are logged, not raised."""
    with _run_end_lock:
        _run_end.setdefault(run_id, []).append(callback)


def _run_ended(run_id: UUID) -> None:
    with _run_end_lock:
        callbacks = _run_end.pop(run_id, [])
    for callback in reversed(callbacks):
        try:
            callback()
        except Exception:
            logger.warning("a cache's end-of-run release failed; the request is unaffected", exc_info=True)


def current_request() -> RequestCacheContext:
    """The tenant and directive in force here: the innermost running chat model's, else ``cache_scope``'s."""
    runs = _runs.get()
    return runs[-1][1] if runs else _scope.get()


@contextmanager
def cache_scope(*, tenant: str | None = None, directive: Directive | None = None) -> Iterator[RequestCacheContext]:
    """Run the block as ``tenant`` with ``directive``; run metadata may add to it but not change the tenant."""
    ensure_run_hook()
    merged = _merge(_scope.get(), validate_tenant(tenant), validate_directive(directive, "cache_scope(directive=...)"))
    merged = replace(merged, scoped=True)
    token = _scope.set(merged)
    opened = 1 if merged.tenant is not None else 0
    _open_tenant_scopes.add(opened)
    try:
        yield merged
    finally:
        _open_tenant_scopes.add(-opened)
        _scope.reset(token)


def tenants_in_play(cache_saw_tenant: bool) -> bool:
    """Whether a cache call without any scope must fail closed: the cache has served a named tenant
    (``cache_saw_tenant``), or a ``cache_scope(tenant=...)`` block is open somewhere in the process."""
    return cache_saw_tenant or _open_tenant_scopes.value > 0


def warn_unscoped(cache_name: str) -> None:
    """Log that a call to ``cache_name`` had no scope while tenants are in play, and how to give it one."""
    logger.warning(
        "%s: a cache call had no cache scope while tenants are in use (typically a thread that did not copy its "
        "caller's context), so it was neither looked up nor stored. Run the work with "
        "contextvars.copy_context().run(...) or langchain_core's ContextThreadPoolExecutor, pass the tenant "
        'in config={"metadata": {"tenant_id": ...}} (None: shared), or wrap it in cache_scope() (shared) / '
        "cache_scope(tenant=...). Logged once per cache; counted in cache.stats.unscoped_*_refused",
        cache_name,
    )


def tenant_scope(cache_tenant: str | None, request: RequestCacheContext) -> str:
    """A stable string naming who may see an entry: the cache's own tenant and the request's (both count)."""
    if cache_tenant is None and request.tenant is None:
        return ""
    return f"{len(cache_tenant or '')}:{cache_tenant or ''}|{request.tenant or ''}"


class _RunMetadataHandler(BaseCallbackHandler):
    """Copies cache tenant/directive from each chat model run's metadata into the caller's context."""

    run_inline = True
    raise_error = True  # a bad directive or conflicting tenant must fail the request, not be logged

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Push this run's context (merged over ``cache_scope``) for the cache calls that follow.

        Invalid cache metadata fails the run when the global LangChain cache is one of ours; otherwise the run
        may belong to an unrelated model, so it goes on with a context in which our caches neither look up nor
        store (a model given one of our caches by ``cache=`` is then simply not cached)."""
        try:
            request = _run_request(metadata or {})
        except ValueError:
            if _global_cache_is_ours():
                raise
            logger.debug("run %s: cache metadata not ours to validate; caches of this package skip it", run_id)
            request = RequestCacheContext(usable=False)
        _runs.set((*_runs.get(), (run_id, request)))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Drop this run's context."""
        self._pop(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Drop this run's context."""
        self._pop(run_id)

    @staticmethod
    def _pop(run_id: UUID) -> None:
        _run_ended(run_id)
        runs = _runs.get()
        if any(rid == run_id for rid, _ in runs):
            _runs.set(tuple(run for run in runs if run[0] != run_id))


def _run_request(meta: dict[str, Any]) -> RequestCacheContext:
    """The context a run's metadata asks for, merged over ``cache_scope``; ``ValueError`` when it is invalid."""
    tenant = validate_tenant(meta.get(TENANT_METADATA_KEY), f'config["metadata"]["{TENANT_METADATA_KEY}"]')
    directive = validate_directive(meta.get(DIRECTIVE_METADATA_KEY), f'config["metadata"]["{DIRECTIVE_METADATA_KEY}"]')
    request = _merge(_scope.get(), tenant, directive)
    if TENANT_METADATA_KEY in meta:  # even None: the caller named the shared scope
        request = replace(request, scoped=True)
    return request


def _global_cache_is_ours() -> bool:
    from langchain_bedrock_routing.caching.base import CacheBase  # base imports this module

    return isinstance(get_llm_cache(), CacheBase)


_hook_lock = threading.Lock()
_hook_registered = threading.Event()


def ensure_run_hook() -> None:
    """Register the run-metadata handler for every later run, once per process (thread-safe). Called when a
    cache of this package is built and when ``cache_scope`` is entered, so importing the package registers
    nothing and apps that never use these caches run no extra handler."""
    if _hook_registered.is_set():
        return
    with _hook_lock:
        if not _hook_registered.is_set():
            # A default (not .set()) so every thread and task sees the handler; it keeps no per-run state itself.
            handler_var: ContextVar[BaseCallbackHandler | None] = ContextVar(
                "lbr_cache_context_handler",
                default=_RunMetadataHandler(),  # noqa: B039
            )
            register_configure_hook(handler_var, inheritable=True)
            _hook_registered.set()
