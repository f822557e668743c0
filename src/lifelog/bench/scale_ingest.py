"""``python -m lifelog.bench.scale_ingest``: ingest on every core, disk, forgetting at scale.

Measured on one generated sample life (:func:`lifelog.samplelife.generate`, ``--scale``
30 is about 100 MB and 300,000 items), each figure beside a baseline of the same run
(the machine is shared, so a ratio says more than a time):

- **ingest**: the records parsed once in this process, then inserted into a plain
  SQLite FTS5 table (unencrypted, the text stored in it: the *raw FTS5 insert*); the
  same records through the store's own write path (``Store.upsert_many``, encrypted:
  the *store path*); and ``Memory.ingest`` of the files with one parsing process and
  with one per core (``--workers``), lexical only, encrypted. Runs alternate; the best
  of ``--repeat`` is kept.
- **disk**: the memory's file against the items' text (UTF-8) and the raw FTS5 file.
- **forget**: ``Memory.forget`` of 100,000 items of the folder holding the most
  (WhatsApp at this sample's mix), then a check that none is left.
- **rebuild**: the word index rebuilt from the store after that
  (:func:`lifelog.index.rebuild.rebuild_words`, resumable, a commit per 20,000 items).

Writes Markdown with ``--out`` (docs/benchmarks-scale-ingest.md).
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..index.rebuild import rebuild_words
from ..ingest import BATCH_ITEMS, INGEST_WAL_PAGES, plan
from ..memory import Memory
from ..parseworker import workers_for
from ..records import Item
from ..store.db import INGEST_CACHE_KIB, Keying
from ..store.store import ItemRow, Store, item_row, prepared
from .report import machine

__all__ = ["main"]

MB = 1e6
#: the ``items`` columns whose stored bytes are reported
COLUMNS = ("text", "metadata", "uri", "origin", "people", "participants", "hash", "id", "title")
#: items forgotten by :func:`bench_forget` (issue 13: 100,000 in under 10 s)
FORGET_ITEMS = 100_000
#: CPU seconds of each run of the raw insert and of the store path, in this process
CPU: dict[str, list[float]] = {"raw": [], "store": [], "parse": []}


@dataclass(slots=True)
class Figures:
    mb: float = 0.0
    items: int = 0
    text_bytes: int = 0
    parse: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    raw_bytes: int = 0
    store_path: list[float] = field(default_factory=list)
    #: workers -> wall seconds of Memory.ingest
    ingest: dict[int, list[float]] = field(default_factory=dict)
    #: workers -> (CPU seconds of the writer, of the parsing processes) of the best run
    ingest_cpu: dict[int, tuple[float, float]] = field(default_factory=dict)
    db_bytes: int = 0
    #: bytes of ``items.text`` as stored (compressed or not)
    text_stored: int = 0
    #: bytes of each of the largest ``items`` columns as stored
    columns: dict[str, int] = field(default_factory=dict)
    forget: dict[str, float] = field(default_factory=dict)
    #: a memory holding the sample life, left by the ingest runs
    kept: Path | None = None
    rebuild: dict[str, float] = field(default_factory=dict)


def _parse(root: Path) -> tuple[list[list[ItemRow]], float]:
    """Every item of ``root`` as the rows the store writes, by file (as the parsing
    processes make them, word index rows included); and the seconds it took."""
    started, cpu = time.perf_counter(), time.process_time()
    units, _unknown = plan([root])
    files = []
    for unit in units:
        rows = [
            prepared(item_row(record))
            for record in unit.source.parse(unit.path)
            if isinstance(record, Item)
        ]
        files.append(rows)
    CPU["parse"].append(time.process_time() - cpu)
    return files, time.perf_counter() - started


def _batches(files: list[list[ItemRow]]) -> list[tuple[int, list[ItemRow]]]:
    return [
        (number, rows[at : at + BATCH_ITEMS])
        for number, rows in enumerate(files)
        for at in range(0, len(rows), BATCH_ITEMS)
    ]


def raw_fts5(path: Path, files: list[list[ItemRow]]) -> float:
    """The baseline: the same records into one plain FTS5 table, a transaction a batch."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE VIRTUAL TABLE items USING fts5"
        " (id UNINDEXED, source UNINDEXED, ts UNINDEXED, title, people, text)"
    )
    started, cpu = time.perf_counter(), time.process_time()
    for _number, rows in _batches(files):
        with conn:
            conn.executemany(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)",
                [(r.id, r.source, r.ts, r.title, r.people, r.text) for r in rows],
            )
    seconds = time.perf_counter() - started
    CPU["raw"].append(time.process_time() - cpu)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return seconds


def store_path(path: Path, files: list[list[ItemRow]]) -> float:
    """The same records through the store's write path, encrypted, as ingest batches them."""
    store = Store.open_keyed(path, Keying(raw_key=secrets.token_hex(32)))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        with store.cache(INGEST_CACHE_KIB), store.checkpoint_every(INGEST_WAL_PAGES):
            for number, rows in _batches(files):
                store.upsert_many([(f"/file/{number}", rows)], run_id=None)
        CPU["store"].append(time.process_time() - cpu)
        return time.perf_counter() - started
    finally:
        store.close()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ingest(home: Path, root: Path, workers: int, cpu: list[float]) -> float:
    """``Memory.ingest`` of ``root`` with ``workers`` parsing processes: its wall time;
    the CPU seconds of this process and of the parsing processes go to ``cpu``."""
    os.environ["LIFELOG_PARSE_WORKERS"] = str(workers)
    with Memory.init(home) as memory:
        started, own, children = time.perf_counter(), time.process_time(), _children_cpu()
        memory.ingest(root, embed=False)
        seconds = time.perf_counter() - started
        cpu[:] = [time.process_time() - own, _children_cpu() - children]
        return seconds


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def bench_ingest(work: Path, root: Path, figures: Figures, repeat: int, workers: int) -> None:
    files, seconds = _parse(root)
    figures.parse.append(seconds)
    figures.items = sum(len(rows) for rows in files)
    figures.text_bytes = sum(len(r.text.encode("utf-8")) for rows in files for r in rows)
    print(f"parse only: {figures.items:,} items in {seconds:.1f} s", flush=True)
    counts = sorted({1, workers})
    cpu: list[float] = []
    for turn in range(repeat):
        runs: list[tuple[str, Callable[[Path], float]]] = [
            ("raw", lambda p: raw_fts5(p / "raw.db", files)),
            ("store", lambda p: store_path(p / "store.db", files)),
            *[(f"ingest{n}", lambda p, n=n: ingest(p / "memory", root, n, cpu)) for n in counts],
        ]
        if turn % 2:
            runs.reverse()  # alternate the order: the machine is shared
        for name, run in runs:
            place = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=work))
            took = run(place)
            note = ""
            if name == "raw":
                figures.raw.append(took)
                figures.raw_bytes = _size(place / "raw.db")
            elif name == "store":
                figures.store_path.append(took)
            else:
                count = int(name[6:])
                best = figures.ingest.setdefault(count, [])
                if not best or took < min(best):
                    figures.ingest_cpu[count] = (cpu[0], cpu[1])
                best.append(took)
                figures.db_bytes = _size(place / "memory" / "lifelog.db")
                note = f" (CPU: writer {cpu[0]:.1f} s, parsing {cpu[1]:.1f} s)"
            print(f"  run {turn + 1} {name}: {took:.2f} s{note}", flush=True)
            if name == f"ingest{counts[-1]}" and turn == repeat - 1:
                figures.kept = place / "memory"  # forgotten from by bench_forget
            else:
                _remove(place)


def _remove(place: Path) -> None:
    for path in sorted(place.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()
    place.rmdir()


def bench_forget(work: Path, root: Path, figures: Figures) -> None:
    """Forget ``FORGET_ITEMS`` items of the folder holding the most (as ``lifelog forget``
    does: the store, the people, the vectors, the write-ahead log); check that nothing of
    them is left."""
    home = figures.kept
    if home is None:
        home = work / "forget"
        with Memory.init(home) as memory:
            memory.ingest(root, embed=False)
    with Memory.open(home) as memory:
        conn = memory.store.conn
        for column in COLUMNS:
            figures.columns[column] = int(
                conn.execute(f"SELECT sum(length(CAST({column} AS BLOB))) FROM items").fetchone()[0]
                or 0
            )
        figures.text_stored = figures.columns["text"]
        (folder,) = conn.execute(
            "SELECT substr(origin, 1, length(?) + 1 + instr(substr(origin, length(?) + 2), '/'))"
            " AS folder FROM items GROUP BY folder ORDER BY count(*) DESC LIMIT 1",
            (str(root), str(root)),
        ).fetchone()
        ids = [
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM items WHERE origin LIKE ? ORDER BY rowid LIMIT ?",
                (f"{folder}%", FORGET_ITEMS),
            )
        ]
        before = memory.store.count()
        started, cpu = time.perf_counter(), time.process_time()
        removed = memory.forget(ids)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        marks = ",".join("?" * min(len(ids), 500))
        left = conn.execute(f"SELECT count(*) FROM items WHERE id IN ({marks})", ids[:500])
        figures.forget = {
            "items": float(removed),
            "seconds": seconds,
            "cpu": cpu,
            "left": float(left.fetchone()[0]),
            "before": float(before),
        }
        print(f"forget {removed:,} of {before:,} items in {seconds:.2f} s (CPU {cpu:.2f} s)")
        assert removed == len(ids) and not figures.forget["left"]
        started = time.perf_counter()
        chunks = rebuild_words(memory.store)
        figures.rebuild = {"chunks": float(chunks), "seconds": time.perf_counter() - started}
        print(f"rebuild the word index: {chunks:,} chunks in {figures.rebuild['seconds']:.1f} s")


#: what the profiles behind issue 13's items 2, 3 and 5 found (pyinstrument, py-spy; the
#: figures above are re-measured on each run, these are the causes they point at)
NOTES = """
### What limits ingest, and what changed (issue 13, items 2, 3, 5)

- **Parsing is the limit, not the store.** This sample life is 300,000 items in 107 MB,
  360 bytes an item, so per-item work decides: the sources (WhatsApp's line parser, the
  mail parser, building each `Item`) and encoding its row (JSON, the content hash) take
  ~50 µs of CPU an item, the writer ~40 µs. On two cores the ingest cannot beat half of
  their sum, which the last line above works out from the run's own CPU: 20 MB/s would
  need parsing three times faster. A mail-heavy export has ten times fewer items per
  MB and goes faster (docs/benchmarks-takeout.md: 45.6 MB/s of archive).
- **One parsing process per core** (`LIFELOG_PARSE_WORKERS` overrides), each taking the
  next unit; the writer takes them back in order. On a quiet two-core machine the second
  process overlaps parsing with parsing while the writer waits; on a loaded one it only
  adds a third process to two cores (compare the CPU columns, not the wall times, when
  the load is high). Archive members are still parsed one after another (one unit).
- **The writer got lighter**: chunking, word spelling (`index_text`) and compression moved
  to the parsing processes (a fifth of the writer's time); the write-ahead log grows to
  256 MiB before a checkpoint (-8 % CPU). What is left in the writer: SQLite inserts into
  `items` (four indexes, one of them on random ids), `chunks` and the FTS5 table, the
  commits (SQLCipher encrypts and authenticates each page), unpickling rows, and the
  people directory reading each batch's mentions (a fifth of the writer: `people.py`).
- **Disk**: item text is compressed (zstd, level 3) before SQLCipher encrypts the page;
  texts under 96 bytes stay as they are. The rest of the memory is the word index,
  `chunks`, the people tables and the other `items` columns (metadata JSON, uri,
  origin, people), which the issue measured at 7× the text; a dictionary per source
  (short chat messages) and an origin table are what is left to shrink.
- **Forget**: one statement per table over all the items (their rowids in temporary
  tables). Statements over 500 ids at a time ran the tables' row triggers at ~70 µs a
  row: 100,000 items took 19 s, 7 s set-based on the same loaded machine. The word index
  is still merged whole ('optimize', ~1 s here): FTS5's `secure-delete` is refused for a
  `contentless_delete` table, so the forgotten words leave only when their segments are
  merged, and 'optimize' is the only merge sure to reach them all; at ten million
  chunks that merge, not the delete, will dominate.
"""


def _ratio(a: list[float], b: list[float]) -> float:
    return min(a) / min(b) if a and b else 0.0


def markdown(figures: Figures, scale: float, workers: int) -> str:
    lines = [
        "## Ingest on every core, disk, forgetting at scale",
        "",
        f"Machine: {machine()}. Sample life at scale {scale:g}: {figures.mb:.0f} MB,"
        f" {figures.items:,} items. Best of {len(figures.raw)} alternating runs.",
        f"Reproduce: `nice -n 10 python -m lifelog.bench.scale_ingest --scale {scale:g}`.",
        "",
    ]
    if figures.raw:
        lines += _ingest_table(figures)
    if figures.text_stored and figures.text_bytes:
        lines.append(
            f"Item text: {figures.text_bytes / MB:.1f} MB (UTF-8), stored in"
            f" {figures.text_stored / MB:.1f} MB ({figures.text_stored / figures.text_bytes:.2f}×)."
            " The `items` columns as stored, MB: "
            + ", ".join(f"{name} {size / MB:.1f}" for name, size in figures.columns.items())
            + "."
        )
    if figures.forget:
        f = figures.forget
        lines.append(
            f"Forget {f['items']:,.0f} items of one source (of {f['before']:,.0f}, encrypted,"
            f" with secure deletion): {f['seconds']:.2f} s wall, {f['cpu']:.2f} s CPU,"
            f" {f['left']:.0f} left."
        )
    if figures.rebuild:
        r = figures.rebuild
        lines.append(
            f"Rebuild the word index from the store (resumable): {r['chunks']:,.0f} chunks"
            f" in {r['seconds']:.1f} s."
        )
    return "\n".join(lines) + "\n" + NOTES


def _ingest_table(figures: Figures) -> list[str]:
    raw, raw_cpu = min(figures.raw), min(CPU["raw"])
    parse_cpu, store_cpu = min(CPU["parse"]), min(CPU["store"])
    lines = [
        "| step | wall s | CPU s | MB/s (wall) | ÷ raw FTS5 insert (wall / CPU) |",
        "|---|---:|---:|---:|---:|",
        f"| parse only (one process, rows made as the workers make them) |"
        f" {min(figures.parse):.1f} | {parse_cpu:.1f} | {figures.mb / min(figures.parse):.1f} |"
        f" {min(figures.parse) / raw:.2f} / {parse_cpu / raw_cpu:.2f} |",
        f"| raw FTS5 insert of the parsed records (plain SQLite) | {raw:.2f} | {raw_cpu:.2f} |"
        f" {figures.mb / raw:.1f} | 1 / 1 |",
        f"| store path, same records (encrypted) | {min(figures.store_path):.2f} |"
        f" {store_cpu:.2f} | {figures.mb / min(figures.store_path):.1f} |"
        f" {_ratio(figures.store_path, figures.raw):.2f} / {store_cpu / raw_cpu:.2f} |",
    ]
    for count, runs in sorted(figures.ingest.items()):
        what = "one parsing process" if count == 1 else f"{count} parsing processes"
        writer, parsing = figures.ingest_cpu.get(count, (0.0, 0.0))
        lines.append(
            f"| `Memory.ingest`, lexical, encrypted, {what} (CPU: writer {writer:.1f} s,"
            f" parsing {parsing:.1f} s) | {min(runs):.2f} | {writer + parsing:.1f} |"
            f" {figures.mb / min(runs):.1f} | {_ratio(runs, figures.raw):.2f} / – |"
        )
    cores = os.cpu_count() or 1
    best = max(
        (max(w, p / c, (w + p) / cores) for c, (w, p) in figures.ingest_cpu.items()), default=0
    )
    if best:
        lines += [
            "",
            f"On {cores} idle cores the ingest could not take less than its CPU allows:"
            f" the writer's CPU, the parsing CPU spread over its processes, and all of it"
            f" spread over the cores, whichever is longest: {best:.1f} s, i.e."
            f" {figures.mb / best:.1f} MB/s and {best / raw_cpu:.2f}× the raw insert's CPU.",
        ]
    lines += [
        "",
        f"Disk: the memory {figures.db_bytes / MB:.0f} MB for {figures.text_bytes / MB:.0f} MB"
        f" of item text ({figures.db_bytes / max(1, figures.text_bytes):.2f}×); the raw FTS5"
        f" file {figures.raw_bytes / MB:.0f} MB.",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=30.0, help="sample life scale (30: ~100 MB)")
    parser.add_argument("--repeat", type=int, default=2, help="alternating runs of each")
    parser.add_argument("--workers", type=int, default=workers_for(1 << 30))
    parser.add_argument("--skip", nargs="*", default=[], choices=["ingest", "forget"])
    parser.add_argument("--out", type=Path, help="write Markdown here")
    args = parser.parse_args(argv)
    from ..samplelife import generate

    print(machine())
    with tempfile.TemporaryDirectory(prefix="lifelog-scale-") as tmp:
        work = Path(tmp)
        life = generate(work / "life", seed=1, scale=args.scale)
        figures = Figures(mb=life.total_bytes / MB)
        print(f"sample life: {figures.mb:.0f} MB")
        if "ingest" not in args.skip:
            bench_ingest(work, life.root, figures, args.repeat, args.workers)
        if "forget" not in args.skip:
            bench_forget(work, life.root, figures)
        text = markdown(figures, args.scale, args.workers)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
