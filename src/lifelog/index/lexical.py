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

import json
import math
import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from ..retrieval.filters import Filters
from ..store import Store
from .text import content_terms

__all__ = [
    "LexicalMatch",
    "QueryPart",
    "bm25_chunks",
    "fts_query",
    "parse_or",
    "planned_bm25",
    "search_chunks",
]

#: weights of the body, title and people columns
WEIGHTS = (1.0, 0.6, 0.4)


@dataclass(frozen=True, slots=True)
class LexicalMatch:
    chunk_rowid: int
    score: float  # higher is better (negated bm25)


def fts_query(terms: list[str]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def bm25_chunks(store: Store, match: str, filters: Filters, limit: int) -> list[tuple[int, float]]:
    """Chunks matching the FTS5 query ``match`` within ``filters``: (rowid, score), best
    first. An OR of quoted terms and prefixes (what :func:`fts_query` and the hybrid
    search write) goes through the query plan below (:func:`planned_bm25`)."""
    parts = parse_or(match)
    if parts is None:
        return _bm25(store, match, filters, limit)
    return planned_bm25(store, parts, filters, limit)


_PART = re.compile(r'"((?:[^"]|"")*)"(\*?)')


def parse_or(match: str) -> list[QueryPart] | None:
    """The parts of ``"a" OR "b"* OR …``; None for any other FTS5 query."""
    pieces = match.split(" OR ")
    parts: list[QueryPart] = []
    for piece in pieces:
        found = _PART.fullmatch(piece.strip())
        if found is None:
            return None
        parts.append(QueryPart(found[1].replace('""', '"'), prefix=bool(found[2])))
    return parts


def _bm25(
    store: Store, match: str, filters: Filters, limit: int, *, after: int = 0
) -> list[tuple[int, float]]:
    """Chunks matching the FTS5 query ``match`` within ``filters`` (and with a rowid past
    ``after``): (rowid, score), best first."""
    weights = ", ".join(str(w) for w in WEIGHTS)
    since = " AND rowid > ?" if after else ""
    if filters.empty:
        sql = (
            f"SELECT rowid, bm25(chunks_fts, {weights}) AS s FROM chunks_fts"
            f" WHERE chunks_fts MATCH ?{since} ORDER BY s LIMIT ?"
        )
        params: list[object] = [match, *([after] if after else []), limit]
    else:
        where, fparams = filters.sql("i")
        since = " AND f.rowid > ?" if after else ""
        sql = (
            f"SELECT f.rowid, bm25(chunks_fts, {weights}) AS s FROM chunks_fts f"
            " JOIN chunks c ON c.rowid = f.rowid JOIN items i ON i.rowid = c.item_rowid"
            f" WHERE chunks_fts MATCH ?{since} AND {where} ORDER BY s LIMIT ?"
        )
        params = [match, *([after] if after else []), *fparams, limit]
    with store.lock:
        rows = store.conn.execute(sql, params).fetchall()
    return [(int(r[0]), -float(r[1])) for r in rows]


# -- the query plan for large memories -------------------------------------------------
#
# FTS5 ranks an OR query by computing bm25() for every row any term matches (no top-k
# pruning): ~1 µs a posting, so one word in every chunk (the owner's name in the people
# column) costs 100 ms at 100k chunks and seconds at 10M. The plan keeps the postings
# scored within :data:`BUDGET`: terms are taken rarest first while their estimated
# postings fit, and the rest (the frequent terms) only add their weight to the
# candidates the rarer ones found — Lucene's CommonTermsQuery ("high-frequency terms
# ... only score documents that match the low-frequency terms"), a form of the
# max-score idea (Turtle & Flood, "Query evaluation: strategies and optimizations",
# IP&M 1995): a term whose best contribution is small cannot lift a document that
# no rare term found into the top k. A memory whose chunks all fit in the budget is
# searched exactly as before.

#: postings (estimated) an OR query may score with bm25
BUDGET = 10_000
#: the most recent chunks a term's frequency is estimated from (a rowid range FTS5 seeks)
WINDOW = 20_000
_DF_CACHE: weakref.WeakKeyDictionary[Store, dict[str, tuple[int, float]]]
_DF_CACHE = weakref.WeakKeyDictionary()
_DF_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class QueryPart:
    """One OR-ed part of a match: a quoted term, or a term's stem as a prefix."""

    text: str
    prefix: bool = False

    @property
    def match(self) -> str:
        quoted = '"' + self.text.replace('"', '""') + '"'
        return quoted + "*" if self.prefix else quoted


def _top(store: Store) -> int:
    with store.lock:
        row = store.conn.execute("SELECT coalesce(max(rowid), 0) FROM chunks").fetchone()
    return int(row[0])


def estimated_docs(store: Store, part: QueryPart, top: int) -> float:
    """Chunks ``part`` matches, estimated from the last :data:`WINDOW` chunks (remembered
    per store until the memory grows by a tenth)."""
    key = part.match
    with _DF_LOCK:
        known = _DF_CACHE.setdefault(store, {}).get(key)
    if known is not None and known[0] * 1.1 >= top:
        return known[1]
    window = min(WINDOW, top)
    with store.lock:
        found = store.conn.execute(
            "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid > ?",
            (key, top - window),
        ).fetchone()[0]
    # none in the window: rare, not absent (half a posting's worth of the window, as a guess)
    docs = (float(found) or 0.5) * top / max(1, window)
    with _DF_LOCK:
        cache = _DF_CACHE.setdefault(store, {})
        if len(cache) > 100_000:
            cache.clear()
        cache[key] = (top, docs)
    return docs


def _idf(docs: float, total: int) -> float:
    """FTS5's bm25 idf (``sqlite/ext/fts5/fts5_aux.c``): log((N - n + 0.5) / (n + 0.5)),
    at least 1e-6."""
    return max(1e-6, math.log((total - docs + 0.5) / (docs + 0.5)))


def planned_bm25(
    store: Store,
    parts: Sequence[QueryPart],
    filters: Filters,
    limit: int,
) -> list[tuple[int, float]]:
    """:func:`bm25_chunks` of the OR of ``parts``, with the plan described above."""
    parts = list(dict.fromkeys(parts))
    if not parts:
        return []
    top = _top(store)
    if top <= BUDGET:
        return _bm25(store, " OR ".join(p.match for p in parts), filters, limit)
    docs = {p: estimated_docs(store, p, top) for p in parts}
    ordered = sorted(parts, key=lambda p: (docs[p], p.prefix, p.text))
    chosen: list[QueryPart] = []
    spent = 0.0
    for part in ordered:
        if spent + docs[part] > BUDGET:
            break
        chosen.append(part)
        spent += docs[part]
    rest = [p for p in ordered if p not in chosen and not p.prefix]
    if chosen:
        found = _bm25(store, " OR ".join(p.match for p in chosen), filters, limit)
    else:
        found = _frequent_only(store, ordered, docs, filters, limit, top)
        rest = []
    if not found or not rest:
        return found
    # the frequent terms: their idf, to each candidate that holds them
    scores = dict(found)
    ids = json.dumps([rowid for rowid, _ in found])
    for part in rest:
        weight = _idf(docs[part], top)
        with store.lock:
            holding = store.conn.execute(
                "SELECT f.rowid FROM json_each(?) j CROSS JOIN chunks_fts f"
                " WHERE f.rowid = j.value AND chunks_fts MATCH ?",
                (ids, part.match),
            ).fetchall()
        for (rowid,) in holding:
            scores[int(rowid)] += weight
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def _frequent_only(
    store: Store,
    parts: Sequence[QueryPart],
    docs: dict[QueryPart, float],
    filters: Filters,
    limit: int,
    top: int,
) -> list[tuple[int, float]]:
    """Every term is frequent: chunks holding all of them first (FTS5 intersects by
    seeking, scoring only the rows in all), then the OR; each over the most recent chunks
    that the budget allows (a question of common words only leans to the recent)."""
    words = [p for p in parts if not p.prefix]
    found: dict[int, float] = {}
    if len(words) > 1:
        # FTS5 scores every chunk holding all of them, at most the rarest one's postings:
        # past the budget, only the most recent chunks are searched
        rarest = min(docs[p] for p in words)
        after = int(top * (1 - BUDGET / rarest)) if rarest > BUDGET else 0
        both = " AND ".join(p.match for p in words)
        found.update(_bm25(store, both, filters, limit, after=after))
    if len(found) < limit:
        share = BUDGET / max(1.0, sum(docs[p] for p in parts))
        since = int(top * (1 - share))
        match = " OR ".join(p.match for p in parts)
        for rowid, score in _bm25(store, match, filters, limit, after=since):
            found.setdefault(rowid, score)
    return sorted(found.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]


def search_chunks(
    store: Store, query: str, filters: Filters | None = None, limit: int = 50
) -> list[LexicalMatch]:
    terms = content_terms(query)
    if not terms:
        return []
    matches = bm25_chunks(store, fts_query(terms[:32]), filters or Filters(), limit)
    return [LexicalMatch(rowid, score) for rowid, score in matches]
