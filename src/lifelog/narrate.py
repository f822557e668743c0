"""What a person is told while lifelog works, in plain words: the steps and progress of
an answer being prepared, and why a search hit matched.

The answer pipeline reports terse steps (``search “tent”: 5 items``, ``read [3]``;
see :mod:`lifelog.answer.tools` and :mod:`lifelog.answer.release`) and hits carry
terse reasons (``words #2``, ``meaning #7``: :mod:`lifelog.retrieval.hybrid`). The
CLI and the web UI show them through these functions, so both say the same thing.
Text that matches no known shape is shown as it is, with a capital letter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["CHECKING", "SEARCHING", "hit_reasons", "progress_words", "step_words"]

#: shown as soon as a question is sent, before any event arrives
SEARCHING = "Searching your memory…"
#: shown once the answer is written, while it is checked against its sources
CHECKING = "Checking the answer against its sources…"


def _items(count: str) -> str:
    n = int(count)
    return "nothing found" if n == 0 else "1 item found" if n == 1 else f"{n} items found"


_STEPS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"^search “(?P<q>.*)”: (?P<n>\d+) items?$", re.S),
        lambda m: f"Searched for “{m['q']}”: {_items(m['n'])}",
    ),
    (re.compile(r"^search: no query$"), lambda m: "Skipped a search that had no words"),
    (re.compile(r"^read \[(?P<n>\d+)\]$"), lambda m: f"Read source [{m['n']}] in full"),
    (
        re.compile(r"^read (?P<what>.*): unknown$", re.S),
        lambda m: f"Could not read {m['what'] or 'an item'}: it is not one of the sources found",
    ),
    (
        re.compile(r"^timeline (?P<a>\S+) to (?P<b>\S+): (?P<n>\d+) items?$"),
        lambda m: f"Looked through the timeline from {m['a']} to {m['b']}: {_items(m['n'])}",
    ),
    (
        re.compile(r"^timeline: (?P<n>\d+) items?$"),
        lambda m: f"Looked through the timeline: {_items(m['n'])}",
    ),
    (re.compile(r"^timeline: no period$"), lambda m: "Skipped a timeline that had no dates"),
    (
        re.compile(r"^count containing “(?P<w>.*)”: (?P<n>\d+)$", re.S),
        lambda m: f"Counted the items containing “{m['w']}”: {m['n']}",
    ),
    (re.compile(r"^count: (?P<n>\d+)$"), lambda m: f"Counted the items: {m['n']}"),
    (re.compile(r"^date: no date$"), lambda m: "Skipped a date calculation that had no date"),
    (re.compile(r"^date: (?P<x>.+)$", re.S), lambda m: f"Worked out a date: {m['x']}"),
    (re.compile(r"^(?P<t>\w+): error$"), lambda m: f"The {m['t']} step failed"),
    (re.compile(r"^(?P<t>\w+): repeated$"), lambda m: f"Skipped a repeated {m['t']} step"),
    (
        re.compile(r"^refused tool (?P<t>.+?): not one of lifelog's read-only tools$", re.S),
        lambda m: f"Refused the tool {m['t']} the model asked for: lifelog only reads",
    ),
)


def _capital(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def step_words(text: str) -> str:
    """An agent's step (``search “tent”: 5 items``) as a sentence
    (``Searched for “tent”: 5 items found``)."""
    clean = " ".join(text.split())
    for pattern, say in _STEPS:
        match = pattern.match(clean)
        if match:
            return say(match)
    return _capital(clean)


_PIECES = re.compile(r"^writing the answer: (?P<n>\d+) pieces$")


def progress_words(text: str) -> str:
    """A progress event (``writing the answer: 64 pieces``) in words."""
    clean = " ".join(text.split())
    if clean == "writing the answer":
        return "Writing the answer…"
    match = _PIECES.match(clean)
    if match:
        return f"Writing the answer… ({match['n']} pieces so far)"
    return _capital(clean)


def hit_reasons(why: Iterable[str]) -> list[str]:
    """Why a search hit matched, each reason once: ``your words``, ``by meaning``,
    ``similar words``, and the others as retrieval says them (``by Priya``,
    ``dated in last summer``)."""
    out: list[str] = []
    for reason in why:
        if reason.startswith("words #"):
            said = "your words"
        elif reason.startswith("meaning #"):
            said = "by meaning"
        elif reason.startswith("close words #"):
            said = "similar words"
        else:
            said = reason
        if said not in out:
            out.append(said)
    return out
