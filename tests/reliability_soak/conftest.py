"""The soak's short forms, run once per session: semantic (400 requests) and exact (300), every extra phase."""

from __future__ import annotations

import pytest

from reliability.report import SoakReport
from reliability.soak import SoakConfig, run_soak


@pytest.fixture(scope="session")
def semantic_report() -> SoakReport:
    return run_soak(SoakConfig(requests=400, seed=11))


@pytest.fixture(scope="session")
def exact_report() -> SoakReport:
    return run_soak(SoakConfig(requests=300, seed=5, cache="exact"))
