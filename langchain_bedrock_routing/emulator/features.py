"""Converse request features beyond the prompt: extended thinking, JSON-schema output, service tier, guardrails.

Parsed from ``additionalModelRequestFields.thinking``, ``outputConfig.textFormat``, ``performanceConfig``,
``serviceTier`` and ``guardrailConfig`` with the values the Bedrock API reference lists; :func:`check_support`
raises the ``ValidationException`` Bedrock returns when the model's family lacks a feature.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from langchain_bedrock_routing.catalog import ModelSpec
from langchain_bedrock_routing.emulator.errors import BedrockError, validation

_THINKING_TYPES = ("enabled", "adaptive", "disabled")
_LATENCIES = ("standard", "optimized")
_TIERS = ("priority", "default", "flex", "reserved")
_THINKING_FAMILIES = ("claude-3-7", "claude-4", "claude-5")
"""Claude families with extended thinking (3.7 Sonnet and every Claude 4.x / 5.x)."""
_OPTIMIZED_LATENCY_FAMILIES = ("claude-3-5", "llama-3", "nova")
"""Families Bedrock offers latency-optimized inference for."""
MIN_THINKING_BUDGET = 1024
_NO_STOP_SEQUENCES = ("xai.grok-", "openai.gpt-6-astra", "mistral.mistral-large-3")
"""Models whose Converse refuses ``inferenceConfig.stopSequences`` (marked so in langchain-aws's own tests)."""
_SHORT_TOOL_IDS = ("mistral.mistral-large-3",)
"""Models whose tool call ids are 9 ASCII letters or digits. langchain-aws's tests record that Bedrock refuses
``abc123`` in such a model's history yet accepts LangChain's UUID ids, so the emulator refuses an id with fewer
than 9 letters and digits (an inference from those two observations)."""
_ALNUM = re.compile(r"[A-Za-z0-9]")
_ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_NO_FORCED_TOOL_CHOICE = ("meta.llama",)
"""Models whose Converse takes ``toolChoice.auto`` only (Meta Llama)."""


def needs_short_tool_ids(model_id: str) -> bool:
    """True for models whose tool call ids are 9 alphanumerics (Mistral Large 3; see ``_SHORT_TOOL_IDS``)."""
    return model_id.startswith(_SHORT_TOOL_IDS)


def short_tool_id(number: int) -> str:
    """A 9-character alphanumeric tool call id drawn from ``number``."""
    return "".join(_ALPHANUMERIC[(number >> (6 * i)) % len(_ALPHANUMERIC)] for i in range(9))


def check_tool_ids(spec: ModelSpec, tool_use_ids: list[str]) -> None:
    """``ValidationException`` when a model that needs 9-alphanumeric tool call ids is sent an id with fewer."""
    if not needs_short_tool_ids(spec.model_id):
        return
    for use_id in tool_use_ids:
        if len(_ALNUM.findall(use_id)) < len("abcd12345"):
            raise validation(
                f"The model returned the following errors: Tool call id was {use_id} but must be a-z, A-Z, 0-9, "
                "with a length of 9."
            )


def refused_field(spec: ModelSpec, stop_sequences: bool, tool_choice: str | None) -> str | None:
    """The request field ``spec`` refuses (``stopSequences``, ``toolConfig.toolChoice.any|tool``), else ``None``."""
    if stop_sequences and spec.model_id.startswith(_NO_STOP_SEQUENCES):
        return "stopSequences"
    if tool_choice not in (None, "auto") and spec.model_id.startswith(_NO_FORCED_TOOL_CHOICE):
        return f"toolConfig.toolChoice.{'any' if tool_choice == 'any' else 'tool'}"
    return None


@dataclass(frozen=True)
class Features:
    """The optional behaviours a Converse request asks for (``None`` / ``False``: not asked)."""

    thinking: str | None = None
    """``"enabled"`` or ``"adaptive"`` when the request turns extended thinking on."""
    thinking_budget: int | None = None
    output_schema: dict[str, Any] | None = None
    """The JSON schema of ``outputConfig.textFormat`` the reply text must validate against."""
    latency: str | None = None
    service_tier: str | None = None
    guardrail: dict[str, Any] | None = None


def _fail(path: str, problem: str) -> BedrockError:
    return validation(f"1 validation error detected: Value at '{path}' {problem}")


def _thinking(fields: Any) -> tuple[str | None, int | None]:
    if not isinstance(fields, dict) or fields.get("thinking") is None:
        return None, None
    thinking = fields["thinking"]
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind not in _THINKING_TYPES:
        raise validation(f"thinking.type: Input should be one of {', '.join(_THINKING_TYPES)}")
    if kind == "disabled":
        return None, None
    budget = thinking.get("budget_tokens")
    if kind == "enabled" and (not isinstance(budget, int) or budget < MIN_THINKING_BUDGET):
        raise validation(
            f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_THINKING_BUDGET}"
        )
    return str(kind), budget if isinstance(budget, int) else None


def _output_schema(config: Any) -> dict[str, Any] | None:
    if config is None:
        return None
    fmt = config.get("textFormat") if isinstance(config, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise _fail("outputConfig.textFormat.type", "must be one of: json_schema")
    structure = fmt.get("structure")
    raw = structure.get("jsonSchema", {}).get("schema") if isinstance(structure, dict) else None
    try:
        schema = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        schema = None
    if not isinstance(schema, dict):
        raise _fail("outputConfig.textFormat.structure.jsonSchema.schema", "must be a JSON schema object as a string")
    return schema


def _choice(config: Any, key: str, path: str, allowed: tuple[str, ...]) -> str | None:
    if config is None:
        return None
    value = config.get(key) if isinstance(config, dict) else None
    if value not in allowed:
        raise _fail(path, f"must be one of: {', '.join(allowed)}")
    return str(value)


def _guardrail(config: Any) -> dict[str, Any] | None:
    if config is None:
        return None
    if not isinstance(config, dict) or not config.get("guardrailIdentifier") or not config.get("guardrailVersion"):
        raise _fail("guardrailConfig", "must name guardrailIdentifier and guardrailVersion")
    if config.get("trace", "disabled") not in ("enabled", "disabled", "enabled_full"):
        raise _fail("guardrailConfig.trace", "must be one of: enabled, disabled, enabled_full")
    return config


def parse_features(body: dict[str, Any]) -> Features:
    """The features of a decoded Converse body; ``ValidationException`` naming a malformed field."""
    thinking, budget = _thinking(body.get("additionalModelRequestFields"))
    return Features(
        thinking=thinking,
        thinking_budget=budget,
        output_schema=_output_schema(body.get("outputConfig")),
        latency=_choice(body.get("performanceConfig"), "latency", "performanceConfig.latency", _LATENCIES),
        service_tier=_choice(body.get("serviceTier"), "type", "serviceTier.type", _TIERS),
        guardrail=_guardrail(body.get("guardrailConfig")),
    )


def check_support(spec: ModelSpec, features: Features, forced_tool: bool, max_tokens: int | None) -> None:
    """``ValidationException`` where ``spec``'s family lacks a feature the request asks for."""
    if features.thinking is not None:
        if not spec.family.startswith(_THINKING_FAMILIES):
            raise validation("The model returned the following errors: extraneous key [thinking] is not permitted")
        if forced_tool:
            raise validation(
                "The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use."
            )
        if features.thinking_budget is not None and max_tokens is not None and features.thinking_budget >= max_tokens:
            raise validation(
                "The model returned the following errors: `max_tokens` must be greater than "
                "`thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/"
                "build-with-claude/extended-thinking#max-tokens-and-context-window-size"
            )
    if features.latency == "optimized" and not spec.family.startswith(_OPTIMIZED_LATENCY_FAMILIES):
        raise validation(f"The model {spec.model_id} does not support latency-optimized inference.")


def reflected(features: Features) -> dict[str, Any]:
    """Top-level response fields echoing the request's ``performanceConfig`` and ``serviceTier``."""
    out: dict[str, Any] = {}
    if features.latency is not None:
        out["performanceConfig"] = {"latency": features.latency}
    if features.service_tier is not None:
        out["serviceTier"] = {"type": features.service_tier}
    return out


def guardrail_trace(features: Features, answer: list[str]) -> dict[str, Any] | None:
    """The ``GuardrailTraceAssessment`` of a reply the guardrail let through, when ``guardrailConfig.trace`` is
    ``enabled`` (``enabled_full`` adds ``modelOutput``); ``None`` without a guardrail or trace."""
    config = features.guardrail
    if config is None or config.get("trace", "disabled") == "disabled":
        return None
    guardrail_id = str(config["guardrailIdentifier"])
    trace: dict[str, Any] = {
        "inputAssessment": {guardrail_id: {}},
        "outputAssessments": {guardrail_id: [{}]},
        "actionReason": "No action.",
    }
    if config.get("trace") == "enabled_full":
        trace["modelOutput"] = answer
    return trace
