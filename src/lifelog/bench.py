"""``python -m lifelog.bench``: the benchmarks behind docs/benchmarks.md.

Each section prints its figures and the machine they came from, and compares
with a baseline measured in the same run where one exists (a ratio survives a
noisy machine; an absolute time does not).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .ingest import plan
from .memory import Memory
from .records import Item
from .retrieval.filters import Filters

__all__ = ["machine", "main"]

Section = Callable[[Path], str]


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()},"
        f" Python {platform.python_version()}"
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _parse_only(root: Path) -> tuple[int, float]:
    """Baseline: the sources alone (detect + parse), nothing stored."""
    units, _unknown = plan([root])
    started = time.perf_counter()
    count = 0
    for unit in units:
        for record in unit.source.parse(unit.path):
            if isinstance(record, Item):
                count += 1
    return count, time.perf_counter() - started


def bench_ingest_and_search(work: Path, scale: float) -> str:
    from .samplelife import generate

    started = time.perf_counter()
    life = generate(work / "life", seed=1, scale=scale)
    generated = time.perf_counter() - started
    mb = life.total_bytes / 1e6
    print(f"sample life: {mb:.0f} MB in {len(life.files)} files, generated in {generated:.1f} s")

    parsed_items, parse_seconds = _parse_only(life.root)
    print(f"parse only: {parsed_items:,} items in {parse_seconds:.1f} s")

    with Memory.init(work / "memory") as memory:
        report = memory.ingest(life.root)
        stats = memory.stats()
        print(
            f"ingest: {report.items:,} items, {report.seconds:.1f} s,"
            f" {report.mb_per_s:.1f} MB/s, {report.items / report.seconds:,.0f} items/s"
        )
        again = memory.ingest(life.root, force=True)
        print(f"re-ingest unchanged (--force): {again.seconds:.1f} s")

        queries = _queries(memory, 100)
        lexical = _latencies(lambda q: memory.search(q, limit=10), queries)
        since = Filters(since=datetime(2022, 1, 1, tzinfo=UTC))
        filtered = _latencies(lambda q: memory.search(q, since, limit=10), queries)
        ask = _latencies(lambda q: memory.ask(q), queries[:30])
    lines = [
        "## Ingest and lexical search (issue 2)",
        "",
        "Command: `make bench` (`python -m lifelog.bench --scale "
        f"{scale:g}`), encrypted memory (key file), lexical index only.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| sample life | {mb:.0f} MB, {len(life.files)} files, {report.items:,} items |",
        f"| parse only (baseline: sources, nothing stored) | {parse_seconds:.1f} s,"
        f" {mb / parse_seconds:.1f} MB/s |",
        f"| ingest (parse + dedup + chunk + store + FTS5) | {report.seconds:.1f} s,"
        f" **{report.mb_per_s:.1f} MB/s**, **{report.items / report.seconds:,.0f} items/s** |",
        f"| ingest ÷ parse-only time | {report.seconds / parse_seconds:.2f}× |",
        f"| re-ingest of the unchanged life (`--force`) | {again.seconds:.1f} s |",
        f"| store size on disk | {stats.db_bytes / 1e6:.0f} MB ({stats.chunks:,} chunks) |",
        f"| search p50 / p95 (100 queries, top 10) | {_ms(lexical, 50)} / **{_ms(lexical, 95)}** |",
        f"| search with a date filter p50 / p95 | {_ms(filtered, 50)} / {_ms(filtered, 95)} |",
        f"| ask (retrieve + extractive answer) p50 / p95 (30 questions) | {_ms(ask, 50)} /"
        f" {_ms(ask, 95)} |",
        "",
        "Targets: ingest ≥ 10 MB/s, search p95 ≤ 50 ms on a 2-core machine.",
    ]
    return "\n".join(lines)


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.1f} ms"


def _queries(memory: Memory, count: int) -> list[str]:
    """Realistic queries: two or three words drawn from stored items, deterministic."""
    rng = random.Random(42)
    texts = [
        row[0]
        for row in memory.store.conn.execute(
            "SELECT text FROM items WHERE length(text) > 80 ORDER BY rowid LIMIT 2000"
        )
    ]
    words = [w.strip(".,!?;:()\"'") for t in texts for w in t.split()]
    words = [w for w in words if len(w) > 4 and w.isalpha()]
    queries = []
    for _ in range(count):
        queries.append(" ".join(rng.choice(words) for _ in range(rng.choice((1, 2, 3)))))
    return queries


def _latencies(fn: Callable[[str], object], queries: list[str]) -> list[float]:
    fn(queries[0])  # warm the caches once
    times = []
    for query in queries:
        started = time.perf_counter()
        fn(query)
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown here")
    parser.add_argument("--scale", type=float, default=80.0, help="sample life size knob")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    sections = [f"Machine: {machine()}  \nDate: {datetime.now(UTC):%Y-%m-%d}"]
    with tempfile.TemporaryDirectory(dir=args.work) as scratch:
        sections.append(bench_ingest_and_search(Path(scratch), args.scale))
    text = "\n\n".join(sections) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        header = "# Benchmarks\n\nRegenerate with `make bench`.\n\n"
        extra = sorted(args.out.parent.glob("benchmarks-*.md"))
        parts = [header, text]
        for path in extra:
            parts.append("\n" + path.read_text())
        args.out.write_text("".join(parts))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
