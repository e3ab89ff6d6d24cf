"""Training: a router fitted on outcomes beats the default on a held-out split of its own distribution; the
artefact is versioned JSON that loads in one line (registry, RoutedChatBedrock, ``load()``)."""

from __future__ import annotations

import json

import pytest

from langchain_bedrock_routing.cli import main
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.learning import CalibrationTarget, Outcome, from_pairs, train_router
from langchain_bedrock_routing.learning.train import split_of
from langchain_bedrock_routing.routing import RoutedChatBedrock
from langchain_bedrock_routing.routing.classifiers import TrainedClassifier, resolve_classifier
from langchain_bedrock_routing.routing.classifiers.trained import FORMAT


def test_trained_router_beats_the_default_on_held_out_rows(synthetic):
    records = from_pairs(synthetic)
    report = train_router(records)
    assert sum(report.rows.values()) == len(records)
    test_texts = {o.text for o in records if split_of(o) == "test"}
    train_texts = {o.text for o in records if split_of(o) == "train"}
    assert test_texts
    assert not test_texts & train_texts
    assert report.rows["test"] == len(test_texts)
    assert report.apgr["trained"] > report.apgr["default heuristic"] + 0.1
    assert report.apgr["trained"] > report.apgr["prompt length"] + 0.1
    assert report.target_met
    assert report.test.recovered > 0.6
    assert report.test.cost_per_1k < report.single_tier["complex"][1]


def test_artefact_is_small_versioned_json_and_loads_in_one_line(tmp_path, synthetic, emulator):
    report = train_router(from_pairs(synthetic), source="pairs.jsonl")
    path = tmp_path / "router.json"
    report.classifier.save(path)
    data = json.loads(path.read_text("utf-8"))
    assert data["format"] == FORMAT
    assert data["embeddings"] == {"kind": "hashing", "dimensions": 1024}
    assert data["thresholds"] == report.chosen.thresholds.model_dump()
    assert data["metadata"]["training"]["source"] == "pairs.jsonl"
    assert data["metadata"]["calibration"]["test_apgr"]["trained"] == round(report.apgr["trained"], 4)
    assert path.stat().st_size < 40_000

    loaded = resolve_classifier(f"trained:{path}")
    assert isinstance(loaded, TrainedClassifier)
    prompts = ["Tell me about quantum error correction. (ticket 9001)", "Tell me about pancake recipes. (ticket 9002)"]
    hard, easy = (loaded.invoke(p) for p in prompts)
    trained = [report.classifier.invoke(p) for p in prompts]
    assert [hard.tier, easy.tier] == [d.tier for d in trained]
    assert [hard.score, easy.score] == pytest.approx([d.score for d in trained], abs=1e-5)  # weights kept to 6 places
    assert hard.score > easy.score
    assert hard.classifier == "trained"

    llm = RoutedChatBedrock(region_name="us-east-1", endpoint_url=emulator.endpoint_url, classifier=f"trained:{path}")
    answer = llm.invoke(prompts[0])
    assert answer.response_metadata["routing"]["classifier"] == "trained"
    assert answer.response_metadata["routing"]["requested_tier"] == hard.tier


def test_load_refuses_other_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="bedrock-routing train"):
        TrainedClassifier.load(tmp_path / "missing.json")
    other = tmp_path / "other.json"
    other.write_text('{"format": "embedding-complexity-classifier/1"}', "utf-8")
    with pytest.raises(ValueError, match="is not a trained router"):
        resolve_classifier(f"trained:{other}")
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps({"format": FORMAT, "embeddings": {"kind": "hashing", "dimensions": 8}}), "utf-8")
    with pytest.raises(ValueError, match=r"damaged trained router file .*'model'.*: train it again"):
        TrainedClassifier.load(damaged)
    damaged.write_text(
        json.dumps({"format": FORMAT, "embeddings": {"kind": "hashing", "dimensions": 8}, "thresholds": {},
                    "model": {"weights": "x", "bias": 0, "calibration": []}}),
        "utf-8",
    )  # fmt: skip
    with pytest.raises(ValueError, match="damaged trained router file"):
        TrainedClassifier.load(damaged)
    with pytest.raises(ValueError, match=r"trained:<router.json>"):
        resolve_classifier("trainedd")


def test_too_little_data_and_unmapped_keys_are_named():
    few = [Outcome.from_prompt(f"q {i}", {"simple": 1.0, "complex": 1.0}) for i in range(10)]
    with pytest.raises(ValueError, match="need at least 30 outcome records"):
        train_router(few)
    keyed = [Outcome.from_prompt(f"q {i}", {"mixtral": 0.0, "gpt-4": 1.0}) for i in range(60)]
    with pytest.raises(ValueError, match="--tier mixtral=simple"):
        train_router(keyed)
    report = train_router(keyed, tiers={"mixtral": "simple", "gpt-4": "complex"}, embeddings=HashingEmbeddings(64))
    labels = report.classifier.metadata["training"]["labels"]
    feedback = [Outcome.from_prompt(f"q {i}", {"simple": i % 2}) for i in range(60)]
    with pytest.raises(ValueError, match="use a strong-share or cost target"):
        train_router(feedback)
    assert train_router(feedback, target=CalibrationTarget("strong-share", 0.2)).chosen.shares[2] <= 0.2
    assert labels == {"simple": 0, "medium": 0, "complex": report.rows["train"]}


def test_cli_trains_on_an_unseen_pairs_file(tmp_path, pairs_file, capsys, emulator):
    out = tmp_path / "router.json"
    assert main(["train", str(pairs_file), "--pairs", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "APGR on the test split" in printed
    assert f'RoutedChatBedrock(classifier="trained:{out}")' in printed
    assert out.with_suffix(".png").stat().st_size > 10_000
    llm = RoutedChatBedrock(region_name="us-east-1", endpoint_url=emulator.endpoint_url, classifier=f"trained:{out}")
    assert llm.invoke("What about stochastic calculus?").response_metadata["routing"]["classifier"] == "trained"


def test_cli_names_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "outcomes": {"simple": 1}}\n{"prompt": "b"}\n', "utf-8")
    assert main(["train", str(bad)]) == 2
    assert f"error: {bad}:2: " in capsys.readouterr().out
    assert main(["train", str(bad), "--tier", "x=huge"]) == 2
    assert "--tier takes KEY=TIER" in capsys.readouterr().out


def test_titan_embeddings_against_the_emulator(tmp_path, synthetic, emulator):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(r) + "\n" for r in synthetic[:120]), "utf-8")
    out = tmp_path / "titan.json"
    args = ["train", str(pairs), "--pairs", "--out", str(out), "--embeddings", "titan", "--region", "us-east-1"]
    assert main([*args, "--endpoint-url", emulator.endpoint_url]) == 0
    data = json.loads(out.read_text("utf-8"))
    assert data["embeddings"] == {"kind": "bedrock", "model_id": "amazon.titan-embed-text-v2:0"}
    loaded = TrainedClassifier.load(out, region_name="us-east-1")  # endpoint from AWS_ENDPOINT_URL_BEDROCK_RUNTIME
    assert loaded.calls_models
    before = len(emulator.requests)
    assert loaded.invoke("What about naming a pet cat?").classifier == "trained"
    assert len(emulator.requests) == before + 1
