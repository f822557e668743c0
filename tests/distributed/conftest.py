"""Shards without a cluster: the sample life ingested once into an embedded memory and,
file by file as the cluster would place them, into two shards held in this process.
With one: the loopback Ray cluster the test modules share (``loopback``)."""

from __future__ import annotations

import time
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


class SharedCluster:
    """The loopback Ray cluster the test modules share: a head and one worker of two
    CPUs (room for the two shards of one memory), each a ``ray start`` process group of
    its own. Started for the first test that asks for it and stopped after the last
    (:func:`pytest_runtest_teardown`), so the rest of the suite runs without it."""

    def __init__(self) -> None:
        self.running: Any = None

    def get(self) -> Any:
        if self.running is None:
            from lifelog.distributed.localcluster import LocalCluster

            running = LocalCluster(workers=1, worker_cpus=2)
            try:
                running.start()
            except BaseException:
                running.stop()
                raise
            self.running = running
        return self.running

    def stop(self) -> None:
        running, self.running = self.running, None
        if running is not None:
            running.stop()


SHARED = SharedCluster()


def _leftover_shards(running: Any, timeout: float = 60.0) -> list[str]:
    """Wait until every CPU of the cluster is free again (each shard's actor ended with
    the memory that opened it); the shard actors still there after ``timeout``, ended."""
    import ray

    running.connect()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ray.available_resources().get("CPU", 0.0) >= ray.cluster_resources().get("CPU", 0.0):
            return []
        time.sleep(0.2)
    left = []
    for actor in ray.util.list_named_actors(all_namespaces=True):
        if "-shard-" in actor["name"]:
            left.append(actor["name"])
            ray.kill(ray.get_actor(actor["name"], namespace=actor["namespace"]))
    return left or ["(the CPUs of an actor with no name)"]


@pytest.fixture(scope="module")
def loopback() -> Iterator[Any]:
    """The shared loopback Ray cluster (:class:`SharedCluster`), for one test module:
    each memory the module opened on it must be closed by the module's end (its shards'
    actors end, and the next module's shards find room), or the module fails here."""
    pytest.importorskip("ray")
    running = SHARED.get()
    yield running
    if SHARED.running is running:
        left = _leftover_shards(running)
        if left:
            pytest.fail(f"shards left running on the loopback cluster: {', '.join(left)}")


@pytest.fixture(scope="module")
def own_cluster() -> None:
    """For a module that starts a cluster of its own (and kills its nodes): the shared
    one is stopped first, so that this machine never runs two and this process is a
    driver of its own cluster alone (a later module starts the shared one again)."""
    SHARED.stop()


def _needs_loopback(item: pytest.Item) -> bool:
    return "loopback" in getattr(item, "fixturenames", ())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the last test that uses the shared cluster (its fixtures torn down), stop it."""
    try:
        return (yield)
    finally:
        if _needs_loopback(item):
            later = item.session.items[item.session.items.index(item) + 1 :]
            if not any(_needs_loopback(i) for i in later):
                SHARED.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    SHARED.stop()  # a run stopped early (-x, an interrupt)


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
