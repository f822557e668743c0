"""From a question to :class:`~lifelog.records.Hit` values: analysis, hybrid search, hits.

This is what :meth:`lifelog.Memory.retrieve` runs (everything before the LLM):
:func:`~lifelog.retrieval.query.analyse` the question against its date, rank
chunks with :func:`~lifelog.retrieval.hybrid.hybrid_search` (lexical + vector
when the memory has an embedding model and vectors, lexical otherwise), and
turn the best chunks into hits — one per item, with the reasons it was found
and, for a chat message, the messages around it as context.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ..errors import LifelogError
from ..index.text import content_terms, make_snippet
from ..models.embeddings import Embedder, StaticEmbedder, get_embedder
from ..models.prepare import read_info, static_model_dir
from ..models.softmatch import SoftMatcher
from ..records import Hit, Item, mend_text
from ..store import Store
from ..store.batched import rows_in
from .corpus import Corpus, Ranked, StoreCorpus, VectorSearch
from .filters import Filters
from .hybrid import MODES, SoftMatch, Tuning, hybrid_search
from .ordered import by_time
from .query import Names, QueryPlan, analyse, store_names
from .timeexpr import TimeSpan

__all__ = [
    "ORDER_DEPTH",
    "RetrievalMemory",
    "hits_from",
    "resolve_offsets",
    "retrieve",
    "retrieve_in",
    "soft_matcher",
]


class RetrievalMemory(Protocol):
    """The part of :class:`lifelog.Memory` retrieval needs."""

    store: Store

    def embedder(self, model: str | None = None) -> Embedder | None: ...


class _QueryCache:
    """An embedder that embeds each query once: hybrid search may search twice (all
    time, then the question's period) with the same text."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dims = inner.dims
        self._seen: dict[str, NDArray[np.float32]] = {}
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> NDArray[np.float32]:
        if len(texts) != 1:
            return self.inner.embed(texts)
        with self._lock:
            known = self._seen.get(texts[0])
        if known is None:
            known = self.inner.embed(texts)
            with self._lock:
                self._seen[texts[0]] = known
        return known


def _searchers(memory: RetrievalMemory) -> tuple[VectorSearch | None, SoftMatch | None]:
    """Vector search over the memory's index and, with a static model, soft word
    matching; ``None`` for each when the memory has no embedder (off, or one that cannot
    load: retrieval stays lexical rather than failing)."""
    from ..index.vectors import search_vectors

    try:
        embedder = memory.embedder()
    except LifelogError:
        return None, None
    if embedder is None:
        return None, None
    cached = _QueryCache(embedder)

    def search(query: str, filters: Filters, limit: int) -> list[tuple[int, float]]:
        return search_vectors(memory.store, cached, query, filters, limit)

    return search, soft_matcher(embedder)


def soft_matcher(embedder: Embedder) -> SoftMatch | None:
    """Soft word matching for a memory that embeds with ``embedder``: its own token
    table (a static model) or the static model's, when it is on this machine."""
    soft = _soft_matcher(embedder) if isinstance(embedder, StaticEmbedder) else _borrowed()
    return soft.scores if soft is not None else None


@lru_cache(maxsize=4)
def _soft_matcher(embedder: StaticEmbedder) -> SoftMatcher:
    """One matcher per loaded static model (embedders are loaded once per process)."""
    return SoftMatcher(embedder)


def _borrowed() -> SoftMatcher | None:
    """For a memory that embeds with another model (MiniLM, a server), the static model's
    token table, when that model is already on this machine: it is never distilled for
    this (LoCoMo dev, MiniLM hybrid recall@10: 80.9 without, 82.0 with it)."""
    return _borrowed_from(static_model_dir())


@lru_cache(maxsize=4)
def _borrowed_from(folder: Path) -> SoftMatcher | None:
    """:func:`_borrowed`, looked up once per process for the static model's folder (not
    a read of its ``lifelog.json`` on every question)."""
    if read_info(folder) is None:
        return None
    try:
        static = get_embedder("static")
    except LifelogError:
        return None
    return _soft_matcher(static) if isinstance(static, StaticEmbedder) else None


def hits_from(store: Store, ranked: Sequence[Ranked], plan: QueryPlan, limit: int) -> list[Hit]:
    """Hits for ranked chunks: one per item (its best chunk), best first, with a snippet
    around the question's words, the reasons and the chat context."""
    if not ranked:
        return []
    rowids = list(
        dict.fromkeys([r.chunk_rowid for r in ranked] + [c for r in ranked for c in r.context])
    )
    rows = rows_in(
        store,
        "SELECT c.rowid, i.id, c.ordinal, c.start, c.end FROM chunks c"
        " JOIN items i ON i.rowid = c.item_rowid WHERE c.rowid IN ({marks})",
        rowids,
    )
    where = {int(r[0]): (str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}
    with store.lock:
        items = store.get_many(list({w[0] for w in where.values()}))
    terms = content_terms(plan.text)
    hits: list[Hit] = []
    seen: set[str] = set()
    for rank in ranked:
        found = where.get(rank.chunk_rowid)
        if found is None:
            continue
        item_id, ordinal, start, end = found
        if item_id in seen or item_id not in items:
            continue
        seen.add(item_id)
        item = items[item_id]
        around: list[Item] = [
            items[where[c][0]] for c in rank.context if c in where and where[c][0] in items
        ]
        snippet, marks_in, _offset = make_snippet(item.text[start:end], terms)
        hits.append(
            Hit(item, rank.score, start, end, snippet, ordinal, marks_in, rank.why, tuple(around))
        )
        if len(hits) >= limit:
            break
    return hits


def resolve_offsets(
    source: Store | Corpus,
    plan: QueryPlan,
    *,
    filters: Filters | None = None,
    mode: str = "hybrid",
    vector_search: VectorSearch | None = None,
    soft_match: SoftMatch | None = None,
    tuning: Tuning | None = None,
    names: Names | None = None,
) -> QueryPlan:
    """ "Two weeks before the trip": search the event first (the best hit for the
    anchor's words), then add the period the offset names from its date to the plan's
    time, widened by a quarter of the offset (at least two days) each side."""
    corpus = StoreCorpus(source, vector_search) if isinstance(source, Store) else source
    if names is None and isinstance(source, Store):
        names = store_names(source)
    spans = list(plan.time.spans)
    text = plan.text
    for offset in plan.time.offsets[:2]:
        anchor = analyse(offset.anchor, names=names)
        found = hybrid_search(
            corpus,
            anchor,
            filters=filters,
            limit=1,
            mode=mode,
            soft_match=soft_match,
            tuning=tuning,
        )
        if not found:
            continue
        event = corpus.candidates([found[0].chunk_rowid]).get(found[0].chunk_rowid)
        if event is None or event.ts is None:
            continue
        try:
            moment = datetime.fromtimestamp(event.ts, tz=UTC) + timedelta(days=offset.days)
            slack = timedelta(days=max(2, abs(offset.days) // 4))
            day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            spans.append(
                TimeSpan(
                    day - slack,
                    day + slack + timedelta(days=1),
                    "week",
                    offset.start,
                    offset.end,
                    offset.text,
                )
            )
        except (OverflowError, ValueError):
            continue
        # the event was found: it says when to look, not what to look for
        text = " ".join(text.replace(offset.anchor, " ").split()) or text
    return replace(plan, text=text, time=replace(plan.time, spans=tuple(spans)))


#: how many found chunks a question that asks for the last, first or next time orders
#: by date (:mod:`lifelog.retrieval.ordered`)
ORDER_DEPTH = 100


def retrieve(
    memory: RetrievalMemory,
    question: str,
    *,
    filters: Filters | None = None,
    now: datetime | None = None,
    limit: int = 10,
    mode: str = "hybrid",
    tuning: Tuning | None = None,
) -> list[Hit]:
    """The best ``limit`` hits for ``question`` asked at ``now``; see the module docstring."""
    vector, soft = _searchers(memory) if mode != "lexical" else (None, None)
    return retrieve_in(
        StoreCorpus(memory.store, vector),
        store_names(memory.store),
        question,
        filters=filters,
        now=now,
        limit=limit,
        mode=mode,
        soft_match=soft,
        tuning=tuning,
    )


def retrieve_in(
    corpus: Corpus,
    names: Names,
    question: str,
    *,
    filters: Filters | None = None,
    now: datetime | None = None,
    limit: int = 10,
    mode: str = "hybrid",
    soft_match: SoftMatch | None = None,
    tuning: Tuning | None = None,
) -> list[Hit]:
    """:func:`retrieve` over any corpus (one store, or a sharded memory's shards) whose
    people and sources are ``names``: the same steps, so the same hits."""
    if mode not in MODES:
        raise ValueError(f"unknown retrieval mode {mode!r}: use {', '.join(MODES)}")
    if limit <= 0 or not question.strip():
        return []
    question = mend_text(question)  # a lone surrogate stops tokenizers and SQLite alike
    plan = analyse(question, now=now, names=names)
    soft = soft_match if mode != "lexical" else None
    if plan.time.offsets:
        plan = resolve_offsets(
            corpus, plan, filters=filters, mode=mode, soft_match=soft, tuning=tuning, names=names
        )
    # "when did I last …" looks for the newest among more of what matches
    depth = max(limit * 2, ORDER_DEPTH) if plan.order else limit * 2
    ranked = hybrid_search(
        corpus,
        plan,
        filters=filters,
        limit=depth,
        mode=mode,
        soft_match=soft,
        tuning=tuning,
    )
    if plan.order:
        ranked = by_time(corpus, plan, ranked, filters or Filters(), now, limit * 2)
    return corpus.hits(ranked, plan, limit)
