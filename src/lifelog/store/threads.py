"""Read-only views of the store by thread and by time, for reading a conversation as one:
the messages of a thread around one of them (both sides, back and forward in time), how
many a thread holds, and the newest items first.

Every query walks an index: ``items_thread_ts`` (thread, ts, rowid) for threads,
``items_ts`` backwards for the newest items. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import NotFoundError
from ..records import Item
from .store import ITEM_COLUMNS, Store, item_from_row

__all__ = ["ThreadWindow", "newest_items", "thread_sizes", "thread_window"]


@dataclass(frozen=True, slots=True)
class ThreadWindow:
    """Some consecutive items of one thread, in time order."""

    thread: str
    items: list[Item]
    #: whether the thread goes on before the first and after the last item shown
    earlier: bool
    later: bool
    #: how many items the thread holds in all
    total: int


def _pivot(store: Store, item_id: str) -> tuple[int, str | None, float | None]:
    row = store.conn.execute(
        "SELECT rowid, thread, ts FROM items WHERE id = ?", (item_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no item {item_id!r} in this memory")
    return int(row[0]), row[1], row[2]


def _query(store: Store, where: str, params: list[Any], order: str, n: int) -> list[Item]:
    rows = store.conn.execute(
        f"SELECT {ITEM_COLUMNS} FROM items WHERE {where} ORDER BY ts {order}, rowid {order}"
        " LIMIT ?",
        [*params, n],
    ).fetchall()
    return [item_from_row(r) for r in rows]


def _side(
    store: Store, thread: str, ts: float | None, rowid: int, *, earlier: bool, n: int
) -> list[Item]:
    """Up to ``n`` items of ``thread`` strictly before (or after) the given position,
    nearest first. Undated items sort first, as in ``ORDER BY ts``. Each query is one
    range of the index ``items_thread_ts``."""
    op, order = ("<", "DESC") if earlier else (">", "ASC")
    dated = "thread = ? AND ts IS NOT NULL"
    undated = "thread = ? AND ts IS NULL"
    if ts is not None:
        found = _query(store, f"{dated} AND (ts, rowid) {op} (?, ?)", [thread, ts, rowid], order, n)
        if earlier and len(found) < n:
            found += _query(store, undated, [thread], order, n - len(found))
    else:
        found = _query(store, f"{undated} AND rowid {op} ?", [thread, rowid], order, n)
        if not earlier and len(found) < n:
            found += _query(store, dated, [thread], order, n - len(found))
    return found


def thread_window(
    store: Store,
    item_id: str,
    *,
    before: int = 25,
    after: int = 25,
) -> ThreadWindow:
    """The item ``item_id`` with up to ``before`` items of its thread before it and
    ``after`` after it. An item without a thread is a thread of one."""
    with store.lock:
        rowid, thread, ts = _pivot(store, item_id)
        pivot = store.conn.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE rowid = ?", (rowid,)
        ).fetchone()
        if thread is None:
            return ThreadWindow("", [item_from_row(pivot)], False, False, 1)
        # one more than asked on each side: whether the thread goes on
        earlier = _side(store, thread, ts, rowid, earlier=True, n=before + 1)
        later = _side(store, thread, ts, rowid, earlier=False, n=after + 1)
        total = int(
            store.conn.execute("SELECT count(*) FROM items WHERE thread = ?", (thread,)).fetchone()[
                0
            ]
        )
    more_before = len(earlier) > before
    more_after = len(later) > after
    return ThreadWindow(
        thread,
        [*reversed(earlier[:before]), item_from_row(pivot), *later[:after]],
        more_before,
        more_after,
        total,
    )


def thread_sizes(store: Store, threads: Iterable[str]) -> dict[str, int]:
    """How many items each of ``threads`` holds."""
    wanted = sorted(set(threads))
    sizes: dict[str, int] = {}
    with store.lock:
        for offset in range(0, len(wanted), 500):
            part = wanted[offset : offset + 500]
            marks = ",".join("?" * len(part))
            for thread, count in store.conn.execute(
                f"SELECT thread, count(*) FROM items WHERE thread IN ({marks}) GROUP BY thread",
                part,
            ):
                sizes[str(thread)] = int(count)
    return sizes


def newest_items(
    store: Store, where: str = "1", params: Sequence[Any] = (), *, limit: int = 50, offset: int = 0
) -> list[Item]:
    """Dated items within ``where`` (SQL over ``items``), the newest first."""
    with store.lock:
        rows = store.conn.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE ({where}) AND ts IS NOT NULL"
            " ORDER BY ts DESC, rowid DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
    return [item_from_row(r) for r in rows]
