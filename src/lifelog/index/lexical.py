"""BM25 search over chunks with SQLite FTS5.

Scoring is FTS5's built-in ``bm25()`` (Robertson & Zaragoza, "The Probabilistic
Relevance Framework: BM25 and Beyond", 2009) with column weights body > title >
people. Query terms are OR-ed: a chunk matching more, rarer terms ranks higher.

The index is fed :func:`~lifelog.index.text.index_text` (by the store and by
:mod:`lifelog.index.rebuild`) and questions become terms with
:func:`~lifelog.index.text.content_terms`: one spelling on both sides, so every term
a question yields is a term the index can hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..retrieval.filters import Filters
from ..store import Store
from .text import content_terms

__all__ = ["LexicalMatch", "bm25_chunks", "fts_query", "search_chunks"]

#: weights of the body, title and people columns
WEIGHTS = (1.0, 0.6, 0.4)


@dataclass(frozen=True, slots=True)
class LexicalMatch:
    chunk_rowid: int
    score: float  # higher is better (negated bm25)


def fts_query(terms: list[str]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def bm25_chunks(store: Store, match: str, filters: Filters, limit: int) -> list[tuple[int, float]]:
    """Chunks matching the FTS5 query ``match`` within ``filters``: (rowid, score), best first."""
    weights = ", ".join(str(w) for w in WEIGHTS)
    if filters.empty:
        sql = (
            f"SELECT rowid, bm25(chunks_fts, {weights}) AS s FROM chunks_fts"
            " WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?"
        )
        params: list[object] = [match, limit]
    else:
        where, fparams = filters.sql("i")
        sql = (
            f"SELECT f.rowid, bm25(chunks_fts, {weights}) AS s FROM chunks_fts f"
            " JOIN chunks c ON c.rowid = f.rowid JOIN items i ON i.rowid = c.item_rowid"
            f" WHERE chunks_fts MATCH ? AND {where} ORDER BY s LIMIT ?"
        )
        params = [match, *fparams, limit]
    with store.lock:
        rows = store.conn.execute(sql, params).fetchall()
    return [(int(r[0]), -float(r[1])) for r in rows]


def search_chunks(
    store: Store, query: str, filters: Filters | None = None, limit: int = 50
) -> list[LexicalMatch]:
    terms = content_terms(query)
    if not terms:
        return []
    matches = bm25_chunks(store, fts_query(terms[:32]), filters or Filters(), limit)
    return [LexicalMatch(rowid, score) for rowid, score in matches]
