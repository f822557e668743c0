"""The people of a memory (:class:`PeopleMixin`): one person across handles, see
:mod:`lifelog.people`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import MemoryBase

if TYPE_CHECKING:
    from ..people import Directory, Person
    from ..retrieval.filters import Filters

__all__ = ["PeopleMixin"]


class PeopleMixin(MemoryBase):
    """``Memory``'s people directory, and filters widened to every spelling of a person."""

    @property
    def directory(self) -> Directory:
        """The people directory of this memory (see :mod:`lifelog.people`)."""
        from ..people import Directory

        found: Directory | None = self.__dict__.get("_directory")
        if found is None:
            found = self.__dict__["_directory"] = Directory(self.store)
        return found

    def people(self, query: str = "", limit: int | None = None) -> list[Person]:
        """The people in the memory, most often seen first; ``query`` matches any part of
        a name, an address, a number or a user id."""
        return self.directory.people(query, limit)

    def person(self, name_or_handle: str) -> Person:
        """The one person an id, address, number, user id or name (or part of one) names.

        ``NotFoundError`` when nobody matches, ``UserError`` (listing them) when several do.
        """
        return self.directory.person(name_or_handle)

    def merge_people(self, a: str, b: str) -> Person:
        """Join two people into one, for good: the merge is kept across rebuilds."""
        return self.directory.merge(a, b)

    def split_person(self, handle: str) -> Person:
        """Take one address, number, user id or name out of the person it was joined to
        (undoing a merge that involved it); it stays apart across rebuilds."""
        return self.directory.split(handle)

    def rebuild_people(self) -> int:
        """Read every item's people again (merges and splits are kept). Returns items read."""
        return self.directory.rebuild()

    def resolve_filters(self, filters: Filters) -> Filters:
        """``filters`` with each person named in ``people`` widened to all their spellings
        (names, addresses, numbers) when the directory knows exactly one such person."""
        if not filters.people:
            return filters
        groups = tuple(self.directory.aliases(name) for name in filters.people)
        return filters.with_changes(people=(), people_any=filters.people_any + groups)
