"""Semantic-cache quality on the labelled dev set: hit rate and false-hit rate per threshold, guard on/off.

Each pair's cached question is stored in its own partition (its own llm_string; "document" and
"history" pairs differ in system prompt or earlier turns), then the pair's query is looked up.
Hit rate: share of paraphrase pairs served. False-hit rate: share of trap pairs (negation, numbers,
dates, entities, scope, same-topic questions, other documents or histories) served.
Thresholds are on the vector-set scale (1 + cosine) / 2. Embeddings: the offline HashingEmbeddings.

    .venv/bin/python evals/semantic_cache.py                 # in-process and a throwaway Redis 8
    .venv/bin/python evals/semantic_cache.py --redis-url redis://localhost:6379/0 --json out.json
    .venv/bin/python evals/semantic_cache.py --dev-set tests/data/guard_traps_dev.jsonl   # the guard's trap sets

tests/data/README.md says which set was used to choose what, and which is held out.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langchain_core.load import dumps
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration

from langchain_bedrock_routing.caching.semantic_base import DEFAULT_SIMILARITY_THRESHOLD, SemanticCacheBase
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.testing import RedisServer

DEV_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "semantic_devset.jsonl"
THRESHOLDS = (0.80, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94, 0.96)


@dataclass(frozen=True)
class Result:
    """One (backend, guard, threshold) run over the dev set; rates are fractions in [0, 1]."""

    backend: str
    guard: bool
    threshold: float
    hit_rate: float
    false_hit_rate: float
    false_hits_by_category: dict[str, int]


def load_pairs(path: Path = DEV_SET) -> list[dict[str, Any]]:
    """The labelled pairs: ``cached``, ``query``, ``label`` (hit/miss), ``category``, optional context."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _prompt(question: str, system: str | None, history: Sequence[Sequence[str]] | None) -> str:
    messages: list[BaseMessage] = [SystemMessage(system or "You are a helpful assistant.")]
    for role, text in history or []:
        messages.append(HumanMessage(text) if role == "human" else AIMessage(text))
    return dumps([*messages, HumanMessage(question)])


def _answer(pair: dict[str, Any]) -> list[ChatGeneration]:
    message = AIMessage(f"answer to {pair['id']}", response_metadata={"stopReason": "end_turn"})
    return [ChatGeneration(message=message)]


def evaluate(cache: SemanticCacheBase, backend: str, pairs: list[dict[str, Any]]) -> list[Result]:
    """Store every pair's cached question once, then look every query up at each threshold, guard on and off."""
    for pair in pairs:
        cached = _prompt(pair["cached"], pair.get("cached_system"), pair.get("cached_history"))
        cache.update(cached, f"eval-{pair['id']}", _answer(pair))
    queries = [(pair, _prompt(pair["query"], pair.get("query_system"), pair.get("query_history"))) for pair in pairs]
    positives = sum(pair["label"] == "hit" for pair in pairs)
    negatives = len(pairs) - positives
    results = []
    original_guard, original_threshold = cache.guard, cache.similarity_threshold
    for guard in (True, False):
        guard_fn = original_guard if guard else None
        for threshold in THRESHOLDS:
            cache.similarity_threshold = threshold
            cache.guard = guard_fn
            hits, false_hits = 0, Counter[str]()
            for pair, query in queries:
                served = cache.lookup(query, f"eval-{pair['id']}")
                if served is None:
                    continue
                if pair["label"] == "hit" and served[0].text == f"answer to {pair['id']}":
                    hits += 1
                else:
                    false_hits[pair["category"]] += 1
            results.append(
                Result(backend, guard, threshold, hits / positives, false_hits.total() / negatives, dict(false_hits))
            )
    cache.guard, cache.similarity_threshold = original_guard, original_threshold
    return results


@contextmanager
def _redis_url(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    with RedisServer() as server:
        yield server.url


def _table(results: list[Result]) -> str:
    lines = [f"{'backend':<8} {'guard':<5} {'thresh':>6} {'hit rate':>8} {'false hit':>9}  false hits by category"]
    for r in results:
        mark = " <- default" if r.guard and abs(r.threshold - DEFAULT_SIMILARITY_THRESHOLD) < 1e-9 else ""
        cats = ", ".join(f"{k} {v}" for k, v in sorted(r.false_hits_by_category.items()))
        lines.append(
            f"{r.backend:<8} {'on' if r.guard else 'off':<5} {r.threshold:>6.2f} {r.hit_rate:>8.1%} "
            f"{r.false_hit_rate:>9.1%}  {cats}{mark}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sweep for both caches and print a table (and write JSON when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", help="a Redis >= 8 to use (default: start a throwaway redis-server)")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--dev-set", type=Path, default=DEV_SET)
    args = parser.parse_args(argv)
    pairs = load_pairs(args.dev_set)
    counts = Counter(pair["label"] for pair in pairs)
    print(f"dev set: {len(pairs)} pairs ({counts['hit']} should hit, {counts['miss']} must not), {args.dev_set}")
    results = evaluate(InMemorySemanticCache(HashingEmbeddings()), "memory", pairs)
    with ExitStack() as stack:
        url = stack.enter_context(_redis_url(args.redis_url))
        cache = RedisSemanticCache(HashingEmbeddings(), redis_url=url, namespace=f"eval-{uuid.uuid4().hex[:8]}")
        stack.callback(cache.close)
        stack.callback(cache.clear)
        results += evaluate(cache, "redis", pairs)
    print(_table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
