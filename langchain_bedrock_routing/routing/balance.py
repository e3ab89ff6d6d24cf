"""Spreading requests over deployments and keeping them within their limits and out of sick regions.

Same-model deployments take each other's places in a plan least busy first: by the larger share of ``rpm`` /
``tpm`` used in the last minute (requests per unit of ``weight`` when a deployment has no limit), ties broken at
random. A deployment whose next call would pass a limit is passed over until every other candidate was tried,
then called anyway (Bedrock may still serve it; a throttle falls back as usual). Resting candidates go last: a
model or deployment after ``cooldown_failures`` retryable failures in a row, and every deployment of a region
(region and endpoint) after as many failures there in a row that were not throttling.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_bedrock_routing.routing.fallback import Cooldown, is_throttling
from langchain_bedrock_routing.routing.limits import Limits, LocalLimits, Reservation
from langchain_bedrock_routing.routing.policy import Candidate
from langchain_bedrock_routing.routing.request import RequestProfile
from langchain_bedrock_routing.routing.targets import Target

_REGION = "region:"


@dataclass(frozen=True)
class Admission:
    """Whether a candidate may be called now, and its reservation (``None`` for a plain model id)."""

    admitted: bool
    reservation: Reservation | None = None


UNLIMITED = Admission(True)
"""The admission of a call that counts against no limit."""


@dataclass
class Balancer:
    """Orders candidates, admits calls against deployment limits, and keeps the cooldowns; thread-safe."""

    cooldown: Cooldown
    limits: Limits = field(default_factory=LocalLimits)
    output_tokens_estimate: int = 512
    rng: random.Random = field(default_factory=random.Random)

    def order(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """``candidates`` with same-model deployments least busy first in their places, resting ones last."""
        ordered = list(candidates)
        places: defaultdict[str, list[int]] = defaultdict(list)
        for index, candidate in enumerate(candidates):
            if candidate.target.deployment is not None:
                places[candidate.target.model_id].append(index)
        for indexes in places.values():
            if len(indexes) > 1:
                by_load = sorted(
                    (candidates[i] for i in indexes), key=lambda c: (self._load(c.target), self.rng.random())
                )
                for index, candidate in zip(indexes, by_load, strict=True):
                    ordered[index] = candidate
        return self.cooldown.order(ordered, lambda c: _health_keys(c.target))

    def _load(self, target: Target) -> float:
        deployment = target.deployment
        assert deployment is not None
        usage = self.limits.usage(deployment.name)
        shares = [usage.requests / deployment.rpm] if deployment.rpm else []
        shares += [usage.tokens / deployment.tpm] if deployment.tpm else []
        return (max(shares) if shares else float(usage.requests)) / deployment.weight

    def estimated_tokens(self, profile: RequestProfile) -> int:
        """Tokens a call is counted for before it runs: estimated input plus ``max_tokens`` (or the estimate)."""
        return profile.input_tokens + (profile.max_tokens or self.output_tokens_estimate)

    def admit(self, target: Target, profile: RequestProfile, *, force: bool = False) -> Admission:
        """Reserve a call to ``target`` in its deployment's window; refused when it would pass a limit (unless
        ``force``). A plain model id is always admitted."""
        deployment = target.deployment
        if deployment is None:
            return UNLIMITED
        reservation = self.limits.reserve(
            deployment.name, self.estimated_tokens(profile), deployment.rpm, deployment.tpm, force=force
        )
        return Admission(reservation is not None, reservation)

    async def aadmit(self, target: Target, profile: RequestProfile, *, force: bool = False) -> Admission:
        """Async :meth:`admit`: a window shared through Redis is asked on the running event loop."""
        deployment = target.deployment
        if deployment is None:
            return UNLIMITED
        reservation = await self.limits.areserve(
            deployment.name, self.estimated_tokens(profile), deployment.rpm, deployment.tpm, force=force
        )
        return Admission(reservation is not None, reservation)

    def settle(self, admission: Admission, tokens: int) -> None:
        """Count the call's real ``tokens`` (0 for a failed call) instead of its estimate."""
        if admission.reservation is not None:
            self.limits.settle(admission.reservation, tokens)

    def failed(self, target: Target, reason: str) -> None:
        """A retryable failure: toward the target's rest, and its region's unless it was throttling."""
        self.cooldown.failed(target.key)
        if target.deployment is not None and not is_throttling(reason):
            self.cooldown.failed(_REGION + target.deployment.failure_domain)

    def succeeded(self, target: Target) -> None:
        """An answer: the target and its region are healthy."""
        for key in _health_keys(target):
            self.cooldown.succeeded(key)


def _health_keys(target: Target) -> tuple[str, ...]:
    if target.deployment is None:
        return (target.key,)
    return (target.key, _REGION + target.deployment.failure_domain)
