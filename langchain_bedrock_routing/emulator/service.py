"""The emulator's operations, independent of HTTP: Converse (plain and streamed), InvokeModel, CountTokens.

Each call resolves the model (or prompt router), applies injected faults, validates the body
against the model's limits, accounts prompt-cache tokens and builds a deterministic reply.
Failures raise :class:`BedrockError`; the caller logs every request through :meth:`record`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_bedrock_routing.catalog import ModelSpec, UnknownModelError, get_catalog
from langchain_bedrock_routing.emulator.embeddings import TextEmbedder, embed
from langchain_bedrock_routing.emulator.errors import BedrockError, validation
from langchain_bedrock_routing.emulator.faults import FaultInjector
from langchain_bedrock_routing.emulator.features import (
    check_support,
    check_tool_ids,
    guardrail_trace,
    reflected,
    refused_field,
)
from langchain_bedrock_routing.emulator.latency import Sleeper, Timing, model_timing
from langchain_bedrock_routing.emulator.native import NativeReply, ServedChat, native_format
from langchain_bedrock_routing.emulator.prompt_cache import CacheUsage, PromptCache
from langchain_bedrock_routing.emulator.request import ConverseRequest, parse_converse
from langchain_bedrock_routing.emulator.requestlog import Operation, RequestLog, RequestRecord
from langchain_bedrock_routing.emulator.responder import Reply, respond
from langchain_bedrock_routing.emulator.router import PromptRouters, invoked_model_arn
from langchain_bedrock_routing.emulator.tokens import count_tokens, with_tool_prompt
from langchain_bedrock_routing.emulator.world import OutcomesWorld


@dataclass(frozen=True)
class Completion:
    """A served Converse request: who answered, the reply, token usage and modeled timing."""

    invoked_model_id: str
    reply: Reply
    input_tokens: int
    cache: CacheUsage
    timing: Timing
    router_trace: str | None
    reflected: dict[str, Any] = field(default_factory=dict)
    """Response fields echoing the request (``performanceConfig``, ``serviceTier``)."""
    guardrail: dict[str, Any] | None = None
    """``trace.guardrail`` when the request's ``guardrailConfig`` asks for a trace."""

    def usage(self, *, streamed: bool = False) -> dict[str, Any]:
        """Bedrock ``TokenUsage`` as real replies carry it: ``inputTokens`` excludes cache reads and writes,
        ``totalTokens`` includes them; cache fields appear when non-zero, except that a Converse (not streamed)
        reply always reports reads (``cacheReadInputTokens`` and its ``cacheReadInputTokenCount`` twin)."""
        out = self.reply.output_tokens
        usage: dict[str, Any] = {
            "inputTokens": self.input_tokens,
            "outputTokens": out,
            "totalTokens": self.input_tokens + out + self.cache.read + self.cache.write,
            "serverToolUsage": {},
        }
        if self.cache.read or not streamed:
            usage["cacheReadInputTokens"] = usage["cacheReadInputTokenCount"] = self.cache.read
        if self.cache.write:
            usage["cacheWriteInputTokens"] = self.cache.write
        return usage

    def trace(self) -> dict[str, Any] | None:
        """``trace`` of the reply: ``promptRouter.invokedModelId`` for prompt-router requests and ``guardrail``
        when asked for; ``None`` when neither applies."""
        trace: dict[str, Any] = {}
        if self.router_trace is not None:
            trace["promptRouter"] = {"invokedModelId": self.router_trace}
        if self.guardrail is not None:
            trace["guardrail"] = self.guardrail
        return trace or None

    def response(self) -> dict[str, Any]:
        """The Converse response body."""
        body: dict[str, Any] = {
            "output": {"message": {"role": "assistant", "content": list(self.reply.content)}},
            "stopReason": self.reply.stop_reason,
            "usage": self.usage(),
            "metrics": {"latencyMs": self.timing.total_ms},
        }
        trace = self.trace()
        if trace is not None:
            body["trace"] = trace
        return {**body, **self.reflected}


def decode_json(raw: bytes, what: str) -> Any:
    """The JSON value of a request body; ``ValidationException`` if it is not JSON."""
    try:
        return json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise validation(
            f"Malformed input request: {what} is not valid JSON ({exc}), please reformat your input."
        ) from None


def _model_spec(model_id: str) -> ModelSpec:
    try:
        return get_catalog().get(model_id)
    except UnknownModelError as exc:
        raise validation(f"The provided model identifier is invalid: {exc}") from None


def _check_limits(spec: ModelSpec, request: ConverseRequest) -> None:
    if request.tools and not spec.tool_calling:
        raise validation(f"This model doesn't support tool use: {spec.model_id}.")
    forced = request.tool_choice not in (None, "auto")
    check_support(spec, request.features, forced, request.max_tokens)
    ids = [b["toolUse"]["toolUseId"] for m in request.messages for b in m.content if isinstance(b.get("toolUse"), dict)]
    check_tool_ids(spec, ids)
    refused = refused_field(spec, bool(request.stop_sequences), request.tool_choice)
    if refused is not None:
        raise validation(f"This model doesn't support the {refused} field. Remove {refused} and try again.")
    if request.max_tokens is not None and request.max_tokens > spec.max_output_tokens:
        raise validation(
            f"inferenceConfig.maxTokens {request.max_tokens} exceeds the model limit of {spec.max_output_tokens}."
        )
    if request.input_tokens > spec.max_input_tokens:
        raise validation(
            f"Input is too long for requested model: {request.input_tokens} tokens (estimated) exceed "
            f"the context window of {spec.max_input_tokens} tokens of {spec.model_id}."
        )


class EmulatorService:
    """Serves requests against the catalog's models with the configured faults, latency and cache."""

    def __init__(
        self,
        *,
        faults: FaultInjector,
        routers: PromptRouters,
        sleeper: Sleeper,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
        world: OutcomesWorld | None = None,
        embedder: TextEmbedder | None = None,
    ) -> None:
        self.world = world
        """Answers recorded prompts as an outcomes file says each model did (see :mod:`.world`)."""
        self.faults = faults
        self.embedder = embedder
        self.routers = routers
        self.sleeper = sleeper
        self.seed = seed
        self.cache = PromptCache(clock)
        self.log = RequestLog()

    def converse(self, model_id: str, raw_body: bytes) -> Completion:
        """Serve one Converse request; raises :class:`BedrockError`."""
        return self.complete(model_id, parse_converse(decode_json(raw_body, "body")))

    def is_chat_model(self, model_id: str) -> bool:
        """True for a chat model id or prompt router (InvokeModel then takes the model's native chat body)."""
        return self.routers.find(model_id) is not None or model_id in get_catalog()

    def invoke_chat(self, model_id: str, raw_body: bytes) -> tuple[Completion, NativeReply]:
        """Serve InvokeModel with a chat model's native body (its family's format, see
        :mod:`~langchain_bedrock_routing.emulator.native`): the completion and the native reply."""
        body = decode_json(raw_body, "body")
        if not isinstance(body, dict):
            raise validation("Malformed input request: #: expected type: JSONObject, please reformat your input.")
        router = self.routers.find(model_id)
        family_model = router.models[0] if router is not None else _model_spec(model_id).model_id
        native = native_format(family_model, body)
        completion = self.complete(model_id, parse_converse(native.to_converse(body)))
        reply, cache = completion.reply, completion.cache
        outcome = ServedChat(
            completion.invoked_model_id, reply.content, reply.stop_reason, completion.input_tokens,
            reply.output_tokens, cache.read, cache.write,
        )  # fmt: skip
        return completion, NativeReply(native, outcome, native.response(outcome))

    def complete(self, model_id: str, request: ConverseRequest) -> Completion:
        """Serve a parsed chat request on ``model_id`` (a model or prompt router); raises :class:`BedrockError`."""
        router = self.routers.find(model_id)
        chosen = self.routers.choose(router, request) if router is not None else model_id
        spec = _model_spec(chosen)
        request = with_tool_prompt(spec, request)
        error = self.faults.check(spec.model_id)
        if error is not None:
            raise error
        _check_limits(spec, request)
        allow_1h = spec.family.startswith("claude")
        cache = self.cache.account(
            spec.model_id, spec.cache_min_tokens, request.segments, request.cache_points, allow_1h
        )
        reply = respond(request, spec.model_id, self.seed)
        if self.world is not None:
            reply = self.world.reply(request, spec.model_id, reply)
        uncached = request.input_tokens - cache.read - cache.write
        timing = model_timing(spec.latency, uncached + cache.write, cache.read, reply.output_tokens)
        trace = invoked_model_arn(model_id, spec.model_id) if router is not None else None
        answer = [b["text"] for b in reply.content if isinstance(b.get("text"), str)]
        guardrail = guardrail_trace(request.features, answer)
        return Completion(spec.model_id, reply, uncached, cache, timing, trace, reflected(request.features), guardrail)

    def count_tokens(self, model_id: str, raw_body: bytes) -> int:
        """Serve CountTokens: the input tokens the request in ``raw_body`` would be billed for."""
        return count_tokens(_model_spec(model_id), decode_json(raw_body, "body"))

    def invoke(self, model_id: str, raw_body: bytes) -> tuple[dict[str, Any], str, int, int]:
        """Serve an embeddings InvokeModel (Titan, Cohere, Nova): (body, base model id, input tokens, modeled
        latency ms, which the reply waits)."""
        catalog = get_catalog()
        try:
            spec = catalog.embedding_model(model_id)
        except UnknownModelError as exc:
            raise validation(f"The provided model identifier is invalid: {exc}") from None
        body = decode_json(raw_body, "body")
        if not isinstance(body, dict):
            raise validation(
                "Malformed input request: #: expected type: JSONObject, please reformat your input."
            ) from None
        response, tokens = embed(spec, body, self.embedder)
        error = self.faults.check(spec.model_id)
        if error is not None:
            raise error
        return response, spec.model_id, tokens, round(spec.latency.ttft_ms)

    def record(
        self,
        operation: Operation,
        model_id: str,
        *,
        status: int,
        error: BedrockError | None = None,
        completion: Completion | None = None,
        invoked: tuple[str, int, int] | None = None,
        interrupted: tuple[str, int] | None = None,
    ) -> None:
        """Log one request: a failure (``error``), a Converse ``completion`` or an invoke (id, tokens, ms).

        ``interrupted`` (exception event type, output tokens sent) marks a ConverseStream cut mid-way: it keeps
        status 200, names the exception as ``error_code``, counts the tokens streamed and is not billed.
        """
        usage: dict[str, Any] = completion.usage() if completion else {}
        if interrupted is not None:
            usage["outputTokens"] = interrupted[1]
        if completion is not None:
            invoked = (completion.invoked_model_id, usage["inputTokens"], completion.timing.total_ms)
        self.log.append(
            RequestRecord(
                operation=operation,
                model_id=model_id,
                invoked_model_id=invoked[0] if invoked else None,
                status=status,
                error_code=error.code if error else (interrupted[0] if interrupted else None),
                input_tokens=invoked[1] if invoked else 0,
                output_tokens=usage.get("outputTokens", 0),
                cache_read_input_tokens=usage.get("cacheReadInputTokens", 0),
                cache_write_input_tokens=usage.get("cacheWriteInputTokens", 0),
                latency_ms=invoked[2] if invoked else 0,
                timestamp=time.time(),
                billed=error is None and interrupted is None and invoked is not None,
            )
        )
