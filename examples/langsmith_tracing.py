"""LangSmith tracing: routing, cache and cost figures on the run tree of a routed chain.

What it shows: BedrockLangSmithTracer (a LangChainTracer) sends the runs of prompt | RoutedChatBedrock
with each chat-model run's metadata["bedrock"] holding the routing decision (tier, model, score), the
cache result and the cost. With LANGSMITH_API_KEY set it traces to LangSmith; otherwise to a small
local stand-in HTTP server started here, whose received run tree is printed.

Run offline (an in-process Bedrock emulator): .venv/bin/python examples/langsmith_tracing.py
Against Amazon Bedrock: .venv/bin/python examples/langsmith_tracing.py --live --region us-east-1
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from _bedrock import add_arguments, bedrock
from langchain_core.prompts import ChatPromptTemplate
from langsmith import Client

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.callbacks import BedrockLangSmithTracer

INFO = {
    "version": "0.10.0",
    "batch_ingest_config": {
        "size_limit": 100,
        "size_limit_bytes": 20_971_520,
        "scale_up_qsize_trigger": 1000,
        "scale_up_nthreads_limit": 16,
        "scale_down_nempty_trigger": 4,
    },
    "instance_flags": {},
}
PROMPT = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "{question}")])


class StandIn(ThreadingHTTPServer):
    """A local LangSmith stand-in: answers GET /info, accepts run uploads and keeps every run it received."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.runs: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def merge(self, run_id: str, fields: dict[str, Any]) -> None:
        with self.lock:
            self.runs.setdefault(run_id, {}).update(fields)


class _Handler(BaseHTTPRequestHandler):
    server: StandIn

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._reply(200, INFO)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/runs/multipart"):
            head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            for part in BytesParser(policy=HTTP).parsebytes(head + body).iter_parts():
                name = part.get_param("name", header="content-disposition").split(".")
                value = json.loads(part.get_content())
                self.server.merge(name[1], value if len(name) == 2 else {name[2]: value})
        elif self.path.startswith("/runs/batch"):
            payload = json.loads(body)
            for run in [*payload.get("post", []), *payload.get("patch", [])]:
                self.server.merge(run["id"], run)
        self._reply(202, {})

    def do_PATCH(self) -> None:
        self.do_POST()


def print_tree(runs: dict[str, dict[str, Any]]) -> None:
    """Runs as an indented tree, with the routing figures of chat-model runs."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for run_id, run in runs.items():
        children.setdefault(run.get("parent_run_id"), []).append({"id": run_id, **run})

    def show(parent: str | None, depth: int) -> None:
        for run in sorted(children.get(parent, []), key=lambda r: r.get("dotted_order", "")):
            line = f"{'  ' * depth}- {run.get('run_type')}: {run.get('name')}"
            bedrock = ((run.get("extra") or {}).get("metadata") or {}).get("bedrock")
            if bedrock:
                r = bedrock["routing"]
                line += (
                    f"  [routing tier={r['tier']} model={bedrock['model_id']} score={r['score']:.2f} "
                    f"priority={r['priority']} cache_hit={bedrock['cache']['hit']} cost_usd={bedrock['cost_usd']:.6f}]"
                )
            print(line)
            show(run["id"], depth + 1)

    show(None, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    stand_in = None
    if os.environ.get("LANGSMITH_API_KEY"):
        client = Client()
        print("Tracing to LangSmith (LANGSMITH_API_KEY is set).")
    else:
        stand_in = StandIn()
        threading.Thread(target=stand_in.serve_forever, daemon=True).start()
        client = Client(api_url=stand_in.url, api_key="local-stand-in")
        print(f"LANGSMITH_API_KEY not set: tracing to a local LangSmith stand-in at {stand_in.url}")
    tracer = BedrockLangSmithTracer(client=client, project_name="bedrock-routing-example")
    with bedrock(args) as (where, aws):
        print(f"Bedrock: {where}")
        chain = (PROMPT | RoutedChatBedrock(**aws, preset="nova", max_tokens=200)).with_config(run_name="routed-qa")
        for question in ["What is 6 * 7?", "Explain exact and semantic caching and summarize when each one helps."]:
            answer = chain.invoke({"question": question}, config={"callbacks": [tracer]})
            print(f"Q: {question!r}\nA: {answer.text}")
    tracer.wait_for_futures()
    client.flush()
    if stand_in is not None:
        print("Run tree received by the stand-in:")
        print_tree(stand_in.runs)
        stand_in.shutdown()


if __name__ == "__main__":
    main()
