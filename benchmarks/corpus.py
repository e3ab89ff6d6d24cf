"""Synthetic, deterministic support questions for the cache benchmarks: many distinct ones, and paraphrases.

``question(i)`` is unique for every ``i`` below :data:`CAPACITY` (a mixed-radix walk over word slots);
``paraphrase(i)`` asks the same thing in other words (a semantic hit), ``unrelated(i)`` something
no stored question asks (a miss).
"""

from __future__ import annotations

VERBS = (
    "reset", "rotate", "export", "import", "restore", "back up", "encrypt", "migrate", "resize", "monitor",
    "audit", "archive", "throttle", "replicate", "schedule", "delete", "rename", "share", "tag", "index",
)  # fmt: skip
NOUNS = (
    "password", "api key", "invoice", "database", "bucket", "queue", "dashboard", "report", "user role",
    "access token", "log stream", "snapshot", "webhook", "billing plan", "cluster", "dns record",
    "ssl certificate", "vpc subnet", "lambda function", "search index",
)  # fmt: skip
PLACES = (
    "the admin console", "the mobile app", "the cli", "terraform", "the rest api", "the python sdk",
    "the billing portal", "a ci pipeline", "the staging account", "the eu region",
)  # fmt: skip
CONDITIONS = (
    "after a failed deploy", "during business hours", "for a new hire", "before an audit",
    "when the quota is exceeded", "without downtime", "for a suspended account", "after a region outage",
    "on a shared team", "with read-only access", "for a large tenant", "after a merger",
    "when sso is enabled", "on the free tier", "for compliance", "in a disaster drill",
    "behind a proxy", "for a partner", "at midnight utc", "with two factor auth",
    "for the finance team", "during a migration", "on legacy hardware", "with a custom domain",
    "for a trial user",
)  # fmt: skip
UNRELATED = (
    "Write a haiku about {noun} and autumn rain number {i}",
    "Translate the word {noun} into Portuguese, variant {i}",
    "What year did the {i}th olympic games take place?",
)
CAPACITY = len(VERBS) * len(NOUNS) * len(PLACES) * len(CONDITIONS)


def _slots(i: int) -> tuple[str, str, str, str]:
    if not 0 <= i < CAPACITY:
        raise ValueError(f"question index must be in [0, {CAPACITY}), got {i}")
    i, verb = divmod(i, len(VERBS))
    i, noun = divmod(i, len(NOUNS))
    condition, place = divmod(i, len(PLACES))
    return VERBS[verb], NOUNS[noun], PLACES[place], CONDITIONS[condition]


def question(i: int) -> str:
    """The ``i``-th distinct stored question."""
    verb, noun, place, condition = _slots(i)
    return f"How do I {verb} the {noun} in {place} {condition}?"


def paraphrase(i: int) -> str:
    """The same question as :func:`question` ``(i)``, worded differently."""
    verb, noun, place, condition = _slots(i)
    return f"How can I {verb} my {noun} in {place} {condition}, please?"


def unrelated(i: int) -> str:
    """A question unlike any stored one."""
    return UNRELATED[i % len(UNRELATED)].format(noun=NOUNS[i % len(NOUNS)], i=i)
