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
