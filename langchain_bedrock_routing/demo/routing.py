"""Demo part 2, routing: questions of growing complexity under every priority: tier, model, score and reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.table import Table

from langchain_bedrock_routing.demo.context import DemoContext
from langchain_bedrock_routing.demo.fmt import ms, short_model, usd
from langchain_bedrock_routing.demo.runner import Call, CallRecord, Session
from langchain_bedrock_routing.demo.workload import routing_queries
from langchain_bedrock_routing.routing import PRIORITIES


@dataclass(frozen=True)
class RoutingRow:
    """One question under one priority and the routed call's record."""

    question: str
    priority: str
    record: CallRecord

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the routing decision and the model used."""
        routing = self.record.routing
        keys = ("tier", "model_id", "score", "reason", "classifier")
        return {"question": self.question, "priority": self.priority, **{key: routing.get(key) for key in keys}}


def _one_line(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def run_routing(ctx: DemoContext) -> list[RoutingRow]:
    """Part 2: every routing question under every priority (concurrently), printed as one table."""
    ctx.console.rule("[bold]2. Routing")
    questions = routing_queries()
    session = Session(ctx.routed())
    calls = [Call(q, q, {"priority": p}) for q in questions for p in PRIORITIES]
    with ctx.progress() as progress:
        task = progress.add_task("routing questions", total=len(calls))
        records = session.run_waves([calls], lambda: progress.advance(task))
    rows = [
        RoutingRow(call.label, p, r) for call, r, p in zip(calls, records, PRIORITIES * len(questions), strict=True)
    ]
    table = Table(title=f"Routing decisions ({ctx.settings.preset} preset)", title_justify="left", show_lines=True)
    table.add_column("Question and classifier decision", max_width=44)
    for name in ("Priority", "Tier", "Model", "Latency", "Cost"):
        table.add_column(name, justify="right" if name in ("Latency", "Cost") else "left", no_wrap=True)
    for question in questions:
        mine = [r for r in rows if r.question == question]
        decision = mine[0].record.routing
        described = f"{_one_line(question, 80)}\n[dim]score {decision['score']:.2f}: {decision['reason']}[/]"
        table.add_row(
            described,
            "\n".join(r.priority for r in mine),
            "\n".join(r.record.routing["tier"] for r in mine),
            "\n".join(short_model(r.record.routing["model_id"]) for r in mine),
            "\n".join(ms(r.record.outcome.latency_ms) for r in mine),
            "\n".join(usd(r.record.cost_usd) for r in mine),
        )
    ctx.console.print(table)
    ctx.console.print(
        "[dim]cost: one tier down, cheapest first · balanced: the classifier's tier · performance: one tier up · "
        "latency: the classifier's tier, fastest first[/]"
    )
    return rows
