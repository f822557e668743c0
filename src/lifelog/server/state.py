"""What every route reaches through ``request.app.state``: the memory, the access
rules, the ingest jobs; and the filter parameters shared by the APIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict

from ..retrieval.filters import Filters
from .auth import Access
from .queries import build_filters

if TYPE_CHECKING:
    from ..memory import Memory
    from .jobs import Jobs
    from .watching import ServerWatch

__all__ = ["AppState", "FilterBody", "FilterQuery", "state_of"]


@dataclass(slots=True)
class AppState:
    memory: Memory
    access: Access
    jobs: Jobs
    #: the address printed for people and clients (``http://127.0.0.1:8765``)
    base_url: str
    #: the watcher of the saved folders, while the server runs (``None``: not watching)
    watch: ServerWatch | None = None


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.lifelog
    return state


class FilterBody(BaseModel):
    """Search filters in a JSON body: dates are ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or ISO."""

    model_config = ConfigDict(extra="forbid")
    since: str | None = None
    until: str | None = None
    sources: list[str] = []
    people: list[str] = []
    kinds: list[str] = []

    def filters(self) -> Filters:
        return build_filters(
            since=self.since,
            until=self.until,
            sources=self.sources,
            people=self.people,
            kinds=self.kinds,
        )


class FilterQuery:
    """Search filters as query parameters (``source``, ``person``, ``kind`` repeat)."""

    def __init__(
        self,
        since: Annotated[str | None, Query(description="from (YYYY, YYYY-MM, date, ISO)")] = None,
        until: Annotated[str | None, Query(description="until, inclusive of the period")] = None,
        source: Annotated[list[str] | None, Query(description="source name(s)")] = None,
        person: Annotated[list[str] | None, Query(description="person name(s)")] = None,
        kind: Annotated[list[str] | None, Query(description="email, message, note …")] = None,
        year: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
        period: Annotated[
            str | None, Query(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", description="YYYY[-MM[-DD]]")
        ] = None,
    ) -> None:
        self.since = since
        self.until = until
        self.sources = [s for s in source or [] if s]
        self.people = [p for p in person or [] if p]
        self.kinds = [k for k in kind or [] if k]
        self.period = period or year

    def filters(self, without: str | None = None) -> Filters:
        """The filters; ``without`` a facet (``source``, ``person``, ``year``) for its counts."""
        return build_filters(
            since=self.since,
            until=self.until,
            sources=() if without == "source" else self.sources,
            people=() if without == "person" else self.people,
            kinds=self.kinds,
            period=None if without == "year" else self.period,
        )
