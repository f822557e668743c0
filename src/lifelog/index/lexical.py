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
from ..store.batched import rows_in
from .bm25 import WEIGHTS, bm25, collection, idf, row_lengths
from .sentences import stem
from .text import content_terms

__all__ = [
    "LexicalMatch",
    "QueryPart",
    "Tie",
    "bm25_chunks",
    "choose_parts",
    "chunk_keys",
    "fts_match",
    "fts_query",
    "holding",
    "lexical_ranking",
    "parse_or",
    "planned_bm25",
    "rows_matching",
    "search_chunks",
    "with_rest",
]

#: rows fetched past a limit, so that every score tied with the limit's is seen
TIE_MARGIN = 16


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


def fts_match(terms: Sequence[str], stems: bool = True) -> str:
    """An FTS5 query OR-ing ``terms`` (and, with ``stems``, each term's stem as a prefix)."""
    parts: list[str] = []
    for term in terms[:32]:
        parts.append('"' + term.replace('"', '""') + '"')
        root = stem(term)
        if stems and len(root) >= (3 if root != term else 4) and not term.isdigit():
            parts.append('"' + root.replace('"', '""') + '"*')
    return " OR ".join(dict.fromkeys(parts))


def lexical_ranking(
    store: Store, terms: Sequence[str], filters: Filters, limit: int, *, stems: bool = True
) -> list[tuple[int, float]]:
    """BM25 (FTS5 ``bm25()``, body > title > people) over chunks: (rowid, score), best first."""
    if not terms:
        return []
    return bm25_chunks(store, fts_match(terms, stems), filters, limit)


#: the order of equal scores: the item's time (undated last), its id, the chunk's ordinal
Tie = tuple[float, str, int]


def chunk_keys(store: Store, rowids: Sequence[int]) -> dict[int, Tie]:
    """Each chunk's :data:`Tie`: the order of equal scores on every backend, older first
    (a rowid depends on the order of ingestion and on the shard that holds the chunk;
    the item id, a digest of its content, settles equal times)."""
    rows = rows_in(
        store,
        "SELECT c.rowid, i.ts, i.id, c.ordinal FROM chunks c JOIN items i"
        " ON i.rowid = c.item_rowid WHERE c.rowid IN ({marks})",
        rowids,
    )
    return {
        int(rowid): (math.inf if ts is None else float(ts), str(item_id), int(ordinal))
        for rowid, ts, item_id, ordinal in rows
    }


#: a tie group at the cut larger than this is ordered by SQLite, which returns only the
#: chunks that make the cut (its keys read into Python cost ~3 µs a chunk)
TIE_IN_SQL = 256


def best_of(
    store: Store, found: Sequence[tuple[int, float]], limit: int
) -> list[tuple[int, float]]:
    """The ``limit`` best of ``found``, equal scores in :func:`chunk_keys` order.

    Only the chunks that can make the cut are ordered: those scoring better than the
    ``limit``-th, and of those scoring the same as it (thousands, where generated or
    repeated texts tie), the first by key."""
    if len(found) > limit and limit > 0:
        cut = sorted((score for _, score in found), reverse=True)[limit - 1]
        better = [pair for pair in found if pair[1] > cut]
        tied = [rowid for rowid, score in found if score == cut]
        if len(tied) > TIE_IN_SQL:
            first = _first_by_key(store, tied, limit - len(better))
            found = better + [(rowid, cut) for rowid in first]
    keys = chunk_keys(store, [rowid for rowid, _ in found])
    ordered = sorted(found, key=lambda pair: (-pair[1], keys.get(pair[0], (math.inf, "", pair[0]))))
    return ordered[:limit]


def _first_by_key(store: Store, rowids: Sequence[int], count: int) -> list[int]:
    """The first ``count`` of ``rowids`` in :func:`chunk_keys` order (chunks that are no
    longer stored are left out)."""
    with store.lock:
        rows = store.conn.execute(
            "SELECT c.rowid FROM json_each(?) j CROSS JOIN chunks c CROSS JOIN items i"
            " WHERE c.rowid = j.value AND i.rowid = c.item_rowid"
            " ORDER BY i.ts IS NULL, i.ts, i.id, c.ordinal LIMIT ?",
            (json.dumps([int(r) for r in rowids]), count),
        ).fetchall()
    return [int(r[0]) for r in rows]


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
    ``after``): the ``limit`` best (rowid, score), equal scores in :func:`chunk_keys`
    order (FTS5's own order of equal scores is its rowids'). When the scores equal to
    the limit's run past what the first query read, one more pass reads every chunk
    scoring at least as well (FTS5 scores every match either way: one pass, where
    reading ever deeper had cost one pass each). The first pass stays short: FTS5 keeps
    only the best rows while it ranks, and returning every match (thousands) took two
    to three times as long where nothing ties."""
    found = _fts_bm25(store, match, filters, limit + TIE_MARGIN, after=after)
    if len(found) < limit + TIE_MARGIN or found[-1][1] != found[limit - 1][1]:
        return best_of(store, found, limit)
    return best_of(
        store, _fts_bm25(store, match, filters, None, after=after, upto=found[-1][1]), limit
    )


def _fts_bm25(
    store: Store,
    match: str,
    filters: Filters,
    limit: int | None,
    *,
    after: int = 0,
    upto: float | None = None,
) -> list[tuple[int, float]]:
    """(rowid, score) of the chunks matching: the ``limit`` best, best first; or (with
    ``upto``, a score this function returned) every chunk scoring at least as well, in
    no order."""
    weights = ", ".join(str(w) for w in WEIGHTS)
    matching, params = _matching(match, filters, after)
    sql = f"SELECT f.rowid, bm25(chunks_fts, {weights}) AS s {matching}"
    if upto is not None:
        # bm25() is computed alike in both queries: the same chunk, the same score
        sql = f"SELECT rowid, s FROM ({sql}) WHERE s <= ?"
        params.append(-upto)
    else:
        sql += " ORDER BY s LIMIT ?"
        params.append(-1 if limit is None else limit)
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
    per store until the memory grows by a tenth).

    A prefix of a frequent word is frequent too, and is not counted: FTS5 reads a
    prefix by merging every word that begins with it over the whole index, whatever the
    rowid bound (160 ms for "sort*" at 10M chunks)."""
    key = part.match
    with _DF_LOCK:
        known = _DF_CACHE.setdefault(store, {}).get(key)
    if known is not None and known[0] * 1.1 >= top:
        return known[1]
    if part.prefix:
        word = estimated_docs(store, QueryPart(part.text), top)
        if word > BUDGET:
            return word
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


def choose_parts(
    parts: Sequence[QueryPart], docs: dict[QueryPart, float], size: int
) -> tuple[list[QueryPart], list[QueryPart]] | None:
    """The plan: the parts scored with bm25 (rarest first, while their estimated
    postings fit the budget) and the frequent words that only add their idf to what
    those found; ``None`` when every part is frequent. Pure, so that a sharded memory's
    owner plans from its shards' summed counts exactly as one machine does."""
    ordered = sorted(parts, key=lambda p: (docs[p], p.prefix, p.text))
    chosen: list[QueryPart] = []
    spent = 0.0
    for part in ordered:
        if spent + docs[part] > BUDGET:
            break
        chosen.append(part)
        spent += docs[part]
    if not chosen:
        return None
    return chosen, [p for p in ordered if p not in chosen and not p.prefix]


def holding(
    store: Store, rowids: Sequence[int], parts: Sequence[QueryPart]
) -> dict[int, list[int]]:
    """For each of ``rowids`` that holds any of ``parts``: the indices of those parts."""
    held: dict[int, list[int]] = {}
    ids = json.dumps(list(rowids))
    for index, part in enumerate(parts):
        with store.lock:
            rows = store.conn.execute(
                "SELECT f.rowid FROM json_each(?) j CROSS JOIN chunks_fts f"
                " WHERE f.rowid = j.value AND chunks_fts MATCH ?",
                (ids, part.match),
            ).fetchall()
        for (rowid,) in rows:
            held.setdefault(int(rowid), []).append(index)
    return held


def with_rest(
    found: Sequence[tuple[int, float]],
    held: dict[int, list[int]],
    weights: Sequence[float],
) -> list[tuple[int, float]]:
    """``found`` with each frequent part's idf (``weights``) added to the rows that hold
    it, part by part; best first, equal scores in the order ``found`` has them."""
    scores = dict(found)
    order = {rowid: rank for rank, (rowid, _) in enumerate(found)}
    for index, weight in enumerate(weights):
        for rowid in scores:
            if index in held.get(rowid, ()):
                scores[rowid] += weight
    return sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))


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
    size = collection(store).rows
    if size <= BUDGET:
        return _bm25(store, " OR ".join(p.match for p in parts), filters, limit)
    top = _top(store)
    docs = {p: estimated_docs(store, p, top) for p in parts}
    plan = choose_parts(parts, docs, size)
    if plan is None:
        ordered = sorted(parts, key=lambda p: (docs[p], p.prefix, p.text))
        return _frequent_only(store, ordered, docs, filters, limit, top)
    chosen, rest = plan
    found = _bm25(store, " OR ".join(p.match for p in chosen), filters, limit)
    if not found or not rest:
        return found
    held = holding(store, [rowid for rowid, _ in found], rest)
    return with_rest(found, held, [idf(docs[p], size) for p in rest])


#: postings of its rarest word that a question of frequent words only is searched over,
#: in the most recent chunks
FREQUENT_BUDGET = 2_000
_COLUMNS = ("body", "title", "people")


def _frequent_only(
    store: Store,
    parts: Sequence[QueryPart],
    docs: dict[QueryPart, float],
    filters: Filters,
    limit: int,
    top: int,
) -> list[tuple[int, float]]:
    """Every term is frequent: chunks holding all of its words first, then any; each over
    the most recent chunks that :data:`FREQUENT_BUDGET` allows (a question of common words
    only leans to the recent).

    Scored here, not by FTS5's ``bm25()``: that function counts the rows holding each
    phrase over the whole index, for every query (``fts5_aux.c``), whatever the rowid
    bound: 30-300 ms a frequent word at 10M chunks, where finding its rows among the
    recent ones takes 1-10 ms. The idfs are the estimated counts the plan already has,
    the lengths FTS5's own; a word counts once in each column that holds it (its weight
    there), not once per occurrence. A stem's prefix is left out: FTS5 reads every word
    that begins with it over the whole index (160 ms for "sort*" at 10M)."""
    words = [p for p in parts if not p.prefix] or list(parts)
    found: dict[int, float] = {}
    if len(words) > 1:
        rarest = min(docs[p] for p in words)
        after = int(top * (1 - FREQUENT_BUDGET / rarest)) if rarest > FREQUENT_BUDGET else 0
        found.update(_windowed(store, words, docs, filters, after, every=True))
    if len(found) < limit:
        share = FREQUENT_BUDGET / max(1.0, sum(docs[p] for p in words))
        since = int(top * (1 - share))
        for rowid, score in _windowed(store, words, docs, filters, since, every=False).items():
            found.setdefault(rowid, score)
    return best_of(store, list(found.items()), limit)


def _matching(match: str, filters: Filters, after: int) -> tuple[str, list[object]]:
    """``FROM … WHERE …`` of the chunks (``f``) matching the FTS5 query ``match`` within
    ``filters`` and past rowid ``after``, and its parameters; items are joined only for
    a filter."""
    since = " AND f.rowid > ?" if after else ""
    params: list[object] = [match, *([after] if after else [])]
    if filters.empty:
        return f"FROM chunks_fts f WHERE chunks_fts MATCH ?{since}", params
    where, fparams = filters.sql("i")
    return (
        "FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid"
        f" JOIN items i ON i.rowid = c.item_rowid WHERE chunks_fts MATCH ?{since} AND {where}",
        [*params, *fparams],
    )


def rows_matching(store: Store, match: str, filters: Filters, after: int = 0) -> list[int]:
    """Rows past ``after`` matching the FTS5 query ``match`` within ``filters``, unscored."""
    matching, params = _matching(match, filters, after)
    with store.lock:
        rows = store.conn.execute(f"SELECT f.rowid {matching}", params).fetchall()
    return [int(r[0]) for r in rows]


def _windowed(
    store: Store,
    words: Sequence[QueryPart],
    docs: dict[QueryPart, float],
    filters: Filters,
    after: int,
    *,
    every: bool,
) -> dict[int, float]:
    """bm25 (:func:`~lifelog.index.bm25.bm25`) of the rows past ``after`` that hold
    every one of ``words`` (``every``) or any."""
    # with every word: FTS5 intersects their rows by seeking, each word's column is then
    # looked for among those only (a name in every chunk's people is not read whole)
    within = f" AND ({' AND '.join(p.match for p in words)})" if every else ""
    held: list[dict[int, float]] = []
    for part in words:
        weights: dict[int, float] = {}
        for column, weight in zip(_COLUMNS, WEIGHTS, strict=True):
            match = f"({column} : {part.match}){within}"
            for rowid in rows_matching(store, match, filters, after):
                weights[rowid] = weights.get(rowid, 0.0) + weight
        held.append(weights)
    rows: set[int] = set().union(*held)
    if not rows:
        return {}
    whole = collection(store)
    idfs = [idf(docs[p], whole.rows) for p in words]
    lengths = row_lengths(store, sorted(rows))
    return {
        rowid: bm25(
            [w.get(rowid, 0.0) for w in held], idfs, float(lengths.get(rowid, 0)), whole.avgdl
        )
        for rowid in rows
    }


def search_chunks(
    store: Store, query: str, filters: Filters | None = None, limit: int = 50
) -> list[LexicalMatch]:
    terms = content_terms(query)
    if not terms:
        return []
    matches = bm25_chunks(store, fts_query(terms[:32]), filters or Filters(), limit)
    return [LexicalMatch(rowid, score) for rowid, score in matches]
