"""A real Ray cluster on one machine, for the tests and the measurements: a head and
worker nodes, each its own ``ray start --block`` process group, on loopback.

Each worker can be pinned to CPU cores (``sched_setaffinity``, inherited by every
process the node starts), so that a worker is really limited to what it is given and
throughput per worker can be measured on a small machine. :meth:`LocalCluster.kill`
ends a node as a power cut would (SIGKILL to its whole process group); the head then
declares it dead within about two seconds (its health checks are made frequent here).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["LocalCluster", "Node"]

#: how often the head checks its nodes, and after how many misses one is dead
HEALTH = {
    "RAY_health_check_initial_delay_ms": "1000",
    "RAY_health_check_period_ms": "500",
    "RAY_health_check_timeout_ms": "500",
    "RAY_health_check_failure_threshold": "3",
}


def _free_port(taken: set[int] | None = None) -> int:
    """A port nothing listens on now, and none of ``taken`` (to which it is added): the
    system can hand out a port it gave a moment ago, and a node whose ports repeat
    exits at once ("gcs_server is trying to use a port number … used by other
    components"), while the test waits for it to join."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if taken is None:
            return port
        if port not in taken:
            taken.add(port)
            return port


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) of every process."""
    found: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                found[int(entry.name)] = (int(fields[1]), int(fields[2]))
            except (OSError, ValueError, IndexError):
                continue  # a process that ended meanwhile
    return found


def node_processes(root: int) -> list[int]:
    """The processes of the node ``ray start`` (pid ``root``) runs: its process group and
    every descendant (Ray starts some workers in sessions of their own)."""
    table = _processes()
    mine = {pid for pid, (_parent, group) in table.items() if group == root} | {root}
    grew = True
    while grew:
        more = {pid for pid, (parent, _group) in table.items() if parent in mine} - mine
        mine |= more
        grew = bool(more)
    return sorted(pid for pid in mine if pid in table)


def _pin_group(group: int, cores: Sequence[int]) -> None:
    """Pin every thread of every process in process group ``group`` to ``cores``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group:  # the fields after the name: state, ppid, pgrp
                continue
            for task in (entry / "task").iterdir():
                os.sched_setaffinity(int(task.name), cores)
        except (OSError, ValueError, IndexError):
            continue  # a process that ended meanwhile


@dataclass(slots=True)
class Node:
    name: str
    process: subprocess.Popen[bytes]
    cores: tuple[int, ...] | None
    log: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class LocalCluster:
    """``with LocalCluster(workers=2) as cluster: ... cluster.address``"""

    workers: int = 2
    #: logical CPUs each worker offers Ray (actors of shards take one each)
    worker_cpus: int = 2
    #: cores each worker is pinned to, in turn (``None``: not pinned)
    pin: Sequence[Sequence[int]] | None = None
    object_store_mb: int = 80
    nodes: dict[str, Node] = field(default_factory=dict)
    killed: set[str] = field(default_factory=set)
    _connected: bool = False

    def __post_init__(self) -> None:
        # short: Ray's Unix socket paths must stay under 108 bytes
        self.tmp = Path(tempfile.mkdtemp(prefix="llray-", dir="/tmp"))
        #: every port given to this cluster's nodes: never one twice
        self.ports: set[int] = set()
        self.port = _free_port(self.ports)
        self.address = f"127.0.0.1:{self.port}"
        self._ray = str(Path(sys.executable).with_name("ray"))

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _launch(self, name: str, args: list[str], cores: Sequence[int] | None) -> Node:
        log = self.tmp / f"{name}.log"
        env = {**os.environ, **HEALTH, "RAY_USAGE_STATS_ENABLED": "0"}
        pinned = tuple(cores) if cores else None
        ports = [
            f"--{flag}={_free_port(self.ports)}"
            for flag in (
                "node-manager-port",
                "object-manager-port",
                "dashboard-agent-listen-port",
                "dashboard-agent-grpc-port",
                "runtime-env-agent-port",
                "metrics-export-port",
            )
        ]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [self._ray, "start", "--block", "--disable-usage-stats", *ports, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        node = Node(name, process, pinned, log)
        self.nodes[name] = node
        return node

    def start(self) -> None:
        self._launch(
            "head",
            [
                "--head",
                f"--port={self.port}",
                "--node-ip-address=127.0.0.1",
                "--num-cpus=0",  # the head holds no shard
                "--include-dashboard=false",
                f"--object-store-memory={self.object_store_mb * 2**20}",
                f"--temp-dir={self.tmp / 'ray'}",
            ],
            None,
        )
        self.wait_for(1)
        for n in range(self.workers):
            self.add_worker(n)

    def add_worker(self, n: int) -> Node:
        """Start worker ``n`` and wait until it has joined; then pin it to its cores.

        A node is pinned once it runs (every thread of every process of its group; the
        workers its raylet starts later inherit it): Ray gives a node 30 s to register,
        which a node started on one busy core can miss."""
        cores = self.pin[n % len(self.pin)] if self.pin else None
        name = f"worker-{n}"
        for attempt in range(3):  # a node that missed its 30 s on a busy machine: again
            node = self._launch(
                name,
                [
                    f"--address={self.address}",
                    "--node-ip-address=127.0.0.1",
                    f"--num-cpus={self.worker_cpus}",
                    f"--object-store-memory={self.object_store_mb * 2**20}",
                    f"--resources={json.dumps({'lifelog_node_' + str(n): 1})}",
                ],
                cores,
            )
            try:
                self.wait_for(len(self.nodes) - len(self.killed))
                break
            except RuntimeError:
                if node.alive or attempt == 2:
                    raise
                os.replace(node.log, node.log.with_suffix(f".failed-{attempt}.log"))
        if node.cores:
            _pin_group(node.process.pid, node.cores)
        return node

    def connect(self) -> None:
        """Join this process to the cluster as its driver (once)."""
        import ray

        if not ray.is_initialized():
            ray.init(
                address=self.address,
                namespace="lifelog",
                logging_level=logging.ERROR,
                log_to_driver=False,
            )
            self._connected = True

    def alive_nodes(self) -> list[str]:
        """The node ids Ray holds alive."""
        import ray

        self.connect()
        nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]  # untyped in Ray
        return [str(n["NodeID"]) for n in nodes if n["Alive"]]

    def name_of(self, node_id: str) -> str:
        """Which of this cluster's nodes Ray knows as ``node_id`` (``head``, ``worker-N``)."""
        import ray

        self.connect()
        nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]  # untyped in Ray
        for node in nodes:
            if node["NodeID"] == node_id:
                resource: str
                for resource in node["Resources"]:
                    if resource.startswith("lifelog_node_"):
                        return "worker-" + resource.removeprefix("lifelog_node_")
                return "head"
        raise KeyError(node_id)

    def _head_listens(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1.0).close()
        except OSError:
            return False
        return True

    def wait_for(self, nodes: int, timeout: float = 120.0) -> None:
        """Until exactly ``nodes`` nodes are alive (head included)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [
                n.name for n in self.nodes.values() if not n.alive and n.name not in self.killed
            ]
            if dead:
                raise RuntimeError(f"ray nodes exited: {dead}; see {self.tmp}")
            if not self._connected and not self._head_listens():
                time.sleep(0.3)  # joining a head that is not up blocks for good in Ray
                continue
            if len(self.alive_nodes()) == nodes:
                return
            time.sleep(0.3)
        raise TimeoutError(f"{nodes} ray nodes not alive after {timeout:.0f} s; see {self.tmp}")

    def kill(self, name: str) -> None:
        """End node ``name`` at once, every process of it (SIGKILL to its group)."""
        node = self.nodes[name]
        for pid in node_processes(node.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        node.process.wait(timeout=30)
        self.killed.add(name)

    def stop(self) -> None:
        """Every node, workers first, then the temporary folder. Each node is asked to end
        (SIGTERM to its group, all at once) and the nodes are given two seconds in all;
        whatever of them is left is then killed (a head rarely ends by itself: given
        five seconds alone, it used them up at every test cluster's end here)."""
        if self._connected:
            import ray

            ray.shutdown()
            self._connected = False
        order = sorted(self.nodes.values(), key=lambda n: n.name == "head")
        processes = {n.name: node_processes(n.process.pid) for n in order if n.alive}
        for node in order:
            if node.alive:
                try:
                    os.killpg(node.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 2.0
        for node in order:
            try:
                node.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for node in order:
            for pid in processes.get(node.name, []):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                node.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)
