"""Forgetting items for good, and everything derived from them (:class:`ForgettingMixin`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..ingest import file_origin
from .base import MemoryBase

if TYPE_CHECKING:
    from ..retrieval.filters import Filters

__all__ = ["ForgettingMixin"]


class ForgettingMixin(MemoryBase):
    """``Memory``'s ``forget`` and the ids it would remove."""

    def forget(self, item_ids: Sequence[str]) -> int:
        """Remove items for good: from the store, every index and everything derived from
        them (people, vectors, the import journal of files left empty), with their bytes
        overwritten in the database file and its write-ahead log. A re-import skips them
        (see ``ingest(include_forgotten=...)``). Returns how many were removed."""
        removed = self.store.forget(list(item_ids))
        if removed:
            self._forget_derived()
        return removed

    def forget_file(self, path: str | Path) -> int:
        """Forget every item that came from ``path`` (a file, or anything under a folder),
        and the import journal's record of it."""
        origin = file_origin(Path(path).expanduser().resolve())
        ids = self.store.ids_by_origin(origin)
        removed = self.store.forget(ids, files=[origin])
        self._forget_derived()
        return removed

    def ids_from_file(self, path: str | Path) -> list[str]:
        """The ids of the items that came from ``path`` (what :meth:`forget_file` removes)."""
        with self.store.lock:
            return self.store.ids_by_origin(file_origin(Path(path).expanduser().resolve()))

    def query_ids(
        self, query: str, filters: Filters | None = None, limit: int = 1000
    ) -> Iterable[str]:
        """Ids of items matching a query (what ``forget --query`` would remove)."""
        return [hit.item.id for hit in self.search(query, filters, limit=limit)]

    def _forget_derived(self) -> None:
        """After :meth:`Store.forget`: derive the people again (the mentions, names and
        corrections of forgotten items go), drop the vectors and caches that pointed at
        them, then empty the write-ahead log, which still holds the pages as they were."""
        from ..index.vectors import compact_vectors
        from ..retrieval import query

        self.directory.refresh()
        compact_vectors(self.store)
        with query._CACHE_LOCK:  # the names of authors and participants, per store
            query._CACHE.pop(self.store, None)
        self.store.checkpoint()
