"""A fixed plan that a small model can follow: rewrite, search the variants, answer.

A 1.5B model cannot drive a free agent loop: it takes the first escape, forgets the
protocol, or never calls a tool. So with reasoning on and a model without native
tool calls, lifelog drives the steps itself and asks the model only for what it does
well, in a form it cannot get wrong:

1. **A period question** ("what did I do in June 2023?") goes to the timeline: the
   items of that period, plus the items whose text names it ("16 to 18 June 2023"
   written in May), searched by the period's own words.
2. **Otherwise the model rewrites the question** into a few search queries (other
   words for the same thing, the names and places it implies), constrained by a JSON
   schema so that the reply always parses. ``medium`` and ``high`` run more rounds,
   each shown what the earlier ones found.
3. Every search runs as the user's own retrieval would (hybrid, with their filters);
   the results are fused with the first retrieval by reciprocal rank (Cormack et al.,
   SIGIR 2009), and the model answers from the fused evidence through the same
   prompt and checks as a plain answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..errors import ModelError
from ..index.text import content_terms
from ..models.llm import LLM, complete
from ..records import Hit
from ..retrieval.filters import Filters
from ..retrieval.hybrid import rrf
from ..retrieval.timeexpr import parse_time
from .generate import AskEvent, generate_answer
from .prompts import Turn, answer_prefix, defang, when
from .tools import MemoryLike, item_hit, retrieve

__all__ = ["PLAN_ROUNDS", "QUERIES_SCHEMA", "fuse", "period_of", "run_plan"]

#: rounds of rewriting at each level
PLAN_ROUNDS = {"low": 1, "medium": 2, "high": 3}
MAX_QUERIES = 3
RRF_K = 60
#: words of a question that ask what happened, not about what
_PERIOD_WORDS = frozenset(
    """do doing done happen happened happening up last summary events event life
    week weekend month year spend spent""".split()
)
QUERIES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "queries": {
            "type": "array",
            "items": {"type": "string", "minLength": 2, "maxLength": 80},
            "minItems": 1,
            "maxItems": MAX_QUERIES,
        }
    },
    "required": ["queries"],
    "additionalProperties": False,
}
_REWRITE = (
    "Do not answer yet. Write up to three short search queries for the user's records that"
    " would find the answer: other words for the same thing, the names, places and events"
    ' the question implies. Reply with JSON: {"queries": ["…", "…"]}'
)


def period_of(question: str, now: datetime) -> tuple[datetime, datetime, str] | None:
    """(since, until, the period's words) when ``question`` asks what happened in a
    period and names nothing more specific, else ``None``."""
    time = parse_time(question, now)
    window = time.window()
    if window is None:
        return None
    rest = {t for t in content_terms(time.rest) if not t.isdigit()}
    if rest - _PERIOD_WORDS:
        return None
    words = " ".join(span.text for span in time.spans if span.text)
    return window[0], window[1], words


def fuse(rankings: Sequence[Sequence[Hit]], limit: int) -> list[Hit]:
    """Reciprocal rank fusion (:func:`~lifelog.retrieval.hybrid.rrf`) of several rankings,
    one hit per item (an item's first hit in a ranking ranks it), best first."""
    first: dict[str, Hit] = {}
    ids: list[list[str]] = []
    for ranking in rankings:
        for hit in ranking:
            first.setdefault(hit.item.id, hit)
        ids.append(list(dict.fromkeys(hit.item.id for hit in ranking)))
    scores = rrf(ids, k=RRF_K)
    ordered = sorted(scores, key=lambda key: scores[key], reverse=True)
    return [first[key] for key in ordered[:limit]]


def _queries(text: str, question: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    found = value.get("queries") if isinstance(value, dict) else None
    if not isinstance(found, list):
        return []
    queries: list[str] = []
    for query in found:
        if isinstance(query, str) and query.strip() and query.strip() != question:
            queries.append(" ".join(query.split())[:120])
    return list(dict.fromkeys(queries))[:MAX_QUERIES]


def _item_hits(memory: MemoryLike, filters: Filters, limit: int) -> list[Hit]:
    return [item_hit(item) for item in memory.timeline(filters, limit=limit)]


def run_plan(
    memory: MemoryLike,
    llm: LLM,
    question: str,
    hits: Sequence[Hit],
    *,
    level: str,
    filters: Filters,
    now: datetime,
    history: Sequence[Turn] = (),
    max_tokens: int = 512,
    query: str = "",
    limit: int = 20,
    count_items: Callable[[Filters, str | None], int] | None = None,
) -> Iterator[AskEvent]:
    """Answer ``question`` by the fixed plan; see the module docstring."""
    del count_items  # counts go through the agent's tools; the plan does not count
    rankings: list[Sequence[Hit]] = [hits]
    trace: list[str] = []
    period = period_of(question, now)
    if period is not None:
        since, until, words = period
        narrowed = replace(
            filters,
            since=max(since, filters.since) if filters.since else since,
            until=min(until, filters.until) if filters.until else until,
        )
        timeline = _item_hits(memory, narrowed, 60)
        trace.append(f"timeline {since:%Y-%m-%d} to {until:%Y-%m-%d}: {len(timeline)} items")
        yield AskEvent("step", trace[-1])
        rankings.append(timeline)
        if words:
            named = retrieve(memory, words, filters=filters, now=now, limit=10)
            trace.append(f"search “{words}”: {len(named)} items")
            yield AskEvent("step", trace[-1])
            rankings.insert(0, named)
    else:
        asked: list[str] = [question]
        for _round in range(PLAN_ROUNDS.get(level, 1)):
            found = fuse(rankings, 6)
            seen = "\n".join(f"- {defang(h.snippet)[:160]}" for h in found) or "nothing yet"
            # after the answer prompt's own rules and examples, which stay cached
            messages = [
                *answer_prefix(),
                {
                    "role": "user",
                    "content": f"Today is {when(now)}.\nQuestion: {question}\n"
                    f"Already searched: {'; '.join(asked)}\nFound so far:\n{seen}\n\n{_REWRITE}",
                },
            ]
            try:
                reply = complete(llm, messages, max_tokens=80, schema=QUERIES_SCHEMA)
            except ModelError as error:
                trace.append(f"rewriting failed: {error}")
                break
            if reply.reasoning:
                yield AskEvent("reasoning", reply.reasoning)
            queries = [q for q in _queries(reply.content, question) if q not in asked]
            if not queries:
                trace.append("the model proposed no other searches")
                yield AskEvent("step", trace[-1])
                break
            for text in queries:
                asked.append(text)
                found_hits = retrieve(memory, text, filters=filters, now=now, limit=limit)
                trace.append(f"search “{text}”: {len(found_hits)} items")
                yield AskEvent("step", trace[-1])
                rankings.append(found_hits)
    evidence = fuse(rankings, limit)
    yield from generate_answer(
        llm,
        question,
        evidence,
        now=now,
        history=history,
        max_tokens=max_tokens,
        reasoning="off",
        reasoning_prefix="\n".join(trace),
        query=query,
        notes=(f"searched {len(rankings)} ways and answered from the best {len(evidence)} items",),
    )
