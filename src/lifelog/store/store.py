"""The store: the single source of truth, with its lexical index kept in step.

Items live once, in ``items``; ``chunks`` are spans of them, and the contentless
FTS5 table ``chunks_fts`` indexes each span (body, title, people). Every write
goes through :meth:`Store.upsert` / :meth:`Store.delete` so that the store and
the index never disagree.

:meth:`Store.forget` removes items for good: their rows are overwritten with zeros
(``secure_delete``, see ``db``), the word index's segments that held their words are
merged into new ones (a contentless FTS5 table only marks a deleted row, keeping its
words), the journal rows of their files go, their content hashes are kept in
``forgotten`` so that a re-import skips them, and :meth:`Store.checkpoint` empties the
write-ahead log, which still holds the old pages.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ..index.chunker import chunk_spans
from ..index.text import index_text
from ..records import Item, encode_item, mended
from .db import CACHE_KIB, Cipher, Connection, Keying, connect, diagnose, is_damage
from .migrations import migrate
from .textpack import pack_text, unpack_text

__all__ = [
    "ITEM_COLUMNS",
    "ItemRow",
    "Store",
    "UpsertResult",
    "Words",
    "item_from_row",
    "item_row",
    "prepared",
]

#: a path in a forgotten ingest run's list of paths
FORGOTTEN_PATH = "(forgotten)"

ITEM_COLUMNS = (
    "rowid, id, source, kind, ts, author, participants, title, thread, uri, locator, "
    "metadata, text, origin"
)


@dataclass(slots=True)
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    #: records not stored: an item with the same content was forgotten earlier
    forgotten: int = 0


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def item_from_row(row: Sequence[Any]) -> Item:
    metadata = json.loads(row[11]) if row[11] else {}
    if row[13] is not None:
        metadata = {**metadata, "origin": row[13]}
    return Item(
        id=row[1],
        source=row[2],
        kind=row[3],
        timestamp=datetime.fromtimestamp(row[4], UTC) if row[4] is not None else None,
        author=row[5],
        participants=tuple(json.loads(row[6] or "[]")),
        title=row[7],
        thread=row[8],
        uri=row[9],
        locator=row[10],
        metadata=metadata,
        text=unpack_text(row[12]),
        key=metadata.get("_key", row[1]),
    )


def people_text(item: Item) -> str:
    names = [item.author or "", *item.participants]
    return " ".join(n for n in names if n)


#: ``(title, people, ((start, end, body), ...))`` as the word index spells them
Words = tuple[str, str, tuple[tuple[int, int, str], ...]]


class ItemRow(NamedTuple):
    """An item encoded as the store writes it. The parsing process makes these, so
    that JSON, hashing and people text run on its core and a plain tuple crosses
    the process boundary (a tuple pickles in C; a slotted dataclass does not)."""

    id: str
    source: str
    kind: str
    ts: float | None
    author: str | None
    participants: str
    people: str
    title: str | None
    thread: str | None
    uri: str | None
    locator: str | None
    metadata: str
    text: str
    digest: str
    #: the word index's rows, made where the row is (:func:`prepared`): the title's and
    #: the people's spelling, and each chunk's ``(start, end, spelling)``; ``None``: the
    #: store makes them as it writes
    words: Words | None = None
    #: what ``items.text`` stores (:func:`~lifelog.store.textpack.pack_text`), made where
    #: the row is; ``None``: the store makes it as it writes
    stored: str | bytes | None = None


def prepared(row: ItemRow) -> ItemRow:
    """``row`` with its word index rows and its stored text made (chunking, spelling
    and compressing: a third of what a writer spent per item, done in the parsing
    process instead)."""
    return row._replace(words=_words(row.text, row.title, row.people), stored=pack_text(row.text))


def _words(text: str, title: str | None, people: str) -> Words:
    return (
        index_text(title or ""),  # one spelling for index and questions
        index_text(people),
        tuple((start, end, index_text(text[start:end])) for start, end in chunk_spans(text)),
    )


def item_row(item: Item) -> ItemRow:
    """The row of ``item``; one holding a lone surrogate (half an emoji in a JSON export)
    is :func:`~lifelog.records.mended` first, as UTF-8 cannot hold it."""
    try:
        row = _row(item)
        for value in (row.source, row.uri, row.locator):  # the fields the hash leaves out
            if value is not None and not value.isascii():
                value.encode("utf-8")
    except UnicodeEncodeError:
        row = _row(mended(item))
    return row


def _row(item: Item) -> ItemRow:
    participants, metadata, digest = encode_item(item)
    return ItemRow(
        item.id,
        item.source,
        item.kind,
        _ts(item.timestamp),
        item.author,
        participants,
        people_text(item).lower(),
        item.title,
        item.thread,
        item.uri,
        item.locator,
        metadata,
        item.text,
        digest,
    )


class Store:
    """One SQLite (SQLCipher) database inside a memory directory."""

    def __init__(
        self,
        conn: Connection,
        path: Path,
        opener: Callable[[], Connection] | None = None,
        keying: Keying | None = None,
    ) -> None:
        self.conn = conn
        self.path = path
        #: how the file is opened (its key): checks, backups and a rekey use it
        self.keying = keying or Keying()
        self.lock = threading.RLock()
        #: opens another read-only connection to the same file (see :meth:`reader`)
        self._opener = opener
        #: callables given the chunk rowids about to be deleted (derived indexes use it)
        self.delete_hooks: list[Callable[[list[int]], None]] = []

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        passphrase: str | None = None,
        raw_key: str | None = None,
        cipher: Cipher | None = None,
    ) -> Store:
        """Open (or create) the database at ``path``."""
        return cls.open_keyed(path, Keying(passphrase, raw_key, cipher or Cipher()))

    @classmethod
    def open_keyed(cls, path: Path, keying: Keying) -> Store:
        """Open (or create) the database at ``path`` with ``keying`` (a key, and the key
        check ``memory.json`` keeps, which tells a wrong key from a damaged file)."""
        conn = connect(path, keying=keying)
        try:
            migrate(conn)
        except BaseException as error:
            conn.close()
            if is_damage(error):
                raise diagnose(path, keying, error) from error
            raise

        def opener() -> Connection:
            return connect(path, keying=keying, readonly=True)

        return cls(conn, path, opener, keying)

    @contextmanager
    def cache(self, kib: int) -> Iterator[None]:
        """Cap the page cache at ``kib`` KiB within the block (an import: see ``db``)."""
        with self.lock:
            self.conn.execute(f"PRAGMA cache_size = -{int(kib):d}")
        try:
            yield
        finally:
            with self.lock:
                self.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB:d}")

    @contextmanager
    def checkpoint_every(self, pages: int) -> Iterator[None]:
        """Let the write-ahead log grow to ``pages`` pages before SQLite copies it into
        the database within the block (an import: a page written by several commits
        is then copied, and encrypted, once per checkpoint instead of once per 1,000
        pages of log; the store path's CPU -8 %, its commits' wall time halved)."""
        with self.lock:
            before = int(self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {int(pages):d}")
        try:
            yield
        finally:
            with self.lock:
                self.conn.execute(f"PRAGMA wal_autocheckpoint = {before:d}")
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def reader(self) -> Connection | None:
        """A second, read-only connection for a long read beside writes (WAL lets it read
        the last commit while this one writes, without taking :attr:`lock`); the caller
        closes it. ``None`` when this store cannot open one."""
        if self._opener is None:
            return None
        try:
            return self._opener()
        except Exception:  # noqa: BLE001 - the shared connection still works
            return None

    def close(self) -> None:
        with self.lock:
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except Exception:  # noqa: BLE001 - closing must not fail on a busy WAL
                pass
            self.conn.close()

    # -- writing -----------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction that takes SQLite's write lock as it begins (``BEGIN IMMEDIATE``),
        so that what it reads (the next rowid, the items already stored) stays true until
        it commits, while another process (a second import, the server) writes too.
        Otherwise the lock is taken at the first write, after those reads."""
        with self.lock, self.conn:
            if not self.conn.in_transaction:
                self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn

    def upsert(
        self,
        items: Iterable[Item | ItemRow],
        *,
        origin: str | None,
        run_id: int | None,
        include_forgotten: bool = False,
    ) -> UpsertResult:
        """Insert new items, update changed ones, skip identical ones. One transaction.

        Items whose content was forgotten (:meth:`forget`) are skipped and counted in
        ``forgotten``; with ``include_forgotten`` they are stored again and no longer
        count as forgotten."""
        return self.upsert_many(
            [(origin, items)], run_id=run_id, include_forgotten=include_forgotten
        )[0]

    def upsert_many(
        self,
        groups: Sequence[tuple[str | None, Iterable[Item | ItemRow]]],
        *,
        run_id: int | None,
        include_forgotten: bool = False,
        then: Callable[[list[UpsertResult]], object] | None = None,
    ) -> list[UpsertResult]:
        """:meth:`upsert` for several ``(origin, items)`` groups (many small files) in one
        transaction: a commit costs ~0.1 ms, as much as storing a short note. ``then``
        is given the results inside that transaction (an import journals them there)."""
        now = time.time()
        batches = [(origin, *self._rows(items)) for origin, items in groups]
        results = [result for _origin, _batch, result in batches]
        if not any(batch for _origin, batch, _result in batches):
            if then is not None:
                with self.writing():
                    then(results)
            return results
        with self.writing():
            # one row read when nothing was ever forgotten (almost always)
            check = self.conn.execute("SELECT 1 FROM forgotten LIMIT 1").fetchone() is not None
            for origin, batch, result in batches:
                if batch:
                    forgotten = check and not include_forgotten
                    self._upsert(batch, origin, run_id, now, result, skip_forgotten=forgotten)
                    if check and include_forgotten:
                        self._unforget([row.digest for row in batch.values()])
            if then is not None:
                then(results)
        return results

    @staticmethod
    def _rows(items: Iterable[Item | ItemRow]) -> tuple[dict[str, ItemRow], UpsertResult]:
        result = UpsertResult()
        batch: dict[str, ItemRow] = {}
        for given in items:
            row = given if isinstance(given, ItemRow) else item_row(given)
            if row.id in batch:
                result.unchanged += 1  # the same record twice in one export
                continue
            batch[row.id] = row
        return batch, result

    def _upsert(
        self,
        batch: dict[str, ItemRow],
        origin: str | None,
        run_id: int | None,
        now: float,
        result: UpsertResult,
        *,
        skip_forgotten: bool = False,
    ) -> None:
        """One group of :meth:`upsert_many`, inside its transaction."""
        existing: dict[str, tuple[int, str, str | None, str | None, str | None]] = {}
        ids = list(batch)
        for offset in range(0, len(ids), 500):
            part = ids[offset : offset + 500]
            marks = ",".join("?" * len(part))
            for rowid, item_id, digest, uri, locator, known_origin in self.conn.execute(
                f"SELECT rowid, id, hash, uri, locator, origin FROM items WHERE id IN ({marks})",
                part,
            ):
                existing[item_id] = (rowid, digest, uri, locator, known_origin)
        item_rows: list[tuple[Any, ...]] = []
        moved: list[tuple[str | None, str | None, str | None, int]] = []
        gone = (
            self._forgotten_among([r.digest for r in batch.values()])
            if skip_forgotten
            else frozenset()
        )
        for row in batch.values():
            known = existing.get(row.id)
            if known is not None and known[1] == row.digest:
                result.unchanged += 1
                if (row.uri, row.locator, origin) != known[2:]:
                    moved.append((row.uri, row.locator, origin, known[0]))
                continue
            if row.digest in gone:
                result.forgotten += 1
                continue
            if known is not None:
                self._drop_chunks([known[0]])
                self.conn.execute("DELETE FROM items WHERE rowid = ?", (known[0],))
                result.updated += 1
            else:
                result.added += 1
            stored = row.stored if row.stored is not None else pack_text(row.text)
            item_rows.append((*row[:11], origin, row.metadata, stored, row.digest))
        if moved:  # the same record, found at a new place: repoint it, nothing to re-index
            self.conn.executemany(
                "UPDATE items SET uri = ?, locator = ?, origin = ? WHERE rowid = ?", moved
            )
        if item_rows:
            self._insert(item_rows, batch, run_id, now)

    def _insert(
        self,
        rows: list[tuple[Any, ...]],
        batch: dict[str, ItemRow],
        run_id: int | None,
        now: float,
    ) -> None:
        conn = self.conn
        chunk_rows: list[tuple[int, int, int, int]] = []
        fts_rows: list[tuple[str, str, str]] = []
        # rowids given explicitly (max + 1 on, as SQLite would choose): one executemany
        # instead of a statement per item, whose lastrowid the chunks would need
        next_item = conn.execute("SELECT coalesce(max(rowid), 0) FROM items").fetchone()[0] + 1
        conn.executemany(
            "INSERT INTO items (rowid, id, source, kind, ts, author, participants, people, title,"
            " thread, uri, locator, origin, metadata, text, hash, run_id, added_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(next_item + i, *row, run_id, now, now) for i, row in enumerate(rows)],
        )
        for offset, row in enumerate(rows):
            item_rowid = next_item + offset
            item = batch[row[0]]
            words = item.words or _words(item.text, item.title, item.people)
            title, people, spans = words
            for ordinal, (start, end, body) in enumerate(spans):
                chunk_rows.append((item_rowid, ordinal, start, end))
                fts_rows.append((body, title, people))
        first = conn.execute("SELECT coalesce(max(rowid), 0) FROM chunks").fetchone()[0] + 1
        conn.executemany(
            "INSERT INTO chunks (rowid, item_rowid, ordinal, start, end) VALUES (?,?,?,?,?)",
            [(first + i, *r) for i, r in enumerate(chunk_rows)],
        )
        conn.executemany(
            "INSERT INTO chunks_fts (rowid, body, title, people) VALUES (?,?,?,?)",
            [(first + i, *r) for i, r in enumerate(fts_rows)],
        )
        # new items: the people directory reads them on its next refresh (one bump per
        # write, not a trigger per row; see migration m005)
        conn.execute("UPDATE people_state SET items_version = items_version + 1 WHERE id = 1")

    def _drop_chunks(self, item_rowids: Sequence[int]) -> int:
        dropped = 0
        for offset in range(0, len(item_rowids), 500):
            part = list(item_rowids[offset : offset + 500])
            marks = ",".join("?" * len(part))
            chunk_ids = [
                r[0]
                for r in self.conn.execute(
                    f"SELECT rowid FROM chunks WHERE item_rowid IN ({marks})", part
                )
            ]
            self.conn.executemany(
                "DELETE FROM chunks_fts WHERE rowid = ?", [(c,) for c in chunk_ids]
            )
            for hook in self.delete_hooks:
                hook(chunk_ids)
            self.conn.execute(f"DELETE FROM chunks WHERE item_rowid IN ({marks})", part)
            dropped += len(chunk_ids)
        return dropped

    def _forgotten_among(self, digests: Sequence[str]) -> frozenset[str]:
        found: set[str] = set()
        for offset in range(0, len(digests), 500):
            part = list(digests[offset : offset + 500])
            marks = ",".join("?" * len(part))
            found.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT hash FROM forgotten WHERE hash IN ({marks})", part
                )
            )
        return frozenset(found)

    def _unforget(self, digests: Sequence[str]) -> None:
        self.conn.executemany("DELETE FROM forgotten WHERE hash = ?", [(d,) for d in digests])

    def forget(self, item_ids: Sequence[str], *, files: Sequence[str] = ()) -> int:
        """Remove items for good; return how many were removed. One transaction.

        Besides :meth:`delete`: the items' content hashes are kept in ``forgotten`` (a
        re-import skips them), the journal forgets the files all of whose items are
        gone (their ``files`` rows, archive parts included, and logged errors), and the
        word index's segments are merged, which drops the forgotten rows' words (a
        contentless FTS5 table only marks a row deleted; FTS5's ``secure-delete`` is
        not open to a ``contentless_delete`` table, and 'optimize' is the only merge
        that is sure to reach every segment holding one: it rewrites the whole index).
        ``files`` names origins (files or folders) forgotten as a whole: their journal
        rows go even when they held no item, and the ingest runs that named them no
        longer do. Derived data outside the store's core (people, vectors) and the
        write-ahead log are the caller's: ``Memory.forget`` refreshes them and calls
        :meth:`checkpoint`.

        Each step is one statement over all the items (their rowids in a temporary
        table): statements over 500 ids at a time ran the tables' row triggers at
        ~70 µs a row: 100,000 of 300,000 items took 19 s, and take 7 s set-based
        (docs/benchmarks-scale-ingest.md).
        """
        with self.writing():
            conn = self.conn
            items, chunks = self._gather(item_ids)
            conn.execute(
                f"INSERT OR IGNORE INTO forgotten (hash, at) SELECT hash, ? FROM items"
                f" WHERE rowid IN {items}",
                (time.time(),),
            )
            origins = {
                str(origin)
                for (origin,) in conn.execute(
                    f"SELECT DISTINCT origin FROM items WHERE rowid IN {items}"
                    " AND origin IS NOT NULL"
                )
            }
            self._drop_gathered(chunks)
            removed = int(conn.execute(f"DELETE FROM items WHERE rowid IN {items}").rowcount)
            for origin in files:
                self._forget_journal(origin)
                self._forget_run_paths(origin)
            for origin in sorted(origins - set(files)):
                left = conn.execute(
                    "SELECT 1 FROM items WHERE origin = ? LIMIT 1", (origin,)
                ).fetchone()
                if left is None:
                    self._forget_journal(origin)
            conn.execute(f"DROP TABLE {items}")
            conn.execute(f"DROP TABLE {chunks}")
            if removed:
                conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
        return removed

    def _gather(self, item_ids: Sequence[str]) -> tuple[str, str]:
        """Temporary tables of the rowids of the items ``item_ids`` and of their chunks
        (inside the caller's transaction); returns their names."""
        conn = self.conn
        ids, items, chunks = "temp.forget_ids", "temp.forget_items", "temp.forget_chunks"
        for table, column in (
            (ids, "id TEXT"),
            (items, "rowid INTEGER"),
            (chunks, "rowid INTEGER"),
        ):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"CREATE TABLE {table} ({column} PRIMARY KEY)")
        conn.executemany(f"INSERT OR IGNORE INTO {ids} (id) VALUES (?)", [(i,) for i in item_ids])
        conn.execute(
            f"INSERT INTO {items} (rowid) SELECT i.rowid FROM {ids} f JOIN items i ON i.id = f.id"
        )
        conn.execute(
            f"INSERT INTO {chunks} (rowid) SELECT rowid FROM chunks WHERE item_rowid IN {items}"
        )
        conn.execute(f"DROP TABLE {ids}")
        return items, chunks

    def _drop_gathered(self, chunks: str) -> None:
        """Delete the chunks listed in the temporary table ``chunks`` and their index
        entries (the delete hooks are given their rowids first)."""
        if self.delete_hooks:
            chunk_ids = [int(r[0]) for r in self.conn.execute(f"SELECT rowid FROM {chunks}")]
            for hook in self.delete_hooks:
                hook(chunk_ids)
        self.conn.execute(f"DELETE FROM chunk_vectors WHERE chunk_rowid IN {chunks}")
        self.conn.execute(f"DELETE FROM chunks_fts WHERE rowid IN {chunks}")
        self.conn.execute(f"DELETE FROM chunks WHERE rowid IN {chunks}")

    def _forget_journal(self, origin: str) -> None:
        """Drop the journal rows of a file or folder: done, its parts, errors logged."""
        below = (origin + "/", origin + "0")  # a range on the key: "0" follows "/"
        self.conn.execute(
            "DELETE FROM files WHERE path = ? OR (path >= ? AND path < ?)", (origin, *below)
        )
        self.conn.execute(
            "DELETE FROM run_errors WHERE file = ? OR (file >= ? AND file < ?)", (origin, *below)
        )

    def _forget_run_paths(self, origin: str) -> None:
        """Ingest runs that named ``origin`` (or a path in it) name it no more."""
        for run_id, raw in self.conn.execute("SELECT id, paths FROM runs").fetchall():
            try:
                paths = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(paths, list):
                continue
            kept = [
                FORGOTTEN_PATH
                if isinstance(p, str) and (p == origin or p.startswith(origin + "/"))
                else p
                for p in paths
            ]
            if kept != paths:
                self.conn.execute(
                    "UPDATE runs SET paths = ? WHERE id = ?",
                    (json.dumps(kept, ensure_ascii=False), run_id),
                )

    def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database and truncate it to nothing, so that
        no page written before (a forgotten item's, say) stays in it. Waits for readers
        up to the busy timeout; returns whether the log was emptied."""
        with self.lock:
            row = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return row is None or int(row[0]) == 0

    def delete(self, item_ids: Sequence[str]) -> int:
        """Remove items, their chunks and their index entries. Returns items removed.
        (An update of a changed item; to take an item out for good, :meth:`forget`.)"""
        removed = 0
        with self.writing():
            for offset in range(0, len(item_ids), 500):
                part = list(item_ids[offset : offset + 500])
                marks = ",".join("?" * len(part))
                rowids = [
                    r[0]
                    for r in self.conn.execute(
                        f"SELECT rowid FROM items WHERE id IN ({marks})", part
                    )
                ]
                self._drop_chunks(rowids)
                removed += self.conn.execute(
                    f"DELETE FROM items WHERE id IN ({marks})", part
                ).rowcount
        return removed

    # -- reading -----------------------------------------------------------------

    def get(self, item_id: str) -> Item | None:
        row = self.conn.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        return item_from_row(row) if row else None

    def get_many(self, item_ids: Sequence[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        for offset in range(0, len(item_ids), 500):
            part = list(item_ids[offset : offset + 500])
            marks = ",".join("?" * len(part))
            for row in self.conn.execute(
                f"SELECT {ITEM_COLUMNS} FROM items WHERE id IN ({marks})", part
            ):
                found[row[1]] = item_from_row(row)
        return found

    def ids_by_prefix(self, prefix: str, limit: int = 5) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM items WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                (prefix, prefix + "\uffff", limit),
            )
        ]

    def ids_by_origin(self, origin: str) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM items WHERE origin = ? OR origin LIKE ? ESCAPE '\\'",
                (origin, origin.replace("%", "\\%").replace("_", "\\_") + "/%"),
            )
        ]

    def iter_items(
        self,
        where: str = "1",
        params: Sequence[Any] = (),
        *,
        limit: int = -1,
        offset: int = 0,
    ) -> Iterator[Item]:
        cursor = self.conn.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE {where} ORDER BY ts, rowid LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        for row in cursor:
            yield item_from_row(row)

    def count(self, where: str = "1", params: Sequence[Any] = ()) -> int:
        return int(
            self.conn.execute(f"SELECT count(*) FROM items WHERE {where}", params).fetchone()[0]
        )

    def meta_get(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def meta_set(self, key: str, value: str) -> None:
        with self.lock, self.conn:
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
