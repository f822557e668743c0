"""Citations moved to the item that holds the claim, and sentences that hold none.

A small model cites a neighbour of the right message, or the message of another day;
lifelog moves such a citation where it can, before it judges the answer: a day to the
message of that day that speaks of the question (every message of a chat session has
the same day), a count to the item that says it. A sentence that neither speaks of the
question nor cites an item that does is left out. A cited message may take its scene
from the messages just before it in its thread ("The Minnesota Wolves!" answers which
team John signed with).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta

from ..index.sentences import split_sentences, stem
from ..index.text import tokens
from .asked import asks_when, count_holders
from .citations import CITATION, CitationCheck, check_citations, strip_citations
from .item_dates import WHEN_TEXT
from .prompts import Source
from .roles import off_topic, topic_words, unrelated_sentences
from .support import date_terms, terms_of
from .tools import item_header

__all__ = [
    "POINTS",
    "SCENE_WINDOW",
    "least_missing",
    "recite_count",
    "recite_off_topic",
    "scene",
    "without_unrelated",
]


def without_unrelated(
    question: str,
    check: CitationCheck,
    sources: Mapping[int, Source],
    people: set[str],
    evidence: Mapping[int, set[str]],
) -> tuple[CitationCheck, int]:
    """``check`` without the sentences unrelated to the question (see
    :func:`~.roles.unrelated_sentences`), and how many were left out; a sentence whose
    claim another shown item supports as well, one that speaks of the question, cites
    that item instead (:func:`_recite_to_topic`)."""
    spans = split_sentences(check.text)
    said = []
    for start, end in spans:
        cited = [
            sources[n] for n in map(int, CITATION.findall(check.text[start:end])) if n in sources
        ]
        # a reply ("The Minnesota Wolves!") speaks of what the messages before it asked
        said.append((check.text[start:end], [s.excerpt for s in cited] + scene(cited, sources)))
    drop = set(unrelated_sentences(question, said, people))
    if not drop:
        return check, 0
    texts = [text for text, _c in said]
    for i in sorted(drop):
        moved = _recite_to_topic(question, texts[i], sources, evidence, people)
        if moved is not None:
            texts[i] = moved
            drop.discard(i)
    kept = " ".join(text for i, text in enumerate(texts) if i not in drop)
    return check_citations(kept, set(sources)), len(drop)


_WHEN_WORDS = terms_of(WHEN_TEXT)


def _recite_to_topic(
    question: str,
    sentence: str,
    sources: Mapping[int, Source],
    evidence: Mapping[int, set[str]],
    people: set[str],
) -> str | None:
    """``sentence`` citing the shown item that speaks of the question instead of the one it
    cites, where that item supports everything the cited one does ("The weekend before 13
    June 2023 [2]" from a session whose message [1] tells of the video asked about; a
    small model cites a neighbour of the right message), else ``None``."""
    cited = [n for n in map(int, CITATION.findall(sentence)) if n in sources]
    if len(cited) != 1:
        return None
    said = terms_of(strip_citations(sentence))
    when = date_terms(sources[cited[0]].hit.item.timestamp)
    dated = said - _WHEN_WORDS
    if not dated or not dated <= when:
        return None  # only a date, which every message of a day supports alike, moves
    backed = said & evidence.get(cited[0], set())
    topic = set(topic_words(question, people))
    best: tuple[int, int] | None = None
    for number, source in sources.items():
        if number == cited[0] or not backed <= evidence.get(number, set()):
            continue
        held = len(topic & {stem(t) for t in tokens(source.excerpt)})
        if held and (best is None or held > best[0]):
            best = (held, number)
    if best is None:
        return None
    return CITATION.sub(f"[{best[1]}]", sentence)


#: a date counted from another ("The weekend before 9 November 2022"): not a bare day
_COUNTED = re.compile(r"(?i)\b(?:before|after|ago|last|next|week|weekend|month|year)\b")


def recite_count(
    question: str, check: CitationCheck, sources: Mapping[int, Source], people: set[str]
) -> CitationCheck | None:
    """``check`` citing the shown item that says the count its one sentence gives (the
    one that speaks most of the question), or ``None`` when no shown item says it."""
    claim = strip_citations(check.text)
    holders = count_holders(claim, {n: s.excerpt for n, s in sources.items()})
    if not holders or len(split_sentences(check.text)) != 1:
        return None
    topic = {stem(t) for t in topic_words(question, people)}
    best = max(holders, key=lambda n: len(topic & {stem(t) for t in tokens(sources[n].excerpt)}))
    return check_citations(CITATION.sub("", check.text).rstrip() + f" [{best}]", set(sources))


def least_missing(question: str) -> int:
    """How many topic words may be missing before cited items are off topic: for
    "when", whose answer says nothing of what it dates, one (:func:`~.roles.off_topic`)."""
    return 1 if asks_when(question) else 0


def recite_off_topic(
    question: str,
    check: CitationCheck,
    sources: Mapping[int, Source],
    evidence: Mapping[int, set[str]],
    people: set[str],
) -> tuple[CitationCheck, bool]:
    """``check`` citing, instead of an off-topic item, the item of the same day that
    speaks of the question (:func:`_recite_to_topic`: "Wed 8 February 2023 [2]" for when
    Gina teamed up with a local artist, citing her next message, "So I worked with the
    artist"), and whether it moved; an answer of several sentences stays as it is."""

    def topical(numbers: Sequence[int]) -> bool:
        held = [item_header(sources[n].hit.item) + " " + sources[n].excerpt for n in numbers]
        return (
            bool(held) and off_topic(question, held, people, least=least_missing(question)) is None
        )

    if len(split_sentences(check.text)) != 1 or topical(check.cited):
        return check, False
    if _COUNTED.search(check.text):
        return check, False  # "the weekend before" counts from the cited item's words
    moved = _recite_to_topic(question, check.text, sources, evidence, people)
    if moved is None:
        return check, False
    again = check_citations(moved, set(sources))
    return (again, True) if topical(again.cited) else (check, False)


#: words that point at someone or something named before them
POINTS = re.compile(r"(?i)\b(?:he|him|his|she|her|hers|they|them|their)\b")
#: how long before a cited message another of its thread may have set its scene
SCENE_WINDOW = timedelta(minutes=10)


def scene(cited: Sequence[Source], sources: Mapping[int, Source]) -> list[str]:
    """The excerpts shown of the messages just before each cited one in its thread
    (within :data:`SCENE_WINDOW`): "The Minnesota Wolves!" answers which team John
    signed with when a message before it says "I just signed with a new team"."""
    found: list[str] = []
    for source in cited:
        item = source.hit.item
        if item.thread is None or item.timestamp is None:
            continue
        for other in sources.values():
            said = other.hit.item
            if said.id == item.id or said.thread != item.thread or said.timestamp is None:
                continue
            if timedelta(0) <= item.timestamp - said.timestamp <= SCENE_WINDOW:
                found.append(other.excerpt)
    return found
