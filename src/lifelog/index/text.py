"""Tokens, stop words and snippets shared by the lexical index and the answerer."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STOPWORDS", "content_terms", "make_snippet", "normalise", "tokens"]

_WORD = re.compile(r"\w+", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    ever still tell know remember say said did does done get got go went really also s t
    don doesn didn ll ve re m d""".split()
)


def normalise(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    return [normalise(m.group()) for m in _WORD.finditer(text)]


def content_terms(text: str) -> list[str]:
    """Query terms worth searching for, in order, without duplicates or stop words."""
    seen: dict[str, None] = {}
    for token in tokens(text):
        if token not in STOPWORDS and (len(token) > 1 or token.isdigit()):
            seen.setdefault(token, None)
    return list(seen)


def make_snippet(
    text: str, terms: list[str], width: int = 240
) -> tuple[str, tuple[tuple[int, int], ...], int]:
    """A window of ``text`` around the densest cluster of ``terms``.

    Returns the snippet, the (start, end) marks of matched words inside it, and
    the offset of the snippet in ``text``.
    """
    wanted = set(terms)
    matches = [(m.start(), m.end()) for m in _WORD.finditer(text) if normalise(m.group()) in wanted]
    if len(text) <= width:
        return text, tuple(matches), 0
    best_start, best_count = 0, -1
    for index, (start, _end) in enumerate(matches):
        count = sum(1 for s, _ in matches[index:] if s < start + width * 0.8)
        if count > best_count:
            best_start, best_count = start, count
    lo = max(0, best_start - width // 5)
    # move to a word boundary
    while lo > 0 and not text[lo - 1].isspace() and best_start - lo < width // 3:
        lo -= 1
    hi = min(len(text), lo + width)
    while hi < len(text) and not text[hi].isspace() and hi - lo < width + 30:
        hi += 1
    snippet = text[lo:hi]
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(text) else ""
    shift = len(prefix)
    marks = tuple((s - lo + shift, e - lo + shift) for s, e in matches if s >= lo and e <= hi)
    return prefix + snippet + suffix, marks, lo
