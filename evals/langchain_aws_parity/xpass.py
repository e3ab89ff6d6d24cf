"""A pytest plugin that lists the tests marked xfail that passed (JUnit XML reports them as plain passes).

Load with ``-p evals.langchain_aws_parity.xpass``; node ids are appended, one a line, to ``$PARITY_XPASS_FILE``.
"""

from __future__ import annotations

import os

import pytest


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Record an unexpectedly passing xfail-marked test."""
    target = os.environ.get("PARITY_XPASS_FILE")
    if target and report.when == "call" and report.passed and hasattr(report, "wasxfail"):
        with open(target, "a", encoding="utf-8") as out:
            out.write(report.nodeid + "\n")
