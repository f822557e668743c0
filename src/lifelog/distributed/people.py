"""The people directory of a sharded memory: one person across every shard.

Each shard reads its own items' mentions (:mod:`lifelog.people`), as one machine does.
The people are not merged from the shards' people, which each derived alone (a name
seen alone on one shard joins the person whose contact card another shard holds), but
derived again by the owner from **every shard's mentions together**, with the same
rules (:func:`lifelog.people_rules.cluster`) and the same rows
(:func:`lifelog.people.derive_rows`) — so a mention held by two shards is one mention,
the same address on two shards is one person, and the directory is the one a single
machine holding the same items derives:

- :func:`people_parts` (on a shard): its mentions (signatures), and its items grouped
  by the set of mentions each names, with each group's count, first and last times
  and sources — what the owner needs to count a person's items exactly (an item that
  names two mentions of one person counts once) without a row per item;
- :class:`ShardedPeople` (on the owner): the people derived from every shard's parts
  and the owner's corrections (``lifelog people merge``/``split``, kept in the
  owner's own store, since they concern the whole memory), read as
  :class:`lifelog.people.Directory` reads its tables.

What a shard holds twice (the same item on two shards) counts twice, as in the
statistics of two-phase retrieval (docs/scale.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import NotFoundError
from ..people import (
    MAX_ALIASES,
    MIN_ALIAS,
    Handle,
    Person,
    PersonStats,
    _moment,
    derive_rows,
    only_person,
    stale_corrections,
)
from ..people_rules import Key, Mention, cluster, key_for, person_id_for

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = ["PeopleParts", "ShardedPeople", "people_parts"]

#: the order ``people_handles`` are read in: names, addresses, numbers, the rest
_KIND_ORDER = {"name": 0, "email": 1, "phone": 2}


@dataclass(frozen=True, slots=True)
class Group:
    """Items of one shard that name the same mentions (indices into the signatures)."""

    mentions: tuple[int, ...]
    items: int
    first: float | None
    last: float | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PeopleParts:
    """What one shard tells of its people; ``signatures`` and ``groups`` are ``None``
    when its items did not change since ``version`` (the owner has them)."""

    version: int
    signatures: tuple[str, ...] | None = None
    groups: tuple[Group, ...] | None = None


def people_parts(memory: Memory, known: int = -1) -> PeopleParts:
    """A shard's mentions and groups of items (see the module docstring); nothing but its
    version when its items are those of version ``known``."""
    directory = memory.directory
    directory.ensure_fresh()
    store = memory.store
    with store.lock:
        conn = store.conn
        version = int(conn.execute("SELECT items_version FROM people_state").fetchone()[0])
        if version == known:
            return PeopleParts(version)
        rows = conn.execute(
            "SELECT id, sig FROM people_mentions m WHERE EXISTS (SELECT 1 FROM"
            " people_item_mentions l WHERE l.mention_id = m.id) ORDER BY id"
        ).fetchall()
        index = {int(mid): n for n, (mid, _sig) in enumerate(rows)}
        found = conn.execute(
            "SELECT ms, count(*), min(ts), max(ts), group_concat(DISTINCT source) FROM ("
            " SELECT group_concat(l.mention_id) AS ms, i.ts AS ts, i.source AS source"
            " FROM people_item_mentions l JOIN items i ON i.rowid = l.item_rowid"
            " WHERE l.mention_id IS NOT NULL GROUP BY l.item_rowid) GROUP BY ms"
        ).fetchall()
    merged: dict[tuple[int, ...], _Tally] = {}
    for ms, count, first, last, sources in found:
        # group_concat's order is SQLite's: equal sets written in two orders are one group
        key = tuple(sorted({index[int(m)] for m in str(ms).split(",")}))
        merged.setdefault(key, _Tally()).add(int(count), first, last, (sources or "").split(","))
    groups = tuple(
        Group(key, t.items, t.first, t.last, tuple(sorted(t.sources))) for key, t in merged.items()
    )
    return PeopleParts(version, tuple(str(sig) for _mid, sig in rows), groups)


@dataclass(slots=True)
class _Tally:
    items: int = 0
    first: float | None = None
    last: float | None = None
    sources: set[str] = field(default_factory=set)

    def add(
        self, items: int, first: float | None, last: float | None, sources: Iterable[str]
    ) -> None:
        self.items += items
        self.first = _least(self.first, first)
        self.last = _most(self.last, last)
        self.sources.update(s for s in sources if s)


def _least(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _most(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _ascii_lower(text: str) -> str:
    """SQLite's ``lower()`` and ``LIKE`` fold ASCII letters only."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


class ShardedPeople:
    """The people of a sharded memory, derived from every shard's :class:`PeopleParts`
    and the owner's corrections; read as :class:`lifelog.people.Directory` reads."""

    def __init__(
        self,
        parts: Iterable[PeopleParts],
        merges: Sequence[Sequence[str]] = (),
        splits: Sequence[Sequence[str]] = (),
    ) -> None:
        index: dict[str, int] = {}
        weights: list[int] = []
        groups: list[tuple[list[int], Group]] = []
        for part in parts:
            local = [index.setdefault(sig, len(index)) for sig in part.signatures or ()]
            weights.extend([0] * (len(index) - len(weights)))
            for group in part.groups or ():
                mine = [local[m] for m in group.mentions]
                for m in mine:
                    weights[m] += group.items
                groups.append((mine, group))
        found = [Mention.from_signature(sig) for sig in index]
        #: corrections about keys no shard's items carry (their items were forgotten)
        self.stale = stale_corrections(found, merges, splits)
        gone_merges, gone_splits = set(self.stale[0]), set(self.stale[1])
        roots, root_of = cluster(
            found,
            [((m[0], m[1]), (m[2], m[3])) for m in merges if tuple(m) not in gone_merges],
            [(s[0], s[1]) for s in splits if tuple(s) not in gone_splits],
        )
        pids = [person_id_for(root) for root in roots]
        totals: dict[str, _Tally] = {}
        for mine, group in groups:
            for pid in {pids[m] for m in mine}:
                totals.setdefault(pid, _Tally()).add(
                    group.items, group.first, group.last, group.sources
                )
        stats: dict[str, PersonStats] = {
            pid: (t.items, t.first, t.last, t.sources) for pid, t in totals.items()
        }
        rows, handle_rows = derive_rows(found, weights, pids, roots, root_of, stats)
        handles: dict[str, list[tuple[str, str, str, int]]] = defaultdict(list)
        #: (kind, value) -> [(person id, own)]
        self._owners: dict[Key, list[tuple[str, int]]] = defaultdict(list)
        for kind, value, label, pid, own in handle_rows:
            handles[pid].append((kind, value, label, own))
            self._owners[(kind, value)].append((pid, own))
        self._values = {pid: [h[1] for h in found_] for pid, found_ in handles.items()}
        self._surfaces: dict[str, dict[str, None]] = defaultdict(dict)
        for pid, mention, _sig in sorted(zip(pids, found, index, strict=True), key=_by_sig):
            for surface in mention.surfaces:
                if len(surface) >= MIN_ALIAS:
                    self._surfaces[pid].setdefault(surface, None)
        self._roots = {
            pid: (h[0], h[1]) for pid, found_ in handles.items() for h in found_ if h[3] == 2
        }
        self._people = sorted(
            (
                Person(
                    id=pid,
                    name=name,
                    handles=tuple(
                        Handle(h[0], h[2])
                        for h in sorted(
                            handles[pid], key=lambda h: (_KIND_ORDER.get(h[0], 3), -h[3], h[2])
                        )
                    ),
                    items=items,
                    first_seen=_moment(first),
                    last_seen=_moment(last),
                    sources=tuple(_sources(sources)),
                )
                for pid, name, items, first, last, sources in rows
            ),
            key=lambda p: (-p.items, p.name, p.id),
        )
        self._by_id = {p.id: p for p in self._people}

    # -- reading, as lifelog.people.Directory reads its tables ---------------------

    def people(self, query: str = "", limit: int | None = None) -> list[Person]:
        """Everyone, most often seen first; ``query`` matches names and handles."""
        text = query.strip()
        found = self._people
        if text:
            needle = _ascii_lower(text.casefold())
            found = [
                p
                for p in found
                if any(needle in _ascii_lower(v) for v in self._values.get(p.id, ()))
                or needle in _ascii_lower(p.name)
                or p.id == text
            ]
        return found if limit is None or limit < 0 else found[:limit]

    def _by_ids(self, ids: Iterable[str]) -> list[Person]:
        wanted = set(ids)
        return [p for p in self._people if p.id in wanted]

    def candidates(self, text: str) -> list[Person]:
        """Who ``text`` (an id, a handle, a name, or a part of one) may be, best first."""
        value = text.strip()
        if not value:
            return []
        exact = self._by_ids([value])
        if exact:
            return exact
        key = key_for(value)
        if key is not None:
            owners = self._owners.get(key, [])
            own = [pid for pid, flag in owners if flag] or [pid for pid, _ in owners]
            if own:
                return self._by_ids(own)
        folded = value.casefold()
        named = [p for p in self._people if _ascii_lower(p.name) == folded]
        if named:
            return named
        if len(folded) < 3:
            return []
        return self.people(value, limit=20)

    def person(self, text: str) -> Person:
        """The one person ``text`` names; ``UserError`` when it names several."""
        return only_person(text, self.candidates(text))

    def aliases(self, text: str) -> tuple[str, ...]:
        """Every spelling (lower case) by which the person ``text`` names appears in items'
        ``people``, ``text`` itself first; just ``text`` when it names nobody or several."""
        found = self.candidates(text)
        plain = text.strip().lower()
        if len(found) != 1:
            return (plain,)
        spellings: dict[str, None] = {plain: None}
        spellings.update(self._surfaces.get(found[0].id, {}))
        return tuple(spellings)[:MAX_ALIASES]

    def root(self, person: Person) -> Key:
        """The person's own key (what a merge is recorded with)."""
        found = self._roots.get(person.id)
        if found is None:
            raise NotFoundError(f"{person.name} has no handle of their own")
        return found

    def knows(self, key: Key) -> bool:
        return key in self._owners

    def person_of(self, key: Key) -> Person:
        """The person whose own handle ``key`` is."""
        for pid, own in self._owners.get(key, []):
            if own > 0 and pid in self._by_id:
                return self._by_id[pid]
        raise NotFoundError(f"nobody has the handle {key[1]!r}")


def _by_sig(row: tuple[str, Mention, str]) -> str:
    return row[2]


def _sources(text: str) -> list[str]:
    import json

    found = json.loads(text or "[]")
    return [str(s) for s in found] if isinstance(found, list) else []


def parts_of(
    known: Mapping[int, PeopleParts], fresh: Mapping[int, PeopleParts]
) -> dict[int, PeopleParts]:
    """The parts to derive from: each shard's ``fresh`` answer, or the ``known`` parts of
    a shard whose items did not change."""
    out: dict[int, PeopleParts] = {}
    for shard, part in fresh.items():
        out[shard] = known[shard] if part.signatures is None and shard in known else part
    return out
