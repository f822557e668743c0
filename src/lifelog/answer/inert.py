"""Text made inert: nothing in it that a Markdown or HTML renderer turns into a request.

An answer quotes the person's items and a model's words; either may hold an image
(``![x](url)``, ``![x][r]``), a reference definition (``[r]: //host。example/…``),
an inline link, an autolink (``<http://…>``) or raw HTML (``<img src=…>``). Shown by a
chat client that renders Markdown, such text would fetch a URL that a hostile email
chose, carrying whatever the model was steered to put in it. :func:`inert` breaks each
construct at the few characters that make it one, and keeps the words:

- an image becomes ``[image: alt]`` (its URL is not kept: it is a fetch, not a word);
- ``](`` becomes ``] (`` and ``]:`` becomes ``] :``: no inline link or image, no
  reference definition (so no reference-style link or image can resolve either);
- ``<`` before a letter, ``/``, ``!`` or ``?`` (a tag, a comment, an autolink) becomes
  ``‹`` (U+2039, which no renderer reads as markup; ``&lt;`` would show as such in a
  terminal or a plain-text view).

The rules look at two characters at a time, so they hold whatever URL follows (scheme-
less ``//host``, fullwidth or ideographic dots) and however a renderer resolves it.
:class:`InertStream` applies them to text that arrives in pieces (reasoning as the model
writes it): it holds back what a later piece could complete, and joins pieces so that no
construct forms across them. :func:`inert_answer` is the exit every answer takes.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..records import Answer

__all__ = ["InertStream", "inert", "inert_answer"]

#: the destination of an inline image: no parentheses but balanced ones, or ``<…>``
_DESTINATION = r"(?:<[^<>\n]*>|(?:[^()\s]|\((?:[^()\s])*\))*)"
_IMAGE_INLINE = re.compile(
    r"!\[([^\[\]]{0,300})\]\(\s*" + _DESTINATION + r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
)
_IMAGE_REFERENCE = re.compile(r"!\[([^\[\]]{0,300})\]\[[^\[\]]{0,300}\]")
_IMAGE_OPEN = re.compile(r"!\[(\]?)")
_MARKUP_START = re.compile(r"[<＜﹤](?=[A-Za-z/!?])")
_BRACKET_AFTER = re.compile(r"\](?=[(:])")
#: where a piece of streamed text may be released: after whitespace
_BREAK = re.compile(r"\s(?=\S*\Z)")
_HOLD_LIMIT = 400


def _image(match: re.Match[str]) -> str:
    alt = " ".join(match.group(1).split())
    return f"[image: {alt}]" if alt else "[image]"


def inert(text: str) -> str:
    """``text`` with every request-making construct broken; see the module docstring."""
    if not text:
        return text
    text = _IMAGE_INLINE.sub(_image, text)
    text = _IMAGE_REFERENCE.sub(_image, text)
    text = _IMAGE_OPEN.sub(lambda m: "[image]" if m.group(1) else "[image: ", text)
    text = text.replace("![", "! [")  # "!![x]" left "![image: x]"
    text = _BRACKET_AFTER.sub("] ", text)
    return _MARKUP_START.sub("‹", text)


def _combines(last: str, first: str) -> bool:
    """Whether two characters, sent apart, would start a construct together."""
    if last == "]":
        return first in "(:"
    if last == "!":
        return first == "["
    return last in "<＜﹤" and ((first.isascii() and first.isalpha()) or first in "/!?")


def _join(before: str, after: str) -> str:
    """``after`` made safe to follow ``before`` (the last character already sent)."""
    if before and after and _combines(before[-1], after[0]):
        return " " + after
    return after


class InertStream:
    """Inert text from text that arrives in pieces.

    :meth:`feed` returns what can be released: up to the last whitespace (a construct
    never spans it in a way the rules miss), made inert. :meth:`flush` releases the
    rest (call it when the stream ends or another kind of event comes between).
    """

    def __init__(self) -> None:
        self._held = ""
        self._sent = ""

    def feed(self, text: str) -> str:
        self._held += text
        cut = _BREAK.search(self._held)
        if cut is None:
            if len(self._held) < _HOLD_LIMIT:
                return ""
            return self.flush()
        ready, self._held = self._held[: cut.end()], self._held[cut.end() :]
        return self._release(ready)

    def flush(self) -> str:
        ready, self._held = self._held, ""
        return self._release(ready)

    def _release(self, text: str) -> str:
        out = _join(self._sent, inert(text))
        if out:
            self._sent = out[-1]
        return out


def inert_answer(answer: Answer) -> Answer:
    """The answer as it may leave lifelog: its text, reasoning, notes and the citations'
    snippets inert. The model's raw ``draft`` and the excerpts it was ``shown`` stay as
    they were: they are kept for measuring the checks, and no surface sends them."""
    return replace(
        answer,
        text=inert(answer.text),
        reasoning=inert(answer.reasoning) if answer.reasoning else answer.reasoning,
        notes=tuple(inert(note) for note in answer.notes),
        citations=tuple(replace(c, snippet=inert(c.snippet)) for c in answer.citations),
    )
