"""What a shard answers in two-phase retrieval (:mod:`lifelog.distributed.corpus`).

Phase 1, :func:`statistics`: the shard's share of what scoring needs of the whole
memory — its word index's rows and tokens, how many rows hold each phrase of the
question, its people and sources, and the gram of its vectors (for the common
component). Phase 2: :func:`lexical` scores the shard's rows with the whole memory's
statistics (FTS5's bm25 reproduced bit for bit: :mod:`lifelog.index.bm25`) and
:func:`vector` its vectors with the whole memory's common component; then the owner's
ranking asks for candidates, neighbours, filters and hits by chunk rowid. Every
function takes the shard's open :class:`~lifelog.Memory`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..index.bm25 import Collection, collection, phrase_docs, score_rows
from ..index.lexical import (
    QueryPart,
    Tie,
    _top,
    chunk_keys,
    estimated_docs,
    holding,
    lexical_ranking,
    rows_matching,
)
from ..index.vectors import Shared, search_vectors, vector_gram
from ..memory import Memory
from ..retrieval.corpus import Candidate, Ranked, candidates_of, dated_of, deep, neighbours_of
from ..retrieval.corpus import allowed_of as allowed_in
from ..retrieval.filters import Filters
from ..retrieval.query import QueryPlan, raw_names
from ..retrieval.retrieve import hits_from

__all__ = ["Statistics", "lexical", "statistics", "vector"]


@dataclass(frozen=True, slots=True)
class Statistics:
    """One shard's phase-1 answer."""

    collection: Collection
    #: rows holding each phrase, exactly (bm25's idf) and as the word plan estimates them
    docs: tuple[int, ...]
    estimated: tuple[float, ...]
    names_version: int
    names: tuple[str, ...] | None
    sources: frozenset[str]
    vectors: int
    gram: NDArray[np.float64] | None


def statistics(
    memory: Memory, parts: Sequence[QueryPart], names_known: int, model: str | None
) -> Statistics:
    """Phase 1 (names are sent only when they changed since ``names_known``)."""
    store = memory.store
    top = _top(store)
    version, names, sources = raw_names(store)
    count, gram = vector_gram(store, model) if model else (0, None)
    return Statistics(
        collection(store),
        tuple(phrase_docs(store, [p.match for p in parts])),
        tuple(estimated_docs(store, p, top) for p in parts),
        version,
        None if version == names_known else tuple(names),
        sources,
        count,
        gram,
    )


Scored = list[tuple[int, float, Tie, tuple[int, ...]]]


def lexical(
    memory: Memory,
    phrases: Sequence[QueryPart],
    idfs: Sequence[float],
    avgdl: float,
    rest: Sequence[QueryPart],
    searches: Sequence[Filters],
    limit: int,
    frequent: Sequence[str] | None = None,
) -> list[Scored]:
    """Phase 2, words: for each search, this shard's ``limit`` best rows by bm25 of the
    OR of ``phrases`` with the whole memory's ``idfs`` and ``avgdl``, equal scores in
    :data:`Tie` order: (rowid, score, tie, indices of the ``rest`` parts each holds).
    With ``frequent`` (every word of the question frequent) the rows are those this
    shard's own plan finds for those terms, re-scored (not exact: docs/scale.md)."""
    out: list[Scored] = []
    match = " OR ".join(p.match for p in phrases)
    pairs = [(p.text, p.prefix) for p in phrases]
    for filters in searches:
        filters = memory.resolve_filters(filters)
        if frequent is not None:
            rowids = [r for r, _ in lexical_ranking(memory.store, frequent, filters, limit)]
        else:
            rowids = rows_matching(memory.store, match, filters)
        scores = score_rows(memory.store, pairs, idfs, avgdl, rowids)
        ties = chunk_keys(memory.store, list(scores))
        best = sorted(scores, key=lambda r: (-scores[r], ties[r]))[:limit]
        held = holding(memory.store, best, rest) if rest else {}
        out.append([(r, scores[r], ties[r], tuple(held.get(r, ()))) for r in best])
    return out


def vector(
    memory: Memory,
    query: str,
    searches: Sequence[Filters],
    limit: int,
    common: NDArray[np.float32] | None,
) -> list[list[tuple[int, float, Tie]]] | None:
    """Phase 2, meaning: for each search, this shard's ``limit`` nearest chunks with the
    whole memory's common component, equal cosines in :data:`Tie` order."""
    embedder = memory.embedder()
    if embedder is None:
        return None
    shared = Shared(common)
    out: list[list[tuple[int, float, Tie]]] = []
    ties: dict[int, Tie] = {}

    def tie(rowid: int) -> Tie:
        return ties[rowid]

    for filters in searches:
        filters = memory.resolve_filters(filters)

        def fetch(size: int, filters: Filters = filters) -> list[tuple[int, float]]:
            found = search_vectors(memory.store, embedder, query, filters, size, shared=shared)
            ties.update(chunk_keys(memory.store, [r for r, _ in found if r not in ties]))
            return found

        found = deep(fetch, limit, tie)
        out.append([(r, s, ties[r]) for r, s in found])
    return out


def candidates(memory: Memory, rowids: list[int]) -> list[tuple[Candidate, Tie]]:
    store = memory.store
    found = candidates_of(store, rowids)
    ties = chunk_keys(store, list(found))
    return [(c, ties[r]) for r, c in found.items()]


def neighbours(
    memory: Memory, wanted: list[Candidate], count: int
) -> dict[int, tuple[list[int], list[int]]]:
    return {c.chunk_rowid: neighbours_of(memory.store, c, count) for c in wanted}


def allowed(memory: Memory, filters: Filters, rowids: list[int]) -> set[int]:
    return allowed_in(memory.store, memory.resolve_filters(filters), rowids)


def dated(memory: Memory, filters: Filters, limit: int, newest: bool) -> list[tuple[int, Tie]]:
    """This shard's newest (or oldest) items within ``filters``, each with its tie."""
    found = dated_of(memory.store, memory.resolve_filters(filters), limit, newest)
    ties = chunk_keys(memory.store, found)
    return [(rowid, ties[rowid]) for rowid in found if rowid in ties]


def hits(memory: Memory, ranked: list[Ranked], plan: QueryPlan, limit: int) -> list[Any]:
    return hits_from(memory.store, ranked, plan, limit)
