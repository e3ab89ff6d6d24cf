"""Helpers for testing apps built on this package: a real local ``redis-server`` and the emulator."""

from langchain_bedrock_routing.testing.ports import free_port
from langchain_bedrock_routing.testing.redis_cluster import RedisClusterServers
from langchain_bedrock_routing.testing.redis_server import RedisServer, RedisServerNotFoundError, find_redis_server
from langchain_bedrock_routing.testing.waiting import wait_until

__all__ = [
    "RedisClusterServers",
    "RedisServer",
    "RedisServerNotFoundError",
    "find_redis_server",
    "free_port",
    "wait_until",
]
