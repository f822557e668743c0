"""Reading a memory without a question (:class:`BrowsingMixin`): the timeline, the newest
items, threads, counts by period and facet, statistics and the import journal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..config import DB_NAME
from ..index.text import content_terms
from ..retrieval.facets import FacetCounts, facet_counts
from ..retrieval.filters import Filters
from .base import MemoryBase

if TYPE_CHECKING:
    from ..records import Item
    from ..store.threads import ThreadWindow

__all__ = ["BrowsingMixin", "Stats"]


@dataclass(slots=True)
class Stats:
    path: str
    encryption: str
    items: int
    chunks: int
    by_source: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    runs: int = 0
    db_bytes: int = 0


class BrowsingMixin(MemoryBase):
    """``Memory``'s reads without a question."""

    def timeline(
        self, filters: Filters | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[Item]:
        """Items in time order within the filters."""
        where, params = self.resolve_filters(filters or Filters()).sql("items")
        return list(
            self.store.iter_items(f"{where} AND ts IS NOT NULL", params, limit=limit, offset=offset)
        )

    def newest(
        self, filters: Filters | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[Item]:
        """Dated items within the filters, the newest first (browsing without a query)."""
        from ..store.threads import newest_items

        where, params = self.resolve_filters(filters or Filters()).sql("items")
        return newest_items(self.store, where, params, limit=limit, offset=offset)

    def thread_window(self, item_id: str, *, before: int = 25, after: int = 25) -> ThreadWindow:
        """The item (a unique prefix of its id is enough) among up to ``before`` items of
        its thread before it and ``after`` after it (see :mod:`lifelog.store.threads`)."""
        from ..store.threads import thread_window

        return thread_window(self.store, self.get(item_id).id, before=before, after=after)

    def thread_sizes(self, threads: Iterable[str]) -> dict[str, int]:
        """How many items each of ``threads`` holds (a recurring event's occurrences, a
        conversation's messages)."""
        from ..store.threads import thread_sizes

        return thread_sizes(self.store, threads)

    def period_counts(self, filters: Filters | None = None, *, fmt: str = "%Y") -> dict[str, int]:
        """How many dated items within the filters fall in each period (``fmt``, an
        SQLite ``strftime`` format such as ``%Y-%m``)."""
        where, params = self.resolve_filters(filters or Filters()).sql("i")
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT strftime(?, i.ts, 'unixepoch') AS p, count(*) FROM items i"
                f" WHERE {where} AND i.ts IS NOT NULL GROUP BY p",
                [fmt, *params],
            ).fetchall()
        return {str(p): int(n) for p, n in rows if p}

    def facet_counts(self, filters: Filters | None = None, people: int | None = 12) -> FacetCounts:
        """The items within ``filters`` counted by source, year and the ``people`` most
        frequent participants (all with ``None``): the web's browsing facets."""
        return facet_counts(self.store, self.resolve_filters(filters or Filters()), people)

    def count(self, filters: Filters | None = None, query: str | None = None) -> int:
        """How many items lie within ``filters`` (and contain every word of ``query``)."""
        from ..index.lexical import fts_query

        where, params = self.resolve_filters(filters or Filters()).sql("i")
        terms = content_terms(query or "")
        with self.store.lock:
            if not terms:
                row = self.store.conn.execute(
                    f"SELECT count(*) FROM items i WHERE {where}", params
                ).fetchone()
            else:
                match = " AND ".join(fts_query([t]) for t in terms[:16])
                row = self.store.conn.execute(
                    "SELECT count(DISTINCT c.item_rowid) FROM chunks_fts f"
                    " JOIN chunks c ON c.rowid = f.rowid JOIN items i ON i.rowid = c.item_rowid"
                    f" WHERE chunks_fts MATCH ? AND {where}",
                    [match, *params],
                ).fetchone()
        return int(row[0])

    def stats(self) -> Stats:
        conn = self.store.conn
        with self.store.lock:
            items = conn.execute("SELECT count(*), min(ts), max(ts) FROM items").fetchone()
            chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            by_source = dict(conn.execute("SELECT source, count(*) FROM items GROUP BY source"))
            by_kind = dict(conn.execute("SELECT kind, count(*) FROM items GROUP BY kind"))
            runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        size = sum(p.stat().st_size for p in self.home.glob(DB_NAME + "*") if p.is_file())
        return Stats(
            path=str(self.home),
            encryption=self.config.encryption,
            items=int(items[0]),
            chunks=int(chunks),
            by_source=by_source,
            by_kind=by_kind,
            first=datetime.fromtimestamp(items[1], UTC) if items[1] else None,
            last=datetime.fromtimestamp(items[2], UTC) if items[2] else None,
            runs=int(runs),
            db_bytes=size,
        )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.store.lock:
            cursor = self.store.conn.execute(
                "SELECT id, started_at, ended_at, status, added, updated, unchanged, skipped,"
                " bytes, paths FROM runs ORDER BY id DESC LIMIT ?",
                (limit,),
            )
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]

    def run_errors(self, run_id: int) -> list[tuple[str, str, str]]:
        with self.store.lock:
            return [
                (r[0], r[1], r[2])
                for r in self.store.conn.execute(
                    "SELECT file, position, reason FROM run_errors WHERE run_id = ?", (run_id,)
                )
            ]
