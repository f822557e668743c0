"""The ingest pipeline: detect → parse → dedup → chunk → store → index.

Work is done in batched transactions. A file is recorded in ``files`` only once
all of its items are stored, so a run killed at any point resumes on the next
run: finished files are skipped, the interrupted one is parsed again and its
already-stored items are recognised by their stable ids (nothing duplicated,
nothing lost). Every run is journaled in ``runs`` with its counts and every
skipped record in ``run_errors``.

Items forgotten earlier (``Memory.forget``) are recognised by their content hash
and skipped, counted in ``IngestReport.forgotten``, so that importing the same
export again does not silently bring them back; ``include_forgotten`` does.

A file made of parts (an archive, read member by member by
:mod:`lifelog.sources.archive`) also records each part it finished as
``<path>/<part>``, so a run killed in the middle of a large archive goes on
after the last finished member; its counts go to the source of each member.

``labels`` name files that have no lasting path of their own (an upload, read
through a link to memory): a unit whose path is labelled is recorded under its
label (its items' origin and the start of their uri, its skips, the journal, the
run's paths), so that no passing path is kept.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import NotFoundError, SourceError, UserError
from .parseworker import PARALLEL_MIN_BYTES, parse_in_worker, unit_records
from .records import Item, Skip, storable
from .sources import detect
from .sources.base import PartDone, Source
from .store import Store
from .store.db import INGEST_CACHE_KIB, is_sqlite_error
from .store.store import ItemRow, UpsertResult

__all__ = [
    "IngestReport",
    "Progress",
    "SourceCounts",
    "end_run",
    "file_origin",
    "ingest_paths",
    "plan",
]

#: records between two progress reports within a file
PROGRESS_EVERY = 256
#: items per transaction (LIFELOG_INGEST_BATCH overrides, e.g. to test crash safety).
#: Each commit rewrites every page of the item-id index that it touched, and ids are
#: random: at 600k items a commit of 10k rewrote most of that index. 30k items per
#: commit: -14% CPU for the store at 215 MB (60k gains no more, and holds more).
BATCH_ITEMS = int(os.environ.get("LIFELOG_INGEST_BATCH", "30000"))
BATCH_CHARS = 8_000_000
MAX_SKIPS_KEPT = 10_000
#: write-ahead log pages (16 KiB each) an import lets grow before a checkpoint: 256 MiB
INGEST_WAL_PAGES = 16384
#: small files (read in one batch) are committed together, up to this many, or this many
#: seconds after the first of them: a commit per file cost more than storing a short
#: note (5,000 notes: 15,000 commits, 1.4 of 4.7 s)
PENDING_FILES = 500
PENDING_SECONDS = 1.0
_FILE_ROW = (
    "INSERT INTO files (path, size, mtime, source, items, run_id, done_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET"
    " size = excluded.size, mtime = excluded.mtime, source = excluded.source,"
    " items = excluded.items, run_id = excluded.run_id, done_at = excluded.done_at"
)


@dataclass(slots=True)
class SourceCounts:
    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    #: records not stored because they were forgotten earlier
    forgotten: int = 0
    #: wall time spent on this source's files (or archive members)
    seconds: float = 0.0


@dataclass(slots=True)
class IngestReport:
    run_id: int
    paths: list[str]
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skip] = field(default_factory=list)
    skipped_count: int = 0
    files_done: int = 0
    files_resumed_past: int = 0
    unrecognised: list[str] = field(default_factory=list)
    by_source: dict[str, SourceCounts] = field(default_factory=dict)
    bytes: int = 0
    seconds: float = 0.0
    status: str = "done"
    #: records not stored because they were forgotten earlier (see the module docstring)
    forgotten: int = 0
    #: whether this run stores forgotten items again
    include_forgotten: bool = False

    @property
    def items(self) -> int:
        return self.added + self.updated + self.unchanged

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0


class Progress:
    """Receives progress events; the CLI renders them with Rich, tests ignore them."""

    def start(self, total_bytes: int, files: int) -> None: ...

    def file(self, path: Path, source: str) -> None: ...

    def advance(self, nbytes: int, items: int) -> None: ...

    def finish(self) -> None: ...


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during an import. The run is journaled as interrupted; ``report`` holds
    what it committed (``files_done`` files, its counts) and ``files`` how many files
    the run was given. The next run of the same import goes on after them."""

    def __init__(self, report: IngestReport, files: int) -> None:
        super().__init__()
        self.report = report
        self.files = files


@dataclass(slots=True)
class _Work:
    """What one commit writes: items by origin, skipped records, journal rows, and the
    counts each goes to."""

    groups: list[tuple[str, list[Item | ItemRow], SourceCounts]] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    skip_counts: list[tuple[SourceCounts, int]] = field(default_factory=list)
    files: list[tuple[object, ...]] = field(default_factory=list)
    #: for pending work: files, items and characters held, and since when
    held_files: int = 0
    held_items: int = 0
    held_chars: int = 0
    since: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.groups or self.skips or self.files)

    def take(self, other: _Work, items: int, chars: int) -> None:
        if not self:
            self.since = time.perf_counter()
        self.groups += other.groups
        self.skips += other.skips
        self.skip_counts += other.skip_counts
        self.files += other.files
        self.held_files += 1
        self.held_items += items
        self.held_chars += chars

    @property
    def full(self) -> bool:
        return (
            self.held_files >= PENDING_FILES
            or self.held_items >= BATCH_ITEMS
            or self.held_chars >= BATCH_CHARS
            or time.perf_counter() - self.since >= PENDING_SECONDS
        )


def _commit(
    store: Store, report: IngestReport, work: _Work, on_batch: Callable[[], object] | None
) -> None:
    """Write ``work`` in one transaction: the items, the skipped records, the journal
    rows of the files (and parts) finished and the run's counts, so that a run killed
    at any point has journaled exactly what it committed; then add up the counts."""

    def journal(results: list[UpsertResult]) -> None:
        files = work.files
        # a file all of whose items were forgotten is not journaled (nor its name kept):
        # the next import reads it again and says again that it skipped them
        touched = {
            origin
            for (origin, _items, _counts), result in zip(work.groups, results, strict=True)
            if result.forgotten
        }
        _record_skips(store, report.run_id, work.skips)
        if touched:
            files = [row for row in files if row[0] not in touched or _holds_items(store, row[0])]
        store.conn.executemany(_FILE_ROW, files)
        store.conn.execute(
            "UPDATE runs SET added = added + ?, updated = updated + ?,"
            " unchanged = unchanged + ?, skipped = skipped + ? WHERE id = ?",
            (
                sum(r.added for r in results),
                sum(r.updated for r in results),
                sum(r.unchanged for r in results),
                len(work.skips),
                report.run_id,
            ),
        )
        crash_point()  # tests: killed with everything written, before the commit

    results = store.upsert_many(
        [(origin, items) for origin, items, _counts in work.groups],
        run_id=report.run_id,
        include_forgotten=report.include_forgotten,
        then=journal,
    )
    crash_point()  # tests: killed right after the commit
    for (_origin, _items, counts), result in zip(work.groups, results, strict=True):
        for target in (report, counts):
            target.added += result.added
            target.updated += result.updated
            target.unchanged += result.unchanged
            target.forgotten += result.forgotten
    for counts, skipped in work.skip_counts:
        counts.skipped += skipped
    report.skipped_count += len(work.skips)
    room = MAX_SKIPS_KEPT - len(report.skipped)
    if room > 0:
        report.skipped.extend(work.skips[:room])
    if on_batch is not None:
        on_batch()
        crash_point()


#: tests only: ``LIFELOG_TEST_KILL_AT=N`` kills the importing process (SIGKILL) at the Nth
#: of the points where a crash is most telling (inside a commit, right after it, after
#: the people read what it stored); see tests/test_crash.py
_KILL_AT = int(os.environ.get("LIFELOG_TEST_KILL_AT") or 0)
_points = 0


def crash_point() -> None:
    global _points
    if _KILL_AT:
        _points += 1
        if _points == _KILL_AT:
            os.kill(os.getpid(), signal.SIGKILL)


def _holds_items(store: Store, origin: object) -> bool:
    row = store.conn.execute("SELECT 1 FROM items WHERE origin = ? LIMIT 1", (origin,))
    return row.fetchone() is not None


def _commit_pending(
    store: Store, report: IngestReport, work: _Work, on_batch: Callable[[], object] | None
) -> None:
    """:func:`_commit` for files committed together; the time it takes goes to their
    sources' seconds by their share of the items (it is outside their files' time)."""
    started = time.perf_counter()
    _commit(store, report, work, on_batch)
    elapsed = time.perf_counter() - started
    total = sum(len(items) for _origin, items, _counts in work.groups)
    for _origin, items, counts in work.groups:
        counts.seconds += elapsed * len(items) / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Unit:
    path: Path
    source: Source
    size: int
    mtime: float
    #: what the store records instead of the path (see ``labels`` in the module docstring)
    label: str | None = None

    @property
    def origin(self) -> str:
        """The name the store keeps for this file (see :func:`file_origin`)."""
        return self.label if self.label is not None else file_origin(self.path)


def file_origin(path: Path) -> str:
    """What the store records as where items came from, and the journal as a file done:
    the absolute path, a file name's undecodable bytes written as ``\\xe9``."""
    return storable(str(path))


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        for name in dirnames:
            yield here / name  # a directory may be a unit of its own (a Maildir)
        for name in sorted(filenames):
            if not name.startswith("."):
                yield here / name


def _stat(path: Path) -> tuple[int, float]:
    if path.is_dir():
        size = 0
        mtime = path.stat().st_mtime
        for dirpath, _dirs, files in os.walk(path):
            for name in files:
                try:
                    st = os.stat(os.path.join(dirpath, name))
                except OSError:
                    continue
                size += st.st_size
                mtime = max(mtime, st.st_mtime)
        return size, mtime
    st = path.stat()
    return st.st_size, st.st_mtime


def _kind(path: Path) -> str | None:
    """``file`` or ``dir`` (through a link); ``None`` for a link to nothing, a path that
    cannot be read, and a pipe, socket or device, which could block a reader forever."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return "file"
    return "dir" if stat.S_ISDIR(mode) else None


def plan(paths: Iterable[Path]) -> tuple[list[Unit], list[str]]:
    """Work out which source reads what; return the units and the files left out
    (unrecognised, or not regular files: broken links, pipes, sockets, devices)."""
    units: list[Unit] = []
    unknown: list[str] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise NotFoundError(f"no such file or directory: {path}")
        path = path.resolve()
        if _kind(path) is None:
            raise UserError(f"not a file or folder lifelog can read: {path}")
        source = detect(path)
        if source is not None:
            units.append(Unit(path, source, *_stat(path)))
            continue
        if not path.is_dir():
            unknown.append(str(path))
            continue
        claimed: list[Path] = []
        for candidate in _walk(path):
            if any(candidate.is_relative_to(c) for c in claimed):
                continue
            kind = _kind(candidate)
            if kind is None:
                unknown.append(str(candidate))
                continue
            found = detect(candidate)
            if found is not None:
                if kind == "dir":
                    claimed.append(candidate)
                units.append(Unit(candidate, found, *_stat(candidate)))
            elif kind == "file":
                unknown.append(str(candidate))
    return units, unknown


def _start_run(store: Store, paths: list[str]) -> int:
    with store.lock, store.conn:
        store.conn.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
        cursor = store.conn.execute(
            "INSERT INTO runs (started_at, paths) VALUES (?, ?)",
            (time.time(), json.dumps([storable(p) for p in paths], ensure_ascii=False)),
        )
        return int(cursor.lastrowid)


def _finish_run(store: Store, report: IngestReport) -> None:
    counts = {
        name: {
            "files": c.files,
            "added": c.added,
            "updated": c.updated,
            "unchanged": c.unchanged,
            "skipped": c.skipped,
            **({"forgotten": c.forgotten} if c.forgotten else {}),
        }
        for name, c in report.by_source.items()
    }
    with store.lock, store.conn:
        end_run(store.conn, report.run_id, report, counts)


def end_run(
    conn: sqlite3.Connection, run_id: int, report: IngestReport, counts: Mapping[str, Any]
) -> None:
    """Record in the journal that run ``run_id`` ended as ``report`` says, with ``counts``
    (by source, or a distributed job's shards); the caller holds the write lock."""
    conn.execute(
        "UPDATE runs SET ended_at = ?, status = ?, added = ?, updated = ?, unchanged = ?,"
        " skipped = ?, bytes = ?, counts = ? WHERE id = ?",
        (
            time.time(),
            report.status,
            report.added,
            report.updated,
            report.unchanged,
            report.skipped_count,
            report.bytes,
            json.dumps(counts),
            run_id,
        ),
    )


def _record_skips(store: Store, run_id: int, skips: list[Skip]) -> None:
    if skips:
        store.conn.executemany(
            "INSERT INTO run_errors (run_id, file, position, reason) VALUES (?, ?, ?, ?)",
            [
                (run_id, storable(s.file), storable(s.position), storable(s.reason[:1000]))
                for s in skips
            ],
        )


def _already_done(store: Store, unit: Unit) -> bool:
    row = store.conn.execute(
        "SELECT size, mtime FROM files WHERE path = ?", (unit.origin,)
    ).fetchone()
    return bool(row) and row[0] == unit.size and abs(row[1] - unit.mtime) < 1e-6


def _parts_done(store: Store, unit: Unit) -> dict[str, tuple[int, float]]:
    """The parts of ``unit`` (archive members) an earlier, interrupted run finished."""
    origin = unit.origin
    prefix = f"{origin}/"
    rows = store.conn.execute(  # a range on the primary key: "0" follows "/"
        "SELECT path, size, mtime FROM files WHERE path >= ? AND path < ?",
        (prefix, f"{origin}0"),
    )
    return {path[len(prefix) :]: (size, mtime) for path, size, mtime in rows}


def ingest_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    progress: Progress | None = None,
    force: bool = False,
    on_batch: Callable[[], object] | None = None,
    parallel: bool | None = None,
    include_forgotten: bool = False,
    labels: Mapping[str, str] | None = None,
) -> IngestReport:
    """Ingest files and folders into ``store``; see the module docstring.

    ``include_forgotten`` stores items forgotten earlier again; files already imported
    are then read again (as with ``force``), since they may hold such items. ``labels``
    (path -> label) name the paths that are not to be kept."""
    progress = progress or Progress()
    force = force or include_forgotten
    path_list = [str(Path(p).expanduser()) for p in paths]
    units, unknown = plan(Path(p) for p in path_list)
    labels = labels or {}
    if labels:
        units = [replace(u, label=labels.get(str(u.path))) for u in units]
        path_list = [labels.get(p, p) for p in path_list]
        unknown = [labels.get(p, p) for p in unknown]
    run_id = _start_run(store, path_list)
    report = IngestReport(
        run_id=run_id,
        paths=path_list,
        unrecognised=unknown,
        include_forgotten=include_forgotten,
    )
    started = time.perf_counter()
    progress.start(sum(u.size for u in units), len(units))
    pending = _Work()  # finished small files, committed together
    with store.cache(INGEST_CACHE_KIB), store.checkpoint_every(INGEST_WAL_PAGES):
        try:
            todo: list[Unit] = []
            for unit in units:
                report.by_source.setdefault(unit.source.name, SourceCounts())
                if not force and _already_done(store, unit):
                    report.files_resumed_past += 1
                    progress.advance(unit.size, 0)
                else:
                    todo.append(unit)
            parallel = (
                parallel
                if parallel is not None
                else (sum(u.size for u in todo) >= PARALLEL_MIN_BYTES and (os.cpu_count() or 1) > 1)
            )
            done = [{} if force else _parts_done(store, u) for u in todo]
            messages = (
                parse_in_worker(
                    [(str(u.path), u.source.name, d) for u, d in zip(todo, done, strict=True)]
                )
                if parallel
                else None
            )
            for index, unit in enumerate(todo):
                counts = report.by_source[unit.source.name]
                progress.file(unit.path, unit.source.name)
                records: Iterator[Item | ItemRow | Skip | PartDone] = (
                    unit_records(messages, index)
                    if messages is not None
                    else unit.source.parse_resuming(unit.path, done[index])
                )
                if unit.label is not None:
                    records = _relabelled(unit, records)
                unit_started = time.perf_counter()
                _ingest_unit(store, unit, records, report, counts, progress, on_batch, pending)
                if pending and pending.full:
                    _commit_pending(store, report, pending, on_batch)
                    pending = _Work()
                counts.seconds += time.perf_counter() - unit_started
                counts.files += 1
                report.files_done += 1
                report.bytes += unit.size
            if pending:
                _commit_pending(store, report, pending, on_batch)
            if messages is not None:
                for _rest in messages:  # let the worker finish and exit
                    pass
        except KeyboardInterrupt:
            report.status = "interrupted"
            if pending:  # files read to their end: kept, so that the next run skips them
                _commit_pending(store, report, pending, on_batch)
            # the files this run journaled (Ctrl-C may land before a finished file is counted)
            with store.lock:
                rows = store.conn.execute("SELECT path FROM files WHERE run_id = ?", (run_id,))
                journaled = {str(path) for (path,) in rows}
            report.files_done = sum(1 for unit in units if unit.origin in journaled)
            raise Interrupted(report, len(units)) from None
        finally:
            report.seconds = time.perf_counter() - started
            progress.finish()
            _finish_run(store, report)
    return report


def _relabelled(
    unit: Unit, records: Iterator[Item | ItemRow | Skip | PartDone]
) -> Iterator[Item | ItemRow | Skip | PartDone]:
    """``records`` with ``unit``'s path replaced by its label in uris and skips."""
    label = unit.label or ""
    uri = unit.path.resolve().as_uri()
    path = str(unit.path)
    for record in records:
        if isinstance(record, ItemRow) and record.uri and record.uri.startswith(uri):
            record = record._replace(uri=label + record.uri[len(uri) :])
        elif isinstance(record, Item) and record.uri and record.uri.startswith(uri):
            record = replace(record, uri=label + record.uri[len(uri) :])
        elif isinstance(record, Skip) and record.file.startswith(path):
            record = replace(record, file=label + record.file[len(path) :])
        yield record


def _ingest_unit(
    store: Store,
    unit: Unit,
    records: Iterator[Item | ItemRow | Skip | PartDone],
    report: IngestReport,
    counts: SourceCounts,
    progress: Progress,
    on_batch: Callable[[], object] | None,
    pending: _Work,
) -> None:
    """Read ``unit`` and store its records in batches. A file read in one batch (most
    are small) joins ``pending``, which the caller commits with other such files."""
    origin = unit.origin
    # a unit made of parts (an archive) counts its items under each item's own source
    composite = type(unit.source).parse_resuming is not Source.parse_resuming
    batch: list[Item | ItemRow] = []
    skips: list[Skip] = []
    parts: list[tuple[PartDone, int]] = []  # finished parts not yet recorded
    part_items = 0
    part_started = time.perf_counter()
    chars = 0
    seen_bytes = 0
    unreported = 0  # bytes read but not yet reported to ``progress``
    total_items = 0

    flushed = False  # a batch of this unit has been committed already

    def flush(final: bool) -> None:
        nonlocal batch, skips, chars, parts, flushed
        work = _Work()
        # counts go to each item's own source when the unit has parts (an archive)
        groups: dict[str, list[Item | ItemRow]] = {}
        for item in batch:
            groups.setdefault(item.source if composite else unit.source.name, []).append(item)
        for name, items in groups.items():
            mine = report.by_source.setdefault(name, SourceCounts()) if composite else counts
            work.groups.append((origin, items, mine))
        work.skips = skips
        work.skip_counts = [(counts, len(skips))]
        now = time.time()
        work.files = [
            (f"{origin}/{p.part}", p.size, p.mtime, p.source, n, report.run_id, now)
            for p, n in parts
        ]
        if final:
            work.files.append(
                (origin, unit.size, unit.mtime, unit.source.name, total_items, report.run_id, now)
            )
        if final and not flushed and not composite:
            pending.take(work, len(batch), chars)
        else:
            _commit(store, report, work, on_batch)
        flushed = True
        batch, skips, chars, parts = [], [], 0, []

    where = unit.label or str(unit.path)

    def told(reason: str) -> str:  # a labelled unit's path is not to be kept
        return reason.replace(str(unit.path), where) if unit.label else reason

    failed = False
    try:
        for record in records:
            if isinstance(record, Skip):
                skips.append(record)
                continue
            if isinstance(record, PartDone):
                parts.append((record, part_items))
                now = time.perf_counter()
                part_counts = report.by_source.setdefault(record.source, SourceCounts())
                part_counts.files += 1
                part_counts.seconds += now - part_started
                part_started, part_items = now, 0
                continue
            part_items += 1
            batch.append(record)
            total_items += 1
            size = len(record.text)
            chars += size
            step = min(size + 200, max(0, unit.size - seen_bytes))
            seen_bytes += step
            unreported += step
            if len(batch) >= BATCH_ITEMS or chars >= BATCH_CHARS:
                progress.advance(0, len(batch))
                flush(final=False)
            if total_items % PROGRESS_EVERY == 0:  # a bar needs no call per item
                progress.advance(unreported, 0)
                unreported = 0
    except SourceError as error:
        failed = True
        skips.append(Skip(where, "file", told(str(error))))
    except (OSError, ValueError, UnicodeError, MemoryError, RecursionError) as error:
        failed = True
        skips.append(Skip(where, "file", told(f"{type(error).__name__}: {error}")))
    except Exception as error:  # noqa: BLE001 - a bug in one source must not end the import
        failed = True
        what = (
            "storing its records failed"
            if is_sqlite_error(error)
            else f"internal error in source {unit.source.name}"
        )
        skips.append(Skip(where, "file", told(f"{what}: {type(error).__name__}: {error}")))
    progress.advance(unreported + max(0, unit.size - seen_bytes), len(batch))
    # a file that failed is not marked done, so the next run tries it again
    flush(final=not failed)
