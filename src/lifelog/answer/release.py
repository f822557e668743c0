"""What leaves while an answer is written: progress, inert reasoning, then the checked answer.

A model's draft is not an answer until :func:`~lifelog.answer.finalize.finalize` has
checked it: a draft steered by an injected email may assert what no item says, or
carry an image whose URL leaks data, and a client that renders the text as it streams
fetches that URL before any check could run. So the answer's text is never streamed
as the model writes it. :func:`released` turns the pipeline's events into what a
client may see:

- the model's answer tokens become ``progress`` events (``writing the answer``, then a
  count now and then), so the person sees that work goes on;
- reasoning and the agent's steps stream, made inert (:mod:`lifelog.answer.inert`);
- the checked answer, made inert, is sent as ``token`` pieces and then as the
  ``answer``: the pieces put together are the answer's text, exactly.

Checking sentence by sentence as they complete would let the first sentences out
sooner, but the support check judges the answer whole (one unsupported sentence
replaces all of it with quotes), so a released sentence could be taken back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec

from .inert import InertStream, inert, inert_answer

if TYPE_CHECKING:
    from .generate import AskEvent

__all__ = ["PROGRESS_EVERY", "WRITING", "answer_pieces", "released", "releasing"]

P = ParamSpec("P")
#: the first progress event's text; later ones add how many pieces were written
WRITING = "writing the answer"
#: a progress event every this many of the model's answer pieces
PROGRESS_EVERY = 32
_PIECE = re.compile(r"\S+\s*|\s+")


def answer_pieces(text: str) -> list[str]:
    """``text`` in word-sized pieces whose concatenation is ``text``."""
    return _PIECE.findall(text)


def released(events: Iterator[AskEvent]) -> Iterator[AskEvent]:
    """The events a client may see; see the module docstring."""
    thinking = InertStream()
    written = 0
    try:
        for event in events:
            if event.kind == "reasoning":
                text = thinking.feed(event.text)
                if text:
                    yield replace(event, text=text)
                continue
            held = thinking.flush()
            if held:
                yield replace(event, kind="reasoning", text=held, answer=None)
            if event.answer is not None:
                answer = inert_answer(event.answer)
                for piece in answer_pieces(answer.text):
                    yield replace(event, kind="token", text=piece, answer=None)
                yield replace(event, kind="answer", text="", answer=answer)
            elif event.kind == "token":
                written += 1
                if written == 1:
                    yield replace(event, kind="progress", text=WRITING)
                elif written % PROGRESS_EVERY == 0:
                    yield replace(event, kind="progress", text=f"{WRITING}: {written} pieces")
            elif event.text:
                yield replace(event, text=inert(event.text))
    finally:
        close = getattr(events, "close", None)
        if callable(close):
            close()


def releasing(make: Callable[P, Iterator[AskEvent]]) -> Callable[P, Iterator[AskEvent]]:
    """``make``'s events passed through :func:`released`."""

    @wraps(make)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[AskEvent]:
        return released(make(*args, **kwargs))

    return wrapper
