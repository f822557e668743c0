"""What an item only asks does not state.

"What type of guitar?" says nothing of what Melanie plays; "Can you show me one of
Oscar?" does not make Oscar her pet. An answer whose words its cited items hold only in
questions is not supported by them (:func:`only_asked`, :func:`only_asked_of`), and a
list loses the parts that are (:func:`drop_only_asked`). A question that puts something
forward ("Have you seen this romantic drama …?") states it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..index.sentences import split_sentences, stem
from ..index.text import STOPWORDS, tokens

__all__ = ["drop_only_asked", "only_asked", "only_asked_of"]


def only_asked(answer: str, evidence: Sequence[str]) -> str | None:
    """Why the cited ``evidence`` does not state ``answer``, or ``None``: every sentence
    of it that shares the answer's words is a question ("What gave you the idea for all
    the colors and patterns?" asked, never answered, cannot support why the colours
    were chosen). A question states nothing; an item that also says it is enough."""
    said = {stem(t) for t in tokens(answer) if t not in STOPWORDS and len(t) > 2}
    if not said or not evidence:
        return None
    asked = 0
    for text in evidence:
        sharing = [
            _asks(text[a:b])
            for a, b in split_sentences(text)
            if said & {stem(t) for t in tokens(text[a:b])}
        ]
        if not sharing or not all(sharing):
            return None
        asked += 1
    return "the items it cites only ask about it" if asked else None


#: a question that puts something forward rather than asks about it ("Have you seen
#: this romantic drama that's all about memory?" recommends the film)
_SUGGESTS = re.compile(
    r"(?i)\b(?:have|had)\s+you\s+(?:ever\s+)?(?:seen|tried|read|heard|watched|checked|"
    r"listened|played|visited|been)\b|\b(?:did|do)\s+you\s+know\b|\bhow\s+about\b|"
    r"\bwhy\s+not\b|\bwhat\s+about\b"
)


def _asks(sentence: str) -> bool:
    """Whether ``sentence`` is a question that asks, not one that puts something forward."""
    asked = sentence.rstrip().rstrip("\"'”’)]").endswith("?")
    return asked and not _SUGGESTS.search(sentence)


def only_asked_of(answer: str, question: str, evidence: Sequence[str]) -> str | None:
    """Why a word of ``answer`` is not stated by the cited ``evidence``, or ``None``: every
    sentence of it that holds the word is a question ("Clarinet, guitar [1][7]" for the
    instruments Melanie plays, where "guitar" is only in her "What type of guitar?").
    Words the question says are left alone: the check is for what the answer adds."""
    asked = {stem(t) for t in tokens(question)}
    said = {stem(t) for t in tokens(answer) if t not in STOPWORDS and len(t) > 2} - asked
    holding: dict[str, list[bool]] = {}
    for text in evidence:
        for a, b in split_sentences(text):
            sentence = text[a:b]
            for term in said & {stem(t) for t in tokens(sentence)}:
                holding.setdefault(term, []).append(_asks(sentence))
    only = sorted(term for term, marks in holding.items() if all(marks))
    if only:
        return f"the items it cites only ask about {', '.join(only)}"
    return None


#: what parts a list ("Luna, Oliver and Bailey [5]"), and the citations in it
_LIST_SEPARATOR = re.compile(r"\s*[,;]\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+")
_CITES = re.compile(r"\[(\d+)\]")


def drop_only_asked(
    answer: str, question: str, evidence: Mapping[int, str]
) -> tuple[str, list[str], str | None]:
    """``answer`` without the parts of its lists that the items they cite only ask about
    (:func:`only_asked_of`: "Luna, Oliver, Bailey, Oscar [5]" from "we got another cat
    named Bailey too. Here's a pic of Oliver. Can you show me one of Oscar?" keeps
    "Luna, Oliver and Bailey [5]"), the parts left out, and why the whole answer goes
    (a sentence that is no list, or whose first part, or every part, is only asked
    about) or ``None``. ``evidence`` holds each shown item's text by its number."""
    pieces: list[str] = []
    dropped: list[str] = []
    last = 0
    for start, end in split_sentences(answer):
        sentence = answer[start:end].rstrip()
        cites = [int(n) for n in _CITES.findall(sentence)]
        texts = [evidence[n] for n in cites if n in evidence]
        stop = sentence[-1] if sentence and sentence[-1] in ".!?" else ""
        body = sentence[: len(sentence) - len(stop)].rstrip()
        parts = [p for p in _LIST_SEPARATOR.split(body) if p.strip()]
        if len(parts) < 2:
            why = only_asked_of(_CITES.sub(" ", sentence), question, texts)
            if why:
                return answer, dropped, why
            continue
        flagged = []
        for part in parts:
            own = [evidence[int(n)] for n in _CITES.findall(part) if int(n) in evidence]
            flagged.append(only_asked_of(_CITES.sub(" ", part), question, own or texts))
        if not any(flagged):
            continue
        if flagged[0] or all(flagged):
            return answer, dropped, next(f for f in flagged if f)
        kept = [p.strip() for p, f in zip(parts, flagged, strict=True) if not f]
        gone = [p.strip() for p, f in zip(parts, flagged, strict=True) if f]
        # citations a dropped part carried for the whole list go to the last part kept
        left = {n for p in kept for n in _CITES.findall(p)}
        shared = [n for p in gone for n in _CITES.findall(p) if n not in left]
        # … those of them, that is, that hold something of what is kept
        wanted = {stem(t) for p in kept for t in tokens(_CITES.sub(" ", p))} - set(STOPWORDS)
        shared = [
            n for n in shared if wanted & {stem(t) for t in tokens(evidence.get(int(n), ""))}
        ] or shared
        if shared:
            kept[-1] = _CITES.sub("", kept[-1]).rstrip() + " " + "".join(f"[{n}]" for n in shared)
        joined = kept[0] if len(kept) == 1 else ", ".join(kept[:-1]) + " and " + kept[-1]
        pieces.append(answer[last:start] + joined + stop)
        last = start + len(sentence)
        dropped.extend(_CITES.sub("", p).strip() for p in gone)
    pieces.append(answer[last:])
    return "".join(pieces), dropped, None
