"""Ranked chunks put in time order, for a question that asks for the last or the first
time (the question's form: :mod:`lifelog.retrieval.recency`).

A question about a person and nothing more ("When did I last talk to Priya?") is about
all of that person's items: the newest of them come first, found by date, not among
the chunks that match the words best. Otherwise the found chunks that hold what it is
about (its words but names, light verbs and words of keeping in touch; each word as its
stem) come first, the newest (or oldest) first, and the rest follow as ranked: a score
says how well a chunk matches, not whether it is about the thing, and fused scores
put the third of three matches near nothing. "Last" is read up to the question's
moment: a calendar entry for next week is not the last time, and goes last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ..index.sentences import stem
from ..index.text import tokens
from .corpus import Candidate, Corpus, Ranked
from .filters import Filters
from .query import QueryPlan
from .recency import BY_PERSON, CONTACT_WORDS, LIGHT_WORDS, from_them

__all__ = ["by_time"]


def by_time(
    corpus: Corpus,
    plan: QueryPlan,
    ranked: Sequence[Ranked],
    filters: Filters,
    now: datetime | None,
    limit: int,
) -> list[Ranked]:
    """``ranked`` in the order ``plan.order`` asks for; see the module docstring."""
    moment = now or datetime.now(UTC)
    people_words = set(plan.people_words)
    about = [t for t in plan.terms if t not in people_words and t not in CONTACT_WORDS]
    if plan.people and not about:
        return _by_person(corpus, plan, ranked, filters, moment, limit)
    return _among_holders(corpus, plan, ranked, [t for t in about if t not in LIGHT_WORDS], moment)


def _sort_key(candidate: Candidate, newest: bool) -> float:
    ts = candidate.ts or 0.0
    return -ts if newest else ts


def _by_person(
    corpus: Corpus,
    plan: QueryPlan,
    ranked: Sequence[Ranked],
    filters: Filters,
    moment: datetime,
    limit: int,
) -> list[Ranked]:
    """The person's newest (or oldest) items, then ``ranked``: the items they wrote
    where the question asks what they sent ("the last email from Priya"), and never a
    message with no author (a chat's "end-to-end encrypted" notice)."""
    newest = plan.order == "newest"
    until = filters.until
    if newest and (until is None or until > moment):
        until = moment
    pool = filters.with_changes(
        people_any=(*filters.people_any, tuple(plan.people)),
        sources=filters.sources or plan.sources,
        until=until,
    )
    found = corpus.candidates(corpus.dated(pool, limit * 3, newest))
    keys = [key for key, candidate in found.items() if candidate.author]
    if from_them(plan.question, plan.people_words):
        keys = [key for key in keys if found[key].author in plan.people] or keys
    keys.sort(key=lambda key: (_sort_key(found[key], newest), corpus.tie(key)))
    keys = keys[:limit]
    if not keys:
        return list(ranked)
    why = f"{BY_PERSON['newest' if newest else 'oldest']} {', '.join(plan.people[:2])}"
    around = corpus.neighbours([found[key] for key in keys], 1)
    first = []
    for rank, key in enumerate(keys):
        before, after = around.get(key, ([], []))
        first.append(Ranked(key, 1.0 / (1 + rank), (why,), (*reversed(before), *after)))
    chosen = set(keys)
    return [*first, *(r for r in ranked if r.chunk_rowid not in chosen)]


def _among_holders(
    corpus: Corpus,
    plan: QueryPlan,
    ranked: Sequence[Ranked],
    about: Sequence[str],
    moment: datetime,
) -> list[Ranked]:
    """The found chunks that hold the words ``about`` (those that hold the most of them,
    where none holds all), the newest (or oldest) first, then the rest as ranked;
    for "last", the chunks dated after ``moment`` at the end."""
    if not ranked:
        return []
    newest = plan.order == "newest"
    found = corpus.candidates([r.chunk_rowid for r in ranked])
    latest = moment.timestamp()

    def future(r: Ranked) -> bool:
        ts = found[r.chunk_rowid].ts if r.chunk_rowid in found else None
        return newest and ts is not None and ts > latest

    dated = [
        r for r in ranked if r.chunk_rowid in found and found[r.chunk_rowid].ts and not future(r)
    ]
    wanted = {stem(t) for t in about}
    held = {
        r.chunk_rowid: len(wanted & {stem(w) for w in tokens(found[r.chunk_rowid].text)})
        for r in dated
    }
    most = max(held.values(), default=0)
    if wanted and most == 0:
        return list(ranked)  # nothing found holds what it is about: the ranking stands
    chosen = [r for r in dated if held[r.chunk_rowid] == most]
    chosen.sort(key=lambda r: (_sort_key(found[r.chunk_rowid], newest), corpus.tie(r.chunk_rowid)))
    word = "newest" if newest else "oldest"
    first = [replace(r, why=(*r.why, f"about it, the {word} first")) for r in chosen]
    taken = {r.chunk_rowid for r in first}
    rest = [r for r in ranked if r.chunk_rowid not in taken]
    return [*first, *(r for r in rest if not future(r)), *(r for r in rest if future(r))]
