"""The vector index: one embedding per chunk, kept in the encrypted store, searched exactly.

Vectors live in ``chunk_vectors`` (migration ``m003_vectors``): the chunk's rowid,
the model that made the vector and the vector itself (float16, unit length; half
the bytes of float32 and far below the models' own precision for cosine ranking).
A chunk is *pending* when it has no vector from the current model, so embedding
trails lexical indexing ("searchable now, semantic soon"), resumes where it
stopped, and a change of model re-embeds everything. Deleting a chunk (forget,
a changed item re-ingested) deletes its vector (a trigger).

Search is brute force up to :data:`lifelog.index.ann.ANN_MIN` vectors: the whole matrix is
held in memory per process (refreshed when ``vector_state.version`` moves) and scored with
one matrix-vector product — exact, no index to tune: ~7 ms for 200k chunks of 256 dims
(``lifelog.bench.embed``). Filters run as SQL over the best candidates first (a lookup
each), and over every chunk only when too few of them survive. A larger memory is
searched through the approximate index of :mod:`lifelog.index.ann` (quantized codes in
memory, candidates re-scored exactly), whose filters scan only the chunks they allow.

Before scoring, the memory's *common component* is taken out of the chunks' vectors
and the query's (:func:`common_component`, :func:`without_component`): the direction
every vector shares (greetings, names, the chat register) otherwise dominates the
cosine of averaged token vectors, and one chat message looks much like any other.
On LoCoMo this lifts the static model's dense recall@10 from 69.1 to 70.2 and hybrid
recall@10 by 0.5-0.6 points on each half of the dev set; MiniLM's is unchanged
(``docs/benchmarks.md``). The stored vectors stay as the model made them.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..models.embeddings import Embedder
from ..retrieval.filters import Filters
from ..store import Store
from .ann import AnnIndex, ann_index, drop_ann, forget_missing, needs_ann, rescore
from .embedding import META_MODEL, STORED_DTYPE, EmbedProgress, embed_pending, embedding_text

__all__ = [
    "EmbedProgress",
    "VectorStatus",
    "common_component",
    "compact_vectors",
    "drop_vectors",
    "embed_pending",
    "embedding_text",
    "Shared",
    "search_vectors",
    "shared_component",
    "vector_gram",
    "vector_status",
    "without_component",
]

#: candidates re-scored exactly through the approximate index (at least)
RESCORE_AT_LEAST = 100
#: candidate pools checked against filters before a full scan: (at least, times the limit)
POOLS = ((1000, 20), (10_000, 200))
#: the fewest vectors whose common component is estimated and removed: in a handful of
#: chunks the first singular vector is their own topic, not what all text shares
COMMON_MIN = 200
#: at most this many rows (evenly spaced) estimate it; the direction is settled long before
COMMON_SAMPLE = 20_000


@dataclass(frozen=True, slots=True)
class VectorStatus:
    chunks: int
    embedded: int
    model: str | None
    #: vectors left from other models (replaced as the current one catches up)
    stale: int = 0

    @property
    def pending(self) -> int:
        return self.chunks - self.embedded


def drop_vectors(store: Store) -> int:
    """Remove every vector (``lifelog index rebuild``); return how many were removed."""
    with store.lock, store.conn:
        removed = int(store.conn.execute("DELETE FROM chunk_vectors").rowcount)
        store.conn.execute("DELETE FROM vector_models")
        store.conn.execute("DELETE FROM meta WHERE key = ?", (META_MODEL,))
        store.conn.execute("UPDATE vector_state SET version = version + 1 WHERE id = 1")
    _CACHES.pop(store, None)
    drop_ann(store)
    return removed


def compact_vectors(store: Store) -> int:
    """After a forget: remove the vectors no chunk has any more and drop this process's
    matrix, so that nothing derived from a forgotten chunk stays in the file or in memory.
    Returns how many vectors were removed. (A trigger removes a chunk's vector with the
    chunk; this also catches what an older memory or an interrupted write left.)"""
    with store.lock, store.conn:
        removed = int(
            store.conn.execute(
                "DELETE FROM chunk_vectors WHERE NOT EXISTS"
                " (SELECT 1 FROM chunks c WHERE c.rowid = chunk_vectors.chunk_rowid)"
            ).rowcount
        )
    with _CACHE_LOCK:
        _CACHES.pop(store, None)
    forget_missing(store)
    return removed


def vector_status(store: Store, model: str | None = None) -> VectorStatus:
    """How many chunks there are and how many carry a vector of ``model`` (default: the
    model the index was last built with)."""
    model = model or store.meta_get(META_MODEL)
    with store.lock:
        chunks = int(store.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        counts = dict(
            store.conn.execute(
                "SELECT m.name, count(*) FROM chunk_vectors v"
                " JOIN vector_models m ON m.id = v.model_id GROUP BY m.name"
            ).fetchall()
        )
    embedded = int(counts.pop(model, 0)) if model else 0
    return VectorStatus(chunks, embedded, model, sum(int(n) for n in counts.values()))


# -- searching -------------------------------------------------------------------------


def common_component(vectors: NDArray[np.float32]) -> NDArray[np.float32] | None:
    """The first singular vector of the rows (not centred): the direction they share.

    SIF's common component removal (Arora, Liang & Ma, "A Simple but Tough-to-Beat
    Baseline for Sentence Embeddings", ICLR 2017): a text vector averaged from token
    vectors carries a large component common to all text, which is taken out of every
    vector before comparing them. ``None`` for fewer than :data:`COMMON_MIN` rows.
    """
    if len(vectors) < COMMON_MIN:
        return None
    step = max(1, len(vectors) // COMMON_SAMPLE)
    return component_of(gram_of(vectors[::step]))


def gram_of(rows: NDArray[np.float32]) -> NDArray[np.float64]:
    """``rowsᵀ rows`` in float64: each product of two float32 values is exact, so the
    grams of a memory's shards add up to the memory's own but for rounding far below
    float32's (the owner of a sharded memory sums them: :class:`Shared`)."""
    sample = np.asarray(rows, dtype=np.float64)
    gram: NDArray[np.float64] = sample.T @ sample
    return gram


def component_of(gram: NDArray[np.float64]) -> NDArray[np.float32]:
    """The first eigenvector of a gram matrix, as float32."""
    _values, directions = np.linalg.eigh(gram)  # ascending eigenvalues
    return np.ascontiguousarray(directions[:, -1], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class Shared:
    """A sharded memory's common component (None: too few vectors for one), computed by
    the owner from every shard's :func:`vector_gram`, so that each shard's cosines are
    the whole memory's. Exact while the memory holds fewer than twice
    :data:`COMMON_SAMPLE` vectors (one machine then reads them all); past that one
    machine samples every k-th row, which no shard can reproduce."""

    common: NDArray[np.float32] | None


def vector_gram(store: Store, model: str) -> tuple[int, NDArray[np.float64] | None]:
    """This store's vectors of ``model``: how many, and their :func:`gram_of`."""
    matrix = _matrix(store, model)
    if matrix is None or len(matrix.rowids) == 0:
        return 0, None
    rows = _raw_rows(store, model)
    return len(rows), gram_of(rows)


def shared_component(parts: list[tuple[int, NDArray[np.float64] | None]]) -> Shared:
    """The owner's :class:`Shared` from each shard's :func:`vector_gram`."""
    total = sum(count for count, _ in parts)
    grams = [gram for _, gram in parts if gram is not None]
    if total < COMMON_MIN or not grams:
        return Shared(None)
    return Shared(component_of(np.sum(grams, axis=0)))


def without_component(
    rows: NDArray[np.float32], component: NDArray[np.float32]
) -> NDArray[np.float32]:
    """``rows`` less their projection on the unit vector ``component``, rescaled to unit
    length (a row with nothing else left stays zero)."""
    out = np.array(rows, dtype=np.float32, order="C", copy=True)
    _remove_component(out, component)
    return out


def _remove_component(rows: NDArray[np.float32], component: NDArray[np.float32]) -> None:
    """:func:`without_component` in place, a block of rows at a time (no n × dims temporary)."""
    for start in range(0, len(rows), 65_536):
        part = rows[start : start + 65_536]
        part -= np.outer(part @ component, component)
        norms = np.linalg.norm(part, axis=1, keepdims=True)
        part /= np.maximum(norms, 1e-6)
        part[norms[:, 0] < 1e-6] = 0.0


@dataclass(frozen=True, slots=True)
class _Matrix:
    version: int
    rowids: NDArray[np.int64]  # ascending
    vectors: NDArray[np.float32]  # one unit row per rowid, without the common component
    #: the common component taken out of the rows (and of each query); None when too few
    common: NDArray[np.float32] | None = None


_CACHES: weakref.WeakKeyDictionary[Store, dict[str, _Matrix]] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _version(store: Store) -> int:
    with store.lock:
        return int(
            store.conn.execute("SELECT version FROM vector_state WHERE id = 1").fetchone()[0]
        )


def _raw_rows(store: Store, model: str) -> NDArray[np.float32]:
    """``model``'s stored vectors as float32, in rowid order (none: an empty matrix)."""
    with store.lock:
        row = store.conn.execute(
            "SELECT id, dims FROM vector_models WHERE name = ?", (model,)
        ).fetchone()
        if row is None:
            return np.zeros((0, 0), dtype=np.float32)
        rows = store.conn.execute(
            "SELECT vector FROM chunk_vectors WHERE model_id = ? ORDER BY chunk_rowid", (row[0],)
        ).fetchall()
    blob = b"".join(r[0] for r in rows)
    flat = np.frombuffer(blob, dtype=STORED_DTYPE).reshape(len(rows), int(row[1]))
    return np.array(flat, dtype=np.float32, order="C")


def _shared_matrix(store: Store, model: str, shared: Shared) -> _Matrix | None:
    """The matrix with the owner's common component taken out instead of this store's."""
    local = _matrix(store, model)
    if local is None:
        return None
    key = f"{model}\0shared"
    with _CACHE_LOCK:
        cached = _CACHES.setdefault(store, {}).get(key)
    same = (
        cached is not None
        and cached.version == local.version
        and (
            (cached.common is None and shared.common is None)
            or (
                cached.common is not None
                and shared.common is not None
                and np.array_equal(cached.common, shared.common)
            )
        )
    )
    if cached is not None and same:
        return cached
    vectors = _raw_rows(store, model)
    if shared.common is not None and len(vectors):
        _remove_component(vectors, shared.common)
    matrix = _Matrix(local.version, local.rowids, vectors, shared.common)
    with _CACHE_LOCK:
        _CACHES.setdefault(store, {})[key] = matrix
    return matrix


def _matrix(store: Store, model: str) -> _Matrix | None:
    """The in-memory matrix of ``model``'s vectors, reloaded when the table changed."""
    version = _version(store)
    with _CACHE_LOCK:
        cached = _CACHES.setdefault(store, {}).get(model)
    if cached is not None and cached.version == version:
        return cached
    with store.lock:
        row = store.conn.execute(
            "SELECT id, dims FROM vector_models WHERE name = ?", (model,)
        ).fetchone()
        if row is None:
            return None
        # the version is read before the rows: a write in between only costs a reload
        rows = store.conn.execute(
            "SELECT chunk_rowid, vector FROM chunk_vectors WHERE model_id = ? ORDER BY chunk_rowid",
            (row[0],),
        ).fetchall()
    dims = int(row[1])
    rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    blob = b"".join(r[1] for r in rows)
    # a writable float32 copy of the stored rows, so that the common component goes in place
    vectors = np.array(
        np.frombuffer(blob, dtype=STORED_DTYPE).reshape(len(rows), dims),
        dtype=np.float32,
        order="C",
    )
    common = common_component(vectors)
    if common is not None:
        _remove_component(vectors, common)
    matrix = _Matrix(version, rowids, vectors, common)
    with _CACHE_LOCK:
        _CACHES.setdefault(store, {})[model] = matrix
    return matrix


def _scores(vectors: NDArray[np.float32], query: NDArray[np.float32]) -> NDArray[np.float32]:
    """Cosine scores of unit rows against a unit query.

    ``einsum`` runs numpy's own single-threaded loop: as fast as BLAS for a
    memory-bound matrix-vector product, and free of OpenBLAS's thread wake-ups,
    which cost a whole scheduler tick (10-20 ms) per query on a busy machine.
    """
    scores: NDArray[np.float32] = np.einsum("ij,j->i", vectors, query)
    return scores


def _top(scores: NDArray[np.float32], k: int) -> NDArray[np.int64]:
    """Indices of the ``k`` highest scores, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(scores):
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(len(scores))
    return part[np.argsort(-scores[part], kind="stable")].astype(np.int64)


def _allowed(store: Store, filters: Filters, rowids: Sequence[int] | None) -> NDArray[np.int64]:
    """Chunk rowids within ``filters``: among ``rowids``, or all of them when ``None``."""
    where, params = filters.sql("i")
    if rowids is None:
        # one string of them all: SQLite joins them faster than Python builds a tuple each
        # (70 ms for 126,000 chunks at 10M, against 100 ms)
        sql = (
            "SELECT group_concat(c.rowid) FROM chunks c JOIN items i ON i.rowid = c.item_rowid"
            f" WHERE {where}"
        )
        with store.lock:
            joined = store.conn.execute(sql, list(params)).fetchone()[0]
        if not joined:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.array(joined.split(","), dtype=np.int64))
    # CROSS JOIN fixes the order: look the candidates up one by one, rather than let the
    # planner scan every item of a source (or everyone's people) to find a few of them;
    # in rowid order, so that neighbours may share the pages read (and decrypted)
    sql = (
        "SELECT c.rowid FROM json_each(?) j CROSS JOIN chunks c CROSS JOIN items i"
        f" WHERE c.rowid = j.value AND i.rowid = c.item_rowid AND {where}"
    )
    args = [json.dumps(sorted(int(r) for r in rowids)), *params]
    with store.lock:
        found = store.conn.execute(sql, args).fetchall()
    return np.sort(np.fromiter((r[0] for r in found), dtype=np.int64, count=len(found)))


#: a filter the store's indexes answer (time, source, thread) that keeps at most this
#: many items is read as its chunks at once, through those indexes (~0.35 µs a chunk),
#: rather than by checking the best candidates one by one (~30 µs each: a random item
#: and chunk read and decrypted)
FEW_ITEMS = 200_000


def _few_allowed(store: Store, filters: Filters) -> NDArray[np.int64] | None:
    """The chunks ``filters`` allows when an index finds them and they are few, else
    ``None`` (people are matched in each item's text, kinds have no index)."""
    if filters.people or filters.people_any or filters.kinds:
        return None
    where, params = filters.sql("i")
    with store.lock:
        count = store.conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM items i WHERE {where} LIMIT ?)",
            [*params, FEW_ITEMS + 1],
        ).fetchone()[0]
    if int(count) > FEW_ITEMS:
        return None
    return _allowed(store, filters, None)


def search_vectors(
    store: Store,
    embedder: Embedder,
    query: str,
    filters: Filters | None = None,
    limit: int = 50,
    *,
    shared: Shared | None = None,
) -> list[tuple[int, float]]:
    """The ``limit`` chunks nearest to ``query`` within ``filters``: (chunk rowid, cosine),
    best first. Only vectors made by ``embedder`` are searched. ``shared``: a sharded
    memory's common component, used instead of this store's (not by the approximate
    index, which keeps its own: docs/scale.md)."""
    if not query.strip() or limit <= 0:
        return []
    if needs_ann(store):
        ann = ann_index(store, embedder.name)
        if ann is not None:
            vector = embedder.embed([query])[0]
            if vector.shape[0] != int(ann.index.d):
                return []
            return _search_large(store, ann, vector, filters or Filters(), limit)
    if shared is None:
        matrix = _matrix(store, embedder.name)
    else:
        matrix = _shared_matrix(store, embedder.name, shared)
    if matrix is None or len(matrix.rowids) == 0:
        return []
    vector = embedder.embed([query])[0]
    if vector.shape[0] != matrix.vectors.shape[1]:
        return []  # vectors of another width under the same name
    if matrix.common is not None:
        vector = without_component(vector[None, :], matrix.common)[0]
    if not vector.any():
        return []  # nothing to compare
    scores = _scores(matrix.vectors, vector)
    if filters is None or filters.empty:
        best = _top(scores, limit)
        return [(int(matrix.rowids[i]), float(scores[i])) for i in best]
    # most filters keep a good share of the memory: check the best candidates first, then
    # a wider pool (a lookup each: cheap), and only then everything the filter allows (a
    # scan when the filter has no index to use, such as people)
    for least, times in POOLS:
        size = max(limit * times, least)
        pool = _top(scores, size)
        candidates = matrix.rowids[pool]
        kept = pool[np.isin(candidates, _allowed(store, filters, candidates.tolist()))]
        if len(kept) >= limit or len(pool) == len(scores):
            return [(int(matrix.rowids[i]), float(scores[i])) for i in kept[:limit]]
    # a narrow filter: score exactly the chunks it allows
    allowed = _allowed(store, filters, None)
    positions = np.searchsorted(matrix.rowids, allowed)
    inside = positions < len(matrix.rowids)
    positions, allowed = positions[inside], allowed[inside]
    positions = positions[matrix.rowids[positions] == allowed]  # chunks not yet embedded drop
    best = positions[_top(scores[positions], limit)]
    return [(int(matrix.rowids[i]), float(scores[i])) for i in best]


def _search_large(
    store: Store, ann: AnnIndex, vector: NDArray[np.float32], filters: Filters, limit: int
) -> list[tuple[int, float]]:
    """:func:`search_vectors` through the approximate index (:mod:`lifelog.index.ann`).

    With filters: the best candidates are looked up first (most filters keep a good share
    of the memory); when too few of them pass, the chunks the filter allows are found
    through the store's indexes (time, source) and only they are scanned, as a bitmap."""
    query = ann.prepare(vector[None, :])[0]
    if not query.any():
        return []
    if filters.empty:
        with ann.lock:
            found = ann.search(query, max(RESCORE_AT_LEAST, 2 * limit))
        return rescore(store, ann, query, found)[:limit]
    few = _few_allowed(store, filters)
    if few is not None:
        with ann.lock:
            kept = ann.search(query, max(RESCORE_AT_LEAST, 2 * limit), few)
        return rescore(store, ann, query, kept)[:limit]
    with ann.lock:
        pool = ann.search(query, max(limit * 20, 1000))
    kept = pool[np.isin(pool, _allowed(store, filters, pool.tolist()))]
    if len(kept) < limit:
        allowed = _allowed(store, filters, None)
        with ann.lock:
            kept = ann.search(query, max(RESCORE_AT_LEAST, 2 * limit), allowed)
    return rescore(store, ann, query, kept[: max(RESCORE_AT_LEAST, 2 * limit)])[:limit]
