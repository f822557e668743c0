"""Rebuilding the word index from the store (``lifelog index rebuild``).

The store is the source of truth and ``chunks_fts`` is derived from it: this
empties the index and indexes every chunk again, with the same columns the
store writes on ingest (body, title, people), each spelt by
:func:`lifelog.index.text.index_text`.

:func:`rebuild_words` (``lifelog index rebuild``) commits every ``COMMIT_ITEMS``
items and keeps the last one in ``meta``: a rebuild killed at any point resumes
there, and reports progress over the chunks. :func:`refill_fts` does it all in the
caller's transaction (an interrupted one leaves the old index as it was): migration
``m006_word_index_every_script`` runs it once when a memory made before that
spelling is opened, and ``lifelog check --repair`` when the index is damaged.
"""

from __future__ import annotations

from typing import Any

from ..store import Store
from .embedding import EmbedProgress
from .text import index_text

__all__ = ["rebuild_fts", "rebuild_words", "rebuilding_words", "refill_fts"]

#: items read per step (their chunks are indexed together)
STEP = 500
#: items per transaction of a resumable rebuild (:func:`rebuild_words`)
COMMIT_ITEMS = 20_000
#: ``meta`` key: the last item a resumable rebuild indexed (absent: none under way)
META_REBUILD = "rebuild_words_upto"


def refill_fts(conn: Any) -> int:
    """Empty ``chunks_fts`` and index every chunk again on ``conn`` (in the caller's
    transaction); return how many chunks were indexed."""
    indexed = 0
    conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('delete-all')")
    last = 0
    while True:
        last, chunks = _index_items(conn, last, STEP)
        if last < 0:
            break
        indexed += chunks
    return indexed


def _index_items(conn: Any, after: int, count: int) -> tuple[int, int]:
    """Index the chunks of the ``count`` items after rowid ``after``: (the last item's
    rowid, or -1 when there was none; chunks indexed)."""
    items = conn.execute(
        "SELECT rowid, title, people, item_text(text) FROM items WHERE rowid > ?"
        " ORDER BY rowid LIMIT ?",
        (after, count),
    ).fetchall()
    if not items:
        return -1, 0
    by_item = {int(r[0]): (r[3], index_text(r[1] or ""), index_text(r[2] or "")) for r in items}
    marks = ",".join("?" * len(by_item))
    rows = []
    for rowid, item_rowid, start, end in conn.execute(
        f"SELECT rowid, item_rowid, start, end FROM chunks WHERE item_rowid IN ({marks})",
        list(by_item),
    ):
        text, title, people = by_item[int(item_rowid)]
        rows.append((rowid, index_text(text[start:end]), title, people))
    conn.executemany("INSERT INTO chunks_fts (rowid, body, title, people) VALUES (?,?,?,?)", rows)
    return int(items[-1][0]), len(rows)


def rebuild_fts(store: Store) -> int:
    """Re-index every chunk's words; return how many chunks were indexed."""
    with store.lock, store.conn:
        return refill_fts(store.conn)


def rebuilding_words(store: Store) -> bool:
    """Whether a :func:`rebuild_words` was interrupted and is to be resumed."""
    return store.meta_get(META_REBUILD) is not None


def rebuild_words(
    store: Store, progress: EmbedProgress | None = None, *, step: int = COMMIT_ITEMS
) -> int:
    """Re-index every chunk's words in transactions of ``step`` items, resumable: the
    last item indexed is kept in ``meta`` with each commit, so a rebuild killed at any
    point goes on from there when called again (until it ends, searches find the items
    indexed so far). ``progress`` is told the chunks to index and those done (a resumed
    rebuild starts with what was done before). Returns the chunks this call indexed."""
    progress = progress or EmbedProgress()
    with store.writing() as conn:
        upto = store.meta_get(META_REBUILD)
        if upto is None:
            conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('delete-all')")
            _set_upto(conn, 0)
        last = int(upto or 0)
        total = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        done = int(
            conn.execute("SELECT count(*) FROM chunks WHERE item_rowid <= ?", (last,)).fetchone()[0]
        )
    progress.start(total, "words")
    progress.advance(done)
    indexed = 0
    try:
        while True:
            with store.writing() as conn:
                last, chunks = _index_items(conn, last, step)
                if last < 0:
                    conn.execute("DELETE FROM meta WHERE key = ?", (META_REBUILD,))
                    break
                _set_upto(conn, last)
            indexed += chunks
            progress.advance(chunks)
    finally:
        progress.finish()
    return indexed


def _set_upto(conn: Any, last: int) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (META_REBUILD, str(last)),
    )
