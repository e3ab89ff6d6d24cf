"""Pure accounting of chat-model requests: counts, tokens, cost and savings, latency percentiles.

Spend comes only from billed model calls (``RequestOutcome.spend``); a response-cache hit adds
its cached usage to ``saved`` instead, priced at the model that produced it. Costs are computed
from integer token totals at read time, so totals are exact whatever the order of requests.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from langchain_bedrock_routing.callbacks.answer import Answer, FailedAttempt
from langchain_bedrock_routing.callbacks.experiments import METHOD, Moments, compare_arms
from langchain_bedrock_routing.catalog import ModelCatalog, base_model_id, get_catalog
from langchain_bedrock_routing.catalog.pricing import Cost, TokenUsage, price_counterfactual, price_usage
from langchain_bedrock_routing.core.routing_metadata import ArmAssignment

UNKNOWN = "unknown"
"""Key used for a model, tier or tenant that a request did not name."""

LATENCY_WINDOW = 10_000
"""Most recent samples kept per latency series for percentiles (max and count cover all)."""


@dataclass(frozen=True)
class RequestOutcome:
    """One top-level chat-model request as a handler saw it; ``latency_ms`` is start to end."""

    run_id: UUID
    model_id: str | None
    latency_ms: float
    answer: Answer | None
    """``None`` when the request failed (see ``error``)."""
    spend: tuple[tuple[str | None, TokenUsage], ...]
    """Billed model calls made for this request: (model id, usage) each."""
    api_errors: tuple[FailedAttempt, ...]
    """Model calls that failed before the answer (throttling, unavailable ...)."""
    error: str | None = None
    tenant: str | None = None
    prompt: str = ""
    """The conversation as text, for sinks that hash it; the figures never keep it."""
    assignment: ArmAssignment | None = None
    """The experiment arm that answered (``RoutingExperiment``), ``None`` outside experiments."""
    purpose: str | None = None
    """Why a call was made when not for a user (``"shadow"``, ``"judge"``): counted apart from the requests."""

    @property
    def tier(self) -> str | None:
        """The routing tier of the answer, if a router chose one."""
        return self.answer.tier if self.answer else None


def outcome_cost(catalog: ModelCatalog, outcome: RequestOutcome) -> Cost:
    """USD billed for one request: each billed call at its own model's prices."""
    return sum((price_usage(catalog, m, u) for m, u in outcome.spend), Cost())


def outcome_saved(catalog: ModelCatalog, outcome: RequestOutcome) -> Decimal | None:
    """USD a response-cache hit saved (its cached usage at the producing model), 0 for other requests."""
    answer = outcome.answer
    if answer is None or not answer.cached:
        return Decimal(0)
    return price_usage(catalog, answer.model_id, answer.usage).total


def _model_key(model_id: str | None) -> str:
    """Per-model key: the base id, so ``us.``/``eu.`` profiles and ARNs of one model count together."""
    return UNKNOWN if not model_id else base_model_id(model_id)


def _deployment(outcome: RequestOutcome) -> str | None:
    """The deployment that answered (a router's ``routing["deployment"]``); ``None`` for a cache hit or a plain id."""
    answer = outcome.answer
    if answer is None or answer.cached:
        return None
    return answer.routing.get("deployment")


def percentile(samples: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (``pct`` in (0, 100]) of ``samples``; ``None`` when empty."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


@dataclass
class LatencySamples:
    """Latencies in milliseconds: count and max over all, p50/p95 over the last :data:`LATENCY_WINDOW`."""

    count: int = 0
    max: float | None = None
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))

    def add(self, ms: float) -> None:
        """Record one latency."""
        self.count += 1
        self.max = ms if self.max is None else max(self.max, ms)
        self.recent.append(ms)

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-safe count, p50, p95 and max."""
        samples = list(self.recent)
        return {"count": self.count, "p50": percentile(samples, 50), "p95": percentile(samples, 95), "max": self.max}


@dataclass
class Bucket:
    """Figures of one slice of traffic (all, one model, one tier or one tenant)."""

    requests: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    misses: int = 0
    errors: int = 0
    fallbacks: int = 0
    tool_calls: int = 0
    api_calls: int = 0
    api_errors: Counter[str] = field(default_factory=Counter)
    spend: defaultdict[str | None, TokenUsage] = field(default_factory=lambda: defaultdict(TokenUsage))
    saved: defaultdict[str | None, TokenUsage] = field(default_factory=lambda: defaultdict(TokenUsage))
    latency: LatencySamples = field(default_factory=LatencySamples)
    hit_latency: LatencySamples = field(default_factory=LatencySamples)

    def add_request(self, outcome: RequestOutcome) -> None:
        """Count one request: hit, miss or error, with its latency."""
        self.requests += 1
        self.latency.add(outcome.latency_ms)
        answer = outcome.answer
        if answer is None:
            self.errors += 1
            return
        if answer.cache_kind is not None:
            self.hits[answer.cache_kind] += 1
            self.saved[answer.model_id] += answer.usage
            self.hit_latency.add(outcome.latency_ms)
        else:
            self.misses += 1
        self.fallbacks += bool(outcome.api_errors)
        self.tool_calls += answer.has_tool_calls

    def add_spend(self, model_id: str | None, usage: TokenUsage) -> None:
        """Count one billed model call."""
        self.api_calls += 1
        self.spend[model_id] += usage

    def add_api_error(self, attempt: FailedAttempt) -> None:
        """Count one failed model call."""
        self.api_errors[attempt.error] += 1

    @property
    def hit_count(self) -> int:
        """Response-cache hits of every kind."""
        return sum(self.hits.values())

    @property
    def hit_rate(self) -> float | None:
        """Hits / (hits + misses); ``None`` before any answered request."""
        answered = self.hit_count + self.misses
        return self.hit_count / answered if answered else None

    def tokens(self) -> TokenUsage:
        """Billed tokens of all models in this bucket."""
        return sum(self.spend.values(), TokenUsage())

    def cost(self, catalog: ModelCatalog) -> Cost:
        """USD billed, each model's tokens at its own prices."""
        return sum((price_usage(catalog, m, u) for m, u in self.spend.items()), Cost())

    def saved_cost(self, catalog: ModelCatalog) -> Decimal | None:
        """USD the cache hits would have cost at the models that produced the cached answers."""
        return sum((price_usage(catalog, m, u) for m, u in self.saved.items()), Cost()).total

    def as_dict(self, catalog: ModelCatalog) -> dict[str, Any]:
        """JSON-safe figures; costs in USD, ``None`` where a price is unknown."""
        saved = self.saved_cost(catalog)
        return {
            "requests": self.requests,
            "cache": {
                "hits": self.hit_count,
                "hits_by_kind": dict(sorted(self.hits.items())),
                "misses": self.misses,
                "hit_rate": self.hit_rate,
            },
            "errors": self.errors,
            "fallbacks": self.fallbacks,
            "tool_calls": self.tool_calls,
            "api_calls": self.api_calls,
            "api_errors": dict(sorted(self.api_errors.items())),
            "tokens": self.tokens().as_dict(),
            "cost_usd": self.cost(catalog).as_dict(),
            "saved_by_cache": {
                "tokens": sum(self.saved.values(), TokenUsage()).as_dict(),
                "cost_usd": None if saved is None else float(saved),
            },
            "latency_ms": self.latency.as_dict(),
            "hit_latency_ms": self.hit_latency.as_dict(),
        }


@dataclass
class ArmFigures:
    """One experiment arm: its requests (a :class:`Bucket`), cost per request (USD, cache hits at 0), outcome scores."""

    bucket: Bucket = field(default_factory=Bucket)
    cost: Moments = field(default_factory=Moments)
    """USD billed per request whose cost is known (a model with no catalog price leaves it out)."""
    score: Moments = field(default_factory=Moments)


@dataclass
class ExperimentFigures:
    """All arms of one experiment; ``control`` is the arm the others are compared to (``None`` until known)."""

    control: str | None = None
    arms: dict[str, ArmFigures] = field(default_factory=dict)

    def arm(self, name: str) -> ArmFigures:
        """The figures of arm ``name`` (created empty)."""
        return self.arms.setdefault(name, ArmFigures())

    def as_dict(self, catalog: ModelCatalog) -> dict[str, Any]:
        """JSON-safe: ``control``, ``arms`` (bucket figures plus cost per request and score), ``comparison``."""
        return {
            "control": self.control,
            "method": METHOD,
            "arms": {
                name: {
                    **arm.bucket.as_dict(catalog),
                    "cost_per_request_usd": arm.cost.as_dict(),
                    "score": arm.score.as_dict(),
                }
                for name, arm in sorted(self.arms.items())
            },
            "comparison": compare_arms(self.control, {n: (a.cost, a.score) for n, a in self.arms.items()}),
        }


class StatsFigures:
    """All figures of a stream of :class:`RequestOutcome`; thread-safe.

    ``baseline_model`` names a catalog model for the counterfactual: what every request's
    answer (hits included) would have cost on it, with no cache and no routing.
    """

    def __init__(self, *, baseline_model: str | None = None, catalog: ModelCatalog | None = None) -> None:
        self.catalog = catalog or get_catalog()
        if baseline_model is not None:
            self.catalog.get(baseline_model)  # raises UnknownModelError naming the known ids
        self.baseline_model = baseline_model
        self._lock = threading.RLock()
        self._clear()

    def _clear(self) -> None:
        self.total = Bucket()
        self.models: defaultdict[str, Bucket] = defaultdict(Bucket)
        self.tiers: defaultdict[str, Bucket] = defaultdict(Bucket)
        self.tenants: defaultdict[str, Bucket] = defaultdict(Bucket)
        self.deployments: defaultdict[str, Bucket] = defaultdict(Bucket)
        self.purposes: defaultdict[str, Bucket] = defaultdict(Bucket)
        """Calls made to learn (shadow judge's ``shadow``, ``judge``), by purpose; not in any other slice."""
        self.routes_by_classifier: Counter[str] = Counter()
        self.answered_usage = TokenUsage()
        self.experiments: dict[str, ExperimentFigures] = {}

    def add(self, outcome: RequestOutcome) -> None:
        """Count one request in the total and in its model, tier, tenant, deployment and experiment-arm slices (a call
        with a purpose: in its purpose's slice only)."""
        model_key = _model_key(outcome.model_id)
        with self._lock:
            if outcome.purpose is not None:
                _add_all(self.purposes[outcome.purpose], outcome)
                return
            slices = [self.total]
            if outcome.tier is not None:
                slices.append(self.tiers[outcome.tier])
            if outcome.tenant is not None:
                slices.append(self.tenants[outcome.tenant])
            if (deployment := _deployment(outcome)) is not None:
                slices.append(self.deployments[deployment])
            if outcome.assignment is not None:
                experiment = self._experiment(outcome.assignment.experiment, outcome.assignment.control)
                figures = experiment.arm(outcome.assignment.arm)
                slices.append(figures.bucket)
                cost = outcome_cost(self.catalog, outcome).total
                if cost is not None:
                    figures.cost.add(float(cost))
            for bucket in [*slices, self.models[model_key]]:
                bucket.add_request(outcome)
            for model_id, usage in outcome.spend:
                for bucket in [*slices, self.models[_model_key(model_id)]]:
                    bucket.add_spend(model_id, usage)
            for attempt in outcome.api_errors:
                for bucket in [*slices, self.models[_model_key(attempt.model_id)]]:
                    bucket.add_api_error(attempt)
            answer = outcome.answer
            if answer is not None:
                self.answered_usage += answer.usage
                if not answer.cached and answer.classifier is not None:
                    self.routes_by_classifier[answer.classifier] += 1

    def _experiment(self, name: str, control: str | None) -> ExperimentFigures:
        experiment = self.experiments.setdefault(name, ExperimentFigures())
        experiment.control = control or experiment.control
        return experiment

    def add_score(self, experiment: str, arm: str, score: float) -> None:
        """Count one outcome score in [0, 1] of a request ``arm`` of ``experiment`` answered."""
        with self._lock:
            self._experiment(experiment, None).arm(arm).score.add(float(score))

    def reset(self) -> None:
        """Forget every request counted so far."""
        with self._lock:
            self._clear()

    def cost(self) -> Decimal | None:
        """Total USD billed, ``None`` if any billed model's price is unknown."""
        with self._lock:
            return self.total.cost(self.catalog).total

    def baseline_cost(self) -> Decimal | None:
        """USD all answered requests would have cost on the baseline model; ``None`` without one."""
        if self.baseline_model is None:
            return None
        with self._lock:
            return price_counterfactual(self.catalog, self.baseline_model, self.answered_usage).total

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot: ``total``, ``models``, ``tiers``, ``tenants``, ``deployments`` (fresh answers by the
        deployment that gave them), ``experiments``, ``purposes`` (shadow and judge calls, not in the others),
        ``routes`` and ``baseline``."""
        with self._lock:
            baseline = self.baseline_cost()
            cost = self.total.cost(self.catalog).total
            return {
                "total": self.total.as_dict(self.catalog),
                "models": {k: b.as_dict(self.catalog) for k, b in sorted(self.models.items())},
                "tiers": {k: b.as_dict(self.catalog) for k, b in sorted(self.tiers.items())},
                "tenants": {k: b.as_dict(self.catalog) for k, b in sorted(self.tenants.items())},
                "deployments": {k: b.as_dict(self.catalog) for k, b in sorted(self.deployments.items())},
                "experiments": {k: e.as_dict(self.catalog) for k, e in sorted(self.experiments.items())},
                "purposes": {k: b.as_dict(self.catalog) for k, b in sorted(self.purposes.items())},
                "routes": {
                    "by_tier": {k: b.misses for k, b in sorted(self.tiers.items())},
                    "by_classifier": dict(sorted(self.routes_by_classifier.items())),
                },
                "baseline": {
                    "model_id": self.baseline_model,
                    "cost_usd": None if baseline is None else float(baseline),
                    "savings_usd": None if baseline is None or cost is None else float(baseline - cost),
                },
            }


def _add_all(bucket: Bucket, outcome: RequestOutcome) -> None:
    """Count one request, its billed calls and its failed calls in ``bucket``."""
    bucket.add_request(outcome)
    for model_id, usage in outcome.spend:
        bucket.add_spend(model_id, usage)
    for attempt in outcome.api_errors:
        bucket.add_api_error(attempt)
