"""Named, append-only schema migrations.

Each migration is a function registered in order with ``@migration``; applied
names are recorded in ``_migrations``. A shipped migration is never edited: a
change to the schema is a new function at the end of this file.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .db import Connection

__all__ = ["MIGRATIONS", "migrate"]

Migration = Callable[[Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def migrate(conn: Connection) -> list[str]:
    """Apply every migration not yet applied; return their names."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied: list[str] = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with conn:
            fn(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, time.time())
            )
        applied.append(name)
    return applied


@migration
def m001_items(conn: Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE items (
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            ts REAL,
            author TEXT,
            participants TEXT NOT NULL DEFAULT '[]',
            people TEXT NOT NULL DEFAULT '',
            title TEXT,
            thread TEXT,
            uri TEXT,
            locator TEXT,
            origin TEXT,
            metadata TEXT NOT NULL DEFAULT '{}',
            text TEXT NOT NULL,
            hash TEXT NOT NULL,
            run_id INTEGER,
            added_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX items_ts ON items (ts);
        CREATE INDEX items_source_ts ON items (source, ts);
        CREATE INDEX items_origin ON items (origin);
        CREATE INDEX items_thread_ts ON items (thread, ts);

        CREATE TABLE chunks (
            rowid INTEGER PRIMARY KEY,
            item_rowid INTEGER NOT NULL REFERENCES items (rowid) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL
        );
        CREATE INDEX chunks_item ON chunks (item_rowid, ordinal);

        -- contentless: the text lives once, in items; rowid = chunks.rowid
        CREATE VIRTUAL TABLE chunks_fts USING fts5 (
            body, title, people,
            content = '', contentless_delete = 1,
            tokenize = 'unicode61 remove_diacritics 2'
        );
        """
    )


@migration
def m002_ingest_journal(conn: Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at REAL NOT NULL,
            ended_at REAL,
            status TEXT NOT NULL DEFAULT 'running',
            paths TEXT NOT NULL,
            added INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0,
            counts TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE run_errors (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            file TEXT NOT NULL,
            position TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE INDEX run_errors_run ON run_errors (run_id);
        -- files completely ingested, so an interrupted run resumes where it stopped
        CREATE TABLE files (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime REAL NOT NULL,
            source TEXT NOT NULL,
            items INTEGER NOT NULL,
            run_id INTEGER,
            done_at REAL NOT NULL
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """
    )
