"""Rebuilding the word index from the store (``lifelog index rebuild``).

The store is the source of truth and ``chunks_fts`` is derived from it: this
empties the index and indexes every chunk again, with the same columns the
store writes on ingest (body, title, people), each spelt by
:func:`lifelog.index.text.index_text`. One transaction: an interrupted rebuild
leaves the old index as it was. Migration ``m006_word_index_every_script`` runs
:func:`refill_fts` once when a memory made before that spelling is opened.
"""

from __future__ import annotations

from typing import Any

from ..store import Store
from .text import index_text

__all__ = ["refill_fts", "rebuild_fts"]

#: items read per step (their chunks are indexed together)
STEP = 500


def refill_fts(conn: Any) -> int:
    """Empty ``chunks_fts`` and index every chunk again on ``conn`` (in the caller's
    transaction); return how many chunks were indexed."""
    indexed = 0
    conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('delete-all')")
    last = 0
    while True:
        items = conn.execute(
            "SELECT rowid, title, people, item_text(text) FROM items WHERE rowid > ?"
            " ORDER BY rowid LIMIT ?",
            (last, STEP),
        ).fetchall()
        if not items:
            break
        last = int(items[-1][0])
        by_item = {int(r[0]): (r[3], index_text(r[1] or ""), index_text(r[2] or "")) for r in items}
        marks = ",".join("?" * len(by_item))
        rows = []
        for rowid, item_rowid, start, end in conn.execute(
            f"SELECT rowid, item_rowid, start, end FROM chunks WHERE item_rowid IN ({marks})",
            list(by_item),
        ):
            text, title, people = by_item[int(item_rowid)]
            rows.append((rowid, index_text(text[start:end]), title, people))
        conn.executemany(
            "INSERT INTO chunks_fts (rowid, body, title, people) VALUES (?,?,?,?)", rows
        )
        indexed += len(rows)
    return indexed


def rebuild_fts(store: Store) -> int:
    """Re-index every chunk's words; return how many chunks were indexed."""
    with store.lock, store.conn:
        return refill_fts(store.conn)
