"""FTS5's ``bm25()``, computed here from statistics that may span several stores.

One machine ranks words with SQLite's own ``bm25()`` (``sqlite/ext/fts5/fts5_aux.c``,
after Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond",
2009): for each phrase *i* of the query, ``idf_i = log((N - n_i + 0.5) / (n_i + 0.5))``
(at least 1e-6) and the score is ``Σ_i idf_i · f_i (k1 + 1) / (f_i + k1 (1 - b + b D /
avgdl))``, where ``N`` is the rows of the index, ``n_i`` the rows holding phrase *i*,
``avgdl`` the index's tokens per row, ``D`` the row's tokens and ``f_i`` the phrase's
occurrences weighted by column. ``N``, ``n_i`` and ``avgdl`` are statistics of the
*collection*: a memory split into shards must score each row with the whole memory's,
or a small shard's rows outscore a large one's (docs/scale.md).

So the owner of a sharded memory sums each shard's :class:`Collection` and phrase
counts, and each shard scores its rows with :func:`score_rows` here: the same formula,
the same operations in the same order as the C code (IEEE doubles either way, the same
libm ``log``), reading the row's occurrences and length from FTS5's own index (the
``fts5vocab`` instance table and the ``docsize`` shadow table). A test checks that it
gives ``bm25()``'s values bit for bit on one store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..store import Store
from ..store.batched import rows_in

__all__ = [
    "B",
    "K1",
    "Collection",
    "bm25",
    "collection",
    "idf",
    "phrase_docs",
    "row_lengths",
    "score_rows",
]

#: FTS5's bm25 constants
K1 = 1.2
B = 0.75
#: weights of the body, title and people columns
WEIGHTS = (1.0, 0.6, 0.4)
_COLUMNS = {"body": 0, "title": 1, "people": 2}


@dataclass(frozen=True, slots=True)
class Collection:
    """What bm25 needs of a whole index: its rows and its tokens (all columns)."""

    rows: int = 0
    tokens: int = 0

    def __add__(self, other: Collection) -> Collection:
        return Collection(self.rows + other.rows, self.tokens + other.tokens)

    @property
    def avgdl(self) -> float:
        return float(self.tokens) / float(self.rows) if self.rows else 0.0


def idf(docs: float, total: int) -> float:
    """FTS5's bm25 idf: log((N - n + 0.5) / (n + 0.5)), at least 1e-6."""
    value = math.log((total - docs + 0.5) / (docs + 0.5))
    return value if value > 0.0 else 1e-6


def bm25(freqs: Sequence[float], idfs: Sequence[float], length: float, avgdl: float) -> float:
    """One row's score: the C code's expression, phrase by phrase in query order."""
    score = 0.0
    for freq, weight in zip(freqs, idfs, strict=True):
        score += weight * ((freq * (K1 + 1.0)) / (freq + K1 * (1 - B + B * length / avgdl)))
    return score


def _varints(blob: bytes) -> list[int]:
    """SQLite's big-endian varints (FTS5 writes its sizes and totals with them)."""
    out: list[int] = []
    i = 0
    while i < len(blob):
        value = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def collection(store: Store) -> Collection:
    """The rows and tokens FTS5 keeps for ``chunks_fts`` (its averages record)."""
    with store.lock:
        row = store.conn.execute("SELECT block FROM chunks_fts_data WHERE id = 1").fetchone()
    if row is None or not row[0]:
        return Collection()
    values = _varints(bytes(row[0]))
    return Collection(values[0], sum(values[1:]))


def phrase_docs(store: Store, matches: Iterable[str]) -> list[int]:
    """Rows holding each FTS5 phrase (a quoted term, or a prefix ``"term"*``)."""
    found: list[int] = []
    with store.lock:
        for match in matches:
            row = store.conn.execute(
                "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (match,)
            ).fetchone()
            found.append(int(row[0]))
    return found


def _vocabulary(store: Store) -> None:
    with store.lock:
        store.conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.lifelog_instances"
            " USING fts5vocab(main, chunks_fts, instance)"
        )


def _occurrences(
    store: Store, term: str, prefix: bool, rowids: set[int]
) -> dict[int, list[tuple[int, int]]]:
    """Where ``term`` (or any term it begins, with ``prefix``) occurs in ``rowids``:
    rowid -> (column, offset) positions."""
    if prefix:
        sql = "SELECT doc, col, offset FROM temp.lifelog_instances WHERE term >= ? AND term < ?"
        params: tuple[str, ...] = (term, term + "\U0010ffff")
    else:
        sql = "SELECT doc, col, offset FROM temp.lifelog_instances WHERE term = ?"
        params = (term,)
    found: dict[int, list[tuple[int, int]]] = {}
    with store.lock:
        for doc, col, offset in store.conn.execute(sql, params):
            if doc in rowids:
                found.setdefault(int(doc), []).append((_COLUMNS[col], int(offset)))
    return found


def row_lengths(store: Store, rowids: Sequence[int]) -> dict[int, int]:
    """Each row's tokens, all columns (FTS5's ``docsize`` shadow table)."""
    rows = rows_in(store, "SELECT id, sz FROM chunks_fts_docsize WHERE id IN ({marks})", rowids)
    return {int(rowid): sum(_varints(bytes(size))) for rowid, size in rows}


def score_rows(
    store: Store,
    phrases: Sequence[tuple[str, bool]],
    idfs: Sequence[float],
    avgdl: float,
    rowids: Iterable[int],
) -> dict[int, float]:
    """bm25 of each of ``rowids`` for the OR of ``phrases`` ((term, prefix), in query
    order), with the given idfs and average length. Each phrase's occurrences in a row
    are weighted by column and added in the row's order, as FTS5 adds them."""
    wanted = set(rowids)
    if not wanted:
        return {}
    _vocabulary(store)
    places = [_occurrences(store, term, prefix, wanted) for term, prefix in phrases]
    lengths = row_lengths(store, sorted(wanted))
    scores: dict[int, float] = {}
    for rowid in wanted:
        freqs: list[float] = []
        for found in places:
            freq = 0.0
            for column, _offset in sorted(found.get(rowid, ())):
                freq += WEIGHTS[column]
            freqs.append(freq)
        scores[rowid] = bm25(freqs, idfs, float(lengths.get(rowid, 0)), avgdl)
    return scores
