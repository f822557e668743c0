"""Search filters (time range, sources, people, kinds) and their SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import UserError
from ..records import mend_text

__all__ = ["DATE_EXAMPLES", "Filters", "parse_when", "read_when"]


@dataclass(frozen=True, slots=True)
class Filters:
    """What to keep. ``people`` match items whose author or participants contain each
    name (case-insensitive); each group in ``people_any`` is one person given by all
    their spellings, and an item matches it when it contains any of them
    (``Memory.resolve_filters`` turns ``people`` into such groups from the directory)."""

    since: datetime | None = None
    until: datetime | None = None
    sources: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    threads: tuple[str, ...] = ()
    people_any: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        # a name from a request may hold a lone surrogate, which SQLite cannot take
        for name in ("sources", "people", "kinds", "threads"):
            values: tuple[str, ...] = getattr(self, name)
            if not all(value.isascii() for value in values):
                object.__setattr__(self, name, tuple(mend_text(v) for v in values))
        if not all(v.isascii() for group in self.people_any for v in group):
            mended = tuple(tuple(mend_text(v) for v in group) for group in self.people_any)
            object.__setattr__(self, "people_any", mended)

    def with_changes(self, **changes: Any) -> Filters:
        return replace(self, **changes)

    @property
    def empty(self) -> bool:
        return not (
            self.since
            or self.until
            or self.sources
            or self.people
            or self.kinds
            or self.threads
            or self.people_any
        )

    def sql(self, alias: str = "i") -> tuple[str, list[Any]]:
        """A WHERE fragment over the items table (aliased ``alias``) and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.since is not None:
            clauses.append(f"{alias}.ts >= ?")
            params.append(self.since.timestamp())
        if self.until is not None:
            clauses.append(f"{alias}.ts < ?")
            params.append(self.until.timestamp())
        if self.sources:
            clauses.append(f"{alias}.source IN ({','.join('?' * len(self.sources))})")
            params.extend(self.sources)
        if self.kinds:
            clauses.append(f"{alias}.kind IN ({','.join('?' * len(self.kinds))})")
            params.extend(self.kinds)
        if self.threads:
            clauses.append(f"{alias}.thread IN ({','.join('?' * len(self.threads))})")
            params.extend(self.threads)
        for person in self.people:
            clauses.append(f"instr({alias}.people, ?) > 0")
            params.append(person.lower())
        for group in self.people_any:
            if group:
                clauses.append(
                    "(" + " OR ".join(f"instr({alias}.people, ?) > 0" for _ in group) + ")"
                )
                params.extend(spelling.lower() for spelling in group)
        return (" AND ".join(clauses) or "1"), params


_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def parse_when(text: str, *, end: bool = False) -> datetime:
    """Parse ``2023``, ``2023-01``, ``2023-01-15`` or an ISO timestamp (UTC).

    With ``end=True`` a partial date means the end of that period (exclusive):
    ``--until 2023`` keeps everything before 2024-01-01.
    """
    value = text.strip()
    match = _PARTIAL.match(value)
    if match:
        year = int(match.group(1))
        month = int(match.group(2) or 1)
        day = int(match.group(3) or 1)
        try:
            start = datetime(year, month, day, tzinfo=UTC)
        except ValueError as error:
            raise UserError(f"invalid date {text!r}: {error}") from error
        if not end:
            return start
        if match.group(3):
            return start + timedelta(days=1)
        if match.group(2):
            return datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
        return datetime(year + 1, 1, 1, tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise UserError(
            f"invalid date {text!r}: use YYYY, YYYY-MM, YYYY-MM-DD or an ISO timestamp"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: what a date filter accepts, as said to a person who typed something else
DATE_EXAMPLES = "2023, 2023-06, 2023-06-14, March 2023, 14 June 2023, last summer or 2 weeks ago"
#: words that may join or surround time expressions without meaning anything themselves
_JOINERS = re.compile(r"(?i)\b(?:from|since|until|till|to|through|and|in|on|during|the)\b|[-–—,.]")


def read_when(text: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """A date filter as people type it: what :func:`parse_when` reads, or words such
    as ``March 2023``, ``14 June 2023``, ``last summer`` or ``2 weeks ago``, resolved
    against ``now`` (default: the present) by :mod:`lifelog.retrieval.timeexpr`.

    The start of the period named (its end, exclusive, with ``end=True``); several
    periods (``March 2023 to June 2023``) are read as the span that holds them all.
    A ``UserError`` names the text and what is accepted when nothing in it is a time.
    """
    from .timeexpr import parse_time

    value = " ".join(text.split())
    if not value:
        raise UserError(f"a date filter is empty: use {DATE_EXAMPLES}")
    if _PARTIAL.match(value):  # 2023-13 is told what is wrong with it
        return parse_when(value, end=end)
    try:
        return parse_when(value, end=end)
    except UserError:
        pass
    # "from March 2023" is March 2023; a bare "June" is read as "in June" (the last one)
    words = " ".join(_JOINERS.sub(" ", value).split())
    for attempt in (words, f"in {words}"):
        found = parse_time(attempt, now or datetime.now(UTC))
        window = found.window()
        if window is not None and not _JOINERS.sub(" ", found.rest).strip():
            return window[1] if end else window[0]
    raise UserError(f"cannot read the date {value!r}: use {DATE_EXAMPLES}")
