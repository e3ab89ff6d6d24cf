"""Deterministic replies: tool calls, answers from tool results, extractive answers, short answers.

The same request, model and seed always give the same reply. Order of decisions:
a required tool choice or a prompt that asks for a tool gives ``toolUse``; a ``toolResult``
gives an answer built from it; a question answerable from the context (system prompt,
documents) gives the best-matching sentences; otherwise a short plausible answer.
``stopSequences`` and ``maxTokens`` then cut text replies (stop reasons ``stop_sequence``, ``max_tokens``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from langchain_bedrock_routing.catalog import estimate_tokens
from langchain_bedrock_routing.emulator.citations import citable_passages, cited_reply
from langchain_bedrock_routing.emulator.features import needs_short_tool_ids, short_tool_id
from langchain_bedrock_routing.emulator.reasoning import reasoning_block
from langchain_bedrock_routing.emulator.request import ConverseRequest, ToolSpec, document_text
from langchain_bedrock_routing.emulator.text import content_stems, key_phrase, sentences, truncate_tokens, words
from langchain_bedrock_routing.emulator.toolschema import PromptFacts, value_for

_ARITHMETIC = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/x\u00d7])\s*(-?\d+(?:\.\d+)?)")
_GREETINGS = frozenset({"hi", "hello", "hey", "greetings", "howdy"})
_QUESTION_STARTS = frozenset({"what", "who", "when", "where", "which", "why", "how", "does", "is", "are", "can", "do"})
_OPENERS = (
    "In short, {topic} comes down to a few key points.",
    "Here is a brief overview of {topic}.",
    "Good question about {topic}.",
    "Put simply, {topic} is best understood step by step.",
)
_BODIES = (
    "The main idea is to start from the basics, check the relevant facts, and apply them to your case.",
    "It depends on your context, but the usual approach is well documented and straightforward.",
    "Most sources agree on the essentials, and the details vary with the specific situation.",
    "A practical way to think about it is to weigh the trade-offs and pick the simplest option that works.",
)


@dataclass(frozen=True)
class Reply:
    """A model reply: Converse content blocks, stop reason and estimated output tokens."""

    content: tuple[dict[str, Any], ...]
    stop_reason: str
    output_tokens: int


def _digest(*parts: object) -> int:
    raw = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")


def last_user_text(request: ConverseRequest) -> str:
    """The text of the request's last user turn."""
    last = request.messages[-1] if request.messages[-1].role == "user" else request.messages[-2]
    return " ".join(b["text"] for b in last.content if isinstance(b.get("text"), str))


def _tool_results(request: ConverseRequest) -> list[tuple[str, dict[str, Any]]]:
    """(tool name, toolResult) pairs of the last user turn."""
    names = {
        b["toolUse"]["toolUseId"]: b["toolUse"]["name"]
        for m in request.messages
        for b in m.content
        if isinstance(b.get("toolUse"), dict)
    }
    last = request.messages[-1]
    results = [b["toolResult"] for b in last.content if isinstance(b.get("toolResult"), dict)]
    return [(names.get(r["toolUseId"], "tool"), r) for r in results]


def _result_text(result: dict[str, Any]) -> str:
    parts = []
    for part in result.get("content", []):
        if "json" in part:
            data = part["json"]
            items = data.items() if isinstance(data, dict) else [("result", data)]
            parts.append(", ".join(f"{k.replace('_', ' ')} is {v}" for k, v in items))
        elif isinstance(part.get("text"), str):
            parts.append(part["text"].strip())
    return "; ".join(p for p in parts if p) or "no content"


def _answered(request: ConverseRequest) -> set[str]:
    """Names of the tools whose results the conversation already holds."""
    ids = {
        b["toolResult"]["toolUseId"]
        for m in request.messages
        for b in m.content
        if isinstance(b.get("toolResult"), dict)
    }
    uses = [b["toolUse"] for m in request.messages for b in m.content if isinstance(b.get("toolUse"), dict)]
    return {use["name"] for use in uses if use["toolUseId"] in ids}


def _pick_tool(request: ConverseRequest, prompt: str) -> ToolSpec | None:
    """The tool to call, else ``None``. Under ``any`` a model holding a tool's result moves on to a tool it has
    not used yet (an agent's structured-output tool) rather than calling the same one again."""
    tools = request.tools
    if not tools or (request.tool_choice in (None, "auto") and _tool_results(request)):
        return None
    if request.tool_choice not in (None, "auto", "any"):
        return next(t for t in tools if t.name == request.tool_choice)
    if request.tool_choice == "any":
        answered = _answered(request)
        tools = tuple(t for t in tools if t.name not in answered) or tools
    asked = content_stems(prompt)

    def score(tool: ToolSpec) -> float:
        name_hits = len(content_stems(re.sub(r"([a-z])([A-Z])", r"\1 \2", tool.name).replace("_", " ")) & asked)
        return 2.0 * name_hits + 0.5 * len(content_stems(tool.description) & asked)

    best = max(tools, key=score)
    if request.tool_choice == "any" or score(best) >= 2.0 or "tool" in words(prompt):
        return best
    return None


def _tool_use(request: ConverseRequest, tool: ToolSpec, prompt: str, seed: int, model_id: str) -> dict[str, Any]:
    """A ``toolUse`` block; its input is drawn from the prompt, or from the whole conversation (tool results
    included) once results came back."""
    facts = PromptFacts.of(" ".join(_texts(request)) if _tool_results(request) else prompt)
    tool_input = value_for(tool.schema, facts)
    if not isinstance(tool_input, dict):
        tool_input = {}
    digest = _digest(seed, tool.name, prompt, len(request.messages))
    use_id = short_tool_id(digest) if needs_short_tool_ids(model_id) else "tooluse_" + format(digest, "x")[:22]
    return {"toolUse": {"toolUseId": use_id, "name": tool.name, "input": tool_input}}


def _documents(request: ConverseRequest) -> list[str]:
    return [
        document_text(block["document"], "document")
        for message in request.messages
        for block in message.content
        if isinstance(block.get("document"), dict)
    ]


def _context(request: ConverseRequest) -> list[str]:
    return [*request.system, *_documents(request)]


def _extractive(question: str, context: list[str], min_hits: int = 2) -> str | None:
    """The context sentences best matching ``question``; a single shared word is enough when the question has
    fewer than three content words or ``min_hits`` is 1 (a question about an attached document)."""
    asked = content_stems(question)
    if not asked:
        return None
    scored = [(len(content_stems(s) & asked), i, s) for i, s in enumerate(s for t in context for s in sentences(t))]
    top = max((x[0] for x in scored), default=0)
    if top == 0 or (top < min_hits and len(asked) > 2):
        return None
    best = [x for x in scored if x[0] == top][:2]
    return " ".join(s if s[-1] in ".!?" else s + "." for _, _, s in sorted(best, key=lambda x: x[1]))


def _arithmetic(prompt: str) -> str | None:
    match = _ARITHMETIC.search(prompt)
    if not match:
        return None
    left, op, right = float(match.group(1)), match.group(2), float(match.group(3))
    if op in "/" and right == 0:
        return "Division by zero is undefined."
    value = {"+": left + right, "-": left - right, "/": left / right if right else 0.0}.get(op, left * right)
    shown = int(value) if value == int(value) else round(value, 6)
    return f"{match.group(1)} {op} {match.group(3)} = {shown}."


def _short_answer(prompt: str, model_id: str, seed: int, temperature: float | None) -> str:
    said = words(prompt)
    if said and said[0] in _GREETINGS and len(said) <= 4:
        return "Hello! How can I help you today?"
    computed = _arithmetic(prompt)
    if computed:
        return computed
    topic = key_phrase(prompt) or "your request"
    pick = _digest(prompt, model_id, seed if temperature != 0 else 0)
    parts = [_OPENERS[pick % len(_OPENERS)].format(topic=topic), _BODIES[(pick >> 8) % len(_BODIES)]]
    if said and (said[0] in _QUESTION_STARTS or len(said) > 25):
        parts.append(_BODIES[((pick >> 8) + 1) % len(_BODIES)])
    return " ".join(parts)


def finish_text(text: str, request: ConverseRequest) -> Reply:
    """A text reply to ``request``, cut by its ``stopSequences`` and ``maxTokens``."""
    stop_reason = "end_turn"
    cuts = [text.find(s) for s in request.stop_sequences if s in text]
    if cuts:
        text, stop_reason = text[: min(cuts)], "stop_sequence"
    if request.max_tokens is not None and estimate_tokens(text) > request.max_tokens:
        text, stop_reason = truncate_tokens(text, request.max_tokens), "max_tokens"
    return Reply(content=({"text": text},), stop_reason=stop_reason, output_tokens=estimate_tokens(text))


def _answer(request: ConverseRequest, model_id: str, seed: int, prompt: str) -> Reply:
    tool = _pick_tool(request, prompt)
    if tool is not None:
        block = _tool_use(request, tool, prompt, seed, model_id)
        tokens = estimate_tokens(json.dumps(block["toolUse"]["input"])) + estimate_tokens(tool.name)
        return Reply(content=(block,), stop_reason="tool_use", output_tokens=tokens)
    schema = request.features.output_schema
    if schema is not None:  # values drawn from the whole conversation, tool results included
        return finish_text(json.dumps(value_for(schema, PromptFacts.of(" ".join(_texts(request))))), request)
    results = _tool_results(request)
    if results:
        text = " ".join(f"Based on the {name} result, {_result_text(r)}." for name, r in results)
        return finish_text(text, request)
    passages = citable_passages(request)
    if passages and prompt:
        content = cited_reply(prompt, passages)
        return Reply(content, "end_turn", sum(estimate_tokens(_block_text(b)) for b in content))
    answer = _extractive(prompt, _context(request)) if prompt else None
    answer = answer or (_extractive(prompt, _documents(request), min_hits=1) if prompt else None)
    return finish_text(answer or _short_answer(prompt, model_id, seed, request.temperature), request)


def _texts(value: Any) -> list[str]:
    """Every ``text`` string of a request's messages (tool results included), in order; JSON results as text."""
    if isinstance(value, ConverseRequest):
        return _texts([m.content for m in value.messages])
    if isinstance(value, dict):
        own = [value["text"]] if isinstance(value.get("text"), str) else []
        own += [json.dumps(value["json"])] if "json" in value else []
        return own + [s for k, v in value.items() if k not in ("text", "json") for s in _texts(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _texts(v)]
    return []


def _block_text(block: dict[str, Any]) -> str:
    if "citationsContent" in block:
        return " ".join(c["text"] for c in block["citationsContent"]["content"])
    return str(block.get("text", ""))


def respond(request: ConverseRequest, model_id: str, seed: int) -> Reply:
    """The deterministic reply of ``model_id`` (base id) to ``request`` under ``seed``; with extended thinking
    on, a ``reasoningContent`` block comes first (a forced tool call never reasons: Bedrock refuses that)."""
    prompt = last_user_text(request)
    reply = _answer(request, model_id, seed, prompt)
    if request.features.thinking is None:
        return reply
    answer = " ".join(_block_text(b) for b in reply.content)
    block = reasoning_block(prompt, answer, seed)
    tokens = estimate_tokens(block["reasoningContent"]["reasoningText"]["text"])
    return Reply((block, *reply.content), reply.stop_reason, reply.output_tokens + tokens)
