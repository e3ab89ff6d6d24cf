"""Demo part 1, caching: response-cache misses, then exact and semantic hits; Bedrock prompt caching of a long text."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from rich.table import Table

from langchain_bedrock_routing.callbacks import TokenUsage, price_usage
from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.demo.caches import CacheKind, cache_backend_label, response_cache
from langchain_bedrock_routing.demo.context import DemoContext
from langchain_bedrock_routing.demo.fmt import ms, short_model, usd
from langchain_bedrock_routing.demo.runner import Call, CallRecord, Session
from langchain_bedrock_routing.demo.workload import (
    SYSTEM_TEMPLATE,
    cache_demo_groups,
    group_requests,
    handbook_text,
    prompt_cache_questions,
)


@dataclass(frozen=True)
class PromptCacheRow:
    """One call over the long document: its billed tokens, its cost and what it would cost uncached (USD)."""

    record: CallRecord
    usage: TokenUsage
    cost_without_cache_usd: Decimal | None


@dataclass(frozen=True)
class CachingResult:
    """The response-cache calls (cache kind, record) and the prompt-caching calls."""

    response_calls: list[tuple[CacheKind, CallRecord]]
    prompt_calls: list[PromptCacheRow]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary for ``--summary-json``."""
        return {
            "response_cache": [
                {
                    "cache": kind,
                    "question": r.label,
                    "hit": r.cache_kind,
                    "model_id": r.model_id,
                    "latency_ms": r.outcome.latency_ms,
                    "cost_usd": None if r.cost_usd is None else float(r.cost_usd),
                }
                for kind, r in self.response_calls
            ],
            "prompt_cache": [
                {
                    "model_id": row.record.model_id,
                    "tokens": row.usage.as_dict(),
                    "cost_usd": None if row.record.cost_usd is None else float(row.record.cost_usd),
                    "cost_without_cache_usd": None
                    if row.cost_without_cache_usd is None
                    else float(row.cost_without_cache_usd),
                }
                for row in self.prompt_calls
            ],
        }


def _response_cache_calls() -> dict[CacheKind, list[Call]]:
    """Exact: two questions, a repeat, a paraphrase. Semantic: the same, so the paraphrase hits too."""
    first, second = (group_requests(group) for group in cache_demo_groups())
    paraphrase = next(r for r in first if r.kind == "paraphrase")
    sequence = [first[0], second[0], first[0], paraphrase]
    calls = [Call(r.text, r.messages()) for r in sequence]
    return {"exact": calls, "semantic": calls}


def _result(record: CallRecord) -> str:
    if record.cache_kind is None:
        return "[red]miss[/]"
    similarity = record.outcome.answer.cache_similarity if record.outcome.answer else None
    shown = f" ({similarity:.3f})" if similarity is not None and record.cache_kind == "semantic" else ""
    return f"[green]{record.cache_kind} hit[/]{shown}"


def _run_response_caches(ctx: DemoContext) -> list[tuple[CacheKind, CallRecord]]:
    results: list[tuple[CacheKind, CallRecord]] = []
    for kind, calls in _response_cache_calls().items():
        with response_cache(kind) as cache:
            session = Session(ctx.routed(cache=cache))
            results += [(kind, session.call(call)) for call in calls]
    table = Table(title=f"Response cache ({cache_backend_label()})", title_justify="left")
    for name in ("Cache", "Question", "Result", "Model", "Latency", "Cost"):
        wide = name == "Question"
        table.add_column(
            name,
            justify="right" if name in ("Latency", "Cost") else "left",
            no_wrap=True,
            overflow="ellipsis",
            max_width=40 if wide else None,
        )
    for kind, record in results:
        table.add_row(
            kind, record.label, _result(record), short_model(record.model_id), ms(record.outcome.latency_ms),
            usd(record.cost_usd),
        )  # fmt: skip
    ctx.console.print(table)
    return results


def _long_document_messages(question: str) -> list[BaseMessage]:
    system = SYSTEM_TEMPLATE.format(title="Whole handbook", text=handbook_text()).replace("this section", "it")
    return [SystemMessage(system), HumanMessage(question)]


def _run_prompt_cache(ctx: DemoContext) -> list[PromptCacheRow]:
    session = Session(ctx.routed(prompt_cache="auto"))
    rows: list[PromptCacheRow] = []
    for question in prompt_cache_questions():
        record = session.call(Call(question, _long_document_messages(question)))
        usage = record.outcome.spend[-1][1] if record.outcome.spend else TokenUsage()
        uncached = TokenUsage(input=usage.input + usage.cache_read + usage.cache_write, output=usage.output)
        rows.append(PromptCacheRow(record, usage, price_usage(get_catalog(), record.model_id, uncached).total))
    table = Table(title="Bedrock prompt caching of the whole handbook (system prompt)", title_justify="left")
    for name in ("Call", "Model", "Input", "Cache write", "Cache read", "Output", "Latency", "Cost", "Uncached cost"):
        table.add_column(name, justify="left" if name in ("Call", "Model") else "right")
    for i, row in enumerate(rows, 1):
        u = row.usage
        tokens = (f"{n:,}" for n in (u.input, u.cache_write, u.cache_read, u.output))
        measured = (ms(row.record.outcome.latency_ms), usd(row.record.cost_usd), usd(row.cost_without_cache_usd))
        table.add_row(str(i), short_model(row.record.model_id), *tokens, *measured)
    ctx.console.print(table)
    ctx.console.print(_prompt_cache_summary(rows))
    return rows


def _prompt_cache_summary(rows: list[PromptCacheRow]) -> str:
    reads = [row for row in rows if row.usage.cache_read]
    if not reads:
        return (
            "[yellow]No prompt-cache reads:[/] the chosen model's minimum cacheable prefix is larger than the "
            "document (see the catalog's cache_min_tokens), so the router sent no cache point."
        )
    paid = sum((row.record.cost_usd or Decimal(0) for row in reads), Decimal(0))
    full = sum((row.cost_without_cache_usd or Decimal(0) for row in reads), Decimal(0))
    read_tokens = sum(row.usage.cache_read for row in reads)
    saved = 1 - paid / full if full else Decimal(0)
    return (
        f"Call 1 wrote {rows[0].usage.cache_write:,} tokens to the prompt cache; {len(reads)} later call(s) read "
        f"{read_tokens:,} tokens from it and cost {usd(paid)} instead of {usd(full)} ({saved:.0%} less)."
    )


def run_caching(ctx: DemoContext) -> CachingResult:
    """Part 1: print the response-cache and prompt-cache tables; return their calls."""
    ctx.console.rule("[bold]1. Caching")
    responses = _run_response_caches(ctx)
    prompts = _run_prompt_cache(ctx)
    ctx.console.print(f"[dim]{ctx.latency_note()}[/]")
    return CachingResult(responses, prompts)
