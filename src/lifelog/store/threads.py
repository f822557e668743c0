"""Read-only views of the store by thread and by time, for reading a conversation as one:
the messages of a thread around one of them (both sides, back and forward in time), how
many a thread holds, and the newest items first.

Every query walks an index: ``items_thread_ts`` (thread, ts, rowid) for threads,
``items_ts`` backwards for the newest items. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import NotFoundError
from ..records import Item
from .store import ITEM_COLUMNS, Store, item_from_row

__all__ = [
    "ThreadPart",
    "ThreadWindow",
    "join_parts",
    "newest_items",
    "thread_part",
    "thread_sizes",
    "thread_window",
]

_EPOCH = datetime.min.replace(tzinfo=UTC)


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


def _query(store: Store, where: str, params: list[Any], order: str, n: int) -> list[Item]:
    rows = store.conn.execute(
        f"SELECT {ITEM_COLUMNS} FROM items WHERE {where} ORDER BY ts {order}, rowid {order}"
        " LIMIT ?",
        [*params, n],
    ).fetchall()
    return [item_from_row(r) for r in rows]


def _side(
    store: Store, thread: str, ts: float | None, rowid: int | None, *, earlier: bool, n: int
) -> list[Item]:
    """Up to ``n`` items of ``thread`` strictly before (or after) the given position,
    nearest first. Undated items sort first, as in ``ORDER BY ts``. Each query is one
    range of the index ``items_thread_ts``. Without a ``rowid`` (the item at the
    position is held elsewhere) an item of the same time counts as after it."""
    op, order = ("<", "DESC") if earlier else (">", "ASC")
    dated = "thread = ? AND ts IS NOT NULL"
    undated = "thread = ? AND ts IS NULL"
    if rowid is None:  # a position in another store: by time alone
        if ts is None:
            return _query(store, undated if earlier else dated, [thread], order, n)
        found = _query(
            store, f"{dated} AND ts {op}{'' if earlier else '='} ?", [thread, ts], order, n
        )
        if earlier and len(found) < n:
            found += _query(store, undated, [thread], order, n - len(found))
        return found
    if ts is not None:
        found = _query(store, f"{dated} AND (ts, rowid) {op} (?, ?)", [thread, ts, rowid], order, n)
        if earlier and len(found) < n:
            found += _query(store, undated, [thread], order, n - len(found))
    else:
        found = _query(store, f"{undated} AND rowid {op} ?", [thread, rowid], order, n)
        if not earlier and len(found) < n:
            found += _query(store, dated, [thread], order, n - len(found))
    return found


@dataclass(frozen=True, slots=True)
class ThreadPart:
    """One store's items of a thread around a position (a shard's part of a window)."""

    #: the item at the position, when this store holds it
    pivot: Item | None
    #: up to one more than asked on each side, nearest first
    earlier: list[Item]
    later: list[Item]
    #: how many items of the thread this store holds
    total: int


def thread_part(
    store: Store, thread: str, item_id: str, ts: float | None, *, before: int, after: int
) -> ThreadPart:
    """The items of ``thread`` this store holds around the item ``item_id`` (at time
    ``ts``, which counts only when this store does not hold the item): up to ``before``
    + 1 before it and ``after`` + 1 after it, so that :func:`join_parts` can tell
    whether the thread goes on."""
    with store.lock:
        row = store.conn.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ? AND thread = ?",
            (item_id, thread),
        ).fetchone()
        pivot = item_from_row(row) if row is not None else None
        rowid = int(row[0]) if row is not None else None
        at = row[4] if row is not None else ts  # the item's own time, as stored
        earlier = _side(store, thread, at, rowid, earlier=True, n=before + 1)
        later = _side(store, thread, at, rowid, earlier=False, n=after + 1)
        total = int(
            store.conn.execute("SELECT count(*) FROM items WHERE thread = ?", (thread,)).fetchone()[
                0
            ]
        )
    return ThreadPart(pivot, earlier, later, total)


def _when(item: Item) -> tuple[bool, datetime]:
    """Undated first, then by time (as ``ORDER BY ts``)."""
    return (item.timestamp is not None, item.timestamp or _EPOCH)


def join_parts(
    pivot: Item, parts: Sequence[ThreadPart], *, before: int, after: int
) -> ThreadWindow:
    """The window of ``pivot``'s thread from every store's part of it (one store's on
    one machine, every shard's on the distributed backend). Items of the same time keep
    their store's order, the parts holding the pivot first; an item held by two stores
    is shown once (and counted in ``total`` by each)."""
    ordered = sorted(parts, key=lambda part: part.pivot is None)

    def side(lists: list[list[Item]], nearest_last: bool) -> list[Item]:
        seen: set[str] = {pivot.id}
        found: list[Item] = []
        merged = sorted((i for items in lists for i in items), key=_when, reverse=nearest_last)
        for item in merged:  # a stable sort: each store's order among equal times
            if item.id not in seen:
                seen.add(item.id)
                found.append(item)
        return found

    earlier = side([p.earlier for p in ordered], nearest_last=True)
    later = side([p.later for p in ordered], nearest_last=False)
    return ThreadWindow(
        pivot.thread or "",
        [*reversed(earlier[:before]), pivot, *later[:after]],
        len(earlier) > before,
        len(later) > after,
        sum(p.total for p in parts),
    )


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
        pivot = store.get(item_id)
    if pivot is None:
        raise NotFoundError(f"no item {item_id!r} in this memory")
    if pivot.thread is None:
        return ThreadWindow("", [pivot], False, False, 1)
    part = thread_part(store, pivot.thread, pivot.id, None, before=before, after=after)
    return join_parts(pivot, [part], before=before, after=after)


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
