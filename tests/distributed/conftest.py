"""Shards without a cluster: the sample life ingested once into an embedded memory and,
file by file as the cluster would place them, into two shards held in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from lifelog import Memory
from lifelog.distributed.choice import use_ray
from lifelog.distributed.keys import shard_key, wrap_key
from lifelog.distributed.plan import Partial, ShardFile, place_files
from lifelog.distributed.shard import Shard
from lifelog.ingest import plan
from lifelog.samplelife import SampleLife, generate

SECRET = b"s" * 32


class InProcess:
    """The cluster's interface (``ask``, ``tell``) over shards held in this process;
    ``down`` shards do not answer reads, as a dead node's would not."""

    def __init__(self, shards: list[Shard], down: Sequence[int] = ()) -> None:
        self.shards = shards
        self.down = set(down)
        self.settings = type("Settings", (), {"shards": len(shards), "ingest_timeout": 60.0})()

    def ask(
        self, method: str, *args: Any, shards: Sequence[int] | None = None
    ) -> tuple[dict[int, Any], Partial]:
        wanted = range(len(self.shards)) if shards is None else shards
        gone = tuple(n for n in wanted if n in self.down)
        found = {n: getattr(self.shards[n], method)(*args) for n in wanted if n not in gone}
        return found, Partial(len(self.shards), gone, tuple("down" for _ in gone))

    def tell(self, method: str, *args: Any, shards: Sequence[int] | None = None) -> dict[int, Any]:
        return {n: getattr(self.shards[n], method)(*args) for n in range(len(self.shards))}

    def call(self, n: int, method: str, *args: Any, retry: bool, timeout: float) -> Any:
        return getattr(self.shards[n], method)(*args)

    def fan(
        self, work: Callable[[int], Any], *, retry: bool, shards: Sequence[int] | None = None
    ) -> tuple[dict[int, Any], Partial]:
        wanted = range(len(self.shards)) if shards is None else shards
        return {n: work(n) for n in wanted}, Partial(len(self.shards))

    def close(self) -> None:
        """The shards are the session's fixture's: left open."""


def ray_memory(home: Path, shards: list[Shard], down: Sequence[int] = ()) -> Any:
    from lifelog.distributed.memory import RayMemory

    if not (home / "memory.json").exists():
        Memory.init(home).close()
        use_ray(home, "127.0.0.1:1", shards=len(shards))
    memory = Memory.open(home)
    assert isinstance(memory, RayMemory)
    memory._cluster = InProcess(shards, down)  # type: ignore[assignment]  # no Ray here
    return memory


@pytest.fixture
def owner() -> Callable[..., Any]:
    """``owner(home, shards, down=())``: a ``RayMemory`` at ``home`` (made on first use)
    whose cluster is ``shards``, held in this process (no Ray)."""
    return ray_memory


def new_shards(root: Path, count: int, memory_id: str = "parity") -> list[Shard]:
    """``count`` new shards under ``root``, each sent its key as the cluster sends it."""
    shards = []
    for n in range(count):
        shard = Shard(memory_id, n, str(root))
        shard.unlock(wrap_key(shard_key(SECRET, memory_id, n), shard.public_key(), n), {})
        shards.append(shard)
    return shards


@pytest.fixture
def make_shards() -> Callable[..., list[Shard]]:
    """``make_shards(root, count, memory_id)``: new shards, keyed, held in this process."""
    return new_shards


@pytest.fixture(scope="session")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleLife, Memory, list[Shard]]:
    """The sample life (scale 0.3) in one embedded memory, and the same files in two
    shards. Tests that change them work on copies."""
    tmp = tmp_path_factory.mktemp("two-phase")
    life = generate(tmp / "life", scale=0.3)
    embedded = Memory.init(tmp / "embedded")
    embedded.ingest(life.root)
    units, _ = plan([life.root])
    placed = place_files([ShardFile(str(u.path), u.size) for u in units], 2)
    shards = new_shards(tmp / "shards", 2)
    for n, shard in enumerate(shards):
        shard.ingest(placed.get(n, []), False, True, False)
    return life, embedded, shards


@pytest.fixture(scope="module")
def loopback() -> Iterator[Any]:
    """A real Ray cluster on loopback for one test module: a head and one worker of two
    CPUs (room for two shards), each a ``ray start`` process group of its own."""
    pytest.importorskip("ray")
    from lifelog.distributed.localcluster import LocalCluster

    with LocalCluster(workers=1, worker_cpus=2) as running:
        yield running


def new_ray_memory(home: Path, address: str, shards: int = 2, **options: Any) -> Any:
    from lifelog.distributed.memory import RayMemory

    Memory.init(home).close()
    use_ray(home, address, shards=shards, **options)
    memory = Memory.open(home)
    assert isinstance(memory, RayMemory)
    return memory


@pytest.fixture(scope="module")
def on_ray() -> Callable[..., Any]:
    """``on_ray(home, address, shards=2, **options)``: a new memory at ``home`` whose
    items go to ``shards`` shards on the Ray cluster at ``address`` (a ``RayMemory``)."""
    return new_ray_memory
