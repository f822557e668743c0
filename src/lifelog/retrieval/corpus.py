"""What hybrid retrieval reads: a :class:`Corpus`, one store or many shards.

:func:`~lifelog.retrieval.hybrid.hybrid_search` ranks and fuses; everything it needs of
the items themselves — the word and vector rankings, the candidates' fields, a chat
message's neighbours, whether a chunk passes a filter, and the hits at the end — it
asks of a corpus. :class:`StoreCorpus` answers from one encrypted store (the embedded
backend); the distributed backend's ``ShardedCorpus`` answers from every shard
of a distributed memory, each scoring with the whole memory's statistics. The ranking
code is the same for both, so the same question gives the same hits in the same order.

Keys are ints (a store's chunk rowids; for shards, a rowid and its shard in one int),
and equal scores are ordered by :meth:`Corpus.tie`: the chunk's item id (a digest of
its content, the same on every backend) and its ordinal, never by a rowid, which
depends on the order things were ingested in and on which shard holds them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..index.lexical import Tie, chunk_keys, lexical_ranking
from ..records import Hit
from ..store import Store
from ..store.batched import rows_in
from .filters import Filters
from .query import QueryPlan

__all__ = [
    "Candidate",
    "Corpus",
    "Ranked",
    "StoreCorpus",
    "VectorSearch",
    "candidates_of",
    "dated_of",
    "deep",
    "neighbours_of",
]

VectorSearch = Callable[[str, Filters, int], list[tuple[int, float]]]
#: rows fetched past a limit, so that the scores tied at the limit are all seen
TIE_MARGIN = 16


@dataclass(frozen=True, slots=True)
class Candidate:
    chunk_rowid: int
    item_rowid: int
    author: str | None
    ts: float | None
    thread: str | None
    kind: str
    text: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class Ranked:
    chunk_rowid: int
    score: float
    why: tuple[str, ...] = ()
    #: chunk rowids of the messages around a chat hit, in order (context, not ranked)
    context: tuple[int, ...] = ()


class Corpus(Protocol):
    """What :func:`~lifelog.retrieval.hybrid.hybrid_search` reads (see the module)."""

    def lexical(
        self, terms: Sequence[str], searches: Sequence[Filters], limit: int, stems: bool
    ) -> list[list[tuple[int, float]]]: ...

    def vector(
        self, query: str, searches: Sequence[Filters], limit: int
    ) -> list[list[tuple[int, float]]] | None: ...

    def candidates(self, keys: Sequence[int]) -> dict[int, Candidate]: ...

    def neighbours(
        self, candidates: Sequence[Candidate], count: int
    ) -> dict[int, tuple[list[int], list[int]]]: ...

    def allowed(self, filters: Filters, keys: Sequence[int]) -> set[int]: ...

    def dated(self, filters: Filters, limit: int, newest: bool) -> list[int]: ...

    def tie(self, key: int) -> Tie: ...

    def hits(self, ranked: Sequence[Ranked], plan: QueryPlan, limit: int) -> list[Hit]: ...


def deep(
    fetch: Callable[[int], list[tuple[int, float]]],
    limit: int,
    tie: Callable[[int], Tie],
) -> list[tuple[int, float]]:
    """The ``limit`` best of a ranking that breaks ties its own way (by rowid, by
    position), with ties broken by ``tie`` instead: fetched deeper until every score
    equal to the limit's is in hand."""
    size = limit + TIE_MARGIN
    while True:
        found = fetch(size)
        if len(found) < size or found[-1][1] != found[limit - 1][1]:
            break
        size *= 4
    return sorted(found, key=lambda pair: (-pair[1], tie(pair[0])))[:limit]


def candidates_of(store: Store, rowids: Sequence[int]) -> dict[int, Candidate]:
    """The fields ranking needs of each chunk (its item's author, time, thread …)."""
    rows = rows_in(
        store,
        "SELECT c.rowid, i.rowid, i.author, i.ts, i.thread, i.kind,"
        " substr(item_text(i.text), c.start + 1, min(c.end - c.start, 4000)), i.source"
        " FROM chunks c JOIN items i ON i.rowid = c.item_rowid WHERE c.rowid IN ({marks})",
        rowids,
    )
    return {int(row[0]): Candidate(int(row[0]), int(row[1]), *row[2:]) for row in rows}


def neighbours_of(store: Store, candidate: Candidate, count: int) -> tuple[list[int], list[int]]:
    """Chunk rowids of the ``count`` messages before (nearest first) and after
    ``candidate`` in its thread; none for anything but a dated chat message."""
    if candidate.thread is None or candidate.ts is None or candidate.kind != "message":
        return [], []
    found: list[list[int]] = []
    with store.lock:
        for comparison, order in (("<", "DESC"), (">", "ASC")):
            rows = store.conn.execute(
                "SELECT c.rowid FROM items i JOIN chunks c ON c.item_rowid = i.rowid"
                f" AND c.ordinal = 0 WHERE i.thread = ? AND (i.ts, i.rowid) {comparison}"
                f" (?, ?) ORDER BY i.ts {order}, i.rowid {order} LIMIT ?",
                (candidate.thread, candidate.ts, candidate.item_rowid, count),
            ).fetchall()
            found.append([int(r[0]) for r in rows])
    return found[0], found[1]


def allowed_of(store: Store, filters: Filters, rowids: Sequence[int]) -> set[int]:
    """Which of ``rowids`` pass ``filters``."""
    if not rowids:
        return set()
    where, params = filters.sql("i")
    marks = ",".join("?" * len(rowids))
    with store.lock:
        rows = store.conn.execute(
            "SELECT c.rowid FROM chunks c JOIN items i ON i.rowid = c.item_rowid"
            f" WHERE c.rowid IN ({marks}) AND {where}",
            [*rowids, *params],
        ).fetchall()
    return {int(r[0]) for r in rows}


def dated_of(store: Store, filters: Filters, limit: int, newest: bool) -> list[int]:
    """Chunk rowids of the first chunks of the ``limit`` newest (or oldest) dated items
    within ``filters``; items of the same moment in the order of their ids."""
    where, params = filters.sql("i")
    order = "DESC" if newest else "ASC"
    with store.lock:
        rows = store.conn.execute(
            "SELECT c.rowid FROM items i JOIN chunks c ON c.item_rowid = i.rowid"
            f" AND c.ordinal = 0 WHERE {where} AND i.ts IS NOT NULL"
            f" ORDER BY i.ts {order}, i.id LIMIT ?",
            [*params, limit],
        ).fetchall()
    return [int(r[0]) for r in rows]


class StoreCorpus:
    """One store: the embedded backend (and each shard, for what it holds)."""

    def __init__(self, store: Store, vector_search: VectorSearch | None = None) -> None:
        self.store = store
        self.vector_search = vector_search
        self._ties: dict[int, Tie] = {}

    def _known(self, rowids: Sequence[int]) -> None:
        missing = [r for r in rowids if r not in self._ties]
        if missing:
            self._ties.update(chunk_keys(self.store, missing))

    def tie(self, key: int) -> Tie:
        if key not in self._ties:
            self._known([key])
        return self._ties.get(key, (math.inf, "", key))

    def lexical(
        self, terms: Sequence[str], searches: Sequence[Filters], limit: int, stems: bool
    ) -> list[list[tuple[int, float]]]:
        return [lexical_ranking(self.store, terms, f, limit, stems=stems) for f in searches]

    def vector(
        self, query: str, searches: Sequence[Filters], limit: int
    ) -> list[list[tuple[int, float]]] | None:
        search = self.vector_search
        if search is None:
            return None
        lists: list[list[tuple[int, float]]] = []
        for filters in searches:

            def fetch(size: int, filters: Filters = filters) -> list[tuple[int, float]]:
                found = search(query, filters, size)
                self._known([rowid for rowid, _ in found])
                return found

            lists.append(deep(fetch, limit, self.tie))
        return lists

    def candidates(self, keys: Sequence[int]) -> dict[int, Candidate]:
        return candidates_of(self.store, keys)

    def neighbours(
        self, candidates: Sequence[Candidate], count: int
    ) -> dict[int, tuple[list[int], list[int]]]:
        return {c.chunk_rowid: neighbours_of(self.store, c, count) for c in candidates}

    def allowed(self, filters: Filters, keys: Sequence[int]) -> set[int]:
        return allowed_of(self.store, filters, keys)

    def dated(self, filters: Filters, limit: int, newest: bool) -> list[int]:
        found = dated_of(self.store, filters, limit, newest)
        self._known(found)
        return found

    def hits(self, ranked: Sequence[Ranked], plan: QueryPlan, limit: int) -> list[Hit]:
        from .retrieve import hits_from

        return hits_from(self.store, ranked, plan, limit)


def by_score(scores: Mapping[int, float], tie: Callable[[int], Tie]) -> list[int]:
    """Keys best first, equal scores in ``tie`` order."""
    return sorted(scores, key=lambda key: (-scores[key], tie(key)))
