"""Choosing a semantic-cache setting by k-fold cross-validation, and scoring it only on the pairs left out.

A pair's *score* under a guard is the similarity (vector-set scale ``(1 + cos) / 2``) at which the cache served the
cached question's answer to the query, or ``None`` when it served nothing at any threshold (the guard refused, or
another partition). At threshold ``t`` a pair is served when its score is >= ``t``: a paraphrase served is a true
hit, a trap served is a wrong answer. A setting is (guard, threshold); on the training folds the setting with the
most true hits whose wrong-answer rate is at most ``budget`` wins (ties: the higher threshold, the later guard).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLDS = tuple(round(0.70 + 0.005 * i, 3) for i in range(60))
"""The thresholds considered: 0.700, 0.705 ... 0.995."""
TRAIN_BUDGET = 0.02
"""Largest wrong-answer rate on the training folds a chosen setting may have (fixed before any measurement)."""
FOLDS = 5


@dataclass(frozen=True)
class Scored:
    """One labelled pair and its score under each guard, by guard name (``None``: never served)."""

    id: str
    category: str
    hit: bool
    scores: dict[str, float | None]


@dataclass(frozen=True)
class Setting:
    """A guard (by name) and a threshold."""

    guard: str
    threshold: float


@dataclass(frozen=True)
class Rates:
    """True hits / paraphrases, wrong answers / traps, and wrong answers by trap kind (counts), over some pairs."""

    true_hits: int
    paraphrases: int
    wrong: int
    traps: int
    wrong_by_kind: dict[str, int]
    traps_by_kind: dict[str, int]

    @property
    def hit_rate(self) -> float:
        """Share of paraphrases served (0 when there are none)."""
        return self.true_hits / self.paraphrases if self.paraphrases else 0.0

    @property
    def wrong_rate(self) -> float:
        """Share of traps served (0 when there are none)."""
        return self.wrong / self.traps if self.traps else 0.0


def rates(pairs: Sequence[Scored], setting: Setting) -> Rates:
    """The rates of ``setting`` on ``pairs``."""
    hits = wrong = 0
    wrong_by_kind: Counter[str] = Counter()
    for pair in pairs:
        score = pair.scores[setting.guard]
        served = score is not None and score >= setting.threshold - 1e-9
        if served and pair.hit:
            hits += 1
        elif served:
            wrong += 1
            wrong_by_kind[pair.category] += 1
    traps_by_kind = Counter(p.category for p in pairs if not p.hit)
    paraphrases = sum(p.hit for p in pairs)
    return Rates(hits, paraphrases, wrong, len(pairs) - paraphrases, dict(wrong_by_kind), dict(traps_by_kind))


def choose(pairs: Sequence[Scored], guards: Sequence[str], budget: float = TRAIN_BUDGET) -> Setting:
    """The setting with the most true hits on ``pairs`` whose wrong-answer rate is at most ``budget``."""
    best: tuple[float, float, int] | None = None
    for rank, guard in enumerate(guards):
        for threshold in THRESHOLDS:
            r = rates(pairs, Setting(guard, threshold))
            if r.wrong_rate <= budget + 1e-12:
                key = (r.hit_rate, threshold, rank)
                best = key if best is None or key > best else best
    if best is None:  # no threshold meets the budget: the strictest setting
        return Setting(guards[-1], THRESHOLDS[-1])
    return Setting(guards[best[2]], best[1])


def fold_of(pair_id: str, folds: int = FOLDS) -> int:
    """A pair's fold: a stable hash of its id (the same on every run and machine)."""
    return int.from_bytes(hashlib.blake2b(pair_id.encode("utf-8"), digest_size=4).digest(), "little") % folds


def add(a: Rates, b: Rates) -> Rates:
    """Two disjoint sets of pairs' rates, pooled."""
    return Rates(
        a.true_hits + b.true_hits,
        a.paraphrases + b.paraphrases,
        a.wrong + b.wrong,
        a.traps + b.traps,
        dict(Counter(a.wrong_by_kind) + Counter(b.wrong_by_kind)),
        dict(Counter(a.traps_by_kind) + Counter(b.traps_by_kind)),
    )


def cross_validate(
    pairs: Sequence[Scored], guards: Sequence[str], budget: float = TRAIN_BUDGET, folds: int = FOLDS
) -> tuple[Rates, list[Setting]]:
    """Held-out rates pooled over the folds (each fold scored with the setting chosen on the others), and the
    setting each fold chose."""
    pooled = Rates(0, 0, 0, 0, {}, {})
    chosen = []
    for fold in range(folds):
        train = [p for p in pairs if fold_of(p.id, folds) != fold]
        test = [p for p in pairs if fold_of(p.id, folds) == fold]
        setting = choose(train, guards, budget)
        chosen.append(setting)
        pooled = add(pooled, rates(test, setting))
    return pooled, chosen
