"""The soak's request mix: new questions, word-for-word repeats and paraphrases, over tenants, modes and tiers.

Templates live in ``questions.json`` (a canonical question and paraphrases per group, a subject slot
``{x}`` and, for some groups, a number ``{n}``). :func:`build_workload` draws a seeded sequence: a
repeat or a paraphrase always refers to a question asked earlier in the sequence, with the same
tenant and per-call priority (else it could never be a hit). A small share is pinned to a model the
emulator keeps down, so ``AllModelsFailedError`` is exercised on purpose.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig

Mode = Literal["invoke", "ainvoke", "stream", "astream"]
Kind = Literal["new", "repeat", "paraphrase", "down", "swapped_order", "code_word", "burst"]
Delivery = Literal["metadata", "copied_scope", "uncopied_scope"]
"""How the tenant reaches the call: run metadata, ``cache_scope`` in the submitting thread with the context
copied into the worker, or ``cache_scope`` in the submitting thread only (the worker never sees it)."""
MODES: tuple[Mode, ...] = ("invoke", "ainvoke", "stream", "astream")
KINDS: tuple[Kind, ...] = ("new", "repeat", "paraphrase", "down")
TENANTS: tuple[str | None, ...] = ("acme", "globex", "initech", None)
"""Tenants of the soak; ``None`` is the shared (tenant-less) scope."""


@dataclass(frozen=True)
class Mix:
    """Shares (weights, normalised when drawn) of request kinds, call modes and per-call priorities."""

    kinds: tuple[float, float, float, float] = (0.37, 0.31, 0.31, 0.01)
    """Weights of ``new``, ``repeat``, ``paraphrase`` and ``down`` (pinned to the model kept down)."""
    modes: tuple[float, float, float, float] = (0.45, 0.35, 0.12, 0.08)
    """Weights of ``invoke``, ``ainvoke``, ``stream`` and ``astream``."""
    priorities: tuple[tuple[str | None, float], ...] = ((None, 0.85), ("cost", 0.1), ("performance", 0.05))
    """Per-call priority (``None``: the router's default) and its weight, for new questions."""


@dataclass(frozen=True)
class SoakRequest:
    """One user call of the soak: what is asked, by whom, how, and which earlier question it echoes."""

    index: int
    kind: Kind
    mode: Mode
    text: str
    tenant: str | None
    priority: str | None
    complexity: str
    refers_to: int | None = None
    """Index of the request first asking this question (repeats and paraphrases)."""
    meaning: str = ""
    """What is asked, in any wording: a hit must carry an answer produced for the same meaning."""
    phase: str = "main"
    delivery: Delivery = "metadata"
    expect: str = ""
    """A regular expression every answer must match (checkable prompts: it names the word that differs)."""

    @property
    def is_async(self) -> bool:
        """True for ``ainvoke`` and ``astream``."""
        return self.mode in ("ainvoke", "astream")

    def config(self) -> RunnableConfig:
        """Run config: tenant metadata (unless the tenant comes from ``cache_scope``) and the per-call priority
        (callbacks are added by the runner)."""
        metadata: dict[str, Any] = {"soak_index": self.index}
        if self.delivery == "metadata":
            metadata["tenant_id"] = self.tenant  # None: the shared scope
        config = RunnableConfig(metadata=metadata)
        if self.priority is not None:
            config["configurable"] = {"priority": self.priority}
        return config


@cache
def templates() -> dict[str, Any]:
    """The question templates and subjects of ``questions.json``."""
    text = resources.files("reliability").joinpath("questions.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class _Asked:
    index: int
    meaning: str
    group: int
    subject: str
    number: int
    tenant: str | None
    priority: str | None


def fill(template: str, subject: str, number: int) -> str:
    """``template`` with its subject slot ``{x}`` and number slot ``{n}`` filled."""
    return template.replace("{x}", subject).replace("{n}", str(number))


def build_workload(requests: int, *, seed: int = 7, mix: Mix | None = None) -> list[SoakRequest]:
    """``requests`` soak requests, the same for the same ``seed`` and ``mix``; ``ValueError`` if ``requests`` < 1."""
    if not isinstance(requests, int) or requests < 1:
        raise ValueError(f"requests must be an int >= 1, got {requests!r}")
    mix = mix or Mix()
    rng = random.Random(seed)
    groups: list[dict[str, Any]] = templates()["groups"]
    subjects: dict[str, list[str]] = templates()["subjects"]
    asked: list[_Asked] = []
    out: list[SoakRequest] = []
    for index in range(requests):
        kind: Kind = rng.choices(KINDS, weights=mix.kinds)[0]
        if kind in ("repeat", "paraphrase") and not asked:
            kind = "new"
        mode: Mode = rng.choices(MODES, weights=mix.modes)[0]
        if kind in ("repeat", "paraphrase"):
            first = rng.choice(asked)
            group = groups[first.group]
            template = group["question"] if kind == "repeat" else rng.choice(group["paraphrases"])
            out.append(
                SoakRequest(
                    index=index,
                    kind=kind,
                    mode=mode,
                    text=fill(template, first.subject, first.number),
                    tenant=first.tenant,
                    priority=first.priority,
                    complexity=group["complexity"],
                    refers_to=first.index,
                    meaning=first.meaning,
                )
            )
            continue
        group_index = rng.randrange(len(groups))
        group = groups[group_index]
        subject = rng.choice(subjects[group["slot"]])
        number = rng.randrange(2, 10_000)
        tenant = rng.choice(TENANTS)
        priority = rng.choices([p for p, _ in mix.priorities], weights=[w for _, w in mix.priorities])[0]
        text = fill(group["question"], subject, number)
        meaning = f"{group_index}|{subject}|{number if '{n}' in group['question'] else ''}" if kind == "new" else ""
        if kind == "new":
            asked.append(_Asked(index, meaning, group_index, subject, number, tenant, priority))
        out.append(SoakRequest(index, kind, mode, text, tenant, priority, group["complexity"], meaning=meaning))
    return out
