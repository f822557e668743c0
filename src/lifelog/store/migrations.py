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


@migration
def m003_vectors(conn: Connection) -> None:
    # One vector per chunk (float16, L2-normalised), tagged with the model that made it:
    # chunks whose vector is missing or from another model are pending. A trigger, not a
    # foreign key, removes a chunk's vector when the chunk goes (forget, a changed item
    # re-ingested, whatever the path): same effect, without a parent lookup on every
    # insert. ``vector_state.version`` changes on every write, so a process can tell
    # cheaply that its in-memory matrix is stale: deletes bump it by trigger, inserts are
    # bumped by the writer once per transaction.
    conn.executescript(
        """
        CREATE TABLE vector_models (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            dims INTEGER NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE chunk_vectors (
            chunk_rowid INTEGER PRIMARY KEY,
            model_id INTEGER NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE TABLE vector_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO vector_state (id, version) VALUES (1, 0);
        CREATE TRIGGER chunks_deleted_vectors AFTER DELETE ON chunks BEGIN
            DELETE FROM chunk_vectors WHERE chunk_rowid = old.rowid;
        END;
        CREATE TRIGGER chunk_vectors_deleted AFTER DELETE ON chunk_vectors BEGIN
            UPDATE vector_state SET version = version + 1 WHERE id = 1;
        END;
        """
    )


@migration
def m004_people(conn: Connection) -> None:
    # The people directory (see ``lifelog.people``): the mentions read from items, the
    # people derived from them, and the user's merges and splits, which are never derived.
    # A trigger, not a foreign key, drops an item's links when the item goes, and moves
    # ``people_state.items_version`` on every insert and delete of an item, so a reader
    # tells with one row that the people must be derived again.
    conn.executescript(
        """
        -- one row per distinct mention (its JSON signature); person_id is derived
        CREATE TABLE people_mentions (
            id INTEGER PRIMARY KEY,
            sig TEXT NOT NULL UNIQUE,
            person_id TEXT
        );
        CREATE INDEX people_mentions_person ON people_mentions (person_id);
        -- which items name which mentions; mention_id NULL: the item names nobody
        CREATE TABLE people_item_mentions (
            item_rowid INTEGER NOT NULL,
            mention_id INTEGER
        );
        CREATE INDEX people_item_mentions_item ON people_item_mentions (item_rowid);
        CREATE INDEX people_item_mentions_mention ON people_item_mentions (mention_id);
        CREATE TABLE people (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            items INTEGER NOT NULL,
            first REAL,
            last REAL,
            sources TEXT NOT NULL DEFAULT '[]'
        );
        -- own: 2 the person's root key, 1 another key of theirs, 0 a name they carry
        CREATE TABLE people_handles (
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            label TEXT NOT NULL,
            person_id TEXT NOT NULL,
            own INTEGER NOT NULL,
            PRIMARY KEY (kind, value, person_id)
        );
        CREATE INDEX people_handles_person ON people_handles (person_id);
        CREATE TABLE people_merges (
            a_kind TEXT NOT NULL,
            a_value TEXT NOT NULL,
            b_kind TEXT NOT NULL,
            b_value TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (a_kind, a_value, b_kind, b_value)
        );
        CREATE TABLE people_splits (
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (kind, value)
        );
        -- derived_version: the items_version the people were last derived at
        CREATE TABLE people_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            items_version INTEGER NOT NULL,
            derived_version INTEGER NOT NULL
        );
        INSERT INTO people_state (id, items_version, derived_version) VALUES (1, 1, 0);
        CREATE TRIGGER people_items_added AFTER INSERT ON items BEGIN
            UPDATE people_state SET items_version = items_version + 1 WHERE id = 1;
        END;
        CREATE TRIGGER people_items_removed AFTER DELETE ON items BEGIN
            DELETE FROM people_item_mentions WHERE item_rowid = old.rowid;
            UPDATE people_state SET items_version = items_version + 1 WHERE id = 1;
        END;
        """
    )


@migration
def m005_lighter_item_writes(conn: Connection) -> None:
    # Two costs of every inserted item that bought nothing:
    # - the row trigger that moved ``people_state.items_version`` (an UPDATE per item,
    #   12 % of the ingest process's time): ``Store`` now moves it once per write that
    #   inserts items. Deletes keep their trigger, which also drops the people links.
    # - the index on ``items.origin`` (7 %): its one query, "the items of this file or
    #   folder", matches a prefix with LIKE, which SQLite cannot answer from it, so the
    #   query scanned the table anyway.
    conn.execute("DROP TRIGGER IF EXISTS people_items_added")
    conn.execute("DROP INDEX IF EXISTS items_origin")


@migration
def m006_word_index_every_script(conn: Connection) -> None:
    # The word index is fed ``lifelog.index.text.index_text`` (the spelling questions are
    # searched with: NFKC, case and script-safe accent folding, CJK bigrams) instead of the
    # raw text: an index written before holds words no question can spell (Hangul, kana
    # with voicing marks, Arabic hamza, CJK words inside a sentence), so it is written again.
    from ..index.rebuild import refill_fts

    refill_fts(conn)


@migration
def m007_forgotten(conn: Connection) -> None:
    # What was forgotten, by content hash only (``items.hash``: blake2b of every field,
    # nothing of the content readable from it), so that re-importing the same export
    # does not silently bring it back (``lifelog ingest --include-forgotten`` does).
    conn.execute("CREATE TABLE forgotten (hash TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID")


@migration
def m008_conversations(conn: Connection) -> None:
    # Chats one can come back to (web and ``lifelog chat --resume``), kept in the encrypted
    # memory. A turn keeps its answer as the API's JSON; ``conversation_sources`` names the
    # items each answer cited, so that forgetting an item (its hash going into
    # ``forgotten``, while its row still exists) wipes the answers that quoted it, in the
    # same transaction: nothing forgotten stays readable in a saved chat. (CROSS JOIN keeps
    # the few cited items the outer loop: ``items.hash`` has no index.)
    conn.executescript(
        """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX conversations_updated ON conversations (updated_at);
        CREATE TABLE conversation_turns (
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (conversation_id, ordinal)
        );
        CREATE TABLE conversation_sources (
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            item_id TEXT NOT NULL
        );
        CREATE INDEX conversation_sources_item ON conversation_sources (item_id);
        CREATE INDEX conversation_sources_turn ON conversation_sources (conversation_id, ordinal);
        CREATE TRIGGER conversation_items_forgotten AFTER INSERT ON forgotten BEGIN
            UPDATE conversation_turns
               SET answer = '{"text": "(This answer quoted an item that has since been'
                            || ' forgotten.)", "citations": [], "notes": [], "forgotten": true}'
             WHERE (conversation_id, ordinal) IN (
                SELECT s.conversation_id, s.ordinal
                  FROM conversation_sources s CROSS JOIN items i ON i.id = s.item_id
                 WHERE i.hash = new.hash);
            DELETE FROM conversation_sources
             WHERE item_id IN (
                SELECT s.item_id
                  FROM conversation_sources s CROSS JOIN items i ON i.id = s.item_id
                 WHERE i.hash = new.hash);
        END;
        """
    )
