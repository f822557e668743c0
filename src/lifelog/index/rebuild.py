"""Rebuilding the word index from the store (``lifelog index rebuild``).

The store is the source of truth and ``chunks_fts`` is derived from it: this
empties the index and indexes every chunk again, with the same columns the
store writes on ingest (body, title, people). One transaction: an interrupted
rebuild leaves the old index as it was.
"""

from __future__ import annotations

from ..store import Store

__all__ = ["rebuild_fts"]

#: items read per step (their chunks are indexed together)
STEP = 500


def rebuild_fts(store: Store) -> int:
    """Re-index every chunk's words; return how many chunks were indexed."""
    indexed = 0
    with store.lock, store.conn:
        conn = store.conn
        conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('delete-all')")
        last = 0
        while True:
            items = conn.execute(
                "SELECT rowid, title, people, text FROM items WHERE rowid > ?"
                " ORDER BY rowid LIMIT ?",
                (last, STEP),
            ).fetchall()
            if not items:
                break
            last = int(items[-1][0])
            by_item = {int(r[0]): r for r in items}
            marks = ",".join("?" * len(by_item))
            rows = []
            for rowid, item_rowid, start, end in conn.execute(
                f"SELECT rowid, item_rowid, start, end FROM chunks WHERE item_rowid IN ({marks})",
                list(by_item),
            ):
                _id, title, people, text = by_item[int(item_rowid)]
                rows.append((rowid, text[start:end], title or "", people or ""))
            conn.executemany(
                "INSERT INTO chunks_fts (rowid, body, title, people) VALUES (?,?,?,?)", rows
            )
            indexed += len(rows)
    return indexed
