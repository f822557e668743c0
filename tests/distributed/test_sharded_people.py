"""The people directory of a sharded memory, without a cluster: a ``RayMemory`` whose
shards are held in this process derives the embedded backend's people from the same
files, finds, filters, merges and splits them as it does."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from lifelog import Memory
from lifelog.distributed.shard import Shard
from lifelog.errors import LifelogError
from lifelog.retrieval.filters import Filters
from lifelog.samplelife import SampleLife

Sharded = tuple[SampleLife, Memory, list[Shard]]
Owner = Callable[..., Any]


@pytest.fixture
def copies(
    sharded: Sharded, tmp_path: Path, owner: Owner
) -> Iterator[tuple[Memory, Any, list[Shard]]]:
    """A copy of the embedded memory and an owner over the shards, for corrections."""
    _, embedded, shards = sharded
    shutil.copytree(embedded.home, tmp_path / "embedded")
    with Memory.open(tmp_path / "embedded") as mine, owner(tmp_path / "owner", shards) as ray:
        yield mine, ray, shards


def _shown(people: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [
        (p.id, p.name, p.handles, p.items, p.first_seen, p.last_seen, p.sources) for p in people
    ]


def _same(call: Any, *args: Any) -> Any:
    """What ``call(*args)`` returns, or the error it raises (its kind and words)."""
    try:
        return call(*args)
    except LifelogError as error:
        return type(error).__name__, str(error)


def test_the_shards_people_are_the_embedded_people(
    sharded: Sharded, tmp_path: Path, owner: Owner
) -> None:
    _, embedded, shards = sharded
    with owner(tmp_path / "owner", shards) as ray:
        theirs = embedded.people()
        assert len(theirs) > 20
        assert _shown(ray.people()) == _shown(theirs)
        # why merge mentions, not people: a person named on both shards is one person,
        # whose items and handles come from both
        alone = [s.memory.people() for s in shards]
        assert all(alone) and sum(map(len, alone)) > len(theirs)
        ids = [{p.id for p in people} for people in alone]
        both = [p for p in theirs if p.id in ids[0] and p.id in ids[1]]
        assert both
        for person in both[:5]:
            parts = [next(q for q in people if q.id == person.id) for people in alone]
            assert person.items == sum(q.items for q in parts)
        # the cached directory is used until a shard's items change
        cached = ray._people_cache
        assert ray.people() and ray._people_cache is cached


def test_finding_and_filtering_by_people_as_one_machine(
    sharded: Sharded, tmp_path: Path, owner: Owner
) -> None:
    _, embedded, shards = sharded
    with owner(tmp_path / "owner", shards) as ray:
        people = embedded.people()
        asked: list[str] = ["", "a", "an", "example", "+1", "zzz-nobody"]
        for person in people[:12]:
            asked += [person.id, person.name, person.name.split()[0].lower()]
            asked += [h.value for h in person.handles[:3]]
        for text in asked:
            assert _shown(ray.people(text, limit=20)) == _shown(embedded.people(text, limit=20))
            if not text:
                continue
            assert _same(ray.person, text) == _same(embedded.person, text), text
            mine = ray.resolve_filters(Filters(people=(text,)))
            theirs = embedded.resolve_filters(Filters(people=(text,)))
            assert [set(g) for g in mine.people_any] == [set(g) for g in theirs.people_any]
        for person in people[:6]:
            by = Filters(people=(person.name,))
            assert ray.count(by) == embedded.count(by) > 0, person.name
            # items of the same moment: one machine orders them by row, shards by id
            want = sorted((i.timestamp, i.id) for i in embedded.timeline(by, limit=500))
            assert [(i.timestamp, i.id) for i in ray.timeline(by, limit=500)] == want


def test_merges_and_splits_as_one_machine_kept_by_the_owner(
    copies: tuple[Memory, Any, list[Shard]], tmp_path: Path, owner: Owner
) -> None:
    embedded, ray, shards = copies
    people = embedded.people()
    a, b = people[0], next(p for p in people[1:] if p.values("email") or p.values("phone"))
    merged = ray.merge_people(a.id, b.id)
    assert _shown([merged]) == _shown([embedded.merge_people(a.id, b.id)])
    assert merged.items >= max(a.items, b.items)
    assert _shown(ray.people()) == _shown(embedded.people())
    handle = (b.values("email") or b.values("phone"))[0]
    alone = ray.split_person(handle)
    assert _shown([alone]) == _shown([embedded.split_person(handle)])
    assert _shown(ray.people()) == _shown(embedded.people())
    ray.merge_people(a.id, alone.id)
    embedded.merge_people(a.id, alone.id)
    ray.close()
    # the corrections are the owner's, in its own store: a later session has them
    with owner(tmp_path / "owner", shards) as again:
        assert _shown(again.people()) == _shown(embedded.people())
        for wrong in ("nobody@example.invalid", ""):
            said = _same(again.split_person, wrong)
            assert said == _same(embedded.split_person, wrong)
            assert isinstance(said, tuple), said  # an error, the same one


def test_a_shard_that_does_not_answer_is_named_and_not_kept(
    sharded: Sharded, tmp_path: Path, owner: Owner
) -> None:
    from lifelog.distributed.memory import PartialResultWarning

    _, embedded, shards = sharded
    with owner(tmp_path / "owner", shards, down=[1]) as ray:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            some = ray.people()
        assert any(issubclass(w.category, PartialResultWarning) for w in caught)
        whole = embedded.people()
        assert some and sum(p.items for p in some) < sum(p.items for p in whole)
        assert ray._people_cache is None
        ray._cluster.down.clear()
        assert _shown(ray.people()) == _shown(embedded.people())
