"""(2) ``RedisSemanticCache`` lookup at 1k, 10k and 100k entries in one partition: latency, recall, memory.

Loading: entries are written the way ``RedisSemanticCache.update`` writes them (answer ``SET``,
``VADD`` with the cache's quantization and the question as the element's attribute, ``ZADD`` to the
order set) but pipelined 1,000 commands at a time straight into Redis, bypassing ``update`` (one round
trip per entry would take minutes at 100k).
q8 and noquant sets live in two redis-servers loaded in parallel, while the next batch is embedded.

Per size and quantization: ``cache.lookup`` p50/p99 *without* embedding time (vectors precomputed) and
*with* it (``HashingEmbeddings``, 384 dims, each query embedded once), alternating query by query; the
bare ``VSIM`` command, with the arguments the cache's lookup script gives it (``RedisSemanticCache.vsim_args``:
attributes, ``EF``, main thread); the hit rate; recall of that same VSIM against brute-force cosine over the
stored float32 vectors at the default threshold; ``MEMORY USAGE`` of the vector set / ``VCARD``, and separately of the
answer keys and the order set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import redis
from langchain_core.embeddings import Embeddings
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration

from benchmarks.corpus import paraphrase, question, unrelated
from benchmarks.harness import Figure, Report, Sample, profile_calls, table, timed
from benchmarks.services import Context
from langchain_bedrock_routing.caching.keys import make_key
from langchain_bedrock_routing.caching.semantic_base import DEFAULT_SIMILARITY_THRESHOLD, SemanticCacheBase
from langchain_bedrock_routing.caching.semantic_redis import SEMANTIC_KIND, RedisSemanticCache, question_attributes
from langchain_bedrock_routing.core.vectorsets import Quantization, parse_scored_attributes, vadd_args
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.testing import RedisServer

NAME = "semantic_scale"
DIMENSIONS = 384
LLM_STRING = '{"model": "benchmark-model", "temperature": 0}'
NAMESPACE = "bench"
BATCH = 1000
QUANTS: tuple[Quantization, ...] = ("q8", "noquant")
GOAL_P50_US = 1000.0
GOAL_BYTES_PER_ENTRY = 1536.0
ANSWER = "Open the settings page, choose the item, and follow the three steps shown there. " * 3


class PrecomputedEmbeddings(Embeddings):
    """Returns vectors computed beforehand (so a lookup's time excludes embedding); falls back to hashing."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors
        self.fallback = HashingEmbeddings(DIMENSIONS)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Stored vectors (hashing for unknown texts)."""
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        """The stored vector of ``text`` (hashing for an unknown one)."""
        vector = self.vectors.get(text)
        return vector if vector is not None else self.fallback.embed_query(text)


@dataclass(frozen=True)
class Where:
    """Keys of the benchmark's single partition."""

    partition: str
    vset: str
    order: str

    def answer(self, entry: str) -> str:
        """Key of one entry's answer."""
        return make_key(NAMESPACE, SEMANTIC_KIND, self.partition, "r", entry)


def prompt_of(text: str) -> str:
    """The cache prompt LangChain builds for a single human turn."""
    return dumps([HumanMessage(content=text)])


def where() -> Where:
    """The partition every benchmark entry lands in (same llm_string, no history, no tenant)."""
    partition = SemanticCacheBase.locate(prompt_of("x"), LLM_STRING, "").partition
    return Where(partition, *(make_key(NAMESPACE, SEMANTIC_KIND, partition, s) for s in ("vset", "order")))


def command(target: Any, *args: Any) -> Any:
    """``target.execute_command(*args)`` on a redis-py client or pipeline (redis-py leaves it untyped)."""
    return target.execute_command(*args)


def cycle_lookups(cache: RedisSemanticCache, prompts: Iterator[str]) -> object:
    """One lookup of the next prompt (for profiling a stream of lookups)."""
    return cache.lookup(next(prompts), LLM_STRING)


Batch = Sequence[tuple[str, str, bytes, np.ndarray]]
"""``(entry id, question, answer blob, vector)`` per entry."""


def load(client: redis.Redis, loc: Where, quantization: Quantization, batch: Batch) -> None:
    """Pipeline ``SET`` answer, ``VADD`` (the question as the attribute) and ``ZADD`` per entry: one round trip."""
    pipe = client.pipeline(transaction=False)
    for entry, text, blob, vector in batch:
        command(pipe, "SET", loc.answer(entry), blob)
        command(pipe, *vadd_args(loc.vset, entry, vector.tolist(), quantization, question_attributes(text)))
        command(pipe, "ZADD", loc.order, 0, entry)
    pipe.execute()


def memory(client: redis.Redis, loc: Where, sample: Sequence[str]) -> dict[str, float]:
    """Bytes per entry (``MEMORY USAGE .. SAMPLES 0``): the vector set, the answer keys of ``sample``, the order set."""

    def usage(key: str) -> float:
        return float(command(client, "MEMORY", "USAGE", key, "SAMPLES", 0) or 0)

    cardinality = int(command(client, "VCARD", loc.vset))
    return {
        "entries": cardinality,
        "vector_set": usage(loc.vset) / cardinality,
        "answer": sum(usage(loc.answer(entry)) for entry in sample) / len(sample),
        "order": usage(loc.order) / cardinality,
    }


def recall(
    client: redis.Redis,
    cache: RedisSemanticCache,
    vset: str,
    ids: Sequence[str],
    stored: np.ndarray,
    queries: np.ndarray,
) -> float:
    """Share of the brute-force top-``candidates`` neighbours scoring >= the default threshold that the cache's
    VSIM returns."""
    k = cache.candidates
    scores = (1.0 + queries @ stored.T) / 2.0
    found = wanted = 0
    for row, query in zip(scores, queries, strict=True):
        truth = {ids[i] for i in np.argsort(-row)[:k] if row[i] >= DEFAULT_SIMILARITY_THRESHOLD}
        if truth:
            reply = command(client, *cache.vsim_args(vset, query.tolist()))
            got = {element for element, _, _ in parse_scored_attributes(reply)}
            wanted += len(truth)
            found += len(truth & got)
    return found / wanted if wanted else 1.0


def lookups(caches: Sequence[RedisSemanticCache], prompts: Sequence[str]) -> list[tuple[Sample, float]]:
    """Per cache: latency of ``lookup`` over ``prompts`` (each once, caches alternating) and the share that hit."""
    durations: list[list[int]] = [[] for _ in caches]
    for prompt in prompts:
        for cache, out in zip(caches, durations, strict=True):
            out += timed(partial(cache.lookup, prompt, LLM_STRING), 1)
    return [(Sample.of(out), cache.stats.hits / len(prompts)) for cache, out in zip(caches, durations, strict=True)]


def vsim_sample(client: redis.Redis, cache: RedisSemanticCache, vset: str, queries: np.ndarray) -> Sample:
    """Latency of the bare ``VSIM`` command a lookup of ``cache`` runs (same arguments), one per query."""
    durations: list[int] = []
    for query in queries:
        args = cache.vsim_args(vset, query.tolist())
        durations += timed(partial(command, client, *args), 1)
    return Sample.of(durations)


class Loader:
    """Embeds and encodes the next batch here while the previous one is pipelined into every server."""

    def __init__(self, clients: dict[Quantization, redis.Redis], loc: Where, codec_cache: RedisSemanticCache) -> None:
        self.clients, self.loc, self.codec = clients, loc, codec_cache.codec
        self.embedder = HashingEmbeddings(DIMENSIONS)
        self.ids: list[str] = []
        self.vectors: list[np.ndarray] = []

    def batch(self, start: int, stop: int) -> list[tuple[str, str, bytes, np.ndarray]]:
        """Entry ids, questions, answer envelopes and vectors of questions ``start .. stop - 1``."""
        texts = [question(i) for i in range(start, stop)]
        vectors = np.asarray(self.embedder.embed_documents(texts), dtype="<f4")
        out = []
        for text, vector in zip(texts, vectors, strict=True):
            entry = SemanticCacheBase.locate(prompt_of(text), LLM_STRING, "").entry
            key = self.loc.answer(entry).encode()
            blob = self.codec.encode([ChatGeneration(message=AIMessage(content=ANSWER))], associated_data=key)
            out.append((entry, text, blob, vector))
        self.ids += [entry for entry, _, _, _ in out]
        self.vectors.append(vectors)
        return out

    def grow(self, pool: ThreadPoolExecutor, size: int, quants: Sequence[Quantization]) -> float:
        """Load until ``size`` entries are stored in the ``quants`` servers; returns the seconds it took."""
        began = time.perf_counter()
        pending: list[Future[None]] = []
        for start in range(len(self.ids), size, BATCH):
            batch = self.batch(start, min(size, start + BATCH))
            for future in pending:
                future.result()
            pending = [pool.submit(load, self.clients[quant], self.loc, quant, batch) for quant in quants]
        for future in pending:
            future.result()
        return time.perf_counter() - began


def queries(smallest: int, count: int) -> list[str]:
    """Half paraphrases of stored questions (hits if the cache works), half unrelated questions (misses)."""
    rng = np.random.default_rng(7)
    hits = [paraphrase(int(i)) for i in rng.choice(smallest, min(smallest, count // 2), replace=False)]
    texts = hits + [unrelated(i) for i in range(count - len(hits))]
    rng.shuffle(texts)
    return texts


def run(ctx: Context) -> Report:
    """Grow both vector sets size by size; measure each quantization at each size."""
    report = Report(NAME, "Semantic lookup at scale (RedisSemanticCache, one partition, 384-dim HashingEmbeddings)")
    sizes = ctx.sizes.semantic_entries
    texts = queries(sizes[0], ctx.sizes.semantic_queries)
    prompts = [prompt_of(text) for text in texts]
    embedder = HashingEmbeddings(DIMENSIONS)
    embed_durations = timed_each(embedder.embed_query, texts)
    query_vectors = np.asarray(embedder.embed_documents(texts), dtype="<f4")
    precomputed = PrecomputedEmbeddings(dict(zip(texts, query_vectors.tolist(), strict=True)))
    loc = where()
    rows: list[list[object]] = []
    results: list[dict[str, Any]] = []
    with RedisServer() as second, ThreadPoolExecutor(len(QUANTS)) as pool:
        urls = {"q8": ctx.redis.url, "noquant": second.url}
        clients: dict[Quantization, redis.Redis] = {q: redis.Redis.from_url(urls[q]) for q in QUANTS}
        for client in clients.values():
            client.flushall()
        codec_cache = RedisSemanticCache(precomputed, redis_url=urls["q8"], namespace=NAMESPACE)
        loader = Loader(clients, loc, codec_cache)
        for size in sizes:
            quants = [q for q in QUANTS if q == "q8" or size <= ctx.sizes.noquant_max]
            load_s = loader.grow(pool, size, quants)
            stored = np.concatenate(loader.vectors)
            for quant in quants:
                url = urls[quant]
                plain = RedisSemanticCache(precomputed, redis_url=url, namespace=NAMESPACE, quantization=quant)
                embedding = RedisSemanticCache(embedder, redis_url=url, namespace=NAMESPACE, quantization=quant)
                (no_embed, hit_rate), (with_embed, _) = lookups([plain, embedding], prompts)
                vsim = vsim_sample(clients[quant], plain, loc.vset, query_vectors)
                share = recall(clients[quant], plain, loc.vset, loader.ids, stored, query_vectors)
                mem = memory(clients[quant], loc, loader.ids[:200])
                result = {
                    "entries": size,
                    "quantization": quant,
                    "load_seconds": round(load_s, 2),
                    "lookup_without_embedding": vars(no_embed),
                    "lookup_with_embedding": vars(with_embed),
                    "vsim": vars(vsim),
                    "hit_rate": hit_rate,
                    "recall_at_threshold": share,
                    "bytes_per_entry": mem,
                }
                results.append(result)
                rows.append(
                    [f"{size:,}", quant, f"{size / load_s:,.0f}/s" if quant == "q8" else "(parallel)", no_embed.p50_us,
                     no_embed.p99_us, with_embed.p50_us, with_embed.p99_us, vsim.p50_us, f"{hit_rate:.0%}",
                     f"{share:.3f}", mem["vector_set"], mem["answer"], mem["order"]]
                )  # fmt: skip
                if ctx.profile or (size == sizes[-1] and quant == "q8" and no_embed.p50_us > GOAL_P50_US):
                    path = ctx.results / f"{NAME}.{size}.{quant}.profile.txt"
                    profile_calls(partial(cycle_lookups, plain, iter(prompts * (2000 // len(prompts) + 1))), 2000, path)
                    report.notes.append(f"cProfile of 2000 lookups at {size:,} ({quant}): {path.name}")
                plain.close()
                embedding.close()
        codec_cache.close()
        for client in clients.values():
            client.flushall()
            client.close()
    embed = Sample.of(embed_durations)
    largest = next(r for r in results if r["entries"] == sizes[-1] and r["quantization"] == "q8")
    p50 = float(largest["lookup_without_embedding"]["p50_us"])
    vsim_p50 = float(largest["vsim"]["p50_us"])
    per_entry = float(largest["bytes_per_entry"]["vector_set"])
    at = f"{sizes[-1]:,} entries, q8"
    report.add(
        Figure(
            f"lookup p50 without embedding, {at}", p50, "us", vsim_p50, "bare VSIM", "<= 1000 us", p50 <= GOAL_P50_US
        )
    )
    with_p50 = float(largest["lookup_with_embedding"]["p50_us"])
    report.add(Figure(f"lookup p50 with embedding, {at}", with_p50, "us", p50, "lookup without embedding"))
    report.add(Figure("HashingEmbeddings embed_query p50", embed.p50_us, "us"))
    report.add(Figure(f"VSIM recall vs brute force at threshold {DEFAULT_SIMILARITY_THRESHOLD}, {at}",
                      float(largest["recall_at_threshold"]), "share"))  # fmt: skip
    report.add(
        Figure(
            f"vector-set bytes per entry, {at}", per_entry, "B", goal="<= 1536 B", met=per_entry <= GOAL_BYTES_PER_ENTRY
        )
    )
    header = ["entries", "quant", "load rate", "p50 us", "p99 us", "p50 us +embed", "p99 us +embed", "VSIM p50 us",
              "hit rate", "recall", "vset B/entry", "answer B/entry", "order B/entry"]  # fmt: skip
    report.tables.append(table(header, rows))
    report.details = {"results": results, "embed_query": vars(embed), "queries": len(texts), "dimensions": DIMENSIONS}
    report.notes.append(
        "Loaded with pipelined SET + VADD (question attribute) + ZADD (1,000 entries per round trip), not "
        "cache.update(); q8 and noquant "
        f"in two redis-servers loaded in parallel (noquant up to {ctx.sizes.noquant_max:,} entries). "
        "Queries: half paraphrases of stored questions, half unrelated. A lookup is one round trip (a Lua script: "
        "exact GET, VSIM, the answers of the neighbours at or above the threshold); 'VSIM' is that script's VSIM sent "
        f"alone: {' '.join(str(a) for a in codec_cache.vsim_args('<vset>', [0.0])[4:])}."
    )
    return report


def timed_each(fn: Callable[[str], object], texts: Sequence[str]) -> list[int]:
    """Durations (ns) of ``fn(text)`` for each text."""
    out: list[int] = []
    for text in texts:
        out += timed(partial(fn, text), 1)
    return out
