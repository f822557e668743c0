"""Why filters find nothing, said so a person can act on it: a source or person the
memory does not hold, a kind it has none of, a date range that is empty or holds no
item. The CLI and the web UI show these instead of a bare "no matches"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ..errors import UserError
from .filters import Filters

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = ["check_range", "why_nothing"]


def _day(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d}"


def _last_day(until: datetime) -> str:
    """The last day an exclusive end keeps (``until 2023-07-01`` keeps June 30)."""
    return _day(until - timedelta(microseconds=1))


def check_range(filters: Filters) -> Filters:
    """``filters``, or a ``UserError`` when their dates leave no time between them."""
    if filters.since is not None and filters.until is not None and filters.since >= filters.until:
        raise UserError(
            f"the dates leave no time between them: from {_day(filters.since)}"
            f" is after until {_last_day(filters.until)}"
        )
    return filters


def _listed(values: list[str], limit: int = 8) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def why_nothing(memory: Memory, filters: Filters) -> list[str]:
    """What in ``filters`` leaves nothing to find, one sentence each (empty when each
    filter alone finds items: then it is the words, or the filters together)."""
    reasons: list[str] = []
    with memory.store.lock:
        conn = memory.store.conn
        sources = sorted(str(s) for (s,) in conn.execute("SELECT DISTINCT source FROM items"))
        kinds = sorted(str(k) for (k,) in conn.execute("SELECT DISTINCT kind FROM items"))
        span = conn.execute("SELECT min(ts), max(ts) FROM items WHERE ts IS NOT NULL").fetchone()
    for source in filters.sources:
        if source not in sources:
            reasons.append(f"no source is named {source!r} (there are {_listed(sources)})")
    for kind in filters.kinds:
        if kind not in kinds:
            reasons.append(f"no item is of the kind {kind!r} (there are {_listed(kinds)})")
    for person in filters.people:
        if memory.count(Filters(people=(person,))) == 0:
            reasons.append(f"nobody named {person!r} is in any item (see the people list)")
    if filters.since is not None or filters.until is not None:
        dated = Filters(since=filters.since, until=filters.until)
        if memory.count(dated) == 0:
            since = _day(filters.since) if filters.since else "the start"
            until = _last_day(filters.until) if filters.until else "now"
            held = ""
            if span and span[0] is not None:
                first = datetime.fromtimestamp(span[0], UTC)
                last = datetime.fromtimestamp(span[1], UTC)
                held = f" (the memory holds {_day(first)} to {_day(last)})"
            reasons.append(f"no item is dated from {since} until {until}{held}")
    return reasons
