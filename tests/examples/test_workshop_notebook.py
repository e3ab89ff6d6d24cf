"""``examples/workshop.ipynb`` executes top to bottom on a python3 kernel, offline (its own emulator), and shows
the three demonstrations and the final statistics."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).parents[2] / "examples"
NOTEBOOK = EXAMPLES / "workshop.ipynb"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _text(cell: nbformat.NotebookNode) -> str:
    parts = [output.get("text") or output.get("data", {}).get("text/plain", "") for output in cell.get("outputs", [])]
    return ANSI.sub("", "".join(parts))


def test_the_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_the_workshop_notebook_runs_offline_and_shows_each_demonstration():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    where = {"metadata": {"path": str(EXAMPLES)}}  # the notebook reads data/ next to it
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources=where).execute()
    _, caching, prompt_cache, routing, report = [_text(c) for c in notebook.cells if c.cell_type == "code"]

    results = re.findall(r"ms  (miss|exact hit|semantic hit)", caching)
    assert results == ["miss", "exact hit", "miss", "semantic hit"]

    tokens = [(int(w), int(r)) for w, r in re.findall(r"cache write +(\d+)  cache read +(\d+)", prompt_cache)]
    assert len(tokens) == 3
    assert tokens[0][0] >= 1000  # the handbook is written once
    assert tokens[0][1] == 0
    assert all(read >= 1000 and write < 100 for write, read in tokens[1:])  # and read by the next questions

    rows = re.findall(r"^(\w+) +(simple|medium|complex) +(\S+)", routing, re.M)
    assert {priority for priority, _, _ in rows} == {"cost", "balanced", "performance", "latency"}
    assert [tier for priority, tier, _ in rows if priority == "balanced"] == ["simple", "medium", "complex"]

    assert "Bedrock requests and cache" in report
    assert re.search(r"Cached responses +│ +2 \(exact 1, semantic 1\)", report)
    assert "Routing tiers" in report
