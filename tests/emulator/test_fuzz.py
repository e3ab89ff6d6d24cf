"""Property test: malformed bodies always get a well-formed Bedrock error and never crash the server."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlparse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langchain_bedrock_routing.emulator import BedrockEmulator

_KNOWN_CODES = {"ValidationException", "ResourceNotFoundException"}
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_fields = st.sampled_from(["messages", "system", "inferenceConfig", "toolConfig", "role", "content", "text"])
_bodyish = st.dictionaries(_fields, _json, max_size=4)
_message_like = st.fixed_dictionaries(
    {"messages": st.lists(st.dictionaries(st.sampled_from(["role", "content"]), _json, max_size=2), max_size=3)}
)


def _post(conn: http.client.HTTPConnection, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    reply = conn.getresponse()
    return reply.status, dict(reply.getheaders()), reply.read()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=64),
        _json.map(lambda v: json.dumps(v).encode()),
        _bodyish.map(lambda v: json.dumps(v).encode()),
        _message_like.map(lambda v: json.dumps(v).encode()),
    ),
    operation=st.sampled_from(["converse", "converse-stream", "invoke"]),
    model=st.sampled_from(["anthropic.claude-3-haiku-20240307-v1:0", "amazon.titan-embed-text-v2:0", "nope%2Fx"]),
)
def test_malformed_bodies_get_well_formed_errors(emulator: BedrockEmulator, body: bytes, operation: str, model: str):
    url = urlparse(emulator.endpoint_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        status, headers, raw = _post(conn, f"/model/{model}/{operation}", body)
        if status == 200:  # the generator happened to build a valid request
            assert headers["Content-Type"] in ("application/json", "application/vnd.amazon.eventstream")
            return
        payload: Any = json.loads(raw)
        assert set(payload) == {"message"}
        assert isinstance(payload["message"], str)
        assert payload["message"]
        assert headers["x-amzn-ErrorType"].rstrip(":") in _KNOWN_CODES
        assert 400 <= status < 500
        conn.request("GET", "/_emulator/health")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
