"""JSONL audit log: routing decisions and cache events, prompt hashed unless asked."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from langchain_core.messages import AIMessage

from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback
from langchain_bedrock_routing.callbacks.audit import JsonlAuditLog

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SECRET = "my account number is 12345"
ROUTING = {
    "tier": "simple",
    "model_id": HAIKU,
    "classifier": "llm",
    "score": 0.2,
    "reason": f"user asks about '{SECRET}'",
    "priority": "cost",
    "attempts": [{"model_id": "anthropic.claude-3-5-sonnet-20240620-v1:0", "error": "ThrottlingException"}],
}


def _run(scripted, usage_of, log, throttling):
    routed = scripted(
        model_id=HAIKU,
        script=[AIMessage("ok", usage_metadata=usage_of(100, 10), response_metadata={"routing": ROUTING})],
    )
    hit = AIMessage("ok", usage_metadata=usage_of(100, 10), response_metadata={"cache": {"hit": True, "kind": "exact"}})
    cached = scripted(model_id=HAIKU, script=[hit])
    failing = scripted(model_id=HAIKU, script=[throttling()])
    with get_bedrock_stats_callback(sinks=[log]) as stats:
        routed.invoke(SECRET, {"metadata": {"tenant_id": "acme"}})
        cached.invoke(SECRET)
        with pytest.raises(Exception, match="ThrottlingException"):
            failing.invoke(SECRET)
    return stats


def test_lines_hash_the_prompt_by_default(tmp_path, scripted, usage_of, throttling):
    path = tmp_path / "audit.jsonl"
    log = JsonlAuditLog(path)
    stats = _run(scripted, usage_of, log, throttling)
    log.close()
    text = path.read_text()
    assert SECRET not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["event"] for line in lines] == ["model_call", "cache_hit", "error"]
    digest = "sha256:" + hashlib.sha256(f"Human: {SECRET}".encode()).hexdigest()
    assert {line["prompt_hash"] for line in lines} == {digest}
    routed, hit, failed = lines
    assert routed["tenant"] == "acme"
    assert routed["routing"]["tier"] == "simple"
    assert routed["routing"]["attempts"] == ROUTING["attempts"]
    assert "reason" not in routed["routing"]
    assert routed["failed_calls"] == [{"model_id": ROUTING["attempts"][0]["model_id"], "error": "ThrottlingException"}]
    assert routed["cost_usd"] == pytest.approx(stats.to_dict()["models"][HAIKU]["cost_usd"]["total"])
    assert hit["cache"] == {"hit": True, "kind": "exact", "similarity": None}
    assert (hit["cost_usd"], hit["billed_calls"]) == (0.0, [])
    assert hit["saved_usd"] == pytest.approx(routed["cost_usd"])
    assert (failed["error"], failed["tokens"], failed["cache"]) == ("ThrottlingException", None, None)


def test_keyed_hash_and_text_only_when_asked(tmp_path, scripted, usage_of, throttling):
    keyed = JsonlAuditLog(tmp_path / "keyed.jsonl", hash_key=b"k")
    _run(scripted, usage_of, keyed, throttling)
    keyed.close()
    expected = "hmac-sha256:" + hmac.new(b"k", f"Human: {SECRET}".encode(), hashlib.sha256).hexdigest()
    assert {json.loads(x)["prompt_hash"] for x in (tmp_path / "keyed.jsonl").read_text().splitlines()} == {expected}

    verbose = JsonlAuditLog(tmp_path / "verbose.jsonl", include_prompt=True)
    _run(scripted, usage_of, verbose, throttling)
    verbose.close()
    first = json.loads((tmp_path / "verbose.jsonl").read_text().splitlines()[0])
    assert first["prompt"] == f"Human: {SECRET}"
    assert first["routing"]["reason"] == ROUTING["reason"]
