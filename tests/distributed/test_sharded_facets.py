"""The web's browsing facets of a sharded memory, without a cluster: the items within
some filters counted by source, year and person on each shard and added up, equal to
the embedded backend's counts over the same files (the owner's own store is empty)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lifelog import Memory
from lifelog.distributed.shard import Shard
from lifelog.retrieval.filters import Filters
from lifelog.samplelife import SampleLife
from lifelog.server.queries import facets_for_filters


def test_facets_are_counted_on_the_shards_as_on_one_machine(
    sharded: tuple[SampleLife, Memory, list[Shard]], tmp_path: Path, owner: Callable[..., Any]
) -> None:
    _, embedded, shards = sharded
    everyone = embedded.facet_counts(people=None).people
    busiest = everyone.most_common(1)[0][0]
    with owner(tmp_path / "owner", shards) as ray:
        assert ray.store.conn.execute("SELECT count(*) FROM items").fetchone()[0] == 0
        for filters in (
            Filters(),
            Filters(sources=("mbox",)),
            Filters(people=(busiest,)),
            Filters(sources=("no-such-source",)),
        ):
            mine, theirs = (
                ray.facet_counts(filters, people=None),
                embedded.facet_counts(filters, people=None),
            )
            assert (mine.sources, mine.years, mine.people) == (
                theirs.sources,
                theirs.years,
                theirs.people,
            ), filters
            assert facets_for_filters(ray, filters) == facets_for_filters(embedded, filters)
        shown = facets_for_filters(ray, Filters())
        assert sum(f["count"] for f in shown["source"]) == embedded.count()
        assert len(shown["person"]) == 12 and shown["person"][0]["value"] == busiest


def test_browsing_and_period_counts_read_the_shards(
    sharded: tuple[SampleLife, Memory, list[Shard]], tmp_path: Path, owner: Callable[..., Any]
) -> None:
    """Browsing without a query (the newest items first) and the timeline's counts by
    period are the embedded backend's, read from the shards."""
    _, embedded, shards = sharded
    with owner(tmp_path / "owner", shards) as ray:
        for filters in (Filters(), Filters(sources=("mbox",))):
            for fmt in ("%Y", "%Y-%m"):
                assert ray.period_counts(filters, fmt=fmt) == embedded.period_counts(
                    filters, fmt=fmt
                )
            mine = ray.newest(filters, limit=30, offset=5)
            theirs = embedded.newest(filters, limit=30, offset=5)
            assert len(mine) == 30
            assert [i.timestamp for i in mine] == [i.timestamp for i in theirs]
            assert {i.id for i in mine} <= {i.id for i in embedded.newest(filters, limit=60)}
        assert sum(ray.period_counts().values()) == embedded.count(Filters()) - sum(
            1 for i in embedded.store.iter_items("ts IS NULL", []) if i
        )
