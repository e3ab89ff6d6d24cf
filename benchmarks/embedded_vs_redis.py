"""(6) Embedded (in-process) vs Redis caches side by side: hit latency through ``model.invoke``.

Each cache answers a warmed ``ChatBedrockConverse.invoke`` (emulator, latency 0): the same question
again (exact) and, for the semantic caches, a paraphrase of it (its embedding is memoized after the first
call, so this is the search, not the embedder). langchain-core's ``InMemoryCache`` is the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from langchain_core.caches import BaseCache, InMemoryCache

from benchmarks.harness import Figure, Report, interleaved, table
from benchmarks.services import Context, emulator_request_count
from langchain_bedrock_routing.caching import InMemoryExactCache, RedisCache
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings

NAME = "embedded_vs_redis"
QUESTION = "How do I rotate the API key of the staging account?"
PARAPHRASE = "How can I rotate my API key in the staging account, please?"
REFERENCE = "core InMemoryCache"


def cases(ctx: Context) -> dict[str, Callable[[], object]]:
    """Warmed hit calls per (cache, question); raises if one is not served from its cache."""
    url = ctx.redis.url
    caches: dict[str, tuple[BaseCache, tuple[str, ...]]] = {
        REFERENCE: (InMemoryCache(), (QUESTION,)),
        "InMemoryExactCache": (InMemoryExactCache(), (QUESTION,)),
        "RedisCache": (RedisCache(redis_url=url, namespace="bench-side"), (QUESTION,)),
        "RedisCache, near_cache_entries=0": (
            RedisCache(redis_url=url, namespace="bench-side-net", near_cache_entries=0),
            (QUESTION,),
        ),
        "InMemorySemanticCache": (InMemorySemanticCache(HashingEmbeddings()), (QUESTION, PARAPHRASE)),
        "RedisSemanticCache": (
            RedisSemanticCache(HashingEmbeddings(), redis_url=url, namespace="bench-side"),
            (QUESTION, PARAPHRASE),
        ),
    }
    out: dict[str, Callable[[], object]] = {}
    for name, (cache, questions) in caches.items():
        cache.clear()
        model = ctx.converse(cache=cache)
        model.invoke(QUESTION)
        for question in questions:
            before = emulator_request_count(ctx.emulator_url)
            model.invoke(question)
            if emulator_request_count(ctx.emulator_url) != before:
                raise RuntimeError(f"{name} did not answer {question!r} from the cache")
            label = f"{name} ({'paraphrase' if question == PARAPHRASE else 'exact'})"
            out[label] = partial(model.invoke, question)
    return out


def run(ctx: Context) -> Report:
    """All cases interleaved; ratios against langchain-core's InMemoryCache."""
    report = Report(NAME, "Embedded vs Redis caches: hit through model.invoke")
    samples = interleaved(cases(ctx), total=ctx.sizes.hit_calls)
    reference = samples[f"{REFERENCE} (exact)"]
    rows = [[name, s.p50_us, s.p99_us, s.p50_us / reference.p50_us, s.n] for name, s in samples.items()]
    report.tables.append(table(["cache (hit)", "p50 us", "p99 us", "p50 / InMemoryCache", "calls"], rows))
    for name, s in samples.items():
        if not name.startswith(REFERENCE):
            report.add(Figure(f"{name} hit p50", s.p50_us, "us", reference.p50_us, "InMemoryCache"))
    report.details = {"samples": {name: vars(s) for name, s in samples.items()}}
    return report
