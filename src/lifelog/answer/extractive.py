"""The extractive answerer: the best evidence sentences, quoted, dated and cited.

It never invents: every word of the answer body is a quotation from a retrieved
item. When the question asks for a date, number, place or name and the best
sentence holds one, that span leads the answer (:mod:`lifelog.answer.facts`), the
quotes under it. When no sentence covers enough of the question it says so plainly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..index.sentences import split_sentences, stem
from ..index.text import content_terms, tokens
from ..records import Answer, Citation, Hit
from ..retrieval.recency import asks_order, by_person
from .dates import day_name
from .facts import asked_kind, short_fact
from .injection import evidence_text

__all__ = ["NOT_FOUND", "answers_by_date", "extractive_answer", "person_in_order"]

NOT_FOUND = "I don't find this in your memory."
MIN_COVERAGE = 0.5
MAX_QUOTES = 3
#: how much less a sentence counts when its item also instructs a model
SUSPECT_PENALTY = 0.5
#: how much more a sentence counts when it names something the question does not
NAMED_BONUS = 0.15
#: how much less a sentence counts when it asks ("Do you take your kid to the park
#: often?" holds the question's words and answers nothing)
ASKS_PENALTY = 0.3

#: words that give a question its form ("how much", "what kind of", "according to"),
#: not its topic
_QUESTION_FORM = frozenset("much many long often kind type sort according".split())
#: a sentence that opens with one of these goes on about the one before it ("I just
#: watched Little Women. *It's* a great story about sisterhood …"): quoted with it
_GOES_ON = re.compile(r"(?:it|it's|it’s|its|this|that|these|those|they|they're|they’re)\b", re.I)
#: the longest quote that takes in the sentence after it
_LONGEST_WITH_NEXT = 400


@dataclass(frozen=True, slots=True)
class Evidence:
    hit: Hit
    start: int
    end: int
    coverage: float
    score: float


def _weights(question: str) -> dict[str, float]:
    capitalised = {
        m.group().lower() for m in re.finditer(r"(?<!^)(?<![.?!]\s)\b[A-Z]\w+", question)
    }
    weights: dict[str, float] = {}
    for term in content_terms(question):
        if term in _QUESTION_FORM:
            continue
        weights[stem(term)] = 2.0 if term in capitalised or term.isdigit() else 1.0
    return weights


def best_evidence(question: str, hits: list[Hit], limit: int = MAX_QUOTES) -> list[Evidence]:
    weights = _weights(question)
    total = sum(weights.values())
    if not total:
        return []
    found: list[Evidence] = []
    asked = {t.lower() for t in re.findall(r"\w+", question)}
    for rank, hit in enumerate(hits[:20]):
        # an item that instructs a model is quoted only before its instructions, and
        # only where nothing else answers
        text = evidence_text(hit.item.text)
        suspect = SUSPECT_PENALTY if len(text) < len(hit.item.text) else 0.0
        context = {stem(t) for t in tokens((hit.item.title or "") + " " + (hit.item.author or ""))}
        for start, end in split_sentences(text):
            words = {stem(t) for t in tokens(text[start:end])}
            matched = sum(w for term, w in weights.items() if term in words)
            in_context = sum(
                w * 0.5 for term, w in weights.items() if term in context and term not in words
            )
            coverage = (matched + in_context) / total
            if matched == 0:
                continue
            length_penalty = 0.1 if end - start > 400 else 0.0
            # a name the question does not hold is likely what it asks for ("Which novel
            # did Maya recommend?": the sentence naming Middlemarch)
            named = NAMED_BONUS if _new_name(text[start:end], asked) else 0.0
            asks = ASKS_PENALTY if text[start:end].rstrip().endswith("?") else 0.0
            score = coverage - 0.01 * rank - length_penalty - suspect + named - asks
            found.append(Evidence(hit, start, end, coverage, score))
    found.sort(key=lambda e: e.score, reverse=True)
    chosen: list[Evidence] = []
    used_items: set[str] = set()
    said: set[str] = set()  # the same words in several items are quoted once
    for evidence in found:
        quoted = " ".join(tokens(evidence.hit.item.text[evidence.start : evidence.end]))
        if evidence.hit.item.id in used_items or quoted in said:
            continue
        said.add(quoted)
        if chosen and evidence.score < chosen[0].score * 0.8:
            break
        chosen.append(_with_what_follows(evidence))
        used_items.add(evidence.hit.item.id)
        if len(chosen) >= limit:
            break
    return chosen


def _with_what_follows(evidence: Evidence) -> Evidence:
    """``evidence`` with the sentence after it when that one goes on about it (opens with
    "It", "This", "They" …), so that neither is quoted without the other's half; never
    past where an item starts to instruct a model."""
    text = evidence_text(evidence.hit.item.text)
    rest = text[evidence.end :]
    following = split_sentences(rest)
    if not following:
        return evidence
    start, end = following[0]
    if rest[:start].strip() or not _GOES_ON.match(rest[start:end]):
        return evidence
    if evidence.end + end - evidence.start > _LONGEST_WITH_NEXT:
        return evidence
    return replace(evidence, end=evidence.end + end)


def _new_name(sentence: str, asked: set[str]) -> bool:
    """Whether ``sentence`` names something (a capitalised word not opening it) that the
    question does not."""
    return any(
        m.group().lower() not in asked
        for m in re.finditer(r"(?<!^)(?<![.?!]\s)(?<![.?!])\b[A-Z][a-z]\w+", sentence)
    )


def person_in_order(question: str, hits: Sequence[Hit]) -> bool:
    """Whether ``question`` asks of the last (first, next) time one kept in touch with a
    person and retrieval found that person's items by date: the first one answers it."""
    return bool(hits) and asks_order(question)[0] is not None and by_person(hits[0].why)


def answers_by_date(question: str, hits: Sequence[Hit]) -> bool:
    """Whether ``question`` asks *when* (:func:`person_in_order`): the first item's date is
    the answer, which a model can only get wrong ("Sunday [1]" from "what about Sunday?")."""
    return asked_kind(question) == "when" and person_in_order(question, hits)


#: the longest quote of an item that answers "the last time" for its date and author
_LONGEST_OPENING = 300


def _in_time_order(question: str, hits: list[Hit]) -> Answer:
    """The answer to "When did I last talk to Priya?" where retrieval found the person's
    items by date (:mod:`lifelog.retrieval.ordered`): the first item's day for "when",
    its subject for "about what", and its opening sentence quoted, cited."""
    hit = hits[0]
    item = hit.item
    text = evidence_text(item.text)
    spans = [(a, b) for a, b in split_sentences(text) if re.search(r"\w", text[a:b])]
    # a greeting ("Dear Sam,") opens a letter and says nothing of it
    said = [(a, b) for a, b in spans if len(tokens(text[a:b])) >= 3] or spans
    start, end = said[0] if said else (0, len(text))
    end = min(end, start + _LONGEST_OPENING)
    lines: list[str] = []
    if asked_kind(question) == "when" and item.timestamp is not None:
        lines.append(f"{day_name(item.timestamp.date())} [1]")
    elif item.title and item.kind != "message":  # a chat message's title is the chat's
        lines.append(f"“{item.title}” [1]")
    quote = text[start:end].replace("\n", " ")
    lines.append(f"“{quote}” ({describe(hit)}) [1]")
    return Answer(
        question=question,
        text="\n".join(lines),
        citations=(Citation(1, item, start, end, quote),),
        found=True,
        mode="extractive",
        hits=tuple(hits),
    )


def describe(hit: Hit) -> str:
    item = hit.item
    parts = []
    if item.timestamp is not None:
        parts.append(item.timestamp.strftime("%Y-%m-%d"))
    parts.append(item.source)
    if item.author:
        parts.append(item.author)
    return ", ".join(parts)


def extractive_answer(question: str, hits: list[Hit]) -> Answer:
    if person_in_order(question, hits):
        return _in_time_order(question, hits)
    _order, unordered = asks_order(question)
    # "When did I last go to the dentist?": "last" is the question's form, not its topic
    evidence = best_evidence(unordered, hits)
    if not evidence or evidence[0].coverage < MIN_COVERAGE:
        return Answer(
            question=question,
            text=NOT_FOUND,
            found=False,
            mode="extractive",
            hits=tuple(hits),
        )
    lines: list[str] = []
    citations: list[Citation] = []
    top = evidence[0]
    written = top.hit.item.timestamp.date() if top.hit.item.timestamp else None
    fact = short_fact(question, top.hit.item.text[top.start : top.end], written)
    if fact:
        lines.append(f"{fact} [1]")
    for number, ev in enumerate(evidence, start=1):
        quote = ev.hit.item.text[ev.start : ev.end].replace("\n", " ")
        lines.append(f"“{quote}” ({describe(ev.hit)}) [{number}]")
        citations.append(Citation(number, ev.hit.item, ev.start, ev.end, quote))
    return Answer(
        question=question,
        text="\n".join(lines),
        citations=tuple(citations),
        found=True,
        mode="extractive",
        hits=tuple(hits),
    )
