"""Outcomes of a JUnit XML report, with failures grouped by cause (the first line of the error, digits folded)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_DIGITS = re.compile(r"\d+")
_HEX = re.compile(r"\b[0-9a-f]{8,}\b")


@dataclass
class Outcomes:
    """Counts of passed / failed / skipped / xfailed tests and the failing tests grouped by cause."""

    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    xfailed: list[str] = field(default_factory=list)
    xpassed: list[str] = field(default_factory=list)
    """Passed tests that upstream marks xfail (counted in ``passed`` too): real Bedrock is expected to fail them."""

    @property
    def ran(self) -> int:
        """Tests that ran against the emulator (passed + failed; skips and expected failures excluded)."""
        return len(self.passed) + len(self.failed)

    def causes(self) -> Counter[str]:
        """Failure count per cause."""
        return Counter(self.failed.values())

    def skip_reasons(self) -> Counter[str]:
        """Skip count per reason."""
        return Counter(self.skipped.values())

    def summary(self) -> str:
        """One line: passed/ran with the percentage, then failed, skipped, xfailed and xpassed."""
        rate = 100.0 * len(self.passed) / self.ran if self.ran else 0.0
        return (
            f"passed {len(self.passed)}/{self.ran} ({rate:.1f}%), failed {len(self.failed)}, "
            f"skipped {len(self.skipped)}, xfailed {len(self.xfailed)}, "
            f"xpassed {len(self.xpassed)} (of the passed: upstream expects real Bedrock to fail these)"
        )


def cause_of(message: str) -> str:
    """A failure's cause: its first non-empty line, ids and numbers folded so equal causes group together."""
    line = next((part.strip() for part in message.splitlines() if part.strip()), "(no message)")
    return _DIGITS.sub("N", _HEX.sub("<hex>", line))[:160]


def read_junit(path: Path, xpass: Path | None = None) -> Outcomes:
    """Parse pytest's ``--junitxml`` output and the xpass list written by :mod:`.xpass`."""
    outcomes = Outcomes()
    if xpass is not None and xpass.exists():
        outcomes.xpassed = xpass.read_text(encoding="utf-8").split()
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        skipped = case.find("skipped")
        if problem is not None:
            outcomes.failed[name] = cause_of(problem.get("message") or problem.text or "")
        elif skipped is not None and skipped.get("type") == "pytest.xfail":
            outcomes.xfailed.append(name)
        elif skipped is not None:
            outcomes.skipped[name] = cause_of(skipped.get("message") or "")
        else:
            outcomes.passed.append(name)
    return outcomes
