"""A throwaway local Redis Cluster: N primaries (optionally with replicas) on loopback, slots split evenly.

Each node is a :class:`RedisServer` with ``--cluster-enabled yes``, its own temp dir and an explicit
cluster bus port (the default, port + 10000, fails for the high ports the OS hands out). Slots are
assigned to the primaries with ``CLUSTER ADDSLOTSRANGE`` (Redis >= 7), every node joins with
``CLUSTER MEET``, and each replica follows its primary with ``CLUSTER REPLICATE``. ``start()``
returns once every node reports ``cluster_state:ok``, knows all the others and every replica is in
sync. Kill a primary (``primaries[i].kill()``) and :meth:`RedisClusterServers.wait_for_failover`
returns the replica the cluster promoted (automatic failover after ``node_timeout_ms``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import cast

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
    """``primaries`` cluster-enabled ``redis-server`` processes forming one cluster, each with ``replicas``
    replicas; a context manager.

    ``nodes`` lists the primaries first, then the replicas (replica ``j`` of primary ``i`` is
    ``nodes[primaries + i * replicas + j]``). ``node_timeout_ms`` is ``cluster-node-timeout``: how long a
    silent node takes to be marked failing, the main part of the failover time.
    """

    def __init__(
        self,
        primaries: int = 3,
        *,
        replicas: int = 0,
        binary: str | None = None,
        node_timeout_ms: int = 2000,
        startup_timeout_s: float = 30.0,
    ) -> None:
        if primaries < 1:
            raise ValueError(f"primaries must be >= 1, got {primaries!r}")
        if replicas < 0:
            raise ValueError(f"replicas (per primary) must be >= 0, got {replicas!r}")
        count = primaries * (1 + replicas)
        ports = _distinct_free_ports(2 * count)  # a client port and a cluster bus port per node
        self.nodes = [
            RedisServer(
                port=port,
                binary=binary,
                extra_args=(
                    *("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"),
                    *("--cluster-node-timeout", str(node_timeout_ms), "--cluster-port", str(bus_port)),
                    *("--repl-diskless-sync-delay", "0"),  # replicas sync at once, not after the 5 s default
                ),
            )
            for port, bus_port in zip(ports[::2], ports[1::2], strict=True)
        ]
        self.bus_ports = ports[1::2]
        self.replicas_per_primary = replicas
        self.startup_timeout_s = startup_timeout_s
        self._primary_count = primaries
        self._ids: dict[int, str] = {}

    @property
    def url(self) -> str:
        """URL of the first node; cluster clients discover the rest from it."""
        return self.nodes[0].url

    @property
    def primaries(self) -> list[RedisServer]:
        """The nodes started as primaries (holding the slots), in slot order."""
        return self.nodes[: self._primary_count]

    def replicas_of(self, primary: RedisServer) -> list[RedisServer]:
        """The nodes started as replicas of ``primary`` (one of :attr:`primaries`)."""
        index = self.primaries.index(primary)
        first = self._primary_count + index * self.replicas_per_primary
        return self.nodes[first : first + self.replicas_per_primary]

    def node_id(self, node: RedisServer) -> str:
        """The cluster node id of ``node`` (``CLUSTER MYID``, read once while it runs)."""
        if node.port not in self._ids:
            with node.client() as client:
                self._ids[node.port] = _text(client.cluster("MYID"))
        return self._ids[node.port]

    def start(self) -> RedisClusterServers:
        """Start every node, assign slot ranges, join them, attach replicas and wait until all is in sync."""
        for node in self.nodes:
            node.start()
        primaries = self.primaries
        bounds = [round(i * CLUSTER_SLOTS / len(primaries)) for i in range(len(primaries) + 1)]
        clients = [node.client() for node in self.nodes]
        try:
            for client, low, high in zip(clients, bounds, bounds[1:], strict=False):
                client.cluster("ADDSLOTSRANGE", low, high - 1)
            for node, bus_port in zip(self.nodes[1:], self.bus_ports[1:], strict=True):
                clients[0].cluster("MEET", node.host, node.port, bus_port)
            self._wait_until(lambda: self._all_known(clients), "every node to know the others")
            for primary in primaries:
                for replica in self.replicas_of(primary):
                    with replica.client() as client:
                        client.cluster("REPLICATE", self.node_id(primary))
            self._wait_until(lambda: self._settled(clients), "cluster_state:ok with every replica in sync")
        finally:
            for client in clients:
                client.close()
        return self

    def _wait_until(self, done: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {self.startup_timeout_s}s for {what}")
            time.sleep(0.05)

    def _all_known(self, clients: list[redis.Redis]) -> bool:
        return all(_cluster_info(c).get("cluster_known_nodes") == str(len(self.nodes)) for c in clients)

    def _settled(self, clients: list[redis.Redis]) -> bool:
        if not all(_cluster_info(c).get("cluster_state") == "ok" and self._all_known([c]) for c in clients):
            return False
        if not all(_replica_in_sync(client) for client in clients[self._primary_count :]):
            return False
        # every node must see every replica attached to its primary, or a failover could not be agreed
        expected = {self.node_id(r): self.node_id(p) for p in self.primaries for r in self.replicas_of(p)}
        return all(_replica_map(c, expected) for c in clients)

    def wait_for_failover(self, failed: RedisServer, timeout_s: float = 30.0) -> RedisServer:
        """Wait until a replica of the (killed) primary ``failed`` is promoted and every running node reports
        ``cluster_state:ok``; returns the promoted node. ``TimeoutError`` if that takes over ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            promoted = [r for r in self.replicas_of(failed) if r.running and _role(r) == "master"]
            live = [n for n in self.nodes if n.running]
            if promoted and all(_node_state_ok(n) for n in live):
                return promoted[0]
            time.sleep(0.05)
        raise TimeoutError(f"no replica of the primary on port {failed.port} was promoted within {timeout_s}s")

    def client(self, **kwargs: object) -> redis.cluster.RedisCluster:
        """A redis-py cluster client bootstrapped from the first running node (it discovers the rest)."""
        node = next((n for n in self.nodes if n.running), self.nodes[0])
        return redis.cluster.RedisCluster(host=node.host, port=node.port, **kwargs)  # type: ignore[arg-type]

    def keys_per_node(self) -> list[list[bytes]]:
        """Every key each node holds (``KEYS *`` on each node, in ``nodes`` order): where entries landed."""
        keys: list[list[bytes]] = []
        for node in self.nodes:
            client = node.client()
            keys.append(cast("list[bytes]", client.keys("*")))  # node clients do not decode responses
            client.close()
        return keys

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


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _replica_in_sync(client: redis.Redis) -> bool:
    """A replica whose link to its primary is up and whose initial sync has finished."""
    info = client.info("replication")
    return (
        info.get("role") == "slave"
        and info.get("master_link_status") == "up"
        and int(info.get("master_sync_in_progress", 1)) == 0
    )


def _replica_map(client: redis.Redis, expected: dict[str, str]) -> bool:
    """True when ``client``'s node sees each replica id of ``expected`` as a replica of the mapped primary id."""
    nodes = client.cluster("NODES")
    seen = {
        str(node["node_id"]): str(node["master_id"])
        for node in (nodes.values() if isinstance(nodes, dict) else [])
        if "slave" in str(node.get("flags", "")).split(",")
    }
    return all(seen.get(replica) == primary for replica, primary in expected.items())


def _role(node: RedisServer) -> str:
    try:
        with node.client(socket_timeout=1.0) as client:
            return _text(client.role()[0])
    except redis.RedisError:
        return "unknown"


def _node_state_ok(node: RedisServer) -> bool:
    try:
        with node.client(socket_timeout=1.0) as client:
            return _cluster_info(client).get("cluster_state") == "ok"
    except redis.RedisError:
        return False
