"""Citations in generated text: normalised, checked against what was retrieved, and the
output cleaned of links and images that could leak data.

- ``[1, 2]``, ``[1-3]``, ``[^1]``, ``【1】``, ``[source 1]`` become ``[1][2]``…;
- a citation to a number that was not retrieved is removed and counted;
- markdown images (inline and reference-style) and HTML tags that fetch go; a URL
  (with a scheme, scheme-less ``//host``, ``www.``; any form of the dot) or a
  reference definition that none of the evidence contains is removed (a model
  steered by injected text could otherwise smuggle data out in a link the user's
  viewer would fetch). What is left is made inert on the way out
  (:mod:`lifelog.answer.inert`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from ..index.sentences import split_sentences

__all__ = [
    "CITATION",
    "CitationCheck",
    "check_citations",
    "clean_output",
    "cited_numbers",
    "drop_list_loops",
    "drop_loops",
    "merge_repeats",
    "normalise_citations",
    "strip_citations",
    "strip_links",
]

CITATION = re.compile(r"\[(\d{1,4})\]")
_GROUP = re.compile(
    r"(?:\[\^?|【)\s*(?:(?:sources?|refs?|n)\s*)?(\d{1,4}(?:\s*(?:[,;]|-|–|and)\s*\d{1,4})*)\s*(?:\]|】)",
    re.I,
)
_RANGE = re.compile(r"(\d+)\s*[-–]\s*(\d+)")
_BETWEEN = re.compile(r"(?<=\d)\]\s*(?:,|and|,\s*and)?\s*\[(?=\d{1,4}\])")
#: citations after a sentence's stop, and a second stop after them ("meat. [1].")
_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,4}\])+)(?:[ \t]*[.!?](?![.!?]))?")
_SPECIAL = re.compile(r"<\|[^|<>]{0,40}\|>|</?s>")
_IMAGE_MD = re.compile(r"!\[[^\]\n]{0,300}\]\([^)\n]{0,2000}\)")
#: ``![x][r]``, ``![x][]``, ``![x]``: reference-style images
_IMAGE_REF = re.compile(r"!\[[^\[\]\n]{0,300}\](?:\[[^\[\]\n]{0,300}\])?")
_LINK_MD = re.compile(r"\[([^\]\n]{1,300})\]\(([^)\s]{1,2000})(?:\s+\"[^\"]*\")?\)")
_FETCHING_TAGS = (
    "img|image|a|script|iframe|frame|link|meta|base|style|object|embed|svg|video|audio"
    "|source|track|picture|form|input|math"
)
_URL_ATTRIBUTE = r"(?:src|href|srcset|poster|data|action|background|style|formaction)"
_HTML = re.compile(
    rf"</?(?:{_FETCHING_TAGS})\b[^>]{{0,2000}}>"
    rf"|<[A-Za-z][\w:-]*\s[^<>]{{0,2000}}?\b{_URL_ATTRIBUTE}\s*=[^<>]{{0,2000}}>",
    re.I,
)
#: a dot as a browser's URL parser reads it: ``.`` and its ideographic and fullwidth forms
_DOT = "[.\u3002\uff0e\uff61]"
_URL = re.compile(
    r"\b(?:https?|ftp|file|data|javascript):[^\s<>\"')\]]+"
    rf"|(?<![\w:/])//[\w-]+(?:{_DOT}[\w-]+)+[^\s<>\"')\]]*"
    rf"|\bwww{_DOT}[\w-]+(?:{_DOT}[\w-]+)+[^\s<>\"')\]]*",
    re.I,
)
#: ``[r]: destination`` (a reference definition), when the destination looks like a URL
_DEFINITION = re.compile(
    r"^[ \t]{0,3}(?:>[ \t]?)*\[[^\[\]\n]{1,300}\]:[ \t]*"
    rf"(<[^<>\n]*>|[A-Za-z][\w+.-]*:\S+|//\S+|[\w-]+(?:{_DOT}[\w-]+)+(?:[/?#:]\S*)?)"
    r"(?:[ \t][^\n]*)?$",
    re.M,
)


def normalise_citations(text: str) -> str:
    """Every citation as ``[n]``, placed before the sentence's final stop."""

    def expand(match: re.Match[str]) -> str:
        numbers: list[int] = []
        for part in re.split(r"\s*(?:[,;]|and)\s*", match.group(1)):
            span = _RANGE.fullmatch(part)
            if span:
                low, high = int(span.group(1)), int(span.group(2))
                if 0 < high - low < 20:
                    numbers.extend(range(low, high + 1))
                    continue
            if part.strip().isdigit():
                numbers.append(int(part))
        return "".join(f"[{n}]" for n in numbers)

    text = _GROUP.sub(expand, text)
    text = _BETWEEN.sub("][", text)  # "[1], [2] and [3]" are one run of citations
    return _AFTER_STOP.sub(lambda m: f"{m.group(2).rstrip()}{m.group(1)}", text)


def cited_numbers(text: str) -> list[int]:
    """Cited numbers in order of first appearance."""
    seen: dict[int, None] = {}
    for match in CITATION.finditer(text):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)


def strip_citations(text: str) -> str:
    return re.sub(r"\s*\[\d{1,4}\]", "", text)


@dataclass(frozen=True, slots=True)
class CitationCheck:
    text: str
    cited: tuple[int, ...]
    removed: tuple[int, ...]


def check_citations(text: str, valid: Collection[int]) -> CitationCheck:
    """Drop citations that point at nothing retrieved; report which and how many."""
    removed: list[int] = []

    def keep(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number in valid:
            return match.group(0)
        removed.append(number)
        return ""

    cleaned = CITATION.sub(keep, normalise_citations(text))
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return CitationCheck(cleaned.strip(), tuple(cited_numbers(cleaned)), tuple(removed))


_STATEMENT = re.compile(r"\s*([^\[\]\n]+?)\s*((?:\[\d{1,4}\]\s*)+)([,.;]?)")


def merge_repeats(text: str) -> str:
    """One statement for a small model's list of the same one ("June 2023 [1], June 2023
    [2], June 2023 [3]" → "June 2023 [1][2][3]"); any other text as it is."""
    text = normalise_citations(text)
    pieces: list[tuple[str, list[str], str]] = []
    position = 0
    for match in _STATEMENT.finditer(text):
        if match.start() != position:
            return text
        pieces.append((match.group(1), CITATION.findall(match.group(2)), match.group(3)))
        position = match.end()
    if text[position:].strip() or len(pieces) < 2:
        return text
    merged: dict[str, tuple[str, list[str], str]] = {}
    for said, numbers, stop in pieces:
        key = " ".join(said.lower().split())
        if key in merged:
            merged[key][1].extend(n for n in numbers if n not in merged[key][1])
        else:
            merged[key] = (said, list(numbers), stop)
    if len(merged) == len(pieces):
        return text
    parts = [
        f"{said} {''.join(f'[{n}]' for n in numbers)}" for said, numbers, _s in merged.values()
    ]
    return ", ".join(parts) + (pieces[-1][2] if pieces[-1][2] == "." else "")


def drop_loops(text: str) -> tuple[str, int]:
    """``text`` without the sentences a small model wrote again as it looped ("A [4]. B
    [4]. A [4]. B [4]. A …" until its token limit cut it): each sentence once, and the
    last one, cut short where an earlier one goes on, left out. Only a text that ends so
    is a loop (a list, then the same fact in a sentence, is meant); everything kept is as
    it was written (line breaks, Markdown). Returns the text and how many sentences were
    left out."""
    spans = split_sentences(text)
    keys = [
        " ".join(CITATION.sub(" ", text[start:end]).lower().rstrip(" .!?").split())
        for start, end in spans
    ]
    if len(spans) < 3 or not keys[-1]:
        return text, 0
    last = keys[-1]
    if not any(k.startswith(last) and k != last for k in keys[:-1]):
        return text, 0  # not cut short in the middle of a sentence said before
    seen: set[str] = set()
    drop: list[tuple[int, int]] = []
    for (start, end), key in zip(spans, keys, strict=True):
        if key in seen or key == last:
            drop.append((start, end))
        elif key:
            seen.add(key)
    kept, position = [], 0
    for start, end in drop:
        kept.append(text[position:start])
        position = end
    kept.append(text[position:])
    return re.sub(r"[ \t]{2,}", " ", "".join(kept)).strip(), len(drop)


def drop_list_loops(text: str) -> tuple[str, int]:
    """A list a small model wrote round and round ("Hiking, movies, dinner out, hiking,
    movies, dinner o" until its token limit cut it) said once: each element where it was
    first said, its repeats and a last one cut short where an earlier one goes on left
    out. Only a one-sentence list in which two elements come again, or one comes a third
    time, is a loop ("Paris, Rome, and Paris again" is not). Returns the text and how
    many elements were left out."""
    if len(split_sentences(text)) > 1:
        return text, 0
    elements = [e.strip() for e in re.split(r",\s*", text.strip())]
    if len(elements) < 4:
        return text, 0
    keys = [_element_key(e) for e in elements]
    counts = Counter(k for k in keys if k)
    if sum(1 for c in counts.values() if c >= 2) < 2 and max(counts.values(), default=0) < 3:
        return text, 0
    kept: list[str] = []
    seen: set[str] = set()
    for position, (element, key) in enumerate(zip(elements, keys, strict=True)):
        cut = position == len(elements) - 1 and any(k.startswith(key) for k in seen)
        if not key or key in seen or cut:
            continue
        seen.add(key)
        kept.append(element.rstrip("."))
    ended = "." if text.rstrip().endswith(".") else ""
    return ", ".join(kept) + ended, len(elements) - len(kept)


def _element_key(element: str) -> str:
    """An element of a list as it is compared: its citations, a leading "and" or "or",
    quotes and the closing stop left out."""
    bare = CITATION.sub(" ", element).lower().strip(" .!?\"'“”")
    return " ".join(re.sub(r"^(?:and|or)\s+", "", bare).split())


def clean_output(text: str) -> str:
    """Chat-template tokens and stray tags a small model leaves in its text."""
    text = _SPECIAL.sub("", text)
    text = re.sub(r"</?(?:think|thinking|answer|final)>", "", text, flags=re.I)
    return text.strip()


def strip_links(text: str, evidence: str) -> tuple[str, int]:
    """Remove images, fetching HTML tags, and URLs and reference definitions that the
    evidence does not contain.

    Returns the text and how many were removed. A markdown link whose target is
    in the evidence keeps its text and its URL in plain form.
    """
    removed = 0

    def image(_match: re.Match[str]) -> str:
        nonlocal removed
        removed += 1
        return ""

    def link(match: re.Match[str]) -> str:
        nonlocal removed
        label, url = match.group(1), match.group(2)
        if url in evidence:
            return f"{label} ({url})"
        removed += 1
        return label

    def url(match: re.Match[str]) -> str:
        nonlocal removed
        found = match.group(0).rstrip(".,;:!?")
        tail = match.group(0)[len(found) :]
        if found in evidence:
            return match.group(0)
        removed += 1
        return "[link removed]" + tail

    def definition(match: re.Match[str]) -> str:
        nonlocal removed
        if match.group(1).strip("<>") in evidence:
            return match.group(0)
        removed += 1
        return ""

    text = _IMAGE_MD.sub(image, text)
    text = _IMAGE_REF.sub(image, text)
    text = _HTML.sub(image, text)
    text = _DEFINITION.sub(definition, text)
    text = _LINK_MD.sub(link, text)
    text = _URL.sub(url, text)
    return text, removed
