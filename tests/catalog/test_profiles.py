"""The catalog against the installed langchain-aws's model profiles, and ``make catalog`` (catalog.sync)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from langchain_bedrock_routing.catalog import ModelCatalog, UnknownModelError, get_catalog
from langchain_bedrock_routing.catalog.profiles import PROFILE_FIELDS, installed_profiles, snapshots
from langchain_bedrock_routing.catalog.sync import catalog_path, main

PROFILES = installed_profiles()
CHAT_IDS = sorted(mid for mid, raw in PROFILES.items() if raw.get("text_outputs", True))
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("model_id", CHAT_IDS)
def test_every_profile_id_resolves_with_its_profile(model_id: str) -> None:
    spec = get_catalog().get(model_id)
    raw = PROFILES[model_id]
    got = {name: getattr(spec, name) for name in PROFILE_FIELDS}
    expected = {
        "max_input_tokens": raw["max_input_tokens"],
        "max_output_tokens": raw.get("max_output_tokens", 4096),
        "tool_calling": bool(raw.get("tool_calling")),
        "image_inputs": bool(raw.get("image_inputs")),
        "pdf_inputs": bool(raw.get("pdf_inputs")),
    }
    assert got == expected
    assert spec.tier in ("simple", "medium", "complex")


def test_a_prefix_whose_profile_differs_keeps_its_own_capabilities() -> None:
    catalog = get_catalog()
    assert catalog.get("openai.gpt-5.6-luna").pdf_inputs is True
    assert catalog.get("global.openai.gpt-5.6-luna").pdf_inputs is False
    assert catalog.get("global.openai.gpt-5.6-luna").model_id == "openai.gpt-5.6-luna"
    assert catalog.get("us-gov.openai.gpt-oss-120b-1:0").max_input_tokens == 128_000
    assert catalog.get("openai.gpt-oss-120b-1:0").max_input_tokens == 131_072


def test_the_data_file_is_in_sync_with_the_installed_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert "in sync" in capsys.readouterr().out


def test_sync_adds_a_missing_model_with_unknown_prices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(catalog_path().read_text("utf-8"))
    del data["models"]["qwen.qwen3-32b-v1:0"]
    data["models"]["amazon.nova-micro-v1:0"]["profile"]["max_input_tokens"] = 1
    copy = tmp_path / "models.json"
    copy.write_text(json.dumps(data), "utf-8")
    assert main(["--check", "--path", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "+ qwen.qwen3-32b-v1:0" in out
    assert "~ amazon.nova-micro-v1:0: max_input_tokens 1 -> 128000" in out
    assert main(["--write", "--path", str(copy)]) == 0
    written = json.loads(copy.read_text("utf-8"))
    added = written["models"]["qwen.qwen3-32b-v1:0"]
    assert added["prices"]["input"] is None
    assert added["profile"]["max_input_tokens"] == 32_768
    assert written["models"]["amazon.nova-micro-v1:0"]["profile"]["max_input_tokens"] == 128_000
    assert written["models"]["amazon.nova-micro-v1:0"]["prices"]["input"] == 0.035
    assert main(["--check", "--path", str(copy)]) == 0


def test_snapshot_takes_the_base_profile_and_records_differing_prefixes() -> None:
    snaps = snapshots(PROFILES)
    assert "amazon.nova-premier-v1:0" not in PROFILES
    assert (
        snaps["amazon.nova-premier-v1:0"].profile["max_input_tokens"]
        == PROFILES["us.amazon.nova-premier-v1:0"]["max_input_tokens"]
    )
    assert snaps["openai.gpt-5.6-sol"].variants == {"global.": {"pdf_inputs": False}, "us.": {"pdf_inputs": False}}


def _run_with_old_langchain_aws(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` where ``langchain_aws.data._profiles`` cannot be imported, as in releases before it."""
    prelude = "import sys, langchain_aws\nsys.modules['langchain_aws.data._profiles'] = None\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", prelude + code], env=env, capture_output=True, text=True, timeout=60)


def test_catalog_loads_without_langchain_aws_profiles() -> None:
    code = (
        "from langchain_bedrock_routing.catalog import get_catalog\n"
        "spec = get_catalog().get('us.anthropic.claude-haiku-5-5')\n"
        "print(spec.max_input_tokens, spec.tool_calling)\n"
    )
    done = _run_with_old_langchain_aws(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1000000", "True"]


def test_sync_explains_an_old_langchain_aws() -> None:
    done = _run_with_old_langchain_aws("from langchain_bedrock_routing.catalog.sync import main; sys.exit(main())")
    assert done.returncode == 2
    assert "has no model profiles" in done.stderr
    assert "langchain-aws>=1.9.1" in done.stderr


def test_a_profiled_model_missing_from_the_catalog_says_how_to_add_it() -> None:
    data = json.loads(catalog_path().read_text("utf-8"))
    del data["models"]["qwen.qwen3-32b-v1:0"]
    with pytest.raises(
        UnknownModelError, match=r"'us\.qwen\.qwen3-32b-v1:0'.*synced from langchain-aws 1\.9\.1.*--write"
    ):
        ModelCatalog(data).get("us.qwen.qwen3-32b-v1:0")
    with pytest.raises(UnknownModelError) as unknown:
        ModelCatalog(data).get("acme.nope-v1")
    assert "synced from" not in str(unknown.value)
