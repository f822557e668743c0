"""``lifelog check``: is the memory whole, and are its derived indexes true to it?

Each check is a small function over a store that says what it found, in words:

- **pages**: every page's HMAC, read by SQLCipher (``PRAGMA cipher_integrity_check``)
  and by :func:`lifelog.store.db.scan_pages`, which names the failed pages;
- **database**: SQLite's ``PRAGMA integrity_check`` (b-trees, indexes, free list);
- **chunks**: each item's chunks are the spans :func:`~lifelog.index.chunker.chunk_spans`
  cuts from its text, in order, within it;
- **word index**: FTS5's own ``integrity-check``, and one index row per chunk;
- **vectors**: each belongs to a chunk and a known model, with that model's size;
- **people**: the mentions read from items point at items that exist, and each
  person the mentions name is in the directory.

:func:`repair` rebuilds what is derived (chunks, the word index, vectors that point
nowhere, the people) from the items, which are the source of truth. Items on pages
that fail their check cannot be read back by anything: those need the backup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LifelogError
from ..index.chunker import chunk_spans
from .db import Connection, Keying, connect, is_damage, scan_pages
from .store import Store

__all__ = ["CHECKS", "CheckReport", "Finding", "check", "repair"]

#: problems listed per check before "and N more"
SHOWN = 10


@dataclass(slots=True)
class Finding:
    """One check's outcome: ``problems`` empty when all is well."""

    name: str
    summary: str
    problems: list[str] = field(default_factory=list)
    #: ``lifelog check --repair`` can mend these (derived data)
    repairable: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class CheckReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def damaged(self) -> bool:
        """Pages or b-trees failed: the items themselves may be lost (a backup is needed)."""
        return any(not f.ok and not f.repairable for f in self.findings)

    def lines(self) -> Iterator[str]:
        for finding in self.findings:
            mark = "ok" if finding.ok else "FAILED"
            yield f"{finding.name:<11} {mark:<6} {finding.summary}"
            for problem in finding.problems[:SHOWN]:
                yield f"{'':<11} - {problem}"
            if len(finding.problems) > SHOWN:
                yield f"{'':<11} … and {len(finding.problems) - SHOWN} more"


def _rows(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return list(conn.execute(sql, params).fetchall())


def check_pages(conn: Connection, path: Path, keying: Keying) -> Finding:
    if not keying.encrypted:
        return Finding("pages", "not encrypted: no page checks (see database)")
    failed = [str(r[0]) for r in _rows(conn, "PRAGMA cipher_integrity_check")]
    scan = scan_pages(path, keying)
    problems = []
    if scan.bad or scan.tail:
        problems.append(f"{path.name}: {scan.detail()}")
    if failed and not problems:  # SQLCipher saw what the file scan did not (the WAL)
        problems.extend(failed)
    summary = f"{scan.pages:,} pages of {keying.cipher.page_size // 1024} KiB, each by its HMAC"
    return Finding("pages", summary, problems)


def check_database(conn: Connection, path: Path, keying: Keying) -> Finding:
    try:
        rows = [str(r[0]) for r in _rows(conn, "PRAGMA integrity_check(100)")]
    except Exception as error:
        if not is_damage(error):
            raise
        return Finding("database", "SQLite's integrity check", [f"SQLite says: {error}"])
    problems = [] if rows == ["ok"] else rows
    return Finding("database", "SQLite's integrity check (b-trees, indexes, free pages)", problems)


def check_chunks(conn: Connection, path: Path, keying: Keying) -> Finding:
    problems: list[str] = []
    items = 0
    last = 0
    while True:
        rows = _rows(
            conn,
            "SELECT rowid, id, item_text(text) FROM items WHERE rowid > ? ORDER BY rowid LIMIT 500",
            (last,),
        )
        if not rows:
            break
        last = rows[-1][0]
        marks = ",".join("?" * len(rows))
        spans: dict[int, list[tuple[int, int]]] = {}
        for item_rowid, start, end in conn.execute(
            f"SELECT item_rowid, start, end FROM chunks WHERE item_rowid IN ({marks})"
            " ORDER BY item_rowid, ordinal",
            [r[0] for r in rows],
        ):
            spans.setdefault(item_rowid, []).append((start, end))
        for rowid, item_id, text in rows:
            items += 1
            if spans.get(rowid, []) != chunk_spans(text):
                problems.append(f"item {item_id}: its chunks are not the spans of its text")
    orphans = conn.execute(
        "SELECT count(*) FROM chunks c WHERE NOT EXISTS"
        " (SELECT 1 FROM items i WHERE i.rowid = c.item_rowid)"
    ).fetchone()[0]
    if orphans:
        problems.append(f"{orphans} chunks belong to no item")
    return Finding("chunks", f"{items:,} items cut into chunks as their text says", problems, True)


def check_word_index(conn: Connection, path: Path, keying: Keying) -> Finding:
    problems: list[str] = []
    try:
        conn.execute("INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('integrity-check', 1)")
    except Exception as error:
        if not (is_damage(error) or "integrity" in str(error).lower()):
            raise
        problems.append(f"FTS5's integrity check failed: {error}")
    chunks = {r[0] for r in conn.execute("SELECT rowid FROM chunks")}
    indexed = {r[0] for r in conn.execute("SELECT rowid FROM chunks_fts")}
    if chunks - indexed:
        problems.append(f"{len(chunks - indexed)} chunks are not in the word index")
    if indexed - chunks:
        problems.append(f"{len(indexed - chunks)} index rows have no chunk")
    summary = f"{len(indexed):,} rows, FTS5 integrity-check, one per chunk"
    return Finding("word index", summary, problems, True)


def check_vectors(conn: Connection, path: Path, keying: Keying) -> Finding:
    problems: list[str] = []
    models = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, name, dims FROM vector_models")}
    total = conn.execute("SELECT count(*) FROM chunk_vectors").fetchone()[0]
    orphans = conn.execute(
        "SELECT count(*) FROM chunk_vectors v WHERE NOT EXISTS"
        " (SELECT 1 FROM chunks c WHERE c.rowid = v.chunk_rowid)"
    ).fetchone()[0]
    if orphans:
        problems.append(f"{orphans} vectors belong to no chunk")
    for model_id, count in conn.execute(
        "SELECT model_id, count(*) FROM chunk_vectors GROUP BY model_id"
    ):
        if model_id not in models:
            problems.append(f"{count} vectors from an unknown model ({model_id})")
            continue
        name, dims = models[model_id]
        wrong = conn.execute(
            "SELECT count(*) FROM chunk_vectors WHERE model_id = ? AND length(vector) != ?",
            (model_id, 2 * dims),  # float16
        ).fetchone()[0]
        if wrong:
            problems.append(f"{wrong} vectors of {name} are not {dims} numbers")
    summary = f"{total:,} vectors, each of a chunk and a known model"
    return Finding("vectors", summary, problems, True)


def check_people(conn: Connection, path: Path, keying: Keying) -> Finding:
    problems: list[str] = []
    dangling = conn.execute(
        "SELECT count(*) FROM people_item_mentions l WHERE NOT EXISTS"
        " (SELECT 1 FROM items i WHERE i.rowid = l.item_rowid)"
    ).fetchone()[0]
    if dangling:
        problems.append(f"{dangling} mentions point at items that are gone")
    unknown = conn.execute(
        "SELECT count(*) FROM people_item_mentions l WHERE l.mention_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM people_mentions m WHERE m.id = l.mention_id)"
    ).fetchone()[0]
    if unknown:
        problems.append(f"{unknown} item links name mentions that are gone")
    current, derived = conn.execute(
        "SELECT items_version, derived_version FROM people_state WHERE id = 1"
    ).fetchone()
    fresh = current == derived
    if fresh:
        unread = conn.execute(
            "SELECT count(*) FROM items i WHERE NOT EXISTS"
            " (SELECT 1 FROM people_item_mentions l WHERE l.item_rowid = i.rowid)"
        ).fetchone()[0]
        if unread:
            problems.append(f"{unread} items were never read for the people they name")
        missing = conn.execute(
            "SELECT count(DISTINCT m.person_id) FROM people_mentions m WHERE m.person_id"
            " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM people p WHERE p.id = m.person_id)"
        ).fetchone()[0]
        if missing:
            problems.append(f"{missing} people named by mentions are not in the directory")
    people = conn.execute("SELECT count(*) FROM people").fetchone()[0]
    summary = f"{people:,} people" + ("" if fresh else " (to be derived again at next use)")
    return Finding("people", summary, problems, True)


CHECKS: tuple[Callable[[Connection, Path, Keying], Finding], ...] = (
    check_pages,
    check_database,
    check_chunks,
    check_word_index,
    check_vectors,
    check_people,
)


def check(path: Path, keying: Keying) -> CheckReport:
    """Run every check on the database at ``path``, each on a connection of its own
    (SQLCipher leaves a connection that met a page failing its check unable to write,
    and the word index's check is a write); a check that cannot run says so. Needs no
    open store: a memory too damaged to open is checked too."""
    report = CheckReport()
    for fn in CHECKS:
        name = fn.__name__.removeprefix("check_").replace("_", " ")
        try:
            conn = connect(path, keying=keying)
        except LifelogError as error:  # the damage is in the pages SQLite reads first
            conn, failure = None, str(error)
        try:
            if conn is None:
                report.findings.append(Finding(name, "could not be read", [failure]))
                continue
            report.findings.append(fn(conn, path, keying))
        except Exception as error:
            if not is_damage(error):
                raise
            report.findings.append(Finding(name, "could not be read", [f"SQLite says: {error}"]))
        finally:
            if conn is not None:
                conn.close()
    return report


def repair(store: Store, rebuild_people: Callable[[], object]) -> list[str]:
    """Rebuild what is derived from the items: chunks and the word index (one
    transaction), vectors without a chunk dropped, the people read again
    (``rebuild_people``). Returns what was done, in words."""
    from ..index.rebuild import refill_fts

    done: list[str] = []
    with store.writing() as conn:
        bad: list[tuple[int, str]] = []
        last = 0
        while True:
            rows = _rows(
                conn,
                "SELECT rowid, item_text(text) FROM items WHERE rowid > ? ORDER BY rowid LIMIT 500",
                (last,),
            )
            if not rows:
                break
            last = rows[-1][0]
            for rowid, text in rows:
                have = [
                    (r[0], r[1])
                    for r in conn.execute(
                        "SELECT start, end FROM chunks WHERE item_rowid = ? ORDER BY ordinal",
                        (rowid,),
                    )
                ]
                if have != chunk_spans(text):
                    bad.append((rowid, text))
        conn.execute(
            "DELETE FROM chunks WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.rowid ="
            " chunks.item_rowid)"
        )
        for rowid, text in bad:
            conn.execute("DELETE FROM chunks WHERE item_rowid = ?", (rowid,))
            conn.executemany(
                "INSERT INTO chunks (item_rowid, ordinal, start, end) VALUES (?, ?, ?, ?)",
                [(rowid, n, start, end) for n, (start, end) in enumerate(chunk_spans(text))],
            )
        if bad:
            done.append(f"cut {len(bad)} items into chunks again")
        indexed = refill_fts(conn)
        done.append(f"wrote the word index again ({indexed:,} chunks)")
        dropped = conn.execute(
            "DELETE FROM chunk_vectors WHERE NOT EXISTS"
            " (SELECT 1 FROM chunks c WHERE c.rowid = chunk_vectors.chunk_rowid)"
            " OR model_id NOT IN (SELECT id FROM vector_models)"
        ).rowcount
        if dropped:
            done.append(f"dropped {dropped} vectors without a chunk")
        conn.execute("UPDATE vector_state SET version = version + 1 WHERE id = 1")
    rebuild_people()
    done.append("read the people again")
    return done
