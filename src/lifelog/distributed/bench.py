"""``python -m lifelog.distributed.bench``: ingest+embed throughput and query latency of
the distributed backend with 1 and 2 CPU-limited workers, on Ray and, for comparison,
on Dask distributed; prints a Markdown table (docs/scale.md quotes it).

The workload is ``--lives`` sample lives (seeds 1, 2, ...) of ``--scale`` each, so
that there are several large mailboxes to place (a file goes whole to one shard). Each
worker is pinned to one core; the head (Ray's GCS, Dask's scheduler) and this driver
are not. The same :class:`~lifelog.distributed.shard.Shard` does the work on both
engines: only scheduling, data movement and failure handling differ.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..ingest import plan
from ..memory import Memory
from ..samplelife import generate
from .keys import shard_key, wrap_key
from .localcluster import _free_port, node_processes
from .plan import ShardFile, place_files
from .shard import Shard

SECRET = bytes(range(32))
#: every shard first ingests a small sample life (untimed), so that what is timed is the
#: steady state: a new shard's process imports the sources and loads the embedding
#: model on its first ingest (measured apart, as the first ingest's extra seconds)
WARM = "warm"


@dataclass(slots=True)
class Run:
    engine: str
    workers: int
    startup_s: float
    #: seconds of each ingest (a fresh memory each time)
    ingest_times: list[float]
    #: CPU seconds the workers used for each ingest, all of them together
    cpu_times: list[float]
    items: int
    mb: float
    query_ms: list[float]
    db_bytes: int = 0
    chars: int = 0

    @property
    def ingest_s(self) -> float:
        return statistics.median(self.ingest_times)

    @property
    def cpu_s(self) -> float:
        return statistics.median(self.cpu_times)

    def row(self) -> str:
        p50 = statistics.median(self.query_ms)
        p95 = sorted(self.query_ms)[max(0, int(len(self.query_ms) * 0.95) - 1)]
        return (
            f"| {self.engine} | {self.workers} | {self.startup_s:.1f} | {self.ingest_s:.1f}"
            f" ({min(self.ingest_times):.1f}-{max(self.ingest_times):.1f}) |"
            f" {self.items / self.ingest_s:,.0f} | {self.mb / self.ingest_s:.2f} |"
            f" {p50:.0f} | {p95:.0f} | {self.cpu_s:.1f} | {self.items / self.cpu_s:,.0f} |"
        )


def cpu_seconds(roots: list[int]) -> float:
    """CPU time (user + system, with reaped children) of every process of the nodes
    started as ``roots``: what the workers really used, whatever else ran beside them."""
    ticks = 0
    for root in roots:
        for pid in node_processes(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def workload(root: Path, lives: int, scale: float) -> tuple[Path, list[str], float]:
    data = root / "lives"
    for seed in range(1, lives + 1):
        generate(data / f"life-{seed}", seed=seed, scale=scale)
    for seed in (101, 102):  # a small life for each shard to read first (see WARM)
        generate(root / "warm" / f"life-{seed}", seed=seed, scale=0.02)
    questions = [fact.question for fact in generate(root / "facts", scale=0.01).facts]
    units, _ = plan([data])
    return data, questions, sum(u.size for u in units) / 1e6


def _latencies(ask: Callable[[str], object], questions: list[str]) -> list[float]:
    """Milliseconds per question, each asked three times (after one warm-up round)."""
    for question in questions:
        ask(question)
    times: list[float] = []
    for question in questions * 3:
        started = time.perf_counter()
        ask(question)
        times.append((time.perf_counter() - started) * 1000)
    return times


def ray_run(
    data: Path, questions: list[str], workers: int, tmp: Path, mb: float, repeat: int
) -> Run:
    from .localcluster import LocalCluster
    from .memory import RayMemory, use_ray

    started = time.perf_counter()
    cluster = LocalCluster(workers=workers, worker_cpus=1, pin=[[n] for n in range(workers)])
    times: list[float] = []
    cpus: list[float] = []
    with cluster:
        startup = time.perf_counter() - started
        for attempt in range(repeat):
            home = tmp / f"ray-{workers}-{attempt}"
            Memory.init(home).close()
            use_ray(home, cluster.address, shards=workers)
            memory = Memory.open(home)
            assert isinstance(memory, RayMemory)
            memory.ingest(data.parent / WARM)
            roots = [node.process.pid for node in cluster.nodes.values() if node.cores]
            cpu = cpu_seconds(roots)
            started = time.perf_counter()
            report = memory.ingest(data)
            times.append(time.perf_counter() - started)
            cpus.append(cpu_seconds(roots) - cpu)
            if attempt < repeat - 1:
                memory.close()
        assert isinstance(memory, RayMemory)
        latencies = _latencies(memory.retrieve, questions)
        size, chars = memory.stats().db_bytes, memory.text_chars()
        memory.close()
    return Run("Ray", workers, startup, times, cpus, report.added, mb, latencies, size, chars)


def _dask_ingest(memory_id: str, n: int, root: str, paths: list[str]) -> tuple[int, list[int]]:
    shard = Shard(memory_id, n, root)
    shard.unlock(wrap_key(shard_key(SECRET, memory_id, n), shard.public_key(), n), {})
    try:
        added = shard.ingest(paths, False, True, False).added
        return added, sorted(os.sched_getaffinity(0))
    finally:
        shard.close()


def dask_run(
    data: Path, questions: list[str], workers: int, tmp: Path, mb: float, repeat: int
) -> Run:
    from dask.distributed import Client

    started = time.perf_counter()
    times: list[float] = []
    dask = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    scheduler = f"tcp://127.0.0.1:{port}"
    logs = tmp / f"dask-{workers}.log"
    processes: list[subprocess.Popen[bytes]] = []
    with open(logs, "wb") as log:
        processes.append(
            subprocess.Popen(
                [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port)]
                + ["--dashboard-address", ":0"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        for core in range(workers):  # like Ray's workers: a process each, pinned from birth
            processes.append(
                subprocess.Popen(
                    ["taskset", "-c", str(core), dask, "worker", scheduler, "--nthreads", "1"]
                    + ["--no-nanny", "--host", "127.0.0.1", "--dashboard-address", ":0"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    try:
        roots = [p.pid for p in processes[1:]]
        return _dask_measure(
            Client, scheduler, data, questions, workers, tmp, mb, repeat, started, times, roots
        )
    finally:
        for process in processes:
            for pid in node_processes(process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.wait(timeout=30)


def _dask_measure(
    client_class: Any,
    scheduler: str,
    data: Path,
    questions: list[str],
    workers: int,
    tmp: Path,
    mb: float,
    repeat: int,
    started: float,
    times: list[float],
    roots: list[int],
) -> Run:
    cpus: list[float] = []
    with client_class(scheduler, timeout=120) as client:
        client.wait_for_workers(workers, timeout=120)
        addresses = sorted(client.scheduler_info()["workers"])
        startup = time.perf_counter() - started
        units, _ = plan([data])
        placed = place_files([ShardFile(str(u.path), u.size) for u in units], workers)
        warm_units, _ = plan([data.parent / WARM])
        warm = place_files([ShardFile(str(u.path), u.size) for u in warm_units], workers)
        for attempt in range(repeat):
            memory_id = f"bench{attempt}"
            root = str(tmp / f"dask-{workers}")
            client.gather(
                [
                    client.submit(
                        _dask_ingest, memory_id, n, root, paths, workers=[addresses[n]], pure=False
                    )
                    for n, paths in warm.items()
                ]
            )
            cpu = cpu_seconds(roots)
            started = time.perf_counter()
            futures = [
                client.submit(
                    _dask_ingest, memory_id, n, root, paths, workers=[addresses[n]], pure=False
                )
                for n, paths in placed.items()
            ]
            done = client.gather(futures)
            times.append(time.perf_counter() - started)
            cpus.append(cpu_seconds(roots) - cpu)
            items = sum(added for added, _cores in done)
            assert all(len(cores) == 1 for _added, cores in done), done  # pinned
        # sharded search with Dask actors (not restarted when their worker dies)
        actors = [
            client.submit(Shard, memory_id, n, root, actor=True, workers=[addresses[n]]).result()
            for n in range(workers)
        ]
        for n, actor in enumerate(actors):
            actor.unlock(
                wrap_key(shard_key(SECRET, memory_id, n), actor.public_key().result(), n), {}
            ).result()

        def fan(question: str) -> None:
            from ..retrieval.filters import Filters

            futures = [a.retrieve(question, Filters(), None, 10, "hybrid") for a in actors]
            for future in futures:
                future.result()

        latencies = _latencies(fan, questions)
        for actor in actors:
            actor.close().result()
    return Run("Dask", workers, startup, times, cpus, items, mb, latencies)


def _pin_pid(pid: int, cores: list[int]) -> None:
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), cores)
        except OSError:
            pass


def parity(tmp: Path, scale: float, shards: int, merged: bool = False) -> str:
    """How often several shards give the embedded backend's hits and answers, on the
    sample life's fact questions. The shards run in this process (the ranking and the
    merge are those of the cluster, without its transport): two-phase retrieval
    (:mod:`lifelog.distributed.corpus`), or with ``merged`` each shard's own ranking
    merged by score (before two-phase retrieval, kept to measure the difference)."""
    from ..answer.extractive import extractive_answer
    from ..retrieval.filters import Filters
    from .corpus import retrieve_sharded
    from .plan import merge_hits

    life = generate(tmp / "parity-life", scale=scale)
    embedded = Memory.init(tmp / "parity-embedded")
    embedded.ingest(life.root)
    units, _ = plan([life.root])
    placed = place_files([ShardFile(str(u.path), u.size) for u in units], shards)
    held = []
    for n in range(shards):
        shard = Shard("parity", n, str(tmp / f"parity-{shards}"))
        shard.unlock(wrap_key(shard_key(SECRET, "parity", n), shard.public_key(), n), {})
        shard.ingest(placed.get(n, []), False, True, False)
        held.append(shard)
    top1 = order = answers = 0
    embedder = embedded.embedder()

    def ask(method: str, *args: Any, shards: list[int] | None = None) -> dict[int, Any]:
        wanted = range(len(held)) if shards is None else shards
        return {n: getattr(held[n], method)(*args) for n in wanted}

    for fact in life.facts:
        if merged:
            mine = merge_hits(
                {
                    n: s.retrieve(fact.question, Filters(), None, 10, "hybrid")
                    for n, s in enumerate(held)
                },
                10,
            )
        else:
            mine = retrieve_sharded(ask, embedder, fact.question, limit=10)
        theirs = embedded.retrieve(fact.question, limit=10)
        top1 += mine[0].item.id == theirs[0].item.id
        order += [h.item.id for h in mine] == [h.item.id for h in theirs]
        a, b = extractive_answer(fact.question, mine), extractive_answer(fact.question, theirs)
        answers += (a.text, [c.item.id for c in a.citations]) == (
            b.text,
            [c.item.id for c in b.citations],
        )
    sizes = [s.stats().items for s in held]
    total = len(life.facts)
    return (
        f"scale {scale}, {shards} shards holding {sizes} items: top hit the embedded"
        f" backend's {top1}/{total}, all ten hits in its order {order}/{total}, extractive"
        f" answer (text and cited items) identical {answers}/{total}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lifelog.distributed.bench")
    parser.add_argument("--lives", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--engines", default="ray,dask")
    parser.add_argument("--repeat", type=int, default=3, help="ingests per configuration")
    parser.add_argument(
        "--parity", metavar="SCALE:SHARDS", help="only compare hits and answers with N shards"
    )
    parser.add_argument(
        "--merged",
        action="store_true",
        help="with --parity: each shard ranks alone, hits merged by score (the old way)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("LIFELOG_LLM_MODEL", "none")
    if args.parity:
        scale, shards = args.parity.split(":")
        with tempfile.TemporaryDirectory(prefix="llparity-") as name:
            print(parity(Path(name), float(scale), int(shards), args.merged))
        return 0
    with tempfile.TemporaryDirectory(prefix="llbench-") as name:
        tmp = Path(name)
        data, questions, mb = workload(tmp, args.lives, args.scale)
        embedded = Memory.init(tmp / "embedded")
        started = time.perf_counter()
        report = embedded.ingest(data)
        local = time.perf_counter() - started
        embedded.close()
        runs: list[Run] = []
        for engine in args.engines.split(","):
            for workers in (1, 2):
                run = (ray_run if engine == "ray" else dask_run)(
                    data, questions, workers, tmp, mb, args.repeat
                )
                runs.append(run)
                print(run.row(), file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(
        f"workload: {args.lives} sample lives at scale {args.scale}: {mb:.1f} MB,"
        f" {report.added:,} items; embedded backend (no cluster, 2 cores):"
        f" {local:.1f} s, {report.added / local:,.0f} items/s; load average at the end"
        f" {load[0]:.1f} (other work on this machine)\n"
    )
    print(
        "| engine | workers (1 core each) | cluster start s | ingest+embed s, median (range)"
        " | items/s"
        " | MB/s | query p50 ms | query p95 ms | worker CPU s | items per worker CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        print(run.row())
    for run in runs:
        if run.chars:
            tokens = run.chars / 4  # about four characters a token (English, BPE)
            print(
                f"\nstorage ({run.engine}, {run.workers} shards): {run.db_bytes / 1e6:.1f} MB of"
                f" encrypted shards for {run.chars / 1e6:.1f} M characters indexed"
                f" (~{tokens / 1e6:.2f} M tokens): {run.db_bytes / tokens:.1f} bytes a token"
            )
    for engine in sorted({r.engine for r in runs}):
        mine = {r.workers: r for r in runs if r.engine == engine}
        if 1 in mine and 2 in mine:
            print(
                f"\n{engine}: worker CPU for the same work, 2 workers / 1 worker ="
                f" {mine[2].cpu_s / mine[1].cpu_s:.2f}"
            )
            print(f"\n{engine}: 2 workers / 1 worker = {mine[1].ingest_s / mine[2].ingest_s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
