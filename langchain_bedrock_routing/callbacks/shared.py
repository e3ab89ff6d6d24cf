"""Shared statistics across processes: per-window counters in Redis, so many workers report one figure.

Each request adds to one Redis hash per time window (``{prefix}:{window_start}``) in a single
MULTI/EXEC with the key's expiry. Integer counts and token totals are stored, and costs are
priced from the catalog when read, so every reader gets the same exact totals. Experiment arms
also add each request's cost and each outcome score to a count, sum and sum of squares
(``HINCRBYFLOAT``), from which readers compute Welch's intervals (see :mod:`.experiments`).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import redis

from langchain_bedrock_routing.callbacks.experiments import METHOD, Moments, compare_arms
from langchain_bedrock_routing.callbacks.figures import RequestOutcome, outcome_cost
from langchain_bedrock_routing.catalog import ModelCatalog, base_model_id, get_catalog
from langchain_bedrock_routing.catalog.pricing import Cost, TokenUsage, price_usage

_SEP = "|"
_TOKEN_FIELDS = tuple(f.name for f in fields(TokenUsage))


class RedisStatsAggregator:
    """An :class:`OutcomeSink` counting into Redis; :meth:`totals` reads the sum over recent windows.

    ``window_s``: window length in seconds; ``retention_s``: how long a window's counters live.
    ``clock``: wall-clock seconds (``time.time``), injectable for tests.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "bedrock-stats",
        window_s: int = 60,
        retention_s: int = 7 * 24 * 3600,
        catalog: ModelCatalog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if window_s < 1 or retention_s < window_s:
            raise ValueError(f"need 1 <= window_s <= retention_s, got window_s={window_s}, retention_s={retention_s}")
        self.client = client
        self.prefix = prefix
        self.window_s = window_s
        self.retention_s = retention_s
        self.catalog = catalog or get_catalog()
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisStatsAggregator:
        """An aggregator on ``redis.Redis.from_url(url)`` with short timeouts (a dead Redis must not stall calls)."""
        return cls(redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5), **kwargs)

    def _window_start(self, at: float) -> int:
        return int(at // self.window_s) * self.window_s

    def _key(self, window_start: int) -> str:
        return f"{self.prefix}:{window_start}"

    def record(self, outcome: RequestOutcome) -> None:
        """Add one request's counts to the current window (a shadow or judge call: to its purpose's counts only)."""
        counts: defaultdict[str, int] = defaultdict(int)
        answer = outcome.answer
        if outcome.purpose is not None:
            self._count_purpose(counts, outcome)
            self._write(counts, [])
            return
        scopes = ["all", f"model{_SEP}{base_model_id(outcome.model_id or 'unknown')}"]
        scopes += [f"tier{_SEP}{_esc(outcome.tier)}"] if outcome.tier else []
        scopes += [f"tenant{_SEP}{_esc(outcome.tenant)}"] if outcome.tenant else []
        moments: list[tuple[str, float]] = []
        assignment = outcome.assignment
        if assignment is not None:
            arm = f"{_esc(assignment.experiment)}{_SEP}{_esc(assignment.arm)}"
            scopes.append(f"arm{_SEP}{arm}")
            counts[f"control{_SEP}{_esc(assignment.experiment)}{_SEP}{_esc(assignment.control)}"] += 1
            cost = outcome_cost(self.catalog, outcome).total
            moments += [] if cost is None else [(f"moments{_SEP}cost{_SEP}{arm}", float(cost))]
        for scope in scopes:
            counts[f"{scope}{_SEP}requests"] += 1
            if answer is None:
                counts[f"{scope}{_SEP}errors"] += 1
            elif answer.cached:
                counts[f"{scope}{_SEP}hits{_SEP}{_esc(answer.cache_kind)}"] += 1
            else:
                counts[f"{scope}{_SEP}misses"] += 1
        if answer is not None and answer.cached:
            self._add_tokens(counts, "saved", answer.model_id, answer.usage)
        for model_id, usage in outcome.spend:
            counts[f"api_calls{_SEP}{base_model_id(model_id or 'unknown')}"] += 1
            self._add_tokens(counts, "spend", model_id, usage)
        for attempt in outcome.api_errors:
            counts[f"api_errors{_SEP}{_esc(attempt.error)}"] += 1
        counts["fallbacks"] += bool(answer is not None and outcome.api_errors)
        self._write(counts, moments)

    def _count_purpose(self, counts: defaultdict[str, int], outcome: RequestOutcome) -> None:
        purpose = _esc(outcome.purpose)
        counts[f"purpose{_SEP}{purpose}{_SEP}requests"] += 1
        counts[f"purpose{_SEP}{purpose}{_SEP}errors"] += outcome.answer is None
        for model_id, usage in outcome.spend:
            counts[f"purpose{_SEP}{purpose}{_SEP}api_calls"] += 1
            self._add_tokens(counts, f"purpose_spend{_SEP}{purpose}", model_id, usage)

    def add_score(self, experiment: str, arm: str, score: float) -> None:
        """Add one outcome score of an experiment arm to the current window (see :class:`.experiments.ScoreSink`)."""
        name = f"moments{_SEP}score{_SEP}{_esc(experiment)}{_SEP}{_esc(arm)}"
        self._write({}, [(name, float(score))])

    def _write(self, counts: dict[str, int], moments: list[tuple[str, float]]) -> None:
        """Add ``counts`` and each (moments field, value) to the current window in one transaction."""
        key = self._key(self._window_start(self._clock()))
        pipe = self.client.pipeline(transaction=True)
        for name, count in counts.items():
            if count:
                pipe.hincrby(key, name, count)
        for name, value in moments:
            pipe.hincrby(key, f"{name}{_SEP}count", 1)
            pipe.hincrbyfloat(key, f"{name}{_SEP}total", value)
            pipe.hincrbyfloat(key, f"{name}{_SEP}squares", value * value)
        pipe.expire(key, self.retention_s)
        pipe.execute()

    @staticmethod
    def _add_tokens(counts: defaultdict[str, int], what: str, model_id: str | None, usage: TokenUsage) -> None:
        model = base_model_id(model_id or "unknown")
        for name in _TOKEN_FIELDS:
            counts[f"{what}{_SEP}{model}{_SEP}{name}"] += getattr(usage, name)

    def windows(self, count: int = 1) -> dict[int, dict[str, float]]:
        """Raw counters of the current window and the ``count - 1`` before it, by window start (seconds)."""
        current = self._window_start(self._clock())
        starts = [current - i * self.window_s for i in range(count)]
        pipe = self.client.pipeline(transaction=False)
        for start in starts:
            pipe.hgetall(self._key(start))
        return {
            start: {_text(k): _number(v) for k, v in raw.items()}
            for start, raw in zip(starts, pipe.execute(), strict=True)
        }

    def totals(self, windows: int = 1) -> dict[str, Any]:
        """JSON-safe sums over the last ``windows`` windows: requests, hits, hit rate, tokens, cost, savings, and
        ``experiments`` (per arm, with intervals vs the control arm)."""
        counts: defaultdict[str, float] = defaultdict(int)
        for window in self.windows(windows).values():
            for name, value in window.items():
                counts[name] += value
        spend = _usage_by_model(counts, "spend")
        saved = _usage_by_model(counts, "saved")
        cost = sum((price_usage(self.catalog, m, u) for m, u in spend.items()), Cost())
        saved_cost = sum((price_usage(self.catalog, m, u) for m, u in saved.items()), Cost()).total
        scopes: defaultdict[str, dict[str, Any]] = defaultdict(lambda: {"requests": 0, "hits": {}, "misses": 0})
        for name, value in counts.items():
            parts = name.split(_SEP)
            if parts[0] in ("all", "model", "tier", "tenant"):
                scope = "all" if parts[0] == "all" else _SEP.join(parts[:2])
                metric = parts[1:] if parts[0] == "all" else parts[2:]
                entry = scopes[scope]
                if metric[0] == "hits":
                    entry["hits"][metric[1]] = value
                else:
                    entry[metric[0]] = value
        for entry in scopes.values():
            hits = sum(entry["hits"].values())
            entry["hit_rate"] = hits / (hits + entry["misses"]) if hits + entry["misses"] else None
        total = scopes.pop("all", {"requests": 0, "hits": {}, "misses": 0, "hit_rate": None})
        return {
            **total,
            "api_calls": sum(v for k, v in counts.items() if k.startswith(f"api_calls{_SEP}")),
            "api_errors": {k.split(_SEP, 1)[1]: v for k, v in counts.items() if k.startswith(f"api_errors{_SEP}")},
            "fallbacks": counts["fallbacks"],
            "tokens": sum(spend.values(), TokenUsage()).as_dict(),
            "cost_usd": cost.as_dict(),
            "saved_by_cache_usd": None if saved_cost is None else float(saved_cost),
            "by": {scope: scopes[scope] for scope in sorted(scopes)},
            "experiments": _experiments(counts),
            "purposes": self._purposes(counts),
        }

    def _purposes(self, counts: dict[str, float]) -> dict[str, dict[str, Any]]:
        """Shadow judge calls by purpose: requests, errors, API calls, tokens and cost (not in the totals)."""
        names = sorted({k.split(_SEP)[1] for k in counts if k.startswith(f"purpose{_SEP}")})
        out = {}
        for name in names:
            spend = _usage_by_model(counts, f"purpose_spend{_SEP}{name}")
            cost = sum((price_usage(self.catalog, m, u) for m, u in spend.items()), Cost())
            out[name] = {
                **{k: int(counts.get(f"purpose{_SEP}{name}{_SEP}{k}", 0)) for k in ("requests", "errors", "api_calls")},
                "tokens": sum(spend.values(), TokenUsage()).as_dict(),
                "cost_usd": cost.as_dict(),
            }
        return out


def _experiments(counts: dict[str, float]) -> dict[str, Any]:
    """Per experiment: its control, each arm's requests, hits, errors, cost per request and scores, the intervals."""
    arms: defaultdict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    moments: defaultdict[tuple[str, str, str], Moments] = defaultdict(Moments)
    controls: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for name, value in counts.items():
        parts = [_unesc(part) for part in name.split(_SEP)]
        if parts[0] == "arm":
            entry = arms[parts[1]].setdefault(parts[2], {"requests": 0, "hits": {}, "misses": 0, "errors": 0})
            if parts[3] == "hits":
                entry["hits"][parts[4]] = int(value)
            else:
                entry[parts[3]] = int(value)
        elif parts[0] == "control":
            controls[parts[1]][parts[2]] += int(value)
        elif parts[0] == "moments":
            setattr(moments[parts[1], parts[2], parts[3]], parts[4], int(value) if parts[4] == "count" else value)
    result: dict[str, Any] = {}
    for experiment in sorted({*arms, *(e for _, e, _ in moments)}):
        names = sorted({*arms[experiment], *(a for _, e, a in moments if e == experiment)})
        pairs = {arm: (moments["cost", experiment, arm], moments["score", experiment, arm]) for arm in names}
        control = controls[experiment].most_common(1)[0][0] if controls[experiment] else None
        figures: dict[str, Any] = {}
        for arm in names:
            entry = arms[experiment].get(arm, {"requests": 0, "hits": {}, "misses": 0, "errors": 0})
            hits = sum(entry["hits"].values())
            entry["hit_rate"] = hits / (hits + entry["misses"]) if hits + entry["misses"] else None
            cost, score = pairs[arm]
            figures[arm] = {**entry, "cost_per_request_usd": cost.as_dict(), "score": score.as_dict()}
        result[experiment] = {
            "control": control,
            "method": METHOD,
            "arms": figures,
            "comparison": compare_arms(control, pairs),
        }
    return result


def _usage_by_model(counts: dict[str, float], what: str) -> dict[str, TokenUsage]:
    """Token usage by model of the counters named ``{what}|{model}|{token field}``."""
    tokens: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for name, value in counts.items():
        if name.startswith(what + _SEP):
            model, field = name[len(what) + 1 :].split(_SEP)
            tokens[model][field] = int(value)
    return {model: TokenUsage(**values) for model, values in tokens.items()}


def _esc(value: str | None) -> str:
    """A name safe inside a ``|``-separated field."""
    return str(value).replace(_SEP, "%7C")


def _unesc(value: str) -> str:
    return value.replace("%7C", _SEP)


def _number(value: bytes | str) -> float:
    """A counter: an integer (``HINCRBY``) or a float (``HINCRBYFLOAT``)."""
    text = _text(value)
    try:
        return int(text)
    except ValueError:
        return float(text)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
