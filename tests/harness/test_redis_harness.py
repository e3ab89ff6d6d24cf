from __future__ import annotations

import redis

from langchain_bedrock_routing.testing import RedisServer


def test_real_redis_8_with_vector_sets(redis_client: redis.Redis) -> None:
    info = redis_client.info("server")
    assert int(str(info["redis_version"]).split(".")[0]) >= 8
    modules = {m[b"name"] for m in redis_client.execute_command("MODULE", "LIST")}
    assert b"vectorset" in modules
    redis_client.execute_command("VADD", "vs", "VALUES", 2, 1.0, 0.0, "a")
    assert redis_client.execute_command("VCARD", "vs") == 1


def test_server_restarts_on_the_same_port(own_redis_server: RedisServer) -> None:
    client = own_redis_server.client()
    client.set("k", "v")
    port = own_redis_server.port
    own_redis_server.kill()
    assert not own_redis_server.running
    own_redis_server.start()
    assert own_redis_server.port == port
    assert own_redis_server.client().ping()


def test_listens_on_loopback_only(redis_server: RedisServer) -> None:
    assert redis_server.host == "127.0.0.1"
    assert redis_server.url.startswith("redis://127.0.0.1:")
