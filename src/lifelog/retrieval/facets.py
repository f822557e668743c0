"""What the items within some filters are, counted: by source, by year, by person.

The web's browsing facets show these counts beside the items. They are counted in the
store holding the items, so that a memory whose items lie on several shards adds up
each shard's counts (:meth:`FacetCounts.add`) instead of reading an empty store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..store import Store
from .filters import Filters

__all__ = ["FacetCounts", "facet_counts"]


@dataclass(slots=True)
class FacetCounts:
    """Items by source, by year (``"2023"``) and by participant name."""

    sources: Counter[str] = field(default_factory=Counter)
    years: Counter[str] = field(default_factory=Counter)
    people: Counter[str] = field(default_factory=Counter)

    def add(self, other: FacetCounts) -> None:
        """Count ``other``'s items too (another shard's: every item is held once)."""
        self.sources.update(other.sources)
        self.years.update(other.years)
        self.people.update(other.people)

    def keep_people(self, limit: int) -> None:
        """Only the ``limit`` most frequent participants, equal counts by name (the order
        :func:`facet_counts` cuts in, so a sum of shards keeps the same ones)."""
        ranked = sorted(self.people.items(), key=lambda kv: (-kv[1], kv[0]))
        self.people = Counter(dict(ranked[:limit]))


def facet_counts(store: Store, filters: Filters, people: int | None) -> FacetCounts:
    """The counts of the items of ``store`` within ``filters`` (already resolved: people
    widened to their spellings), the ``people`` most frequent participants (all with
    ``None``: a shard's share of a sum must not be cut before it is added up)."""
    where, params = filters.sql("i")
    conn = store.conn
    limit = -1 if people is None else people
    with store.lock:
        sources = conn.execute(
            f"SELECT i.source, count(*) FROM items i WHERE {where} GROUP BY i.source", params
        ).fetchall()
        years = conn.execute(
            f"SELECT strftime('%Y', i.ts, 'unixepoch') AS y, count(*) FROM items i"
            f" WHERE {where} AND i.ts IS NOT NULL GROUP BY y",
            params,
        ).fetchall()
        named = conn.execute(
            f"SELECT p.value, count(*) AS n FROM items i, json_each(i.participants) p"
            f" WHERE {where} GROUP BY p.value ORDER BY n DESC, p.value LIMIT ?",
            [*params, limit],
        ).fetchall()
    return FacetCounts(
        Counter({str(s): int(n) for s, n in sources}),
        Counter({str(y): int(n) for y, n in years if y}),
        Counter({str(p): int(n) for p, n in named if p}),
    )
