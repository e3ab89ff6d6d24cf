"""Semantic-cache quality per embedder and trap kind, with settings chosen by cross-validation.

Each pair's cached question is stored in its own partition (its own llm_string; "document" and "history" pairs
differ in system prompt or earlier turns), then the pair's query is looked up with the guard on and off, and the
similarity it was served at is its score (see ``evals/semantic_cv.py``). True-hit rate: paraphrases served /
paraphrases. Wrong-answer rate: traps served / traps (negation, numbers, swaps, entities, scope ...). Thresholds
are on the vector-set scale (1 + cosine) / 2. Three protocols, none of which scores a setting on pairs it was
chosen on: 5-fold cross-validation inside each set; choose on the whole dev set, score on set B; and the reverse.
The strict protocol chooses on the tuning pairs only and also scores sets E to P, written blind to the guard.

    .venv/bin/python -m evals.semantic_cache                          # hashing, WordLlama, MiniLM (with [eval])
    .venv/bin/python -m evals.semantic_cache --backend redis --json out.json    # on a throwaway Redis 8 (q8)
    .venv/bin/python -m evals.semantic_cache --plot docs/semantic-threshold-curve.png
    .venv/bin/python -m evals.semantic_cache --set tests/data/guard_traps_test.jsonl   # any other pair file

tests/data/README.md and evals/data/NOTICE.md say where each set comes from and what was chosen on it.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration

from evals import minilm_embeddings, wordllama_embeddings
from evals.semantic_cv import THRESHOLDS, Rates, Scored, Setting, choose, cross_validate, fold_of, rates
from langchain_bedrock_routing.caching.guard import Guard, alignment, near_miss_reason
from langchain_bedrock_routing.caching.semantic_base import DEFAULT_SIMILARITY_THRESHOLD, SemanticCacheBase
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.testing import RedisServer

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "data" / "semantic_devset.jsonl"
SET_B = ROOT / "evals" / "data" / "semantic_pairs_b.jsonl"
SET_C = ROOT / "evals" / "data" / "semantic_pairs_c.jsonl"
SET_D = ROOT / "evals" / "data" / "semantic_pairs_d.jsonl"
SETS = {"dev": DEV_SET, "B": SET_B, "C": SET_C}
TUNING_SETS = {"D": SET_D}
"""Sets only ever tuned on (the second stage's margins; the strict protocol's threshold): never in a held-out figure."""
TUNING_FOLDS_OF_B = (0, 1)
"""The folds of set B (``fold_of``) that, with the dev set and set D, the guard and its second stage were designed and
tuned on; the strict protocol scores B's other folds and set C with a threshold chosen on these."""
HELD_OUT_SETS = {name: ROOT / "evals" / "data" / f"semantic_pairs_{name.lower()}.jsonl" for name in "EFGHIJKLMNOP"}
"""Sets written blind to the guard and never tuned on (2,204 pairs by twelve authors in 99 domains): only scored, by the
strict protocol; its figures on them together are printed on their own as well (evals/data/NOTICE.md)."""
NOT_CROSS_VALIDATED = TUNING_SETS.keys() | HELD_OUT_SETS.keys()
HELD_OUT_CURVE = (0.85, 0.88, 0.9, 0.92, 0.95)
"""Thresholds at which the blind sets' rates are printed as well, guard on (a table in docs/caches.md)."""


def embedders() -> dict[str, Callable[[], Embeddings]]:
    """The embedders measured: the offline hashing one, and WordLlama and MiniLM when the ``[eval]`` extra is
    installed."""
    found: dict[str, Callable[[], Embeddings]] = {"hashing": HashingEmbeddings}
    if wordllama_embeddings.available():
        found["wordllama"] = wordllama_embeddings.WordLlamaEmbeddings
    if minilm_embeddings.available():
        found["minilm"] = minilm_embeddings.MiniLMEmbeddings
    return found


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


def _served_at(cache: SemanticCacheBase, query: str, pair: dict[str, Any]) -> float | None:
    served = cache.lookup(query, f"eval-{pair['id']}")
    if not served:
        return None
    generation = served[0]
    if not isinstance(generation, ChatGeneration) or generation.text != f"answer to {pair['id']}":
        raise AssertionError(f"pair {pair['id']} was served another pair's answer: {generation.text!r}")
    similarity = generation.message.response_metadata["cache"]["similarity"]
    return 1.0 if similarity is None else float(similarity)  # None: an exact hit


WRONG_ANSWER_BOUND = 0.03
"""Largest share of traps the guarded cache may serve on pairs its threshold was not chosen on, with WordLlama or
MiniLM (tests/caching_semantic/test_real_embedder.py enforces it on a slice; docs/caches.md states it)."""

GUARDS: dict[str, tuple[Guard | None, bool]] = {
    "off": (None, False),
    "checks only": (near_miss_reason, False),
    "on": (near_miss_reason, True),
}
"""The settings compared, the stricter last: (``guard``, whether the second stage's margins apply). "on" is what the
caches do with ``guard=True``; "checks only" leaves out the second stage (``guard.alignment``) to show what it adds."""


def score_pairs(
    cache: SemanticCacheBase, pairs: list[dict[str, Any]], guards: dict[str, tuple[Guard | None, bool]] = GUARDS
) -> list[Scored]:
    """Store every pair's cached question, then the similarity each query is served at under each setting (lowered
    by the second stage's margin where it applies: the score a threshold is compared with)."""
    for pair in pairs:
        cached = _prompt(pair["cached"], pair.get("cached_system"), pair.get("cached_history"))
        cache.update(cached, f"eval-{pair['id']}", _answer(pair))
    # Looked up at threshold 0, the second stage's margin (0.08) never bites; it is applied here, so that
    # "served at threshold t" is "score >= t" as in the cache.
    margins = [alignment(p["query"], p["cached"]).margin for p in pairs]
    original = cache.guard, cache.similarity_threshold
    cache.similarity_threshold = 0.0
    scores: dict[str, list[float | None]] = {}
    try:
        for name, (guard, second_stage) in guards.items():
            cache.guard = guard
            served = [
                _served_at(cache, _prompt(p["query"], p.get("query_system"), p.get("query_history")), p) for p in pairs
            ]
            scores[name] = [
                None if score is None else score - margin if second_stage else score
                for score, margin in zip(served, margins, strict=True)
            ]
    finally:
        cache.guard, cache.similarity_threshold = original
    return [
        Scored(p["id"], p["category"], p["label"] == "hit", {name: column[i] for name, column in scores.items()})
        for i, p in enumerate(pairs)
    ]


@contextmanager
def _cache(backend: str, embeddings: Embeddings, redis_url: str | None) -> Iterator[SemanticCacheBase]:
    if backend == "memory":
        yield InMemorySemanticCache(embeddings)
        return
    with contextmanager(_redis_url)(redis_url) as url:
        cache = RedisSemanticCache(embeddings, redis_url=url, namespace=f"eval-{uuid.uuid4().hex[:8]}")
        try:
            yield cache
        finally:
            cache.clear()
            cache.close()


def _redis_url(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    with RedisServer() as server:
        yield server.url


def _rates_text(r: Rates) -> str:
    kinds = ", ".join(f"{k} {r.wrong_by_kind.get(k, 0)}/{n}" for k, n in sorted(r.traps_by_kind.items()))
    return (
        f"true hits {r.true_hits}/{r.paraphrases} = {r.hit_rate:.1%}, wrong answers {r.wrong}/{r.traps} = "
        f"{r.wrong_rate:.1%}  [{kinds}]"
    )


def _settings_text(settings: Sequence[Setting]) -> str:
    return ", ".join(f"{s.guard} @ {s.threshold:.3f}" for s in settings)


def report(scored: dict[str, dict[str, list[Scored]]]) -> dict[str, Any]:
    """Per embedder: rates at the default threshold and cross-validated ones on each set, then each set scored with
    the setting chosen on the others."""
    out: dict[str, Any] = {}
    for embedder, every_set in scored.items():
        out[embedder] = {}
        sets = {name: pairs for name, pairs in every_set.items() if name not in NOT_CROSS_VALIDATED}
        for name, pairs in sets.items():
            for guard in GUARDS:
                fixed = rates(pairs, Setting(guard, DEFAULT_SIMILARITY_THRESHOLD))
                print(f"{embedder:<9} {name:<5} at the default {DEFAULT_SIMILARITY_THRESHOLD}, guard {guard:<9}: "
                      f"{_rates_text(fixed)}")  # fmt: skip
                out[embedder][f"{name} default {guard}"] = {"rates": asdict(fixed)}
            names = list(pairs[0].scores)
            for candidates, label in [((g,), g) for g in names] + [(tuple(names), "chosen")]:
                held_out, chosen = cross_validate(pairs, candidates)
                print(f"{embedder:<9} {name:<5} 5-fold CV, guard {label:<10}: {_rates_text(held_out)}")
                print(f"{'':<16}settings chosen per fold: {_settings_text(chosen)}")
                out[embedder][f"{name} cv {label}"] = {"rates": asdict(held_out), "chosen": [asdict(s) for s in chosen]}
        if len(sets) > 1:
            for guard in ("checks only", "on"):
                pooled, chosen = cross_validate([p for pairs in sets.values() for p in pairs], [guard])
                print(f"{embedder:<9} all   5-fold CV, guard {guard:<10}: {_rates_text(pooled)}")
                print(f"{'':<16}settings chosen per fold: {_settings_text(chosen)}")
                out[embedder][f"all cv {guard}"] = {"rates": asdict(pooled), "chosen": [asdict(s) for s in chosen]}
        if {"dev", "B", "C"} <= sets.keys():
            tuning = sets["dev"] + [p for p in sets["B"] if fold_of(p.id) in TUNING_FOLDS_OF_B] + every_set.get("D", [])
            blind_names = [name for name in HELD_OUT_SETS if name in every_set]
            blind = [p for name in blind_names for p in every_set[name]]
            scored_on = [p for p in sets["B"] if fold_of(p.id) not in TUNING_FOLDS_OF_B] + sets["C"] + blind
            label = "+".join(blind_names) if len(blind_names) < 3 else f"{blind_names[0]}-{blind_names[-1]}"
            also = f" + {label}" if blind else ""
            for guard in ("checks only", "on"):
                setting = choose(tuning, [guard])
                held_out = rates(scored_on, setting)
                print(f"{embedder:<9} chosen on dev + B folds 0-1 + D ({_settings_text([setting])}), scored on B "
                      f"folds 2-4 + C{also}: {_rates_text(held_out)}")  # fmt: skip
                out[embedder][f"strict {guard}"] = {"rates": asdict(held_out), "chosen": asdict(setting)}
                if blind:
                    alone = rates(blind, setting)
                    print(f"{'':<16}of which {label} alone: {_rates_text(alone)}")
                    out[embedder][f"strict {guard} {label}"] = {"rates": asdict(alone), "chosen": asdict(setting)}
            for threshold in HELD_OUT_CURVE if blind else ():
                points = rates(blind, Setting("on", threshold))
                print(f"{embedder:<9} {label} at {threshold} (descriptive, nothing chosen): {_rates_text(points)}")
                out[embedder][f"descriptive {label} at {threshold}"] = {"rates": asdict(points)}
        for test in sets if len(sets) > 1 else ():
            tune = [name for name in sets if name != test]
            setting = choose([p for name in tune for p in sets[name]], list(sets[test][0].scores))
            held_out = rates(sets[test], setting)
            print(f"{embedder:<9} chosen on {'+'.join(tune)} ({_settings_text([setting])}), scored on {test}: "
                  f"{_rates_text(held_out)}")  # fmt: skip
            out[embedder][f"{'+'.join(tune)} -> {test}"] = {"rates": asdict(held_out), "chosen": asdict(setting)}
    return out


def plot(scored: dict[str, dict[str, list[Scored]]], path: Path) -> None:
    """True-hit and wrong-answer rate against the threshold, per embedder and guard, all sets but the tuning and
    blind ones pooled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(scored), figsize=(5.5 * len(scored), 4), squeeze=False)
    for ax, (embedder, sets) in zip(axes[0], scored.items(), strict=True):
        sets = {name: pairs for name, pairs in sets.items() if name not in NOT_CROSS_VALIDATED}
        pairs = [p for pairs in sets.values() for p in pairs]
        for guard, style in (("on", "-"), ("checks only", "--"), ("off", ":")):
            curve = [rates(pairs, Setting(guard, t)) for t in THRESHOLDS]
            g = f"guard {guard}"
            ax.plot(THRESHOLDS, [r.hit_rate for r in curve], style, color="tab:green", label=f"true hits ({g})")
            ax.plot(THRESHOLDS, [r.wrong_rate for r in curve], style, color="tab:red", label=f"wrong answers ({g})")
        ax.axhline(0.03, color="grey", linewidth=0.8)
        ax.set_title(f"{embedder}: {len(pairs)} pairs ({', '.join(sets)})")
        ax.set_xlabel("similarity threshold, (1 + cos) / 2")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("share of paraphrases / traps served")
    axes[0][0].legend(fontsize=8, loc="center left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Score every set with every embedder, print the cross-validated report (and JSON, a plot when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("memory", "redis"), default="memory")
    parser.add_argument("--redis-url", help="a Redis >= 8 for --backend redis (default: a throwaway redis-server)")
    parser.add_argument("--set", type=Path, action="append", help="pair files (default: the dev set, B and C)")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--plot", type=Path, help="write the threshold curve here (PNG; needs matplotlib)")
    args = parser.parse_args(argv)
    files = {path.stem: path for path in args.set} if args.set else {**SETS, **TUNING_SETS, **HELD_OUT_SETS}
    pair_sets = {name: load_pairs(path) for name, path in files.items()}
    for name, pairs in pair_sets.items():
        counts = Counter(pair["label"] for pair in pairs)
        print(f"set {name}: {len(pairs)} pairs ({counts['hit']} paraphrases, {counts['miss']} traps)")
    scored: dict[str, dict[str, list[Scored]]] = {}
    for embedder, make in embedders().items():
        scored[embedder] = {}
        for name, pairs in pair_sets.items():
            with _cache(args.backend, make(), args.redis_url) as cache:
                scored[embedder][name] = score_pairs(cache, pairs)
    results = report(scored)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    if args.plot:
        plot(scored, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
