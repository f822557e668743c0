"""Ranked chunks put in time order, for a question that asks for the last, the first
or the next time (the question's form: :mod:`lifelog.retrieval.recency`).

A question about keeping in touch with a person and nothing more ("When did I last
talk to Priya?") is about all of that person's items: the newest of them come first,
found by date, not among the chunks that match the words best. ("When did I last go to
Lisbon?" asks of no one, though a firm's name holds "Lisbon".)

Otherwise the best found chunks (:data:`HOLDERS_DEPTH`) that hold what it is about (its
words but light verbs and words of keeping in touch; each word as its stem) come first
in time order, and the rest follow as ranked: a score says how well a chunk matches,
not whether it is about the thing, and fused scores put the third of three matches
near nothing.

"Last" is read up to the question's moment (a calendar entry for next week is not the
last time, and goes to the end), "next" from it (what is past goes to the end).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ..index.sentences import stem
from ..index.text import tokens
from .corpus import Candidate, Corpus, Ranked
from .filters import Filters
from .query import QueryPlan
from .recency import BY_PERSON, CONTACT_WORDS, FILLER, IN_ORDER, LIGHT_WORDS, from_them

__all__ = ["HOLDERS_DEPTH", "by_time"]

#: how far down the ranking a chunk that holds what the question is about is put in
#: time order
HOLDERS_DEPTH = 10


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
    about = [t for t in plan.terms if t not in people_words | FILLER and t not in CONTACT_WORDS]
    # keeping in touch must be what is asked ("say" is no search term, and still asks it)
    in_touch = CONTACT_WORDS.intersection(re.findall(r"\w+", plan.question.lower()))
    if plan.people and not about and in_touch:
        return _by_person(corpus, plan, ranked, filters, moment, limit)
    # not about keeping in touch, a name is a topic like any other ("Lisbon")
    wanted = [t for t in plan.terms if t not in CONTACT_WORDS | FILLER | LIGHT_WORDS]
    return _among_holders(corpus, plan, ranked, wanted, moment)


def _sort_key(candidate: Candidate, order: str | None) -> float:
    ts = candidate.ts or 0.0
    return -ts if order == "newest" else ts


def _out_of_time(candidate: Candidate | None, order: str | None, moment: float) -> bool:
    """Whether ``candidate`` lies outside what ``order`` reads: after ``moment`` for the
    last time, before it for the next."""
    ts = candidate.ts if candidate is not None else None
    if ts is None:
        return False
    return (order == "newest" and ts > moment) or (order == "upcoming" and ts <= moment)


def _by_person(
    corpus: Corpus,
    plan: QueryPlan,
    ranked: Sequence[Ranked],
    filters: Filters,
    moment: datetime,
    limit: int,
) -> list[Ranked]:
    """The person's items in time order, then ``ranked``: the items they wrote where
    the question asks what they sent ("the last email from Priya"), and never a message
    with no author (a chat's "end-to-end encrypted" notice)."""
    order = plan.order
    since, until = filters.since, filters.until
    if order == "newest" and (until is None or until > moment):
        until = moment
    if order == "upcoming" and (since is None or since < moment):
        since = moment
    pool = filters.with_changes(
        people_any=(*filters.people_any, tuple(plan.people)),
        sources=filters.sources or plan.sources,
        since=since,
        until=until,
    )
    found = corpus.candidates(corpus.dated(pool, limit * 3, order == "newest"))
    # an event to come names no author: "next" takes the person's events as they are
    keys = [key for key, c in found.items() if c.author or order == "upcoming"]
    if from_them(plan.question, plan.people_words):
        keys = [key for key in keys if found[key].author in plan.people] or keys
    keys.sort(key=lambda key: (_sort_key(found[key], order), corpus.tie(key)))
    keys = keys[:limit]
    if not keys:
        return list(ranked)
    why = f"{BY_PERSON[order or 'newest']} {', '.join(plan.people[:2])}"
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
    where none holds all) in time order, then the rest as ranked, and last the chunks
    outside the time the order reads."""
    if not ranked:
        return []
    order = plan.order
    found = corpus.candidates([r.chunk_rowid for r in ranked])
    now = moment.timestamp()

    def outside(r: Ranked) -> bool:
        return _out_of_time(found.get(r.chunk_rowid), order, now)

    dated = [
        r for r in ranked if r.chunk_rowid in found and found[r.chunk_rowid].ts and not outside(r)
    ]
    wanted = {stem(t) for t in about}
    held = {
        r.chunk_rowid: len(wanted & {stem(w) for w in tokens(found[r.chunk_rowid].text)})
        for r in dated
    }
    most = max(held.values(), default=0)
    if most == 0:
        return list(ranked)  # nothing found holds what it is about: the ranking stands
    # among the best matches: a word held is not yet what is asked ("12 photos of
    # Amsterdam" in a newsletter is no trip there)
    best = {r.chunk_rowid for r in ranked[:HOLDERS_DEPTH]}
    chosen = [r for r in dated if held[r.chunk_rowid] == most and r.chunk_rowid in best]
    chosen.sort(key=lambda r: (_sort_key(found[r.chunk_rowid], order), corpus.tie(r.chunk_rowid)))
    first = [replace(r, why=(*r.why, IN_ORDER[order or "newest"])) for r in chosen]
    taken = {r.chunk_rowid for r in first}
    rest = [r for r in ranked if r.chunk_rowid not in taken]
    return [*first, *(r for r in rest if not outside(r)), *(r for r in rest if outside(r))]
