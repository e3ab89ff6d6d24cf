"""Soak: thousands of mixed requests through ``RoutedChatBedrock`` and a Redis cache, under faults.

The emulator throttles 20% and fails 2% of Bedrock requests at random and keeps one model down;
Redis (a real ``redis-server`` with an append-only file) is SIGKILLed and restarted twice mid-run.
Then the extra phases of :mod:`reliability.phases` run (user threads with ``cache_scope``, async calls
beside a CPU-bound thread, a full Redis, trap twins, bursts). Afterwards: no user call failed except with
``AllModelsFailedError`` when every candidate failed, every Bedrock answer was billed once, every repeat
bill has a documented cause, no hit came from another tenant's or another question's answer (see
:mod:`reliability.provenance`), and every cache entry decodes. ``python -m reliability.soak --requests
10000`` uses ``RedisSemanticCache``; ``--cache exact`` uses ``RedisCache`` (with its near cache).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import SecretStr

from langchain_bedrock_routing.caching.breaker import CircuitBreaker
from langchain_bedrock_routing.caching.redis_cache import RedisCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock
from langchain_bedrock_routing.testing import RedisServer
from reliability.audit import audit_billing, audit_exact_cache, audit_semantic_cache
from reliability.chaos import Progress, RedisChaos
from reliability.phases import CHECKS, PHASES, RUNNERS, PhaseResults, PhaseSetup
from reliability.provenance import Window, billed_misses
from reliability.report import SoakReport
from reliability.runner import CallOutcome, SoakRunner, every_candidate_failed
from reliability.workload import build_workload

SOAK_TIERS: dict[str, list[str]] = {
    "simple": [
        "amazon.nova-micro-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
    ],
    "medium": [
        "amazon.nova-lite-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "anthropic.claude-sonnet-4-20250514-v1:0",
    ],
    "complex": [
        "amazon.nova-pro-v1:0",
        "anthropic.claude-opus-4-5-20251101-v1:0",
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "anthropic.claude-3-opus-20240229-v1:0",
    ],
}
"""Each tier has fallbacks: with 20% + 2% faults and one retry per model, a tier fails about 0.05**n of the time."""
DOWN_MODEL = "amazon.nova-premier-v1:0"
"""The model the emulator keeps down; ``down`` requests are pinned to it and must raise ``AllModelsFailedError``."""
NAMESPACE = "soak"


@dataclass(frozen=True)
class SoakConfig:
    """Size and fault settings of one soak run; probabilities per Bedrock request, counts in user calls."""

    requests: int = 10_000
    seed: int = 7
    throttle_rate: float = 0.2
    error_rate: float = 0.02
    redis_kills: int = 2
    down_share: float = 0.03
    """Each Redis outage lasts this share of the requests (in completed calls)."""
    sync_workers: int = 4
    async_concurrency: int = 8
    breaker_cooldown_s: float = 2.0
    """Circuit-breaker cooldown of the cache (the library default is 10 s; shorter probes Redis sooner)."""
    ttl_s: float = 3600.0
    cache: Literal["semantic", "exact"] = "semantic"
    phases: tuple[str, ...] = PHASES
    """Extra phases run after the main mix (see :mod:`reliability.phases`)."""
    coalesce: bool = False
    """Also send bursts to a second cache built with ``coalesce=True`` (single-flight); each must pay once."""
    async_heavy: int = 200
    """Concurrent async calls in the ``async_cpu`` phase."""

    @property
    def phase_size(self) -> int:
        """Questions per extra phase: 1/40 of the main mix (the phases add about 60% more calls)."""
        return max(4, self.requests // 40)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.phases) - set(PHASES))
        if unknown:
            raise ValueError(f"unknown soak phase(s) {', '.join(unknown)}; valid: {', '.join(PHASES)}")

    def kill_points(self) -> list[int]:
        """Completed-call counts at which Redis is killed: evenly spread over the run."""
        return [self.requests * (i + 1) // (self.redis_kills + 1) for i in range(self.redis_kills)]


@dataclass
class _Environment:
    emulator: BedrockEmulator
    redis: RedisServer
    cache: RedisSemanticCache | RedisCache
    llm: RoutedChatBedrock
    coalescing: RoutedChatBedrock | None = None
    stats: BedrockStatsCallbackHandler = field(
        default_factory=lambda: BedrockStatsCallbackHandler(tenant_key="tenant_id")
    )

    def close(self) -> None:
        """Close the caches, Redis and the emulator."""
        self.cache.close()
        if self.coalescing is not None and isinstance(self.coalescing.cache, RedisCache | RedisSemanticCache):
            self.coalescing.cache.close()
        self.redis.close()
        self.emulator.stop()


def _cache(config: SoakConfig, redis: RedisServer, *, coalesce: bool) -> RedisSemanticCache | RedisCache:
    """The soak's cache; ``coalesce`` adds ``coalesce=True`` (single-flight)."""
    extra: dict[str, Any] = {"coalesce": True} if coalesce else {}
    breaker = CircuitBreaker(cooldown_s=config.breaker_cooldown_s)
    if config.cache == "exact":
        return RedisCache(redis.url, ttl=config.ttl_s, namespace=NAMESPACE, breaker=breaker, **extra)
    return RedisSemanticCache(
        HashingEmbeddings(), redis_url=redis.url, ttl=config.ttl_s, namespace=NAMESPACE, breaker=breaker, **extra
    )


def _router(emulator: BedrockEmulator, cache: RedisSemanticCache | RedisCache) -> RoutedChatBedrock:
    return RoutedChatBedrock(
        tiers=dict(SOAK_TIERS),
        base_url=emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=SecretStr("soak"),
        aws_secret_access_key=SecretStr("soak"),
        cache=cache,
    )


def _environment(config: SoakConfig) -> _Environment:
    emulator = BedrockEmulator(
        latency_scale=0.0,
        throttle_rate=config.throttle_rate,
        error_rate=config.error_rate,
        fail_models=[DOWN_MODEL],
        seed=config.seed,
    ).start()
    redis = RedisServer(extra_args=("--appendonly", "yes", "--appendfsync", "everysec")).start()
    cache = _cache(config, redis, coalesce=False)
    coalescing = _router(emulator, _cache(config, redis, coalesce=True)) if config.coalesce else None
    return _Environment(emulator, redis, cache, _router(emulator, cache), coalescing)


def _run_phases(
    config: SoakConfig, env: _Environment, runner: SoakRunner, main: list[CallOutcome], outages: Sequence[Window]
) -> PhaseResults:
    """The extra phases of ``config.phases`` in their fixed order, after the main mix and once the ``outages`` have
    settled; ``answered`` questions are the main mix's misses that ended while Redis was up (answers stored)."""
    setup = PhaseSetup(
        runner=runner,
        answered=[o.request for o in main if o.status == "miss" and not any(w.covers(o.ended) for w in outages)],
        redis=env.redis,
        cache_stats=env.cache.stats.as_dict,
        size=config.phase_size,
        seed=config.seed,
        async_concurrency=config.async_heavy,
        settle_s=config.breaker_cooldown_s + 1.0,
        coalescing=None if env.coalescing is None else runner.variant(llm=env.coalescing),
        next_index=len(main),
    )
    results = PhaseResults()
    # The phases test the cache: Bedrock faults off (the model kept down stays down), and a healthy Redis once a
    # breaker opened by the last kill has closed again.
    env.emulator.set_faults(fail_models=[DOWN_MODEL])
    time.sleep(max([0.0, *(w.end - time.monotonic() for w in outages)]))
    for name in PHASES:
        if name in config.phases:
            started = time.monotonic()
            RUNNERS[name](setup, results)
            results.figures.setdefault(name, {})["wall_s"] = round(time.monotonic() - started, 1)
    return results


def run_soak(config: SoakConfig) -> SoakReport:
    """Run the soak described by ``config`` and audit it; the report says whether every guarantee held."""
    workload = build_workload(config.requests, seed=config.seed)
    env = _environment(config)
    progress = Progress()
    chaos = RedisChaos(env.redis, progress, config.kill_points(), max(1, int(config.requests * config.down_share)))
    runner = SoakRunner(
        env.llm,
        callbacks=[env.stats],
        progress=progress,
        down_model=DOWN_MODEL,
        sync_workers=config.sync_workers,
        async_concurrency=config.async_concurrency,
    )
    try:
        started = time.monotonic()
        chaos.start()
        try:
            outcomes = runner.run(workload)
        finally:
            chaos.stop()
        settle = config.breaker_cooldown_s + 1.0
        windows = [Window(o.killed_t, o.restarted_t + settle) for o in chaos.outages]
        phases = _run_phases(config, env, runner, outcomes, windows)
        outcomes += phases.outcomes
        wall_s = time.monotonic() - started
        total = env.stats.to_dict()["total"]
        billing = audit_billing(
            env.emulator.requests,
            successful_misses=len(billed_misses(outcomes)),
            stats_api_calls=total["api_calls"],
            down_model=DOWN_MODEL,
        )
        with env.redis.client() as client:
            audit = audit_exact_cache if config.cache == "exact" else audit_semantic_cache
            cache_audit = audit(client, NAMESPACE, env.cache.codec)
        return SoakReport.build(
            config=config,
            outcomes=outcomes,
            stats_total=total,
            billing=billing,
            cache_audit=cache_audit,
            cache_stats=env.cache.stats.as_dict(),
            outages=list(chaos.outages),
            windows=windows,
            full=[] if phases.full_redis is None else [phases.full_redis],
            phase_figures=phases.figures,
            wall_s=wall_s,
            all_down=lambda o: o.request.kind == "down" or every_candidate_failed(o.attempts, SOAK_TIERS),
        )
    finally:
        env.close()


def _parser() -> argparse.ArgumentParser:
    defaults = SoakConfig()
    parser = argparse.ArgumentParser(prog="python -m reliability.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=defaults.requests, help="user calls (default 10000)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="workload and fault seed")
    parser.add_argument("--throttle-rate", type=float, default=defaults.throttle_rate)
    parser.add_argument("--error-rate", type=float, default=defaults.error_rate)
    parser.add_argument("--redis-kills", type=int, default=defaults.redis_kills, help="SIGKILL + restart count")
    parser.add_argument("--sync-workers", type=int, default=defaults.sync_workers)
    parser.add_argument("--async-concurrency", type=int, default=defaults.async_concurrency)
    parser.add_argument("--cache", choices=("semantic", "exact"), default=defaults.cache, help="which Redis cache")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="extra phases after the main mix, comma-separated (default all; 'none' for none): "
        + "; ".join(f"{name} ({check})" for name, check in CHECKS.items()),
    )
    parser.add_argument("--coalesce", action="store_true", help="also run bursts on a cache with coalesce=True")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    return parser


def _phases(text: str) -> tuple[str, ...]:
    return tuple(p for p in text.split(",") if p and p != "none")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak from the command line; exit status 1 when a guarantee was broken."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # cache outages are logged as warnings by design; keep the output short
    try:
        config = SoakConfig(
            requests=args.requests,
            seed=args.seed,
            throttle_rate=args.throttle_rate,
            error_rate=args.error_rate,
            redis_kills=args.redis_kills,
            sync_workers=args.sync_workers,
            async_concurrency=args.async_concurrency,
            cache=args.cache,
            phases=_phases(args.phases),
            coalesce=args.coalesce,
        )
    except ValueError as error:
        parser.error(str(error))
    report = run_soak(config)
    data: dict[str, Any] = report.to_dict()
    print(json.dumps(data, indent=2) if args.json else report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
