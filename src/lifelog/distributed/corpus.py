"""Two-phase retrieval over shards: the owner ranks as one machine would.

:class:`ShardedCorpus` is the :class:`~lifelog.retrieval.corpus.Corpus` of a sharded
memory. The ranking — fusion, soft matching, conversation, boosts, the asking prior,
ties — is :func:`~lifelog.retrieval.hybrid.hybrid_search` itself, run in the owner's
process; only its reads go to the shards (:mod:`lifelog.distributed.scoring`):

1. **Statistics** (one fan-out): each shard's word-index rows and tokens, rows holding
   each phrase of the question (exact, and as the word plan estimates them), its
   names and sources, and the gram of its vectors. The owner adds them up, so idf,
   average length, the word plan's choice of phrases and the common component are the
   whole memory's.
2. **Scores** (a fan-out per retriever): each shard returns its best rows scored with
   those statistics — raw bm25 and cosines, equal scores ordered by item time, id and
   chunk — and the owner keeps the best of all, exactly the list one machine makes,
   then normalises and fuses them with the same functions.
3. **Reads**: candidates' fields, chat neighbours, filters, and the hits, each from the
   shard that holds the chunk.

A key is a shard's chunk rowid and its shard in one int (``rowid * SLOTS + shard``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..index.bm25 import Collection, idf
from ..index.lexical import BUDGET, QueryPart, Tie, choose_parts, fts_match, parse_or, with_rest
from ..index.vectors import shared_component
from ..models.embeddings import Embedder
from ..records import Hit
from ..retrieval.corpus import Candidate, Ranked
from ..retrieval.filters import Filters
from ..retrieval.query import Names, QueryPlan, name_index
from .scoring import Statistics

__all__ = ["SLOTS", "ShardedCorpus", "retrieve_sharded"]

#: shards a key can tell apart
SLOTS = 4096
#: ``ask(method, *args, shards=None)``: each shard's answer (shard -> result), from every
#: shard or from ``shards``; a shard that did not answer is left out
Ask = Callable[..., Mapping[int, Any]]


def key_of(shard: int, rowid: int) -> int:
    return rowid * SLOTS + shard


def split(key: int) -> tuple[int, int]:
    """(shard, rowid) of a key."""
    return key % SLOTS, key // SLOTS


class ShardedCorpus:
    """The corpus of a sharded memory (see the module docstring)."""

    def __init__(self, ask: Ask, model: str | None) -> None:
        self.ask = ask
        self.model = model
        self._ties: dict[int, Tie] = {}
        self._names: dict[int, tuple[int, tuple[str, ...]]] = {}
        self._stats: Mapping[int, Statistics] = {}
        self._common: NDArray[np.float32] | None = None

    # -- phase 1 -----------------------------------------------------------------------

    def gather(self, question_terms: Sequence[str] = ()) -> Names:
        """Phase 1 for a question: every shard's statistics (see :meth:`lexical`) and
        the whole memory's names and sources (for analysing the question)."""
        self._statistics([])
        names: list[str] = []
        sources: set[str] = set()
        for shard, part in self._stats.items():
            if part.names is not None:
                self._names[shard] = (part.names_version, part.names)
            names.extend(self._names.get(shard, (0, ()))[1])
            sources |= part.sources
        return name_index(names), frozenset(sources)

    def _statistics(self, parts: Sequence[QueryPart]) -> Mapping[int, Statistics]:
        known = {shard: version for shard, (version, _) in self._names.items()}
        found: dict[int, Statistics] = {}
        for shard, part in self.ask("statistics", parts, known, self.model).items():
            found[shard] = part
        self._stats = found
        grams = [(s.vectors, s.gram) for s in found.values()]
        self._common = shared_component(grams).common if self.model else None
        return found

    # -- phase 2 -----------------------------------------------------------------------

    def tie(self, key: int) -> Tie:
        return self._ties[key]

    def lexical(
        self, terms: Sequence[str], searches: Sequence[Filters], limit: int, stems: bool
    ) -> list[list[tuple[int, float]]]:
        """As :func:`~lifelog.index.lexical.planned_bm25` plans and scores on one
        machine, from the shards' summed counts."""
        parts = list(dict.fromkeys(parse_or(fts_match(terms, stems)) or []))
        if not parts:
            return [[] for _ in searches]
        stats = self._statistics(parts)
        whole = sum((s.collection for s in stats.values()), Collection())
        docs = [sum(s.docs[i] for s in stats.values()) for i in range(len(parts))]
        chosen, frequent = parts, None
        rest: list[QueryPart] = []
        estimated: dict[QueryPart, float] = {}
        if whole.rows > BUDGET:
            estimated = {
                p: sum(s.estimated[i] for s in stats.values()) for i, p in enumerate(parts)
            }
            plan = choose_parts(parts, estimated, whole.rows)
            if plan is None:
                frequent = list(terms)
            else:
                chosen, rest = plan
        exact = dict(zip(parts, docs, strict=True))
        idfs = [idf(exact[p], whole.rows) for p in chosen]
        answers = self.ask(
            "lexical", chosen, idfs, whole.avgdl, rest, list(searches), limit, frequent
        )
        out: list[list[tuple[int, float]]] = []
        for index in range(len(searches)):
            found: list[tuple[int, float]] = []
            held: dict[int, list[int]] = {}
            for shard, lists in answers.items():
                for rowid, score, tie, holds in lists[index]:
                    key = key_of(shard, rowid)
                    self._ties[key] = tie
                    found.append((key, score))
                    held[key] = list(holds)
            best = sorted(found, key=lambda pair: (-pair[1], self._ties[pair[0]]))[:limit]
            if rest:
                weights = [idf(estimated[p], whole.rows) for p in rest]
                best = with_rest(best, held, weights)
            out.append(best)
        return out

    def vector(
        self, query: str, searches: Sequence[Filters], limit: int
    ) -> list[list[tuple[int, float]]] | None:
        if self.model is None or not query.strip():
            return None if self.model is None else [[] for _ in searches]
        answers = self.ask("vector", query, list(searches), limit, self._common)
        if all(found is None for found in answers.values()):
            return None
        out: list[list[tuple[int, float]]] = []
        for index in range(len(searches)):
            found: list[tuple[int, float]] = []
            for shard, lists in answers.items():
                for rowid, score, tie in lists[index] if lists is not None else []:
                    key = key_of(shard, rowid)
                    self._ties[key] = tie
                    found.append((key, score))
            out.append(sorted(found, key=lambda pair: (-pair[1], self._ties[pair[0]]))[:limit])
        return out

    # -- phase 3 -----------------------------------------------------------------------

    def _one(self, method: str, shard: int, missing: Any, *args: Any) -> Any:
        """``method(*args)`` on one shard (``missing`` when it does not answer: the
        read is partial, and says so)."""
        return self.ask(method, *args, shards=[shard]).get(shard, missing)

    def _by_shard(self, keys: Sequence[int]) -> dict[int, list[int]]:
        grouped: dict[int, list[int]] = {}
        for key in keys:
            shard, rowid = split(key)
            grouped.setdefault(shard, []).append(rowid)
        return grouped

    def candidates(self, keys: Sequence[int]) -> dict[int, Candidate]:
        found: dict[int, Candidate] = {}
        for shard, rowids in self._by_shard(keys).items():
            for candidate, tie in self._one("candidates", shard, [], rowids):
                key = key_of(shard, candidate.chunk_rowid)
                self._ties[key] = tie
                found[key] = _rekeyed(candidate, shard)
        return found

    def neighbours(
        self, candidates: Sequence[Candidate], count: int
    ) -> dict[int, tuple[list[int], list[int]]]:
        grouped: dict[int, list[Candidate]] = {}
        for candidate in candidates:
            shard, rowid = split(candidate.chunk_rowid)
            local = _rekeyed(candidate, shard, rowid)
            grouped.setdefault(shard, []).append(local)
        out: dict[int, tuple[list[int], list[int]]] = {}
        for shard, wanted in grouped.items():
            for rowid, (before, after) in self._one("neighbours", shard, {}, wanted, count).items():
                out[key_of(shard, rowid)] = (
                    [key_of(shard, r) for r in before],
                    [key_of(shard, r) for r in after],
                )
        return out

    def allowed(self, filters: Filters, keys: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for shard, rowids in self._by_shard(keys).items():
            found |= {key_of(shard, r) for r in self._one("allowed", shard, set(), filters, rowids)}
        return found

    def dated(self, filters: Filters, limit: int, newest: bool) -> list[int]:
        """Every shard's newest (or oldest) items, merged as one store orders them."""
        found: list[int] = []
        for shard, pairs in self.ask("dated", filters, limit, newest).items():
            for rowid, tie in pairs:
                key = key_of(shard, rowid)
                self._ties[key] = tie
                found.append(key)
        ties = self._ties
        if newest:
            found.sort(key=lambda key: (-ties[key][0], ties[key][1]))
        else:
            found.sort(key=lambda key: (ties[key][0], ties[key][1]))
        return found[:limit]

    def hits(self, ranked: Sequence[Ranked], plan: QueryPlan, limit: int) -> list[Hit]:
        """Each shard makes the hits of its chunks; they are taken in the owner's order."""
        grouped: dict[int, list[Ranked]] = {}
        for rank in ranked:
            shard, rowid = split(rank.chunk_rowid)
            context = tuple(split(c)[1] for c in rank.context)
            grouped.setdefault(shard, []).append(Ranked(rowid, rank.score, rank.why, context))
        made: dict[tuple[str, int], Hit] = {}
        for shard, mine in grouped.items():
            for hit in self._one("hits", shard, [], mine, plan, len(mine)):
                made[(hit.item.id, hit.chunk_ordinal)] = hit
        hits: list[Hit] = []
        seen: set[str] = set()
        for rank in ranked:
            _ts, item_id, ordinal = self._ties[rank.chunk_rowid]
            hit = made.get((item_id, ordinal))
            if hit is None or item_id in seen:
                continue
            seen.add(item_id)
            hits.append(hit)
            if len(hits) >= limit:
                break
        return hits


def _rekeyed(candidate: Candidate, shard: int, rowid: int | None = None) -> Candidate:
    """``candidate`` with its chunk rowid made a key (or, given ``rowid``, made local)."""
    from dataclasses import replace

    chunk = key_of(shard, candidate.chunk_rowid) if rowid is None else rowid
    return replace(candidate, chunk_rowid=chunk)


def retrieve_sharded(
    ask: Ask,
    embedder: Embedder | None,
    question: str,
    *,
    filters: Filters | None = None,
    now: datetime | None = None,
    limit: int = 10,
    mode: str = "hybrid",
) -> list[Hit]:
    """:meth:`lifelog.Memory.retrieve` of a sharded memory whose shards ``ask`` reaches,
    embedding as ``embedder`` does (``None``: words only)."""
    from ..retrieval.retrieve import retrieve_in, soft_matcher

    if mode == "lexical":
        embedder = None
    corpus = ShardedCorpus(ask, embedder.name if embedder is not None else None)
    return retrieve_in(
        corpus,
        corpus.gather(),
        question,
        filters=filters,
        now=now,
        limit=limit,
        mode=mode,
        soft_match=soft_matcher(embedder) if embedder is not None else None,
    )
