"""Rebuild ``evals/data/*.jsonl`` from local git snapshots of the public sources (see ``evals/data/NOTICE.md``).

    python -m evals.import_outcomes --arena-hard-auto GIT_DIR --alpaca-eval GIT_DIR --humaneval-results GIT_DIR

Each argument is a clone (or bare git directory) of the source repository; files are read at the
commits pinned below with ``git show``, so the output is the same on every machine. Nothing here
runs at evaluation time: ``make eval-router`` reads the committed JSONL files.

Every output row: ``prompt``, ``domain``, ``subject`` and the weak and strong model's outcome on it
as a score in [0, 1] (``weak_correct``, ``strong_correct``).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "data"
ARENA_COMMIT = "4a705dd6963f777aba2ae79259e3013934e6e012"
ALPACA_COMMIT = "cd543a149df89434d8a54582c0151c0b945c3d20"
HUMANEVAL_COMMIT = "5eac7809fcfedaafeef5cea7f0a5b37783e19704"
_RATE = re.compile(r"Passing runs: (\d+)<br />\s*Total runs: (\d+)")
_PROMPT = re.compile(r"## Prompt\n(?:Tokens: \d+\n)?(.*?)\n## ", re.DOTALL)


def _show(git_dir: str, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def arena_bench(git_dir: str) -> Iterator[dict[str, Any]]:
    """Arena-Bench-V1 (300 hard Chatbot Arena prompts): GPT-4 rates each answer 1-10 against a reference."""
    base = "data/arena-bench-v1"
    questions = {
        q["question_id"]: q["turns"][0] for q in _jsonl(_show(git_dir, ARENA_COMMIT, f"{base}/question.jsonl"))
    }

    def ratings(model: str) -> dict[str, float]:
        rows = _jsonl(_show(git_dir, ARENA_COMMIT, f"{base}/model_judgment/{model}.jsonl"))
        return {r["question_id"]: (float(r["score"]) - 1.0) / 9.0 for r in rows if str(r["score"]).isdigit()}

    weak, strong = ratings("Mixtral-8x7B-Instruct-v0.1"), ratings("gpt-4-turbo")
    for qid, prompt in questions.items():
        if qid in weak and qid in strong:
            yield _row(prompt, "chat", "arena-bench-v1", weak[qid], strong[qid])


def alpaca_eval(git_dir: str) -> Iterator[dict[str, Any]]:
    """AlpacaEval (805 instructions): GPT-4-Turbo's probability that gpt-3.5-turbo-1106 beats gpt-4-1106-preview."""
    path = "results/gpt-3.5-turbo-1106/weighted_alpaca_eval_gpt4_turbo/annotations.json"
    for item in json.loads(_show(git_dir, ALPACA_COMMIT, path)):
        if item["generator_1"] != "gpt4_1106_preview" or item.get("preference") is None:
            continue
        weak_wins = min(1.0, max(0.0, float(item["preference"]) - 1.0))
        yield _row(item["instruction"], "open-ended", item["dataset"], weak_wins, 1.0 - weak_wins)


def humaneval(git_dir: str) -> Iterator[dict[str, Any]]:
    """HumanEval (163 tasks): the share of 10 runs whose code passed the unit tests, per model."""
    for task in range(164):
        try:
            weak_page = _show(git_dir, HUMANEVAL_COMMIT, f"codellama-34b-instruct/{task}.md")
            strong_page = _show(git_dir, HUMANEVAL_COMMIT, f"gpt-4/{task}.md")
        except subprocess.CalledProcessError:
            continue  # the source skipped this task
        prompt = _PROMPT.search(strong_page)
        if prompt is None:
            raise ValueError(f"no prompt section in gpt-4/{task}.md")
        yield _row(prompt.group(1).strip(), "code", "humaneval", _rate(weak_page), _rate(strong_page))


def _rate(page: str) -> float:
    match = _RATE.search(page)
    if match is None:
        raise ValueError("no 'Passing runs / Total runs' lines in a HumanEval result page")
    return int(match.group(1)) / int(match.group(2))


def _row(prompt: str, domain: str, subject: str, weak: float, strong: float) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "domain": domain,
        "subject": subject,
        "weak_correct": round(weak, 4),
        "strong_correct": round(strong, 4),
    }


def _write(name: str, rows: Iterator[dict[str, Any]]) -> None:
    materialised = list(rows)
    with (OUT / name).open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in materialised)
    print(f"wrote {len(materialised)} rows to {OUT / name}")


def main(argv: list[str] | None = None) -> None:
    """Read the pinned source files and write one JSONL file per source."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--arena-hard-auto", required=True, help="git dir of lmarena/arena-hard-auto")
    parser.add_argument("--alpaca-eval", required=True, help="git dir of tatsu-lab/alpaca_eval")
    parser.add_argument("--humaneval-results", required=True, help="git dir of jamesmurdza/humaneval-results")
    args = parser.parse_args(argv)
    _write("arena_bench.jsonl", arena_bench(args.arena_hard_auto))
    _write("alpaca_eval.jsonl", alpaca_eval(args.alpaca_eval))
    _write("humaneval.jsonl", humaneval(args.humaneval_results))


if __name__ == "__main__":
    main()
