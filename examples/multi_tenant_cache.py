"""Multi-tenant cache: two tenants share one Redis response cache and never see each other's answers.

What it shows: one RedisCache (exact) serves two tenants named per request with
config={"metadata": {"tenant_id": ...}}; the same question from the second tenant is a miss (its own
model call), and each tenant's repeat is a hit on its own entry. Uses REDIS_URL when set, else starts a
local redis-server (>= 8) for the run; with neither, it says so and exits with status 1.

Run offline (an in-process Bedrock emulator): .venv/bin/python examples/multi_tenant_cache.py
Against Amazon Bedrock: .venv/bin/python examples/multi_tenant_cache.py --live --region us-east-1
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import redis
from _bedrock import add_arguments, bedrock

from langchain_bedrock_routing import RedisCache, RoutedChatBedrock
from langchain_bedrock_routing.testing import RedisServer, RedisServerNotFoundError

NAMESPACE = "lbr-example-tenants"
QUESTION = "What is the refund window for Orbit Notes purchases?"


@contextmanager
def redis_url() -> Iterator[str]:
    """$REDIS_URL, or a local redis-server started for this run."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    with RedisServer() as server:
        print(f"REDIS_URL not set: started a local redis-server at {server.url}")
        yield server.url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    with ExitStack() as stack:
        try:
            url = stack.enter_context(redis_url())
        except RedisServerNotFoundError as exc:
            print(f"This example needs Redis: set REDIS_URL or install redis-server >= 8 ({exc}).")
            return 1
        cache = RedisCache(url, namespace=NAMESPACE)
        with bedrock(args) as (where, aws):
            print(f"Bedrock: {where}; cache: Redis at {url}, namespace {NAMESPACE}")
            model = RoutedChatBedrock(**aws, preset="nova", cache=cache, max_tokens=200)
            for tenant in ("acme", "globex", "acme", "globex"):
                answer = model.invoke(QUESTION, config={"metadata": {"tenant_id": tenant}})
                hit = answer.response_metadata.get("cache") or {}
                model_id = answer.response_metadata["model_name"]
                print(
                    f"tenant={tenant:<6} {'hit ' if hit.get('hit') else 'miss'} model={model_id} answer={answer.text!r}"
                )
        keys = redis.Redis.from_url(url).keys(f"{NAMESPACE}*")
        print(f"entries in Redis under {NAMESPACE}: {len(keys)} (one per tenant)")
        cache.clear()
    return 0


if __name__ == "__main__":
    sys.exit(main())
