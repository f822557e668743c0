"""Saved web pages (``.html``, ``.htm``, ``.xhtml``): the main text, not the menus.

One page is one item of kind ``document``. The page is parsed and its main text
found by :mod:`lifelog.sources.htmltext` (our own linear-time parser: no
network, no scripts, no DTDs; ``<main>``, else ``<article>``, else the densest
block of prose; navigation, sidebars, headers, footers, forms and hidden elements
left out).

The title is ``<title>``, else ``og:title``, else the first ``<h1>``; the author
a ``<meta name=author>`` (or ``article:author``); the timestamp
``article:published_time`` (or a ``<time datetime>``), else the date SingleFile
saved the page, else the file's mtime. The charset comes from a BOM (UTF-8,
UTF-16 or UTF-32), else ``<meta charset>`` / ``http-equiv`` in the first 4 KB,
else UTF-8 (with a windows-1252 fallback). The page's address (``<link rel=canonical>``,
``og:url``, the browser's ``<!-- saved from url=(0042)... -->`` mark or a
SingleFile header) is ``metadata["url"]`` and, when present, the item's key, so
saving the same page again updates it; otherwise the key is the file name.
Pages are read up to ``MAX_BYTES`` (20 MB); the rest is cut and marked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import MAX_ITEM_TEXT as MAX_TEXT
from ..base import Parsed, Source, clean_text, file_uri
from ..dates import parse_note_date
from ..htmltext import (
    Tree,
    bom_encoding,
    decode_html,
    html_to_text,
    inline_text,
    main_text,
    parse_tree,
)

# ``decode_html`` and ``html_to_text`` are re-exported: callers of a page reader find them here
__all__ = ["HtmlPage", "HtmlSource", "decode_html", "html_to_text", "parse_page"]

#: bytes read from a page at most (the rest is cut, ``metadata["truncated"]``)
MAX_BYTES = 20 * 1024 * 1024

_SAVED_FROM = re.compile(r"saved from url=\(\d+\)(\S+)", re.I)
_SINGLEFILE_URL = re.compile(r"^\s*url:\s*(\S+)", re.M)
_SINGLEFILE_DATE = re.compile(r"^\s*saved date:\s*(.+?)\s*$", re.M)
_GMT_OFFSET = re.compile(r"\bGMT([+-]\d)")  # "GMT+0100" is +01:00, not POSIX's -01:00
_GMT = re.compile(r"\s*\(.*\)\s*$")


@dataclass
class HtmlPage:
    """What :func:`parse_page` finds in a page."""

    title: str | None
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    published: datetime | None = None


# -- page metadata ----------------------------------------------------------------------


def _meta_value(builder: Tree, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for meta in builder.meta:
        key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        if key in wanted and meta.get("content", "").strip():
            return meta["content"].strip()[:2000]
    return None


def _page_url(builder: Tree) -> str | None:
    for link in builder.links:
        rels = link.get("rel", "").lower().split()
        if "canonical" in rels and link.get("href", "").startswith(("http://", "https://")):
            return link["href"].strip()[:2000]
    url = _meta_value(builder, "og:url")
    if url and url.startswith(("http://", "https://")):
        return url
    for comment in builder.comments:
        found = _SAVED_FROM.search(comment) or _SINGLEFILE_URL.search(comment)
        if found and found.group(1).startswith(("http://", "https://")):
            return found.group(1)[:2000]
    return None


def _saved_date(builder: Tree) -> datetime | None:
    for comment in builder.comments:
        found = _SINGLEFILE_DATE.search(comment)
        if found:
            stamp = _GMT_OFFSET.sub(r"\1", _GMT.sub("", found.group(1)))
            return parse_note_date(stamp)
    return None


def parse_page(markup: str) -> HtmlPage:
    """Title, main text and metadata of one saved web page."""
    builder = parse_tree(markup, False)
    title = " ".join("".join(builder.title_parts).split())[:500] or None
    title = title or _meta_value(builder, "og:title")
    if not title:
        h1 = builder.first.get("h1")
        title = inline_text(h1)[:500] if h1 is not None else None
    metadata: dict[str, Any] = {}
    url = _page_url(builder)
    if url:
        metadata["url"] = url
    author = _meta_value(builder, "author", "article:author", "dc.creator", "twitter:creator")
    if author:
        metadata["author"] = author
    description = _meta_value(builder, "description", "og:description")
    if description:
        metadata["description"] = description
    site = _meta_value(builder, "og:site_name", "application-name")
    if site:
        metadata["site"] = site
    html = builder.first.get("html")
    if html is not None and html.attrs.get("lang"):
        metadata["language"] = html.attrs["lang"][:35]
    published = None
    stamp = _meta_value(
        builder, "article:published_time", "date", "dc.date", "datepublished", "pubdate"
    )
    if stamp:
        published = parse_note_date(stamp)
    if published is None:
        time_node = builder.first.get("time")
        if time_node is not None and time_node.attrs.get("datetime"):
            published = parse_note_date(time_node.attrs["datetime"])
    saved = _saved_date(builder)
    if saved is not None:
        metadata["saved"] = saved.isoformat()
    text = main_text(builder.root, builder.first)
    return HtmlPage(title=title, text=text, metadata=metadata, published=published or saved)


# -- the source -------------------------------------------------------------------------


class HtmlSource(Source):
    name = "html"
    description = "Saved web pages (.html, .htm): main text, title, address"
    extensions = (".html", ".htm", ".xhtml", ".shtml")

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() not in self.extensions:
            return False
        sample = head[:4096].lower()
        wide = bom_encoding(head)
        if wide is not None and wide != "utf-8":  # UTF-16 or UTF-32 with a BOM
            sample = head[:4096].decode(wide, errors="ignore").lower().encode()
        return b"<" in sample and b"\x00" not in sample

    def parse(self, path: Path) -> Iterator[Parsed]:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
            mtime = path.stat().st_mtime
        except OSError as error:
            raise SourceError(f"{path}: cannot read: {error}") from error
        truncated = len(data) > MAX_BYTES
        data = data[:MAX_BYTES]
        if bom_encoding(data) in (None, "utf-8") and b"\x00" in data[:8192]:
            yield Skip(str(path), "file", "binary file (NUL bytes), not an HTML page")
            return
        markup, encoding, errors = decode_html(data)
        page = parse_page(markup)
        text = clean_text(page.text)
        if not text.strip():
            yield Skip(str(path), "file", "no readable text in the page")
            return
        if len(text) > MAX_TEXT:
            text, truncated = text[:MAX_TEXT], True
        metadata: dict[str, Any] = {"format": "html", "file": path.name, "encoding": encoding}
        metadata.update(page.metadata)
        if errors:
            metadata["encoding_errors"] = True
        if truncated:
            metadata["truncated"] = True
        url = page.metadata.get("url")
        yield Item(
            source=self.name,
            key=url or path.name,
            kind="document",
            text=text,
            timestamp=page.published or datetime.fromtimestamp(mtime, UTC),
            author=page.metadata.get("author"),
            title=page.title or path.stem,
            uri=file_uri(path),
            locator=path.name,
            metadata=metadata,
        )
