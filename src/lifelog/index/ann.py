"""Approximate vector search for large memories: 4-bit codes in memory, re-scored exactly.

Below :data:`ANN_MIN` vectors the exact matrix of :mod:`lifelog.index.vectors` answers
(a few milliseconds). Above it, holding every vector as float32 would cost 10 GB at
10M chunks and reading them all ~40 ms a query, so the vectors are *quantized* and
*indexed*: an inverted file (IVF: the vectors clustered by k-means into ``nlist`` ≈ 2√n
lists; Jégou, Douze & Schmid, "Product Quantization for Nearest Neighbor Search", TPAMI
2011, section IV) whose entries are 4-bit scalar codes (128 bytes for 256 dimensions),
from faiss. A query visits the :data:`NPROBE` lists nearest to it, ranks their codes, and
the best :data:`RESCORE` candidates are re-scored exactly with their stored float16 vectors
(read from the encrypted store by rowid): the returned cosines are exact, only the
candidate set is approximate. ``nlist`` grows as √n and the lists visited stay fixed, so a
query reads O(√n) codes.

Chosen by measured recall@10 against exact search, latency and memory
(``python -m lifelog.bench.ann``, docs/benchmarks-scale-search.md; 100k chunks of the
static model, 220 questions, re-scored alike): IVF with 4-bit codes reached 0.955 at
2 ms (p50) with 143 bytes a vector, built in 7 s; usearch's HNSW with int8 vectors 0.945
at 405 bytes (4 GB at 10M, over the memory target) and 88 s; hnswlib's float32 HNSW 0.90
at 1,160 bytes; usearch's binary HNSW with re-scoring 0.78. IVF also takes a filter as a
bitmap of the allowed ids while it scans (``IDSelectorBitmap``), which HNSW graphs serve
badly (a narrow filter disconnects the graph).

At rest the index lives inside the encrypted store (table ``ann_index``: the serialized
faiss index, its ids and the common component, in parts), never in a file of its own; it
is derived, so dropping the table loses nothing but the time to build it again. It follows
the store: vectors added since it was built or saved are added when a query finds the
store moved on (``vector_state.version``); chunks deleted in this process leave it
through ``Store.delete_hooks``, and :func:`forget_missing` (run by ``compact_vectors``
after every forget) takes out whatever no longer has a vector and saves it again, so no
code of a forgotten chunk stays in the file. Candidates are re-scored from the store,
so a chunk deleted by another process is never returned even before that.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..store import Store
from .embedding import STORED_DTYPE

__all__ = [
    "ANN_MIN",
    "AnnIndex",
    "ann_index",
    "available",
    "drop_ann",
    "forget_missing",
    "needs_ann",
    "search_ann",
]

#: the fewest vectors searched through the approximate index (exact below)
ANN_MIN = 100_000
#: lists visited per query
NPROBE = 128
#: candidates re-scored exactly (at least; more for a larger limit)
RESCORE = 100
#: how each vector is coded: 4 bits a dimension (128 bytes for 256 dimensions)
CODE = "SQ4"
#: vectors read from the store per step while building
STEP = 100_000
#: parts of the serialized index kept per row
PART_BYTES = 64 * 1024 * 1024
#: vectors added since the last save that make a query save again (a share of the index)
RESAVE_SHARE = 0.05
#: rebuild (retrain the lists) once the index has grown this many times over its training
RETRAIN_GROWTH = 4.0


def _faiss() -> Any:
    import faiss

    faiss.omp_set_num_threads(1)  # a query on one thread: no wake-ups of idle workers
    return faiss


@dataclass(slots=True)
class AnnIndex:
    """A faiss IVF-PQ index over one model's vectors, keyed by chunk rowid."""

    model: str
    index: Any
    #: chunk rowids in the index, ascending
    ids: NDArray[np.int64]
    common: NDArray[np.float32] | None
    #: vectors the lists were trained on (the index is rebuilt when it grows far past it)
    trained: int
    #: the store's ``vector_state.version`` the index reflects
    version: int
    #: the highest rowid added (newer vectors are added on the next search)
    last: int
    saved_count: int = 0
    #: removed from since it was last saved (the saved copy still holds what went)
    removed_since_save: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        return len(self.ids)

    def prepare(self, rows: NDArray[Any]) -> NDArray[np.float32]:
        """Rows as the index holds them: without the common component, unit length."""
        from .vectors import without_component

        rows = np.ascontiguousarray(rows, dtype=np.float32)
        if self.common is not None:
            return without_component(rows, self.common)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        unit: NDArray[np.float32] = rows / np.maximum(norms, 1e-6)
        return unit

    def add(self, ids: NDArray[np.int64], rows: NDArray[np.float32]) -> None:
        if len(ids):
            self.index.add_with_ids(self.prepare(rows), ids)
            self.ids = np.union1d(self.ids, ids)
            self.last = max(self.last, int(ids.max()))

    def remove(self, ids: NDArray[np.int64]) -> int:
        gone = np.intersect1d(self.ids, ids)
        if len(gone):
            faiss = _faiss()
            self.index.remove_ids(faiss.IDSelectorBatch(gone))
            self.ids = np.setdiff1d(self.ids, gone, assume_unique=True)
            self.removed_since_save = True
        return len(gone)

    def search(
        self, query: NDArray[np.float32], k: int, allowed: NDArray[np.int64] | None = None
    ) -> NDArray[np.int64]:
        """Candidate rowids for a prepared unit ``query``, best first (approximate).
        With ``allowed``, only those rowids are scanned (a bitmap; every list visited when
        they are few, since they may lie in any of them)."""
        faiss = _faiss()
        nprobe = min(NPROBE, self.index.nlist)
        params = None
        if allowed is not None:
            if not len(allowed):
                return np.zeros(0, dtype=np.int64)
            size = int(max(int(allowed.max()), self.last)) + 1
            flags = np.zeros(size, dtype=bool)
            flags[allowed] = True
            bits = np.packbits(flags, bitorder="little")  # faiss reads bit (id & 7) of byte id >> 3
            selector = faiss.IDSelectorBitmap(size, faiss.swig_ptr(bits))
            # a narrow filter: its chunks are a few per list, so visit more lists: enough
            # that they hold about four times ``k`` allowed chunks, and at least four
            # times the usual (all of them when the filter is rare). Visiting all for any
            # filter under 2% had cost 50-70 ms at 10M chunks: each list's ids checked
            per_list = len(allowed) / max(1, self.index.nlist)
            wanted = int(np.ceil(4 * k / max(per_list, 1e-9)))
            nprobe = min(self.index.nlist, max(nprobe * 4, wanted))
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        else:
            params = faiss.SearchParametersIVF(nprobe=nprobe)
        _scores, found = self.index.search(query[None, :], k, params=params)
        del params  # ``bits`` (alive until here) is what the selector reads
        row: NDArray[np.int64] = np.asarray(found[0], dtype=np.int64)
        return row[row >= 0]


_CACHES: weakref.WeakKeyDictionary[Store, dict[str, AnnIndex]] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()
_BUILD_LOCK = threading.Lock()


def _table(store: Store) -> None:
    # derived data, not part of the schema: created when first needed, dropped at will
    with store.lock, store.conn:
        store.conn.execute(
            "CREATE TABLE IF NOT EXISTS ann_index"
            " (model TEXT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL,"
            " PRIMARY KEY (model, part))"
        )


def _state(store: Store, model: str) -> tuple[int, int, int] | None:
    """(model id, dims, vector_state version), or None when no vector has this model."""
    with store.lock:
        row = store.conn.execute(
            "SELECT id, dims FROM vector_models WHERE name = ?", (model,)
        ).fetchone()
        version = store.conn.execute("SELECT version FROM vector_state WHERE id = 1").fetchone()
    if row is None:
        return None
    return int(row[0]), int(row[1]), int(version[0])


def available() -> bool:
    """Whether faiss is installed (a dependency; without it every search is exact)."""
    try:
        _faiss()
    except ImportError:
        return False
    return True


def needs_ann(store: Store) -> bool:
    """Whether the memory is large enough for the approximate index (the highest chunk
    rowid with a vector: an upper bound of their number, read from the key in O(log n))
    and faiss is there to build it."""
    if not available():
        return False
    with store.lock:
        row = store.conn.execute("SELECT max(chunk_rowid) FROM chunk_vectors").fetchone()
    return row is not None and row[0] is not None and int(row[0]) >= ANN_MIN


def read_vectors(
    store: Store, model_id: int, dims: int, after: int, limit: int
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Up to ``limit`` of ``model_id``'s stored vectors past chunk rowid ``after``, in
    rowid order: (rowids, float32 rows)."""
    with store.lock:
        rows = store.conn.execute(
            "SELECT chunk_rowid, vector FROM chunk_vectors WHERE chunk_rowid > ?"
            " AND model_id = ? ORDER BY chunk_rowid LIMIT ?",
            (after, model_id, limit),
        ).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    blob = b"".join(r[1] for r in rows)
    vectors = np.frombuffer(blob, dtype=STORED_DTYPE).reshape(len(rows), dims)
    return ids, vectors.astype(np.float32)


def _sample(store: Store, model_id: int, dims: int, size: int, top: int) -> NDArray[np.float32]:
    """About ``size`` vectors spread evenly over the rowids up to ``top``."""
    step = max(1, top // size)
    with store.lock:
        rows = store.conn.execute(
            "SELECT vector FROM chunk_vectors WHERE model_id = ? AND chunk_rowid % ? = 0",
            (model_id, step),
        ).fetchall()
    blob = b"".join(r[0] for r in rows)
    return np.frombuffer(blob, dtype=STORED_DTYPE).reshape(len(rows), dims).astype(np.float32)


def build(store: Store, model: str, *, save: bool = True) -> AnnIndex | None:
    """Build the index of ``model``'s vectors from the store (and save it there)."""
    from .vectors import common_component

    state = _state(store, model)
    if state is None:
        return None
    model_id, dims, version = state
    faiss = _faiss()
    with store.lock:
        top = store.conn.execute(
            "SELECT max(chunk_rowid) FROM chunk_vectors WHERE model_id = ?", (model_id,)
        ).fetchone()[0]
    if top is None:
        return None
    nlist = int(min(16_384, max(16, 2 * np.sqrt(int(top)))))
    sample = _sample(store, model_id, dims, max(nlist * 40, 50_000), int(top))
    if len(sample) < nlist:
        nlist = max(1, len(sample) // 40)
    common = common_component(sample)
    found = AnnIndex(model, None, np.zeros(0, dtype=np.int64), common, 0, version, 0)
    sample = found.prepare(sample)
    index = faiss.index_factory(dims, f"IVF{nlist},{CODE}", faiss.METRIC_INNER_PRODUCT)
    # one thread: OpenMP workers spin while they wait, and on a busy 2-core machine two of
    # them took 4x longer than one
    index.train(sample)
    found.index = index
    after = 0
    parts: list[NDArray[np.int64]] = []
    while True:
        ids, rows = read_vectors(store, model_id, dims, after, STEP)
        if not len(ids):
            break
        index.add_with_ids(found.prepare(rows), ids)
        parts.append(ids)
        after = int(ids[-1])
    found.ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    found.last = after
    found.trained = len(found.ids)
    if save:
        save_index(store, found)
    return found


def save_index(store: Store, ann: AnnIndex) -> None:
    """Keep ``ann`` in the store (encrypted with it), replacing what was kept.

    The serialized index goes to the store a part at a time as faiss writes it: held
    whole, and copied into parts, it had taken four times the index's size (5.8 GB of
    peak memory at 10M chunks, for an index of 1.4 GB)."""
    faiss = _faiss()
    _table(store)
    pending = bytearray()
    parts = 0

    def flush(conn: Any, everything: bool) -> None:
        nonlocal parts
        while len(pending) >= PART_BYTES or (everything and pending):
            conn.execute(
                "INSERT INTO ann_index (model, part, data) VALUES (?,?,?)",
                (ann.model, 3 + parts, bytes(pending[:PART_BYTES])),
            )
            del pending[:PART_BYTES]
            parts += 1

    with store.lock, store.conn:
        conn = store.conn
        conn.execute("DELETE FROM ann_index WHERE model = ?", (ann.model,))

        def written(data: bytes) -> int:
            pending.extend(data)
            flush(conn, everything=False)
            return len(data)

        faiss.write_index(ann.index, faiss.PyCallbackIOWriter(written))
        flush(conn, everything=True)
        meta = {
            "version": ann.version,
            "trained": ann.trained,
            "last": ann.last,
            "dims": int(ann.index.d),
            "code": CODE,
            "index_parts": parts,
        }
        common = b"" if ann.common is None else ann.common.astype("<f4").tobytes()
        conn.executemany(
            "INSERT INTO ann_index (model, part, data) VALUES (?,?,?)",
            [
                (ann.model, 0, json.dumps(meta).encode()),
                (ann.model, 1, ann.ids.astype("<i8").tobytes()),
                (ann.model, 2, common),
            ],
        )
    ann.saved_count = ann.count
    ann.removed_since_save = False


def load_index(store: Store, model: str) -> AnnIndex | None:
    """The index kept in the store for ``model``, or None."""
    _table(store)
    with store.lock:
        rows = store.conn.execute(
            "SELECT part, data FROM ann_index WHERE model = ? AND part < 3 ORDER BY part",
            (model,),
        ).fetchall()
    if len(rows) < 3 or rows[0][0] != 0:
        return None
    faiss = _faiss()
    meta = json.loads(bytes(rows[0][1]))
    if meta.get("code") != CODE:
        return None  # kept with another coding: built again
    ids = np.frombuffer(bytes(rows[1][1]), dtype="<i8").astype(np.int64)
    common_bytes = bytes(rows[2][1])
    common = np.frombuffer(common_bytes, dtype="<f4").copy() if common_bytes else None
    index = faiss.read_index(faiss.PyCallbackIOReader(_Parts(store, model)))
    ann = AnnIndex(
        model, index, ids, common, int(meta["trained"]), int(meta["version"]), int(meta["last"])
    )
    ann.saved_count = ann.count
    return ann


class _Parts:
    """A faiss read callback over the serialized index's parts, a part at a time (the
    index is read into its own memory as it goes: no copy of it whole)."""

    def __init__(self, store: Store, model: str) -> None:
        self.store, self.model = store, model
        self.part, self.data, self.at = 3, b"", 0

    def __call__(self, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            if self.at >= len(self.data):
                with self.store.lock:
                    row = self.store.conn.execute(
                        "SELECT data FROM ann_index WHERE model = ? AND part = ?",
                        (self.model, self.part),
                    ).fetchone()
                if row is None:
                    break
                self.data, self.at, self.part = bytes(row[0]), 0, self.part + 1
                continue
            take = self.data[self.at : self.at + size - len(out)]
            out.extend(take)
            self.at += len(take)
        return bytes(out)


def drop_ann(store: Store) -> None:
    """Remove every kept index (vectors dropped, a rebuild) and this process's copies."""
    _table(store)
    with store.lock, store.conn:
        store.conn.execute("DELETE FROM ann_index")
    with _CACHE_LOCK:
        _CACHES.pop(store, None)


def _hook(store: Store) -> None:
    """Take deleted chunks out of this process's indexes as the store deletes them."""

    def removed(rowids: list[int]) -> None:
        with _CACHE_LOCK:
            held = list(_CACHES.get(store, {}).values())
        for ann in held:
            with ann.lock:
                ann.remove(np.asarray(rowids, dtype=np.int64))

    if not getattr(store, "_ann_hooked", False):
        store.delete_hooks.append(removed)
        store._ann_hooked = True  # type: ignore[attr-defined]


def _catch_up(store: Store, ann: AnnIndex, model_id: int, dims: int, version: int) -> None:
    """Add the vectors written since ``ann`` was built (rowids past ``ann.last``)."""
    added = 0
    while True:
        ids, rows = read_vectors(store, model_id, dims, ann.last, STEP)
        if not len(ids):
            break
        ann.add(ids, rows)
        added += len(ids)
    ann.version = version
    if ann.count - ann.saved_count > RESAVE_SHARE * max(1, ann.saved_count):
        save_index(store, ann)


def ann_index(store: Store, model: str) -> AnnIndex | None:
    """This process's index of ``model``'s vectors: kept, loaded from the store, or built;
    brought up to date with the store's vectors."""
    state = _state(store, model)
    if state is None:
        return None
    model_id, dims, version = state
    with _CACHE_LOCK:
        ann = _CACHES.get(store, {}).get(model)
    if ann is not None and ann.version == version:
        return ann
    with _BUILD_LOCK:
        with _CACHE_LOCK:
            ann = _CACHES.get(store, {}).get(model)
        if ann is None:
            ann = load_index(store, model)
            if ann is not None and int(ann.index.d) != dims:
                ann = None
        if ann is None:
            ann = build(store, model)
            if ann is None:
                return None
        with ann.lock:
            if ann.version != version:
                _catch_up(store, ann, model_id, dims, version)
        if ann.count > RETRAIN_GROWTH * max(1, ann.trained):
            rebuilt = build(store, model)
            if rebuilt is not None:
                ann = rebuilt
        _hook(store)
        with _CACHE_LOCK:
            _CACHES.setdefault(store, {})[model] = ann
    return ann


def forget_missing(store: Store) -> int:
    """After a forget: take every rowid without a vector out of the kept indexes and save
    them again (no code of a forgotten chunk stays in the file). Returns how many went."""
    _table(store)
    with store.lock:
        models = [r[0] for r in store.conn.execute("SELECT DISTINCT model FROM ann_index")]
    removed = 0
    for model in models:
        with _CACHE_LOCK:
            ann = _CACHES.get(store, {}).get(model)
        ann = ann or load_index(store, model)
        if ann is None:
            continue
        # the chunks left (``compact_vectors`` has just dropped the vectors of the others):
        # their rowids come from a small index, not from the table of 512-byte vectors
        with store.lock:
            present = np.fromiter(
                (r[0] for r in store.conn.execute("SELECT rowid FROM chunks")),
                dtype=np.int64,
            )
            present.sort()
        with ann.lock:
            gone = ann.remove(np.setdiff1d(ann.ids, present, assume_unique=True))
            if ann.removed_since_save:  # here, or through the delete hook before
                save_index(store, ann)
        removed += gone
    return removed


def rescore(
    store: Store, ann: AnnIndex, query: NDArray[np.float32], rowids: NDArray[np.int64]
) -> list[tuple[int, float]]:
    """Exact cosines of ``rowids`` (those that still have a vector of the model), best
    first: their stored vectors, prepared as the index's, against the prepared query."""
    if not len(rowids):
        return []
    dims = int(ann.index.d)
    with store.lock:
        rows = store.conn.execute(
            "SELECT v.chunk_rowid, v.vector FROM json_each(?) j CROSS JOIN chunk_vectors v"
            " JOIN vector_models m ON m.id = v.model_id"
            " WHERE v.chunk_rowid = j.value AND m.name = ?",
            (json.dumps(rowids.tolist()), ann.model),
        ).fetchall()
    if not rows:
        return []
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    blob = b"".join(r[1] for r in rows)
    stored = np.frombuffer(blob, dtype=STORED_DTYPE).reshape(len(rows), dims)
    vectors = ann.prepare(stored.astype(np.float32))
    scores = vectors @ query
    order = np.lexsort((ids, -scores))
    return [(int(ids[i]), float(scores[i])) for i in order]


def search_ann(
    store: Store,
    ann: AnnIndex,
    vector: NDArray[np.float32],
    limit: int,
    allowed: NDArray[np.int64] | None = None,
    candidates: int | None = None,
) -> list[tuple[int, float]]:
    """The ``limit`` nearest chunks to the raw query ``vector`` (exact cosines of
    approximate candidates), within ``allowed`` rowids when given."""
    query = ann.prepare(vector[None, :])[0]
    if not query.any():
        return []
    with ann.lock:
        found = ann.search(query, candidates or max(RESCORE, 2 * limit), allowed)
    return rescore(store, ann, query, found)[:limit]
