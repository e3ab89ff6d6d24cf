"""Train the shipped default weights of ``EmbeddingComplexityClassifier`` (offline, deterministic).

    python -m evals.train_embedding [data.jsonl] [--out path]

Trains on the training split only (``evals.data``: the held-out 30% is never seen) with the target
``(strong_correct - weak_correct + 1) / 2``: 1 where only the strong model is right, 0 where only
the weak one is, 0.5 where they agree. That ranks prompts by the expected gain of routing them to
the strong model, which is what APGR rewards.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from evals.data import DEFAULT_DATA, HELD_OUT_PERCENT, load_rows, split
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.routing.classifiers import embedding

DIMENSIONS = 1024
EPOCHS = 400
LEARNING_RATE = 2.0
L2 = 1e-3
SHIPPED = Path(embedding.__file__).with_name(embedding.DEFAULT_WEIGHTS)


def main(argv: list[str] | None = None) -> None:
    """Fit on the training split and write the weights file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="routing-eval JSONL")
    parser.add_argument("--out", default=str(SHIPPED), help="weights file to write (default: the shipped one)")
    args = parser.parse_args(argv)
    train, held_out = split(load_rows(args.data))
    started = time.perf_counter()
    classifier = embedding.EmbeddingComplexityClassifier(embeddings=HashingEmbeddings(DIMENSIONS))
    classifier.fit(
        [r.prompt for r in train],
        [(r.strong_correct - r.weak_correct + 1) / 2 for r in train],
        epochs=EPOCHS,
        learning_rate=LEARNING_RATE,
        l2=L2,
    )
    classifier.metadata = {
        "data": Path(args.data).name,
        "split": f"trained on the {100 - HELD_OUT_PERCENT}% training split ({len(train)} rows); "
        f"{len(held_out)} rows held out",
        "target": "(strong_correct - weak_correct + 1) / 2",
        "model": f"logistic regression, {EPOCHS} epochs, learning rate {LEARNING_RATE}, l2 {L2}",
        "embeddings": f"HashingEmbeddings({DIMENSIONS})",
    }
    classifier.save(args.out)
    print(f"trained on {len(train)} rows in {time.perf_counter() - started:.1f}s; wrote {args.out}")


if __name__ == "__main__":
    main()
