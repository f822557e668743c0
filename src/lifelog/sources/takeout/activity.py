"""Google Takeout activity records: YouTube watch and search history, My Activity.

Both come as JSON (a list of ``{"header", "title", "titleUrl", "subtitles",
"time", "products", "details", "description"}`` records) or, in older exports
and when chosen, as HTML (one ``<div class="outer-cell ...">`` per record: a
header, a content cell with the title, its link, subtitle lines and the date,
and a caption with ``Products:`` and ``Details:``).

- ``takeout_youtube``: ``watch-history`` and ``search-history`` files, and any
  activity file whose records are headed YouTube / YouTube Music.
- ``takeout_activity``: other My Activity files (``My Activity/<product>/
  MyActivity.json`` or ``.html``: Search, Maps, Chrome, Discover ...).

One record is one item: kind ``watch`` (title "Watched ..."), ``search``
("Searched for ..."), ``visit`` ("Visited ...") or ``activity``; the text is the
title, the subtitle lines (a video's channel) and the link. Ads (details "From
Google Ads") are kept and marked ``metadata["ad"]``. The key is the header, the
time to the second (UTC) and the link (else the title), so the JSON and the
HTML of the same history give the same ids.

HTML dates are written in the account's language and zone (``Aug 25, 2020,
5:06:44 PM PDT``, ``25.08.2020, 17:06:44 MESZ``, ``2020年8月25日 17:06:44 JST``):
:mod:`.activity_dates` reads them in English, German, French, Spanish, Portuguese,
Italian, Dutch, Russian, Polish, Turkish, Japanese, Korean, Chinese and Arabic; an
unknown zone is taken as UTC (``metadata["zone_assumed"]``); a record whose date
cannot be read at all is a ``Skip`` naming the file and the record. The files are
recognised by their localized names too (``MeineAktivitäten.html``,
``MiActividad.html``, ``我的活动记录.html`` ...). HTML files are streamed one record
at a time; a record larger than ``MAX_RECORD_CHARS`` is skipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from pathlib import PurePosixPath
from typing import IO, Any, BinaryIO, ClassVar

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, clean_text
from ..jsonstream import JsonStream, JsonStreamError, ValueSkipped, cap_text, iso_time
from .activity_dates import html_date
from .takeout import TakeoutSource, json_head, locate, text_of

__all__ = ["ActivitySource", "YoutubeSource", "activity_cells", "html_date"]

#: one HTML record (outer cell) larger than this is skipped
MAX_RECORD_CHARS = 1_000_000
READ_CHARS = 1 << 20
#: subtitle lines, details and products kept per record at most
MAX_LINES = 50

_YOUTUBE_FILES = ("watch-history", "search-history")
#: a My Activity file's name (without spaces), as Takeout writes it in the account's
#: language: English, German, French, Spanish, Turkish, Chinese, Arabic exports seen
_ACTIVITY_FILES = frozenset(
    (
        "myactivity",
        "meineaktivitäten",
        "monactivité",
        "miactividad",
        "etkinliğim",
        "我的活动记录",
        "نشاطي",
    )
)
_CELL = '<div class="outer-cell'
_HEADER = re.compile(r'<p class="mdl-typography--title">(.*?)</p>', re.S)
_CONTENT = re.compile(r'<div class="content-cell([^"]*)">(.*?)</div>', re.S)
_BR = re.compile(r"<br\s*/?>", re.I)
_HREF = re.compile(r'<a\s[^>]*?href="([^"]*)"', re.I | re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_SPACES = re.compile(r"[ \t\u00a0\u2003\u202f]+")


@dataclass(slots=True)
class _Record:
    header: str
    title: str
    url: str | None
    moment: datetime
    subtitles: list[tuple[str, str | None]] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    description: str = ""
    zone_assumed: bool = False


def _is_activity_file(path: PurePosixPath) -> bool:
    stem = unicodedata.normalize("NFC", path.stem).casefold()
    return "".join(stem.split()) in _ACTIVITY_FILES


def _fragment_text(fragment: str) -> str:
    return _SPACES.sub(" ", unescape(_TAG.sub("", fragment))).strip()


def _kind(title: str, file_kind: str | None) -> str:
    lower = title.lower()
    if lower.startswith("watched "):
        return "watch"
    if lower.startswith("searched for "):
        return "search"
    if lower.startswith("visited "):
        return "visit"
    return file_kind or "activity"


class _ActivityFiles(TakeoutSource):
    """JSON or HTML activity files; subclasses say which ones they claim."""

    extensions: ClassVar[tuple[str, ...]] = (".json", ".html")

    def _json_activity(self, head: bytes) -> bool:
        start = json_head(head)
        return (
            start.startswith(b"[")
            and b'"header"' in head
            and b'"time"' in head
            and b'"title"' in head
        )

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        base = PurePosixPath(name).name.lower()
        file_kind = "watch" if "watch" in base else "search" if "search-history" in base else None
        if base.endswith((".html", ".htm")):
            records = _html_records(text_of(stream), name)
        else:
            records = _json_records(text_of(stream), name)
        for record in records:
            if isinstance(record, Skip):
                yield record
            else:
                yield self._item(record, origin_uri, file_kind)

    def _item(self, record: _Record, origin_uri: str, file_kind: str | None) -> Item:
        stamp = record.moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = [record.title]
        metadata: dict[str, Any] = {"header": record.header}
        if record.url:
            metadata["url"] = record.url
        names = [text for text, _link in record.subtitles if text]
        lines.extend(names)
        if record.subtitles:
            text, link = record.subtitles[0]
            if text:
                metadata["channel" if "youtube" in record.header.lower() else "subtitle"] = text
            if link:
                metadata[
                    "channel_url" if "youtube" in record.header.lower() else "subtitle_url"
                ] = link
        if record.description:
            lines.append(record.description)
        if record.url:
            lines.append(record.url)
        if record.products:
            metadata["products"] = record.products
        if record.details:
            metadata["details"] = record.details
            if any("google ads" in d.lower() for d in record.details):
                metadata["ad"] = True
        if record.zone_assumed:
            metadata["zone_assumed"] = True
        text = cap_text(clean_text("\n".join(lines)), metadata)
        locator = f"{record.header or 'activity'} at {stamp}"
        return Item(
            source=self.name,
            key=f"{record.header}|{stamp}|{record.url or record.title}",
            kind=_kind(record.title, file_kind),
            text=text,
            timestamp=record.moment,
            title=record.title[:300],
            uri=locate(origin_uri, locator),
            locator=locator,
            metadata=metadata,
        )


class YoutubeSource(_ActivityFiles):
    name: ClassVar[str] = "takeout_youtube"
    description: ClassVar[str] = "YouTube watch and search history from Takeout (JSON or HTML)"

    def sniff_stream(self, name: str, head: bytes) -> bool:
        path = PurePosixPath(name)
        suffix = path.suffix.lower()
        if suffix not in (".json", ".html"):
            return False
        if path.stem.lower() in _YOUTUBE_FILES:
            return True
        if suffix == ".json":
            return (
                self._json_activity(head)
                and re.search(rb'"header"\s*:\s*"YouTube', head) is not None
            )
        return _is_activity_file(path) and "youtube" in path.parent.name.lower()


class ActivitySource(_ActivityFiles):
    name: ClassVar[str] = "takeout_activity"
    description: ClassVar[str] = "Google My Activity records from Takeout (JSON or HTML)"

    def sniff_stream(self, name: str, head: bytes) -> bool:
        path = PurePosixPath(name)
        suffix = path.suffix.lower()
        if suffix == ".json":
            return self._json_activity(head)
        return suffix == ".html" and _is_activity_file(path)


# -- JSON -------------------------------------------------------------------------------


def _text_list(value: Any, key: str) -> list[str]:
    if not isinstance(value, list):
        return []
    found = []
    for entry in value[:MAX_LINES]:
        raw = entry.get(key) if isinstance(entry, dict) else entry
        if isinstance(raw, str) and raw.strip():
            found.append(clean_text(raw).strip()[:1000])
    return found


def _json_record(value: Any, name: str, position: str) -> _Record | Skip:
    if not isinstance(value, dict):
        return Skip(name, position, "not a JSON object")
    title = value.get("title")
    title = clean_text(title).strip()[:2000] if isinstance(title, str) else ""
    moment = iso_time(value.get("time"))
    if moment is None:
        return Skip(name, position, "activity without a readable time")
    if not title:
        return Skip(name, position, "activity without a title")
    url = value.get("titleUrl")
    subtitles: list[tuple[str, str | None]] = []
    listed = value.get("subtitles")
    for entry in listed if isinstance(listed, list) else []:
        if isinstance(entry, dict):
            text = entry.get("name")
            link = entry.get("url")
            subtitles.append(
                (
                    clean_text(text).strip()[:1000] if isinstance(text, str) else "",
                    link[:4000] if isinstance(link, str) and link else None,
                )
            )
        if len(subtitles) >= MAX_LINES:
            break
    header = value.get("header")
    description = value.get("description")
    return _Record(
        header=clean_text(header).strip()[:200] if isinstance(header, str) else "",
        title=title,
        url=url[:4000] if isinstance(url, str) and url else None,
        moment=moment,
        subtitles=subtitles,
        details=_text_list(value.get("details"), "name"),
        products=_text_list(value.get("products"), ""),
        description=clean_text(description).strip() if isinstance(description, str) else "",
    )


def _json_records(text: IO[str], name: str) -> Iterator[_Record | Skip]:
    reader = JsonStream(text)
    first = reader.peek()
    if first != "[":
        found = repr(first) if first else "an empty file"
        raise SourceError(f"{name}: expected a JSON list of activity records, found {found}")
    try:
        for index in reader.items():
            position = f"record {index + 1}"
            try:
                value = reader.value()
            except ValueSkipped as error:
                yield Skip(name, position, str(error))
                continue
            yield _json_record(value, name, position)
    except JsonStreamError as error:
        yield error.skip(name)


# -- HTML -------------------------------------------------------------------------------


def _cells(text: IO[str], name: str) -> Iterator[tuple[int, str] | Skip]:
    """``(number, html)`` of every outer cell, streamed; an over-long one is a Skip.

    Memory holds one record plus one read: text before the first record (the
    page's style sheet) and the rest of an over-long record are dropped as read.
    """
    buffer = ""
    number = 0
    dropping = False  # inside an over-long record, already reported
    keep = len(_CELL) - 1  # a marker may be cut by a read: keep what could start one
    while True:
        chunk = text.read(READ_CHARS)
        buffer += chunk
        while True:
            start = buffer.find(_CELL)
            if start < 0:
                buffer = buffer[-keep:] if chunk else ""
                break
            if dropping:
                dropping = False  # the first marker after a dropped record starts a new one
            buffer = buffer[start:]
            following = buffer.find(_CELL, len(_CELL))
            if following < 0:
                break
            number += 1
            yield number, buffer[:following]
            buffer = buffer[following:]
        if not chunk:
            if buffer.startswith(_CELL) and not dropping:
                number += 1
                yield number, buffer
            return
        if buffer.startswith(_CELL) and len(buffer) > MAX_RECORD_CHARS and not dropping:
            number += 1
            yield Skip(name, f"record {number}", f"record over {MAX_RECORD_CHARS} characters")
            dropping = True
            buffer = buffer[-keep:]
        elif dropping:
            buffer = buffer[-keep:]


#: every outer cell of a My Activity HTML file, streamed (for readers of one product's cells)
activity_cells = _cells


def _html_record(cell: str, name: str, position: str) -> _Record | Skip:
    header_match = _HEADER.search(cell)
    header = _fragment_text(_BR.split(header_match.group(1))[0]) if header_match else ""
    body = caption = None
    for match in _CONTENT.finditer(cell):
        classes = match.group(1)
        if "text-right" in classes:
            continue
        if "body-1" in classes and body is None:
            body = match.group(2)
        elif "caption" in classes and caption is None:
            caption = match.group(2)
    if body is None:
        return Skip(name, position, "record without a content cell")
    lines = [part for part in _BR.split(body)]
    texts = [(_fragment_text(part), _HREF.search(part)) for part in lines]
    texts = [(t, link) for t, link in texts if t]
    if len(texts) < 2:
        return Skip(name, position, "record without a title and a date")
    date_text = texts[-1][0]
    when = html_date(date_text)
    if when is None:
        return Skip(name, position, f"unreadable date {date_text[:60]!r}")
    title, title_link = texts[0]
    subtitles = [(text, unescape(link.group(1)) if link else None) for text, link in texts[1:-1]][
        :MAX_LINES
    ]
    details: list[str] = []
    products: list[str] = []
    if caption is not None:
        section = ""
        for part in _BR.split(caption):
            text = _fragment_text(part)
            if not text:
                continue
            if "<b>" in part.lower():  # a heading: Products:, Details:, Why is this here?
                section = text.rstrip(":").lower()
            elif section == "products":
                products.append(text[:200])
            elif section == "details":
                details.append(text[:1000])
    return _Record(
        header=header[:200],
        title=title[:2000],
        url=unescape(title_link.group(1))[:4000] if title_link else None,
        moment=when[0],
        subtitles=subtitles,
        details=details[:MAX_LINES],
        products=products[:MAX_LINES],
        zone_assumed=when[1],
    )


def _html_records(text: IO[str], name: str) -> Iterator[_Record | Skip]:
    for cell in _cells(text, name):
        if isinstance(cell, Skip):
            yield cell
            continue
        number, html = cell
        yield _html_record(html, name, f"record {number}")
