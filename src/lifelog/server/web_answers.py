"""Answers as the web shows them: a small, safe Markdown, citations as hover cards, each
quote once (issue 12, item 9).

An answer's text is already inert (:mod:`lifelog.answer.inert`: no image, link or tag
survives in it). It is rendered here with markdown-it-py, with raw HTML off (so every
``<`` is escaped), and without the rules that make requests or leave the memory:
images, links, autolinks, reference definitions and linkify are all disabled. What
remains is paragraphs, lists, emphasis, code, quotes and headings. The only links are
the citations: each ``[n]`` of a citation becomes a link to its item (``/items/<id>``)
with a card (date, source, author, snippet) that shows on hover, on focus and on a
tap. A ``[n]`` inside code stays text.

Two citations quoting the same span of the same item (an agent that read an item twice
numbers it twice) are one source: the text cites the first number for both, a number
repeated next to itself is shown once, and the list of sources shows the quote once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

__all__ = ["answer_html", "distinct_citations"]

_CITE = re.compile(r"\[(\d+)\]")
#: rules that would fetch, link out or pass HTML through
_OFF = ["image", "link", "autolink", "html_inline", "html_block", "reference", "linkify"]


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(_OFF, ignoreInvalid=True)
    return md


_MD = _renderer()


def _key(citation: Mapping[str, Any]) -> tuple[str, str]:
    return str(citation.get("item_id")), " ".join(str(citation.get("snippet") or "").split())


def distinct_citations(citations: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The citations, each quote once: a later citation of the same item span is left
    out, its number added to the first one's ``numbers``."""
    out: list[dict[str, Any]] = []
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for citation in citations:
        if "number" not in citation:
            continue
        held = first.get(_key(citation))
        if held is not None:
            held["numbers"].append(int(citation["number"]))
            continue
        shown = {**citation, "numbers": [int(citation["number"])]}
        first[_key(citation)] = shown
        out.append(shown)
    return out


def _card(citation: Mapping[str, Any], card_id: str) -> str:
    date = str(citation.get("date") or "")[:10] or "undated"
    author = citation.get("author")
    snippet = " ".join(str(citation.get("snippet") or "").split())
    if len(snippet) > 280:
        snippet = snippet[:279] + "…"
    who = f'<span class="who">{escape(author)}</span>' if author else ""
    return (
        f'<span class="cite-card" role="tooltip" id="{card_id}">'
        f'<span class="badge">{escape(citation.get("source") or "")}</span>'
        f" <time>{escape(date)}</time> {who}"
        f"<q>{escape(snippet)}</q></span>"
    )


def answer_html(text: str, citations: Sequence[Mapping[str, Any]]) -> Markup:
    """``text`` as safe HTML (see the module docstring)."""
    shown = distinct_citations(citations)
    by_number: dict[int, dict[str, Any]] = {}
    for citation in shown:
        for number in citation["numbers"]:
            by_number[number] = citation
    prefix = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:8]
    written = [0]  # cards written: each has an id of its own

    def cite(number: int) -> str:
        citation = by_number[number]
        first = citation["numbers"][0]
        item_id = escape(str(citation["item_id"]))
        written[0] += 1
        card_id = f"cite-{prefix}-{written[0]}"
        return (
            f'<span class="cite-wrap"><a class="cite" href="/items/{item_id}"'
            f' data-item="{item_id}" aria-label="source {first}"'
            f' aria-describedby="{card_id}">[{first}]</a>{_card(citation, card_id)}</span>'
        )

    tokens = _MD.parse(text)
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = _cited(token.children, by_number, cite)
    html = _MD.renderer.render(tokens, _MD.options, {})
    return Markup(html)


def _cited(children: list[Token], by_number: Mapping[int, Any], cite: Any) -> list[Token]:
    """Inline tokens with each known ``[n]`` of their text a citation (a repeat of the
    citation just before it, nothing but space between, left out)."""
    out: list[Token] = []
    last: int | None = None  # the first number of the citation just written
    for child in children:
        if child.type != "text" or not _CITE.search(child.content):
            if child.type != "text" or child.content.strip():
                last = None
            out.append(child)
            continue
        at = 0
        for match in _CITE.finditer(child.content):
            number = int(match.group(1))
            if number not in by_number:
                continue
            before = child.content[at : match.start()]
            if before.strip():
                last = None
            if before:
                out.append(_text(before))
            first = by_number[number]["numbers"][0]
            if first != last:
                raw = Token("html_inline", "", 0)
                raw.content = cite(number)
                out.append(raw)
            last = first
            at = match.end()
        rest = child.content[at:]
        if rest:
            if rest.strip():
                last = None
            out.append(_text(rest))
    return out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token
