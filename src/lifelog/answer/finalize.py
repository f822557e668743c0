"""The checks a model's draft passes before it is an answer, and what replaces it.

:func:`finalize` takes the model's text and the sources it was shown: links and
citations to items it was not shown are removed, uncited or wrongly cited sentences
are given the items that support them, relative dates are resolved against the
cited item's date, and then the answer must be supported word by word
(:mod:`~lifelog.answer.support`), speak of the question and of the person asked
about, hold the question's premise and polarity (:mod:`~lifelog.answer.roles`),
and, with a verifier, be judged stated by its items (:mod:`~lifelog.answer.verify`).
A draft that fails is replaced by quotes from the memory (when they plainly answer)
or by "not found" with the nearest items, with a note saying why.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from ..errors import ModelError
from ..index.text import content_terms, make_snippet, tokens
from ..records import Answer, Citation, Hit, Item
from .asked import (
    asks_about,
    count_unsaid,
    runs_backwards,
    says_no_amount,
    says_no_time,
)
from .citations import (
    CitationCheck,
    check_citations,
    clean_output,
    drop_list_loops,
    drop_loops,
    merge_repeats,
    strip_citations,
    strip_links,
)
from .dates import relative_dates, resolve_relative
from .extractive import NOT_FOUND, Evidence, best_evidence, describe, extractive_answer
from .item_dates import (
    DAY_WRITTEN_NOTE,
    ITEM_DATE_NOTE,
    ITEM_OFTEN_NOTE,
    counted_unsaid,
    date_in_item_words,
    often_in_item_words,
)
from .only_asked import drop_only_asked, only_asked, only_asked_of
from .prompts import Source
from .recite import (
    POINTS,
    least_missing,
    recite_count,
    recite_off_topic,
    scene,
    without_unrelated,
)
from .roles import (
    misplaced_value,
    off_topic,
    only_addressed,
    topic_words,
    unfounded_premise,
    unsaid_polarity,
    wrong_person,
)
from .support import (
    affirms,
    check_support,
    repair_citations,
    terms_of,
    verb_stem,
)
from .tools import item_header, source_terms
from .verify import Verifier
from .wording import drop_misquotes, in_source_words, to_the_point

__all__ = [
    "CLEAR_COVERAGE",
    "CLOSEST",
    "LIST_ASKED_ONLY",
    "REPLACED",
    "WITHHELD",
    "finalize",
    "plainly_answers",
    "quoted_answer",
    "says_not_found",
    "with_notes",
]


#: how the notes of an answer that did not stand begin (``REPLACED: why``,
#: ``WITHHELD: why``) and, with quotes in its place, end (``; CLOSEST``)
REPLACED = "the generated answer was replaced by quotes from your memory"
WITHHELD = "lifelog withheld the model's answer"
CLOSEST = "these are the closest quotes"

_NOT_FOUND_MARKS = (
    "don't find this in your memory",
    "do not find this in your memory",
    "not in your memory",
    "the sources do not",
    "sources don't",
    "no information",
)


#: the note on an answer whose list lost parts its items only ask about: the answer then
#: reads otherwise than the model's draft (:mod:`lifelog.eval.support` judges it as given)
LIST_ASKED_ONLY = "part(s) of a list that its items only ask about"


def quoted_answer(question: str, hits: Sequence[Hit], query: str = "") -> Answer:
    """The extractive answer; a follow-up that names too little is quoted for its search
    terms (which carry the previous question's)."""
    answer = extractive_answer(question, list(hits))
    if not answer.found and query and query != question:
        answer = replace(extractive_answer(query, list(hits)), question=question)
    return answer


def with_notes(
    answer: Answer, *notes: str, mode: str | None = None, reasoning: str | None = None
) -> Answer:
    return replace(
        answer,
        notes=answer.notes + tuple(n for n in notes if n),
        mode=mode or answer.mode,
        reasoning=reasoning or answer.reasoning,
    )


#: how much of the question a quote must cover to overrule a model that found nothing
CLEAR_COVERAGE = 0.75


def plainly_answers(question: str, found: Evidence, hits: Sequence[Hit]) -> bool:
    """Whether ``found``'s sentence plainly answers ``question``: it covers
    :data:`CLEAR_COVERAGE` of it, is not about another person than the one asked about
    (:func:`~.roles.wrong_person`), holds the negation or reversing verb the question
    turns on, if any (:func:`~.roles.unsaid_polarity`), and names an amount where the
    question asks how many, how often or how long (:func:`~.asked.says_no_amount`:
    "a small family-run place" covers "How often do I run?" and does not answer it)."""
    quote = found.hit.item.text[found.start : found.end]
    return (
        found.coverage >= CLEAR_COVERAGE
        and not _someone_else(question, found.hit.item, quote, hits)
        and not unsaid_polarity(_unquoted(question), [quote])
        and not says_no_amount(quote, question)
    )


def _clear_quotes(question: str, hits: Sequence[Hit], query: str) -> Answer | None:
    """Quotes that plainly answer what the model said it could not find, or ``None``:
    the best sentence must (:func:`plainly_answers`)."""
    best = best_evidence(question, list(hits), limit=1)
    if not best or not plainly_answers(question, best[0], hits):
        return None
    answer = quoted_answer(question, hits, query)
    return answer if answer.found else None


def _in_item_words(
    question: str, check: CitationCheck, excerpts: list[str], notes: tuple[str, ...]
) -> tuple[CitationCheck, tuple[str, ...]]:
    """``check`` in the words of the excerpts it cites (:func:`~.wording.in_source_words`),
    with a note, where they put its short phrase otherwise."""
    worded = in_source_words(check.text, excerpts, question)
    if worded is None:
        return check, notes
    return replace(check, text=worded), (
        *notes,
        "lifelog gave the answer in the words of the item it cites",
    )


def _quotes_elsewhere(question: str, answer: Answer, hits: Sequence[Hit]) -> str | None:
    """Why the quotes an extractive answer leads with do not answer the question, or
    ``None``: they are about another person than its subject
    (:func:`~.roles.wrong_person`), or none holds the negation or reversing verb it asks
    about (:func:`~.roles.unsaid_polarity`: "Where do they plan to *avoid*?" is not
    answered by "we plan to explore a new city"), or the question asks how many, how
    often or how long and none names an amount (:func:`~.asked.says_no_amount`)."""
    if not answer.found or not answer.citations:
        return None
    top = answer.citations[0]
    elsewhere = _someone_else(question, top.item, top.snippet, hits)
    if elsewhere:
        return f"the closest quotes are about someone else ({elsewhere})"
    quotes = [c.snippet for c in answer.citations]
    turned = unsaid_polarity(_unquoted(question), quotes) or says_no_amount(
        " ".join(quotes), question
    )
    return f"the closest quotes do not answer it ({turned})" if turned else None


_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")


def _unquoted(question: str) -> str:
    """``question`` without what it quotes: a title ("Nothing is impossible") says nothing
    about what is asked."""
    return _QUOTED.sub(" ", question)


def _someone_else(question: str, item: Item, quote: str, hits: Sequence[Hit]) -> str | None:
    """Why ``quote`` of ``item`` is about another person than the question's subject
    (:func:`~.roles.wrong_person`), or ``None``."""
    return wrong_person(question, [(item.author, quote, item.participants)], _authors(hits))


def _authors(hits: Sequence[Hit]) -> set[str]:
    """The people who wrote the retrieved items: who a question may be about."""
    return {h.item.author for h in hits if h.item.author}


def _only_asks(text: str) -> bool:
    """An answer that is a question (a small model quoting a message that asked one)."""
    bare = strip_citations(text).strip()
    return bool(bare) and bare.rstrip().endswith("?")


def _not_found(
    question: str, hits: Sequence[Hit], notes: tuple[str, ...], reasoning: str | None
) -> Answer:
    """The memory does not answer: said plainly, with the nearest items as hits."""
    return Answer(
        question=question,
        text=NOT_FOUND,
        found=False,
        mode="generative",
        reasoning=reasoning,
        notes=notes,
        hits=tuple(hits),
    )


def _relative_terms(source: Source) -> set[str]:
    """The dates ``source`` says relative to its own ("next month" in a message of
    August 2023: september, 2023), as support terms: an answer resolved against it
    ("September 2023 [3]") rests on what the item said, not on lifelog's arithmetic."""
    when = source.hit.item.timestamp
    if when is None:
        return set()
    said = relative_dates(source.excerpt, when.date())
    return terms_of(" ".join(said)) if said else set()


def says_not_found(text: str) -> bool:
    lowered = " ".join(strip_citations(text).lower().replace("’", "'").split())
    return any(mark in lowered for mark in _NOT_FOUND_MARKS) and len(lowered) < 160


def finalize(
    question: str,
    text: str,
    sources: Mapping[int, Source],
    hits: list[Hit],
    *,
    reasoning: str | None = None,
    derived: frozenset[str] | set[str] = frozenset(),
    notes: tuple[str, ...] = (),
    query: str = "",
    verifier: Verifier | None = None,
    known: Collection[str] | None = None,
) -> Answer:
    """Check a generated answer: links, citations, support, then (``verifier``) a model's
    judgement that the cited items state it; fall back when it fails.

    ``known`` holds the terms of what retrieval found for the question (by default,
    those of ``hits``): a word of the question the answer repeats must be among them.

    The answer keeps the model's draft and the excerpts it was shown, so that what
    was checked can be seen (and measured: see the support check's labelled set)."""
    answer = _finalize(
        question,
        text,
        sources,
        hits,
        reasoning=reasoning,
        derived=derived,
        notes=notes,
        query=query,
        verifier=verifier,
        known=known,
    )
    shown = tuple(
        Citation(n, s.hit.item, s.start, s.end, s.excerpt) for n, s in sorted(sources.items())
    )
    return replace(answer, draft=text, shown=shown)


def _finalize(
    question: str,
    text: str,
    sources: Mapping[int, Source],
    hits: list[Hit],
    *,
    reasoning: str | None,
    derived: frozenset[str] | set[str],
    notes: tuple[str, ...],
    query: str,
    verifier: Verifier | None = None,
    known: Collection[str] | None = None,
) -> Answer:
    notes = tuple(notes)
    text, looped = drop_loops(merge_repeats(clean_output(text)))
    if looped:
        notes += (f"lifelog left out {looped} sentence(s) the model wrote again",)

    def fallback(why: str) -> Answer:
        answer = quoted_answer(question, hits, query)
        elsewhere = _quotes_elsewhere(question, answer, hits)
        if elsewhere:
            return _not_found(question, hits, (*notes, f"{why}; {elsewhere}"), reasoning)
        return with_notes(answer, *notes, why, mode="extractive-fallback", reasoning=reasoning)

    def quoted_instead(why: str, unquoted: tuple[str, ...]) -> Answer:
        # the model's answer goes; a sentence that plainly answers is quoted in its place,
        # else lifelog says it does not find it (with the ``unquoted`` notes)
        quotes = _clear_quotes(question, hits, query)
        if quotes is None:
            return _not_found(question, hits, unquoted, reasoning)
        return with_notes(
            quotes, *notes, f"{why}; {CLOSEST}", mode="extractive-fallback", reasoning=reasoning
        )

    def withheld(why: str) -> Answer:
        return quoted_instead(why, (*notes, why))

    if not text:
        return fallback("the model returned no answer: extractive answer instead")
    if drop_list_loops(text)[1]:
        return withheld(f"{WITHHELD}: the model wrote its list round and round")
    if says_not_found(text):
        return quoted_instead("the model found no answer in the evidence", notes)
    evidence_text = "\n".join(s.excerpt + " " + (s.hit.item.uri or "") for s in sources.values())
    text, links = strip_links(text, evidence_text)
    if links:
        notes += (f"removed {links} link(s) or image(s) not found in the evidence",)
    check = check_citations(text, set(sources))
    if check.removed:
        wrong = ", ".join(f"[{n}]" for n in check.removed)
        notes += (
            f"removed {len(check.removed)} citation(s) to items that were not retrieved: {wrong}",
        )
    rederived = date_in_item_words(question, check.text, sources, _authors(hits))
    if rederived is not None:
        check = check_citations(rederived[0], set(sources))
        notes += (f"{ITEM_DATE_NOTE} (“{rederived[1]}”, counted from the day it was written)",)
    often = often_in_item_words(question, check.text, sources)
    if often is not None:
        check = check_citations(often[0], set(sources))
        notes += (f"{ITEM_OFTEN_NOTE} (“{often[1]}”)",)
    # the answer, not the question it restates first ("The book John read … was X")
    pointed = to_the_point(question, check.text)
    if pointed is not None:
        check = check_citations(pointed, set(sources))
        notes += ("lifelog left out the words that restate the question",)
    evidence = {n: source_terms(s) | _relative_terms(s) for n, s in sources.items()}
    repaired, added, moved = repair_citations(
        check.text, evidence, question=question, derived=derived
    )
    if added or moved:
        check = check_citations(repaired, set(sources))
    resolved, relative = resolve_relative(
        check.text, {n: s.hit.item.timestamp for n, s in sources.items()}
    )
    if relative:
        check = replace(check, text=resolved)
        notes += (
            f"lifelog resolved {relative} relative date(s) against the date of the item cited",
        )
    counted, days, uncounted = counted_unsaid(check.text, sources)
    if uncounted:
        return fallback(f"{REPLACED}: {uncounted}")
    if days:
        check = replace(check, text=counted)
        notes += (DAY_WRITTEN_NOTE,)
    # before the support check: a word the model shortened or misspelt ("ball" for the
    # item's "basketball") is checked, and shown, as the item wrote it
    check, notes = _in_item_words(question, check, [sources[n].excerpt for n in check.cited], notes)
    names = {n: f"the item of {describe(s.hit)}" for n, s in sources.items()}
    # what the retrieved items say, shown or not: a word of the question none of them
    # holds is one the memory does not bear out
    if known is None:
        known = terms_of(" ".join(h.item.text for h in hits))
    # what the question asks about (not its form words, nor names: unfounded_premise)
    asked = set(topic_words(question, _authors(hits)))
    capitalised = {w.lower() for w in re.findall(r"\b[A-Z][\w'-]*", question[1:])}
    asserted = [t for t in tokens(question) if verb_stem(t) in asked and t not in capitalised]
    report = check_support(
        check.text,
        evidence,
        question=question,
        derived=derived,
        names=names,
        known=known,
        premise=asserted,
    )
    if not report.ok:
        # the citations lifelog added went with the answer: no note about them
        return fallback(f"{REPLACED}: {report.reason}")
    people = _authors(hits)
    check, unrelated = without_unrelated(question, check, sources, people, evidence)
    if unrelated and not check.text:
        why = f"{WITHHELD}: neither it nor its items speak of the question"
        return withheld(why)
    if unrelated:
        notes += (f"lifelog left out {unrelated} sentence(s) unrelated to the question",)
    check, recited = recite_off_topic(question, check, sources, evidence, people)
    if recited:
        notes += ("lifelog cited the item of the same day that speaks of the question",)
    cited = [sources[n] for n in check.cited]
    said = [(s.hit.item.author, s.excerpt, s.hit.item.participants) for s in cited]
    elsewhere = wrong_person(question, said, people, answer=strip_citations(check.text))
    if elsewhere:
        return _not_found(question, hits, (*notes, f"{WITHHELD}: {elsewhere}"), reasoning)
    # a list's part that its items only ask about goes ("… Oscar [5]" from "Can you show
    # me one of Oscar?"); a sentence that is no list goes with the whole answer
    # what an email was about may be what it asks ("Do you still have the tent?")
    topic = asks_about(question)
    listed, asked_only, unasked = (
        (check.text, [], None)
        if topic
        else drop_only_asked(check.text, question, {n: s.excerpt for n, s in sources.items()})
    )
    if unasked:
        return withheld(f"{WITHHELD}: {unasked}")
    if asked_only:
        check = check_citations(listed, set(sources))
        cited = [sources[n] for n in check.cited]
        notes += (
            f"lifelog left out {len(asked_only)} {LIST_ASKED_ONLY} ({', '.join(asked_only)})",
        )
    held = [item_header(s.hit.item) + " " + s.excerpt for s in cited]
    # "I really admire his work ethic" names LeBron through the message before it
    named = held + (scene(cited, sources) if any(POINTS.search(s.excerpt) for s in cited) else [])
    premise = (
        unfounded_premise(question, named, people)
        or off_topic(question, held, people, least=least_missing(question))
        or (None if topic else only_asked(strip_citations(check.text), [s.excerpt for s in cited]))
        or only_addressed(strip_citations(check.text), question, said, people)
        or unsaid_polarity(strip_citations(check.text), [s.excerpt for s in cited])
    )
    if premise is None and affirms(strip_citations(check.text), question):
        # "Yes, Caroline made the bowl [1]" restates the question: that is its claim, so
        # the items must speak of the question and state, not ask, what it says ("That
        # bowl is gorgeous! … Did you make it?")
        premise = off_topic(question, held, people, least=1) or only_asked_of(
            question, " ".join(people), [s.excerpt for s in cited]
        )
    if premise or _only_asks(check.text):
        why = premise or "the model answered with a question"
        return withheld(f"{WITHHELD}: {why}")
    claim = strip_citations(check.text)
    uncounted = count_unsaid(claim, question, [s.excerpt for s in cited], derived)
    if uncounted:
        # "3 [7]" for how many turtles Nate has: [5] says "big enough now for three"
        recounted = recite_count(question, check, sources, people)
        if recounted is None:
            return fallback(f"{REPLACED}: {uncounted}")
        check = recounted
        notes += ("lifelog cited the item that says the count",)
        cited = [sources[n] for n in check.cited]
    misplaced = (
        misplaced_value(claim, question, [s.excerpt for s in cited])
        or says_no_time(claim, question)
        or says_no_amount(claim, question)
        or runs_backwards(claim)
    )
    if misplaced:
        return fallback(f"{REPLACED}: {misplaced}")
    # a quoted title no cited item holds is left out, when the rest still answers
    # ("Patrick Rothfuss' fantasy novel [1]"); else the answer goes
    trimmed, dropped = drop_misquotes(check.text, [s.excerpt for s in cited], question)
    if dropped and not trimmed:
        return fallback(f"{REPLACED}: it quotes what its items do not say")
    if dropped:
        check = replace(check, text=trimmed)
        notes += (f"lifelog left out {dropped} quote(s) its items do not say",)
        # what is left may be a short phrase its item puts otherwise
        check, notes = _in_item_words(question, check, [s.excerpt for s in cited], notes)
    if verifier is not None and cited:
        # only for answers the word-level checks keep: a model's judgement of meaning
        try:
            verdict = verifier(question, check.text, cited)
        except ModelError as error:
            notes += (f"lifelog could not verify the answer ({error})",)
        else:
            if not verdict.ok:
                why = verdict.reason()
                return fallback(f"{REPLACED}: {why}")
    if added:
        notes += (
            f"lifelog cited {added} sentence(s) the model left uncited, each to the"
            " retrieved items that support it",
        )
    if moved:
        notes += (
            f"lifelog corrected the citations of {moved} sentence(s) to the retrieved items"
            " that support them",
        )
    terms = content_terms(check.text)
    citations = []
    for number in check.cited:
        source = sources[number]
        snippet, _marks, offset = make_snippet(source.excerpt, terms)
        start = source.start + offset
        citations.append(Citation(number, source.hit.item, start, start + len(snippet), snippet))
    return Answer(
        question=question,
        text=check.text,
        citations=tuple(citations),
        found=True,
        mode="generative",
        reasoning=reasoning,
        notes=notes,
        hits=tuple(hits),
    )
