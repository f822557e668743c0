"""Read-only views the pages need that ``Memory`` does not offer (yet): counts per
period, facets, a people directory when ``Memory.people`` is absent.

They only read ``memory.store`` (under its lock) and never write.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import UserError
from ..records import Hit
from ..retrieval.explain import check_range
from ..retrieval.filters import Filters, parse_when, read_when

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = [
    "Bucket",
    "build_filters",
    "facets_for_filters",
    "facets_for_hits",
    "faceted",
    "people_directory",
    "period_counts",
]

_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}


def build_filters(
    *,
    since: str | None = None,
    until: str | None = None,
    sources: Sequence[str] = (),
    people: Sequence[str] = (),
    kinds: Sequence[str] = (),
    period: str | None = None,
) -> Filters:
    """Filters from request parameters; ``period`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``
    and narrows ``since``/``until`` to it. Dates are read as people type them
    (``March 2023``, ``last summer``: :func:`~lifelog.retrieval.filters.read_when`); a
    date that cannot be read, or a range with no time in it, is a ``UserError``."""
    start = read_when(since) if since and since.strip() else None
    end = read_when(until, end=True) if until and until.strip() else None
    if period:
        p_start, p_end = parse_when(period), parse_when(period, end=True)
        start = max(start, p_start) if start else p_start
        end = min(end, p_end) if end else p_end
    clean = [
        tuple(v.strip() for v in values if v and v.strip()) for values in (sources, people, kinds)
    ]
    return check_range(
        Filters(since=start, until=end, sources=clean[0], people=clean[1], kinds=clean[2])
    )


@dataclass(frozen=True, slots=True)
class Bucket:
    period: str
    count: int

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period, "count": self.count}


def period_counts(memory: Memory, filters: Filters, granularity: str) -> list[Bucket]:
    """How many dated items fall in each year, month or day, in time order."""
    fmt = _FORMATS.get(granularity)
    if fmt is None:
        raise UserError("granularity must be year, month or day")
    counts = memory.period_counts(filters, fmt=fmt)  # counted where the items are
    return [Bucket(p, n) for p, n in sorted(counts.items())]


Facets = dict[str, list[dict[str, Any]]]
FACETS = ("source", "person", "year")
#: how many search results facets and totals are counted over
POOL = 200


def _top(counter: Counter[str], limit: int) -> list[dict[str, Any]]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0].lower()))
    return [{"value": value, "count": count} for value, count in ranked[:limit]]


def facets_for_hits(hits: Iterable[Hit], limit: int = 12) -> Facets:
    """Counts by source, person and year among search results."""
    sources: Counter[str] = Counter()
    people: Counter[str] = Counter()
    years: Counter[str] = Counter()
    for hit in hits:
        item = hit.item
        sources[item.source] += 1
        for name in {*(item.participants or ()), *((item.author,) if item.author else ())}:
            people[name] += 1
        if item.timestamp:
            years[f"{item.timestamp:%Y}"] += 1
    return {
        "source": _top(sources, limit),
        "person": _top(people, limit),
        "year": sorted(_top(years, 50), key=lambda f: str(f["value"]), reverse=True),
    }


def facets_for_filters(memory: Memory, filters: Filters, limit: int = 12) -> Facets:
    """Counts by source, person and year over every item within ``filters`` (counted
    where the items are: the shards of a distributed memory)."""
    counts = memory.facet_counts(filters, people=limit)
    return {
        "source": _top(counts.sources, limit),
        "person": _top(counts.people, limit),
        "year": sorted(
            ({"value": y, "count": n} for y, n in counts.years.items()),
            key=lambda f: str(f["value"]),
            reverse=True,
        ),
    }


def faceted(
    memory: Memory,
    query: str,
    filters_without: Callable[[str | None], Filters],
    search: Callable[[str, Filters], list[Hit]] | None = None,
) -> Facets:
    """Facet counts where each facet ignores its own filter (the others still apply), so
    choosing ``source: mbox`` keeps the other sources on offer with their counts.
    ``search(query, filters)`` finds the hits counted (default: by words, the best
    :data:`POOL`)."""
    find = search or (lambda words, filters: memory.search(words, filters, limit=POOL))
    cache: dict[Filters, Facets] = {}
    out: Facets = {}
    for name in FACETS:
        filters = filters_without(name)
        if filters not in cache:
            if query.strip():
                cache[filters] = facets_for_hits(find(query, filters))
            else:
                cache[filters] = facets_for_filters(memory, filters)
        out[name] = cache[filters][name]
    return out


def _person(value: Any) -> dict[str, Any]:
    """One entry of ``Memory.people()`` in the directory's shape, whatever its own names."""
    from .serialize import plain

    data = plain(value)
    if not isinstance(data, dict):
        return {"name": str(value)}

    def pick(*names: str) -> Any:
        return next((data[n] for n in names if data.get(n) not in (None, "")), None)

    person = dict(data)
    person["name"] = str(pick("name", "display_name", "canonical", "id") or "?")
    person["items"] = pick("items", "count", "item_count", "mentions")
    for key, names in (
        ("first", ("first", "first_seen", "since")),
        ("last", ("last", "last_seen", "until")),
    ):
        moment = pick(*names)
        person[key] = str(moment)[:10] if moment else None
    sources = pick("sources")
    person["sources"] = sorted(str(s) for s in sources) if isinstance(sources, list) else []
    return person


def people_directory(memory: Memory, query: str = "", limit: int = 200) -> list[dict[str, Any]]:
    """The people in the memory: ``Memory.people()`` when it exists, else counts of the
    names in items' participants and authors (most frequent first)."""
    people = getattr(memory, "people", None)
    if callable(people):
        found = [_person(p) for p in people()]
        if query:
            needle = query.lower()
            found = [p for p in found if needle in json.dumps(p, ensure_ascii=False).lower()]
        return found[:limit]
    needle = f"%{query.lower()}%" if query else "%"
    with memory.store.lock:
        rows = memory.store.conn.execute(
            "SELECT name, count(*) AS n, min(ts), max(ts), group_concat(DISTINCT source) FROM ("
            " SELECT p.value AS name, i.ts AS ts, i.source AS source"
            " FROM items i, json_each(i.participants) p"
            " UNION ALL SELECT i.author, i.ts, i.source FROM items i"
            " WHERE i.author IS NOT NULL AND i.participants = '[]')"
            " WHERE name IS NOT NULL AND name != '' AND lower(name) LIKE ?"
            " GROUP BY name ORDER BY n DESC, name LIMIT ?",
            (needle, limit),
        ).fetchall()

    def day(ts: float | None) -> str | None:
        return datetime.fromtimestamp(ts, UTC).date().isoformat() if ts else None

    return [
        {
            "name": str(name),
            "items": int(n),
            "first": day(first),
            "last": day(last),
            "sources": sorted(str(s) for s in (sources or "").split(",") if s),
        }
        for name, n, first, last, sources in rows
    ]
