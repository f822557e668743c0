"""Sentences and stems: the small text tools the answer checks share.

:func:`split_sentences` cuts a text into sentence spans; :func:`stem` strips the common
English suffixes so that "moving" and "moved" meet. Both are deliberately light: they
must behave the same on the model's answer, the evidence and the question.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences", "stem"]

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"')\]]*|\n|$)")
_SUFFIXES = ("ingly", "edly", "ing", "ied", "ies", "ed", "es", "ly", "s")


#: endings whose "s" is the word's own, not a plural's ("focus", "class", "analysis")
_OWN_S = ("us", "ss", "is")


def stem(word: str) -> str:
    """A deliberately light suffix stripper (moving → mov, moved → mov; focuses and
    focus → focus)."""
    for suffix in _SUFFIXES:
        if suffix == "s" and word.endswith(_OWN_S):
            break
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def split_sentences(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans of ``text``'s sentences, trimmed, three characters or more."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end - start >= 3:
            spans.append((start, end))
    return spans
