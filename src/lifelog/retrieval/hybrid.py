"""Hybrid retrieval: lexical and vector rankings fused, then shaped by who, when and
the conversation around each hit.

The steps, each small and each chosen by measurement on LoCoMo (``lifelog eval
locomo``; the figures are in ``docs/benchmarks.md``):

1. **Lexical**: BM25 over chunks (SQLite FTS5), the query's terms OR-ed, each
   word also searched by its stem as a prefix (``painting`` → ``paint*``) so that
   inflections meet. Names the question uses for people are left out of the
   words (they become a boost, below): in a chat every greeting names them.
2. **Vector**: cosine similarity of the question (without those names) to the
   chunks' embeddings (:mod:`lifelog.index.vectors`), when the memory has them.
3. **Fusion**: each list's scores min-max normalised and summed with weights
   (CombSUM; Fox & Shaw, "Combination of Multiple Searches", TREC-2, 1994),
   which beat reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009,
   kept here as :func:`rrf`) by two points of recall@5. Then the best fused
   candidates are matched word by word with the static model's token vectors
   (each question word against the candidate's closest word; see
   :mod:`lifelog.models.softmatch`), a third list summed in the same way:
   +0.8 points of recall@10, on both halves of the dev set.
4. **Conversation**: in a chat, the message after a matching one (its reply)
   receives part of that message's score — the answer to "what genre is it?" is
   "a mix of drama and romance!", which shares no word with the question. And
   every candidate gains a share of the strength of its thread (the sum of its
   thread's best candidate scores): relevant messages cluster in the sessions
   about the topic (the cluster hypothesis; re-ranking after Liu & Croft,
   "Cluster-based retrieval using language models", SIGIR 2004).
5. **Boosts** (multiplicative): a message written by a person the question
   names; an item dated in the question's time range, or whose own words
   ("yesterday", "last week") resolve into it; for a question asking *when*,
   a message that names a time (answer-type matching, as in classic QA).
6. **Prior**: a chat message that ends in a question mark is weighted down, whatever
   the question (a query-independent document prior, as in Kraaij, Westerveld &
   Hiemstra, "The Importance of Prior Probabilities for Entry Page Search", SIGIR
   2002). It asks; its reply answers (question and answer are an adjacency pair:
   Schegloff & Sacks, "Opening up Closings", Semiotica 1973), and the reply has
   already received its share in step 4. "What pet do you have?" echoes the words
   of "What pet does Caroline have?" better than "Oscar, my guinea pig" does. On
   LoCoMo the prior adds 1.5 points of recall@10 (0.9 and 2.0 on the two halves).

A question with a time range is searched twice, over all time and within the
range (widened by its precision), so that the range's items are candidates; a
question with nothing to match but people and a time ("what did Alice do in
August?") is searched within the range only.

Functions return chunk rowids with scores, reasons and the chunk rowids of the
messages around each hit (context, never counted as ranks);
:meth:`lifelog.Memory.retrieve` turns them into :class:`~lifelog.records.Hit`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from ..index.lexical import Tie, fts_match, lexical_ranking
from ..index.text import normalise
from ..store import Store
from .corpus import Candidate, Corpus, Ranked, StoreCorpus, VectorSearch, by_score
from .filters import Filters
from .query import QueryPlan
from .timeexpr import TimeSpan, item_mentions

#: what reciprocal rank fusion ranks: chunk rowids here, item ids in the answer plan
K = TypeVar("K", bound=Hashable)

__all__ = [
    "MODES",
    "Candidate",
    "Ranked",
    "Tuning",
    "asks",
    "asks_when",
    "combine",
    "fts_match",
    "hybrid_search",
    "lexical_ranking",
    "rrf",
    "without_words",
]

MODES = ("lexical", "vector", "hybrid")
#: the least a found chunk gets from a list, so that boosts can still lift the weakest
FLOOR = 0.01

#: scores texts against a question by soft word matching (:mod:`lifelog.models.softmatch`)
SoftMatch = Callable[[str, Sequence[str]], list[float]]

#: how far a time range is widened, by its precision, before items are matched to it
SLACK_DAYS: Mapping[str, int] = {
    "day": 1,
    "weekend": 2,
    "week": 3,
    "month": 7,
    "season": 14,
    "year": 14,
    "span": 7,
}


@dataclass(frozen=True, slots=True)
class Tuning:
    """The knobs of :func:`hybrid_search`. The defaults are the measured choice: each
    change was measured on both halves of the LoCoMo dev set (conv-26/30/41 and
    conv-42/43) and kept only when it helped both; no rule looks at a question's
    wording beyond names, times and "when"."""

    #: how many chunks each retriever hands to fusion
    candidates: int = 100
    #: ``minmax`` (normalised score sum) or ``rrf`` (reciprocal rank fusion)
    fusion: str = "minmax"
    rrf_k: float = 60.0
    lexical_weight: float = 1.0
    vector_weight: float = 0.7
    #: search each word's stem as a prefix too
    stems: bool = True
    #: keep the names of people the question names among the words searched
    people_terms: bool = True
    #: multiplicative boosts (1 + boost)
    author_boost: float = 1.0
    #: for an item from a source the question names ("on WhatsApp"); LoCoMo has one source,
    #: so this one is set by analogy with ``author_boost``, not measured
    source_boost: float = 1.0
    time_boost: float = 2.0
    when_boost: float = 0.6
    #: weight of a chat message that ends in a question (see :func:`asks`); 1 = no prior
    asking_prior: float = 0.7
    #: restrict to the question's time range (widened by its precision) instead of boosting
    time_filter: bool = False
    #: search the question's time range a second time, so that its items are candidates
    time_search: bool = True
    #: share of a chat message's score given to the message after it (its reply) and to
    #: the one before it, for the ``spread`` best messages
    forward_share: float = 0.5
    #: share given to the second message after (often the same speaker's next turn)
    second_share: float = 0.0
    backward_share: float = 0.0
    spread: int = 40
    #: share of its thread's strength (its ``thread_top`` best scores) a message gains
    thread_share: float = 0.3
    thread_top: int = 3
    #: messages on each side of a chat hit brought along as context
    neighbours: int = 1
    #: how many of the best candidates are read for the dates their words name
    read_depth: int = 60
    #: weight of soft word matching among the ``soft_depth`` best fused candidates
    #: (hybrid only, with the static model's token table); 0 = off
    soft_weight: float = 0.3
    soft_depth: int = 100


_WHEN = re.compile(
    r"^\s*(?:when|what\s+(?:date|day|year|month|time)|which\s+(?:date|day|year|month)"
    r"|how\s+long\s+ago)\b|\b(?:when\s+did|when\s+was|what\s+year|how\s+long\s+ago)\b",
    re.I,
)


_ASKS = re.compile(r"\?[^\w]*$")


def asks(text: str) -> bool:
    """Whether a message ends in a question ("What pet do you have? 🐶"): its last
    sentence mark, before any closing emoji, brackets or spaces, is a question mark."""
    return bool(_ASKS.search(text))


def asks_when(question: str) -> bool:
    """Whether a question asks for a time ("When did …", "What year …")."""
    return bool(_WHEN.search(question))


def without_words(text: str, words: set[str] | frozenset[str]) -> str:
    """``text`` without the given (lower-case) words and their possessive ``'s``."""
    if not words:
        return text
    kept = [
        w
        for w in text.split()
        if normalise(w.strip('.,;:!?"()')).replace("’", "'").removesuffix("'s") not in words
    ]
    return " ".join(kept) or text


def rrf(
    rankings: Sequence[Sequence[K]], weights: Sequence[float] = (), k: float = 60.0
) -> dict[K, float]:
    """Reciprocal rank fusion: ``Σ_r w_r / (k + rank_r(d))``, ranks from 1."""
    scores: dict[K, float] = {}
    for index, ranking in enumerate(rankings):
        weight = weights[index] if index < len(weights) else 1.0
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores


def combine(
    lists: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float] = ()
) -> dict[int, float]:
    """CombSUM of min-max normalised scores: each list's best is 1, its worst ``FLOOR``
    (a list of one, or of equal scores, gives 1); a key missing from a list gets 0 from it."""
    scores: dict[int, float] = {}
    for index, found in enumerate(lists):
        if not found:
            continue
        values = [value for _, value in found]
        low, high = min(values), max(values)
        weight = weights[index] if index < len(weights) else 1.0
        for key, value in found:
            norm = (value - low) / (high - low) if high > low else 1.0
            scores[key] = scores.get(key, 0.0) + weight * max(norm, FLOOR)
    return scores


def merge_lists(
    lists: Iterable[Sequence[tuple[int, float]]], tie: Callable[[int], Tie]
) -> list[tuple[int, float]]:
    """Several result lists of one retriever as one, best first (a chunk once, with its
    best score), equal scores in ``tie`` order."""
    best: dict[int, float] = {}
    for found in lists:
        for rowid, score in found:
            if rowid not in best or score > best[rowid]:
                best[rowid] = score
    return [(key, best[key]) for key in by_score(best, tie)]


@lru_cache(maxsize=4096)
def _mentions(text: str, ts: float) -> tuple[TimeSpan, ...]:
    """An item's time mentions, remembered: the same chunks come back query after query."""
    return item_mentions(text, datetime.fromtimestamp(ts, tz=UTC))


def _in_time(candidate: Candidate, spans: Sequence[TimeSpan], words: bool) -> str | None:
    """Why a candidate falls in the question's time: its date (widened by the span's
    precision), or (with ``words``) a date its own words name."""
    if candidate.ts is None:
        return None
    moment = datetime.fromtimestamp(candidate.ts, tz=UTC)
    for span in spans:
        slack = timedelta(days=SLACK_DAYS.get(span.kind, 7))
        if span.since - slack <= moment < span.until + slack:
            return f"dated in {span.text}"
    if words:
        for mention in _mentions(candidate.text, candidate.ts):
            for span in spans:
                if mention.overlaps(span.since, span.until):
                    return f"“{mention.text}” is in {span.text}"
    return None


def _says_when(candidate: Candidate) -> bool:
    return candidate.ts is not None and bool(_mentions(candidate.text, candidate.ts))


def hybrid_search(
    source: Store | Corpus,
    plan: QueryPlan,
    *,
    filters: Filters | None = None,
    limit: int = 10,
    mode: str = "hybrid",
    vector_search: VectorSearch | None = None,
    soft_match: SoftMatch | None = None,
    tuning: Tuning | None = None,
) -> list[Ranked]:
    """The ``limit`` best chunks for ``plan``; see the module docstring.

    ``source``: a store (searched with ``vector_search``), or a
    :class:`~lifelog.retrieval.corpus.Corpus` (its own vector search; a sharded memory's).
    ``mode``: ``lexical``, ``vector`` or ``hybrid`` (vector and hybrid need vectors;
    without them they are lexical and vector-only finds nothing). ``soft_match``
    re-ranks the best fused candidates in hybrid mode (step 3).
    """
    corpus = StoreCorpus(source, vector_search) if isinstance(source, Store) else source
    tuning = tuning or Tuning()
    filters, searches, terms = _searches(plan, filters or Filters(), tuning)
    people_words = set(plan.people_words)
    lists: list[list[tuple[int, float]]] = []
    weights: list[float] = []
    reasons: dict[int, list[str]] = {}
    if mode in ("lexical", "hybrid"):
        # a chunk's BM25 does not depend on the filter: the two searches merge as they are
        found = corpus.lexical(terms, searches, tuning.candidates, tuning.stems) if terms else []
        lexical = merge_lists(found, corpus.tie)
        lists.append(lexical)
        weights.append(tuning.lexical_weight)
        for rank, (rowid, _score) in enumerate(lexical[:50], start=1):
            reasons.setdefault(rowid, []).append(f"words #{rank}")
    if mode in ("vector", "hybrid"):
        query = without_words(plan.text, people_words)
        near = corpus.vector(query, searches, tuning.candidates)
        if near is not None:
            vector = merge_lists(near, corpus.tie)
            lists.append(vector)
            weights.append(tuning.vector_weight)
            for rank, (rowid, _score) in enumerate(vector[:50], start=1):
                reasons.setdefault(rowid, []).append(f"meaning #{rank}")
    if tuning.fusion == "rrf":
        scores = rrf([[rowid for rowid, _ in found] for found in lists], weights, tuning.rrf_k)
    else:
        scores = combine(lists, weights)
    if not scores:
        return []
    candidates = corpus.candidates(list(scores))
    if mode == "hybrid" and soft_match is not None and tuning.soft_weight > 0:
        question = without_words(plan.text, people_words)
        _soft(corpus, scores, candidates, soft_match, question, tuning, reasons)
    context = _spread(corpus, scores, candidates, tuning, filters)
    if tuning.thread_share > 0:
        _share_threads(scores, candidates, tuning)
    _boost(corpus, plan, scores, candidates, tuning, reasons)
    best = by_score(scores, corpus.tie)[:limit]
    if tuning.neighbours > 0:
        wanted = [candidates[r] for r in best if r not in context and r in candidates]
        for rowid, (before, after) in corpus.neighbours(wanted, tuning.neighbours).items():
            context[rowid] = (*reversed(before), *after)
    return [
        Ranked(rowid, scores[rowid], tuple(reasons.get(rowid, ())), context.get(rowid, ()))
        for rowid in best
    ]


def _searches(
    plan: QueryPlan, filters: Filters, tuning: Tuning
) -> tuple[Filters, list[Filters], list[str]]:
    """The filters, the searches (all time, and the question's time widened by its
    precision) and the words to search for ``plan``."""
    spans = [s for s in plan.time.spans if s.kind != "vague"]
    timed: Filters | None = None
    if spans and filters.since is None and filters.until is None:
        slack = max(timedelta(days=SLACK_DAYS.get(s.kind, 7)) for s in spans)
        timed = filters.with_changes(
            since=min(s.since for s in spans) - slack, until=max(s.until for s in spans) + slack
        )
        if tuning.time_filter:
            filters, timed = timed, None
    searches = [filters] if timed is None or not tuning.time_search else [filters, timed]
    people_words = set(plan.people_words)
    terms = [t for t in plan.terms if t not in people_words]
    if tuning.people_terms and terms:
        terms = plan.terms
    elif not terms:
        # "what did Alice do in August?": nothing to match but who and when, so the
        # time is a filter and the names are the words
        terms = plan.terms
        if timed is not None:
            filters = timed
            searches = [filters]
    return filters, searches, terms


def _boost(
    corpus: Corpus,
    plan: QueryPlan,
    scores: dict[int, float],
    candidates: Mapping[int, Candidate],
    tuning: Tuning,
    reasons: dict[int, list[str]],
) -> None:
    """Steps 5 and 6: who, when, a time named, and the asking prior (in place)."""
    spans = [s for s in plan.time.spans if s.kind != "vague"]
    people = set(plan.people)
    sources = set(plan.sources)
    wants_date = tuning.when_boost > 0 and asks_when(plan.question)
    # reading a candidate's words for dates costs: only the best ones are read
    read = set(by_score(scores, corpus.tie)[: tuning.read_depth])
    for rowid, candidate in candidates.items():
        boost = 1.0
        if people and candidate.author in people:
            boost += tuning.author_boost
            reasons.setdefault(rowid, []).append(f"by {candidate.author}")
        if sources and candidate.source in sources:
            boost += tuning.source_boost
            reasons.setdefault(rowid, []).append(f"from {candidate.source}")
        if spans and tuning.time_boost:
            why = _in_time(candidate, spans, rowid in read)
            if why:
                boost += tuning.time_boost
                reasons.setdefault(rowid, []).append(why)
        if wants_date and rowid in read and _says_when(candidate):
            boost += tuning.when_boost
            reasons.setdefault(rowid, []).append("names a time")
        if candidate.kind == "message" and tuning.asking_prior != 1.0 and asks(candidate.text):
            boost *= tuning.asking_prior
        scores[rowid] *= boost


def _soft(
    corpus: Corpus,
    scores: dict[int, float],
    candidates: Mapping[int, Candidate],
    soft_match: SoftMatch,
    question: str,
    tuning: Tuning,
    reasons: dict[int, list[str]],
) -> None:
    """Add soft word matching, min-max normalised like the other lists, to the best
    ``soft_depth`` fused candidates (in place); the ten closest are told in ``reasons``."""
    top = [r for r in by_score(scores, corpus.tie) if r in candidates]
    top = top[: tuning.soft_depth]
    found = soft_match(question, [candidates[r].text for r in top])
    if not found or max(found) == min(found):
        return  # nothing tells the candidates apart
    ranked = merge_lists([list(zip(top, found, strict=True))], corpus.tie)
    for rowid, gain in combine([ranked], [tuning.soft_weight]).items():
        scores[rowid] += gain
    for rank, (rowid, _score) in enumerate(ranked[:10], start=1):
        reasons.setdefault(rowid, []).append(f"close words #{rank}")


def _share_threads(
    scores: dict[int, float], candidates: Mapping[int, Candidate], tuning: Tuning
) -> None:
    """Add to each chat candidate a share of its thread's strength (in place)."""
    by_thread: dict[str, list[float]] = {}
    for rowid, candidate in candidates.items():
        if candidate.thread is not None and candidate.kind == "message":
            by_thread.setdefault(candidate.thread, []).append(scores.get(rowid, 0.0))
    strength = {
        thread: sum(sorted(values, reverse=True)[: tuning.thread_top])
        for thread, values in by_thread.items()
    }
    for rowid, candidate in candidates.items():
        if candidate.thread in strength:
            bonus = tuning.thread_share * strength[candidate.thread]
            scores[rowid] = scores.get(rowid, 0.0) + bonus


def _spread(
    corpus: Corpus,
    scores: dict[int, float],
    candidates: dict[int, Candidate],
    tuning: Tuning,
    filters: Filters,
) -> dict[int, tuple[int, ...]]:
    """Share the best chat messages' scores with their neighbours (in place) and return
    each one's context (the chunk rowids of the messages around it)."""
    context: dict[int, tuple[int, ...]] = {}
    if not (tuning.forward_share > 0 or tuning.backward_share > 0 or tuning.neighbours > 0):
        return context
    ordered = by_score(scores, corpus.tie)[: tuning.spread]
    reach = max(1, tuning.neighbours, 2 if tuning.second_share > 0 else 1)
    around = corpus.neighbours([candidates[r] for r in ordered if r in candidates], reach)
    shared: dict[int, float] = {}
    for rowid in ordered:
        if rowid not in around:
            continue
        before, after = around[rowid]
        if tuning.neighbours > 0:
            context[rowid] = (*reversed(before[: tuning.neighbours]), *after[: tuning.neighbours])
        for others, share in (
            (after[:1], tuning.forward_share),
            (after[1:2], tuning.second_share),
            (before[:1], tuning.backward_share),
        ):
            if others and share > 0:
                shared[others[0]] = max(shared.get(others[0], 0.0), share * scores[rowid])
    if shared and not filters.empty:  # a neighbour outside the filters is context only
        allowed = corpus.allowed(filters, list(shared))
        shared = {r: v for r, v in shared.items() if r in allowed}
    for rowid, gain in shared.items():
        scores[rowid] = scores.get(rowid, 0.0) + gain
    missing = [r for r in shared if r not in candidates]
    if missing:
        candidates.update(corpus.candidates(missing))
    return context
