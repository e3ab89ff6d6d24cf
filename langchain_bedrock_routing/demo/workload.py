"""The demo's document-QA workload: handbook sections, and a session of questions with repeats and paraphrases.

Data lives in ``demo/data/handbook.md`` (sections under ``## `` headings) and ``demo/data/workload.json``
(question groups). A session asks every group's question once, then its word-for-word repeats and
paraphrases in a seeded shuffle. Requests run in *waves* (up to ``wave_size`` at a time) that never hold
two requests of one group, so whether a request can be a cache hit does not depend on thread timing.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

RequestKind = Literal["original", "repeat", "paraphrase"]
SYSTEM_TEMPLATE = (
    "You answer questions about the Lumen Labs employee handbook. Answer only from this section, "
    "and say so when it does not contain the answer.\n\n## {title}\n\n{text}"
)


def _data_text(name: str) -> str:
    return resources.files("langchain_bedrock_routing.demo").joinpath("data", name).read_text("utf-8")


@lru_cache(maxsize=1)
def handbook() -> dict[str, str]:
    """Section title -> section text, in document order, from ``handbook.md``."""
    sections: dict[str, str] = {}
    title: str | None = None
    for line in _data_text("handbook.md").splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            sections[title] = ""
        elif title is not None and line.strip():
            sections[title] += line.strip() + "\n"
    return {name: text.strip() for name, text in sections.items()}


def handbook_text() -> str:
    """The whole handbook as one long document (the prompt-caching step's context)."""
    return "\n\n".join(f"## {title}\n\n{text}" for title, text in handbook().items())


@dataclass(frozen=True)
class Request:
    """One question of the session: its group, kind, text and the handbook section it is about."""

    group: str
    kind: RequestKind
    text: str
    section: str

    def messages(self) -> list[BaseMessage]:
        """System message holding the section (the retrieved context), then the question."""
        system = SYSTEM_TEMPLATE.format(title=self.section, text=handbook()[self.section])
        return [SystemMessage(system), HumanMessage(self.text)]


@dataclass(frozen=True)
class Workload:
    """An ordered session of requests and the waves it runs in."""

    requests: tuple[Request, ...]
    wave_size: int

    @property
    def groups(self) -> int:
        """Distinct questions (groups) in the session."""
        return len({r.group for r in self.requests})

    def count(self, kind: RequestKind) -> int:
        """Requests of ``kind``."""
        return sum(r.kind == kind for r in self.requests)

    def waves(self) -> list[list[Request]]:
        """Consecutive runs of at most ``wave_size`` requests, none holding two requests of one group."""
        waves: list[list[Request]] = []
        current: list[Request] = []
        for request in self.requests:
            if len(current) == self.wave_size or any(r.group == request.group for r in current):
                waves.append(current)
                current = []
            current.append(request)
        return [*waves, current] if current else waves


def _group_requests(group: dict[str, Any], sections: dict[str, str]) -> list[Request]:
    section = group["section"]
    if section not in sections:
        raise ValueError(f"workload group {group['id']!r} names unknown section {section!r}; valid: {list(sections)}")
    later: list[Request] = [Request(group["id"], "repeat", group["question"], section)] * int(group["repeats"])
    later += [Request(group["id"], "paraphrase", text, section) for text in group["paraphrases"]]
    return [Request(group["id"], "original", group["question"], section), *later]


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_data_text("workload.json"))
    return data


def routing_queries() -> list[str]:
    """Standalone questions of increasing complexity for the routing step."""
    return list(_raw()["routing_queries"])


def prompt_cache_questions() -> list[str]:
    """Questions about the whole handbook for the prompt-caching step."""
    return list(_raw()["prompt_cache_questions"])


def group_requests(group_id: str) -> list[Request]:
    """A group's original question, then its repeats and paraphrases (data order)."""
    for group in _raw()["groups"]:
        if group["id"] == group_id:
            return _group_requests(group, handbook())
    raise ValueError(f"unknown workload group {group_id!r}")


def cache_demo_groups() -> list[str]:
    """The groups the response-cache step asks about."""
    return list(_raw()["cache_demo_groups"])


def load_workload(quick: bool = False) -> Workload:
    """The session from ``workload.json``; ``quick`` keeps only the first ``quick_groups`` groups."""
    raw = _raw()
    groups = raw["groups"][: raw["quick_groups"]] if quick else raw["groups"]
    per_group = [_group_requests(group, handbook()) for group in groups]
    later = [request for requests in per_group for request in requests[1:]]
    random.Random(raw["seed"]).shuffle(later)
    return Workload(requests=(*(requests[0] for requests in per_group), *later), wave_size=int(raw["wave_size"]))
