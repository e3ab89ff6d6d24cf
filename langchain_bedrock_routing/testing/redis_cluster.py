"""A throwaway local Redis Cluster: N primaries (no replicas) on loopback, slots split evenly.

Each node is a :class:`RedisServer` with ``--cluster-enabled yes``, its own temp dir and an explicit
cluster bus port (the default, port + 10000, fails for the high ports the OS hands out). Slots are
assigned with ``CLUSTER ADDSLOTSRANGE`` (Redis >= 7), the nodes joined with ``CLUSTER MEET``, and
``start()`` returns once every node reports ``cluster_state:ok`` and knows all the others.
"""

from __future__ import annotations

import time
from types import TracebackType

import redis
import redis.cluster

from langchain_bedrock_routing.testing.ports import free_port
from langchain_bedrock_routing.testing.redis_server import RedisServer

CLUSTER_SLOTS = 16384


def _cluster_info(client: redis.Redis) -> dict[str, str]:
    info = client.cluster("INFO")
    return {str(k): str(v) for k, v in info.items()} if isinstance(info, dict) else {}


def _distinct_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


class RedisClusterServers:
    """``primaries`` cluster-enabled ``redis-server`` processes forming one cluster; a context manager."""

    def __init__(
        self,
        primaries: int = 3,
        *,
        binary: str | None = None,
        node_timeout_ms: int = 2000,
        startup_timeout_s: float = 30.0,
    ) -> None:
        if primaries < 1:
            raise ValueError(f"primaries must be >= 1, got {primaries!r}")
        ports = _distinct_free_ports(2 * primaries)  # a client port and a cluster bus port per node
        self.nodes = [
            RedisServer(
                port=port,
                binary=binary,
                extra_args=(
                    *("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"),
                    *("--cluster-node-timeout", str(node_timeout_ms), "--cluster-port", str(bus_port)),
                ),
            )
            for port, bus_port in zip(ports[::2], ports[1::2], strict=True)
        ]
        self.bus_ports = ports[1::2]
        self.startup_timeout_s = startup_timeout_s

    @property
    def url(self) -> str:
        """URL of the first node; cluster clients discover the rest from it."""
        return self.nodes[0].url

    def start(self) -> RedisClusterServers:
        """Start every node, assign slot ranges, join them and wait for ``cluster_state:ok``."""
        for node in self.nodes:
            node.start()
        bounds = [round(i * CLUSTER_SLOTS / len(self.nodes)) for i in range(len(self.nodes) + 1)]
        clients = [node.client() for node in self.nodes]
        try:
            for client, low, high in zip(clients, bounds, bounds[1:], strict=False):
                client.cluster("ADDSLOTSRANGE", low, high - 1)
            for node, bus_port in zip(self.nodes[1:], self.bus_ports[1:], strict=True):
                clients[0].cluster("MEET", node.host, node.port, bus_port)
            self._wait_ok(clients)
        finally:
            for client in clients:
                client.close()
        return self

    def _wait_ok(self, clients: list[redis.Redis]) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        want = {"cluster_state": "ok", "cluster_known_nodes": str(len(clients))}
        while True:
            infos = [_cluster_info(c) for c in clients]
            if all(all(info.get(k) == v for k, v in want.items()) for info in infos):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"cluster not ok after {self.startup_timeout_s}s: {infos}")
            time.sleep(0.05)

    def client(self, **kwargs: object) -> redis.cluster.RedisCluster:
        """A redis-py cluster client bootstrapped from the first node."""
        return redis.cluster.RedisCluster(host=self.nodes[0].host, port=self.nodes[0].port, **kwargs)  # type: ignore[arg-type]

    def close(self) -> None:
        """Stop every node and remove their temp dirs."""
        for node in self.nodes:
            node.close()

    def __enter__(self) -> RedisClusterServers:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
