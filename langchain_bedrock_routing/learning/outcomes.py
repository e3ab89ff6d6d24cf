"""The outcomes format: one JSON object per line, a request and how well each model or tier answered it.

    {"prompt": "...", "outcomes": {"simple": 0.0, "complex": 1.0}}
    {"messages": [{"role": "user", "content": "..."}], "outcomes": {"global.anthropic.claude-haiku-5-5": 1}}

``prompt`` (one user turn) or ``messages`` (a conversation: ``role`` of system / user / assistant,
``content`` a string), exactly one of them. ``outcomes`` maps a tier name (simple, medium, complex)
or a Bedrock model id to a score in [0, 1] (correctness 1/0, a judge's grade rescaled, thumbs up 1 /
down 0; ``true``/``false`` count as 1/0). Optional: ``id`` (a string) and ``metadata`` (an object).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage, convert_to_messages

from langchain_bedrock_routing.errors import BedrockRoutingError
from langchain_bedrock_routing.routing.classifiers.base import last_human_index, message_parts

ROLES = ("system", "user", "assistant")
_KEYS = frozenset({"prompt", "messages", "outcomes", "id", "metadata"})


class OutcomesFormatError(BedrockRoutingError, ValueError):
    """A line of an outcomes file that does not follow the format; ``line`` is 1-based (0: not from a file)."""

    def __init__(self, problem: str, *, line: int = 0, source: str = "") -> None:
        self.problem, self.line, self.source = problem, line, source
        where = f"{source}:{line}: " if line else ""
        super().__init__(f"{where}{problem}")


@dataclass(frozen=True)
class Outcome:
    """One request and its outcomes: ``messages`` as ``(role, text)`` pairs, ``outcomes`` key -> score in [0, 1]."""

    messages: tuple[tuple[str, str], ...]
    outcomes: Mapping[str, float]
    id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_prompt(cls, prompt: str, outcomes: Mapping[str, float], **kwargs: Any) -> Outcome:
        """An outcome of a one-turn request."""
        return parse_outcome({"prompt": prompt, "outcomes": dict(outcomes), **kwargs})

    @property
    def text(self) -> str:
        """The last user turn: what the classifiers score."""
        messages = self.to_messages()
        return message_parts(messages[last_human_index(messages)]).text

    def to_messages(self) -> list[BaseMessage]:
        """The conversation as LangChain messages."""
        return convert_to_messages([{"role": role, "content": text} for role, text in self.messages])

    def to_json(self) -> dict[str, Any]:
        """The line's object: ``prompt`` for one user turn, else ``messages``."""
        data: dict[str, Any]
        if len(self.messages) == 1 and self.messages[0][0] == "user":
            data = {"prompt": self.messages[0][1]}
        else:
            data = {"messages": [{"role": role, "content": text} for role, text in self.messages]}
        data["outcomes"] = dict(self.outcomes)
        if self.id is not None:
            data["id"] = self.id
        if self.metadata:
            data["metadata"] = dict(self.metadata)
        return data


def messages_of(messages: Sequence[BaseMessage]) -> tuple[tuple[str, str], ...]:
    """LangChain messages as ``(role, text)`` pairs of the format (tool and other turns are left out)."""
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    return tuple((roles[m.type], message_parts(m).text) for m in messages if m.type in roles)


def parse_outcome(data: Any, *, line: int = 0, source: str = "") -> Outcome:
    """Validate one decoded line; raises :class:`OutcomesFormatError` naming the line and the problem."""

    def fail(problem: str) -> OutcomesFormatError:
        return OutcomesFormatError(problem, line=line, source=source)

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise fail(f"unknown key(s) {', '.join(map(repr, unknown))}; valid keys: {', '.join(sorted(_KEYS))}")
    if ("prompt" in data) == ("messages" in data):
        raise fail('give exactly one of "prompt" (a string) or "messages" (a list of {role, content})')
    try:
        turns = _turns(data)
        outcomes = _scores(data.get("outcomes"))
    except ValueError as exc:
        raise fail(str(exc)) from None
    record_id, metadata = data.get("id"), data.get("metadata", {})
    if record_id is not None and not isinstance(record_id, str):
        raise fail(f'"id" must be a string, got {type(record_id).__name__}')
    if not isinstance(metadata, dict):
        raise fail(f'"metadata" must be an object, got {type(metadata).__name__}')
    return Outcome(turns, outcomes, record_id, metadata)


def _turns(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    if "prompt" in data:
        prompt = data["prompt"]
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError('"prompt" must be a non-empty string')
        return (("user", prompt),)
    messages = data["messages"]
    if not isinstance(messages, list) or not messages:
        raise ValueError('"messages" must be a non-empty list of {"role", "content"} objects')
    turns = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            raise ValueError(f'messages[{index}] must be an object with exactly "role" and "content"')
        role, content = message["role"], message["content"]
        if role not in ROLES:
            raise ValueError(f"messages[{index}] has role {role!r}; valid roles: {', '.join(ROLES)}")
        if not isinstance(content, str):
            raise ValueError(f'messages[{index}] "content" must be a string')
        turns.append((role, content))
    if not any(role == "user" for role, _ in turns):
        raise ValueError('"messages" needs at least one "user" turn')
    return tuple(turns)


def _scores(outcomes: Any) -> dict[str, float]:
    if not isinstance(outcomes, dict) or not outcomes:
        raise ValueError('"outcomes" must be a non-empty object of "<model id or tier>": score in [0, 1]')
    scores = {}
    for key, value in outcomes.items():
        if not key.strip():
            raise ValueError('"outcomes" has an empty key: use a tier name or a model id')
        if not isinstance(value, bool | int | float) or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"outcome {key!r} is {value!r}: scores are numbers in [0, 1] (or true/false)")
        scores[key] = float(value)
    return scores


def iter_outcomes(lines: Iterable[str], *, source: str = "<outcomes>") -> Iterator[Outcome]:
    """Parse JSONL text line by line (blank lines skipped); errors name ``source`` and the 1-based line."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OutcomesFormatError(
                f"not valid JSON ({exc.msg} at column {exc.colno})", line=number, source=source
            ) from None
        yield parse_outcome(data, line=number, source=source)


def load_outcomes(path: str | Path) -> list[Outcome]:
    """Every record of an outcomes JSONL file; raises :class:`OutcomesFormatError` at the first bad line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"outcomes file not found: {path}")
    with path.open(encoding="utf-8") as handle:
        records = list(iter_outcomes(handle, source=str(path)))
    if not records:
        raise OutcomesFormatError(f"{path} holds no outcome records")
    return records


def dump_outcome(outcome: Outcome) -> str:
    """One line of the format (no trailing newline)."""
    return json.dumps(outcome.to_json(), ensure_ascii=False, separators=(",", ":"))


def from_pairs(
    rows: Iterable[Mapping[str, Any]], *, weak: str = "simple", strong: str = "complex", source: str = "<pairs>"
) -> list[Outcome]:
    """Outcomes from the evals/data shape (``prompt``, ``weak_correct``, ``strong_correct``; other keys go to
    ``metadata``): the weak model's score under the key ``weak``, the strong one's under ``strong``."""
    records = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise OutcomesFormatError(f"expected a JSON object, got {type(row).__name__}", line=number, source=source)
        missing = [k for k in ("prompt", "weak_correct", "strong_correct") if k not in row]
        if missing:
            raise OutcomesFormatError(f"a weak/strong row needs {', '.join(missing)}", line=number, source=source)
        extra = {k: v for k, v in row.items() if k not in ("prompt", "weak_correct", "strong_correct")}
        data = {"prompt": row["prompt"], "outcomes": {weak: row["weak_correct"], strong: row["strong_correct"]}}
        records.append(parse_outcome({**data, "metadata": extra} if extra else data, line=number, source=source))
    return records


def convert_pairs(source: str | Path, out: str | Path, *, weak: str = "simple", strong: str = "complex") -> int:
    """Convert a weak/strong JSONL file (evals/data shape) to the outcomes format; returns the rows written."""
    with Path(source).open(encoding="utf-8") as handle:
        rows = [json.loads(text) for text in handle if text.strip()]
    records = from_pairs(rows, weak=weak, strong=strong, source=str(source))
    Path(out).write_text("".join(dump_outcome(r) + "\n" for r in records), "utf-8")
    return len(records)
