"""What the parts of :class:`~lifelog.memory.Memory` share: the attributes
``Memory.__init__`` sets and, for the type checker only, the methods one part calls
that another part (or ``Memory`` itself) defines."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from ..config import MemoryConfig
    from ..people import Directory
    from ..records import Hit, Item
    from ..retrieval.filters import Filters
    from ..store import Store

__all__ = ["MemoryBase"]


class MemoryBase:
    """The common ground of the parts of ``Memory``: a memory's folder, its store and its
    settings (set by ``Memory.__init__``)."""

    home: Path
    store: Store
    config: MemoryConfig

    if TYPE_CHECKING:  # defined by another part or by Memory: declared for mypy only

        @property
        def directory(self) -> Directory: ...

        def resolve_filters(self, filters: Filters) -> Filters: ...

        def get(self, item_id: str) -> Item: ...

        def search(
            self, query: str, filters: Filters | None = None, *, limit: int = 10
        ) -> list[Hit]: ...
