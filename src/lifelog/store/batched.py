"""Rows read by many keys at once: an ``IN (…)`` list bound in batches.

A query for thousands of chunks or items would pass SQLite's limit on bound variables
in one statement; batches of :data:`IN_BATCH` keep under it, and each batch holds the
store's lock only while it reads, so a writer waits for a batch, not for the whole read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Store

__all__ = ["IN_BATCH", "rows_in"]

#: keys bound to one ``IN (…)`` list
IN_BATCH = 500


def rows_in(store: Store, sql: str, keys: Sequence[Any]) -> Iterator[Any]:
    """The rows of ``sql`` for every key of ``keys``: its ``{marks}`` is replaced by the
    placeholders of one batch (``WHERE c.rowid IN ({marks})``)."""
    for start in range(0, len(keys), IN_BATCH):
        part = list(keys[start : start + IN_BATCH])
        with store.lock:
            rows = store.conn.execute(sql.format(marks=",".join("?" * len(part))), part).fetchall()
        yield from rows
