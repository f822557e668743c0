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

HTML dates are written in the account's language and zone: English forms
(``Aug 25, 2020, 5:06:44 PM PDT``, ``25 Aug 2020, 17:06:44 BST``) with common
zone abbreviations or ``GMT+02:00`` offsets are read; an unknown zone is taken
as UTC (``metadata["zone_assumed"]``); a record whose date cannot be read at all
is a ``Skip``. HTML files are streamed one record at a time; a record larger
than ``MAX_RECORD_CHARS`` is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from html import unescape
from pathlib import PurePosixPath
from typing import IO, Any, BinaryIO, ClassVar

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, clean_text
from ..jsonstream import JsonStream, JsonStreamError, ValueSkipped, cap_text, iso_time
from .takeout import TakeoutSource, json_head, locate, text_of

__all__ = ["ActivitySource", "YoutubeSource", "activity_cells", "html_date"]

#: one HTML record (outer cell) larger than this is skipped
MAX_RECORD_CHARS = 1_000_000
READ_CHARS = 1 << 20
#: subtitle lines, details and products kept per record at most
MAX_LINES = 50

_YOUTUBE_FILES = ("watch-history", "search-history")
_ACTIVITY_FILES = ("myactivity", "my activity", "meine aktivitäten", "mon activité")
_CELL = '<div class="outer-cell'
_HEADER = re.compile(r'<p class="mdl-typography--title">(.*?)</p>', re.S)
_CONTENT = re.compile(r'<div class="content-cell([^"]*)">(.*?)</div>', re.S)
_BR = re.compile(r"<br\s*/?>", re.I)
_HREF = re.compile(r'<a\s[^>]*?href="([^"]*)"', re.I | re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_SPACES = re.compile(r"[ \t\u00a0\u2003\u202f]+")
_MONTHS = {
    m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())
}
_US_DATE = re.compile(
    r"(?P<mon>[A-Za-z]{3})[a-z]*\.? (?P<day>\d{1,2}), (?P<year>\d{4}),? "
    r"(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2}) ?(?P<ampm>[AaPp]\.? ?[Mm]\.?)?(?: (?P<zone>\S+))?$"
)
_EU_DATE = re.compile(
    r"(?P<day>\d{1,2}) (?P<mon>[A-Za-z]{3})[a-z]*\.? (?P<year>\d{4}),? "
    r"(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2}) ?(?P<ampm>[AaPp]\.? ?[Mm]\.?)?(?: (?P<zone>\S+))?$"
)
_OFFSET = re.compile(r"^(?:GMT|UTC)(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$")
#: zone abbreviations Takeout writes, as hours from UTC (ambiguous ones by common use)
_ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "IST": 5.5, "CET": 1,
    "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4,
    "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9,
    "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5, "JST": 9,
    "KST": 9, "HKT": 8, "SGT": 8, "AWST": 8, "ACST": 9.5, "ACDT": 10.5, "AEST": 10,
    "AEDT": 11, "NZST": 12, "NZDT": 13, "SAST": 2, "WAT": 1, "CAT": 2, "EAT": 3,
}  # fmt: skip


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


def html_date(text: str) -> tuple[datetime, bool] | None:
    """A My Activity HTML date as UTC, and whether its zone was unknown (taken as UTC)."""
    text = _SPACES.sub(" ", text).strip()
    match = _US_DATE.match(text) or _EU_DATE.match(text)
    if match is None:
        return None
    month = _MONTHS.get(match["mon"][:3].lower())
    if month is None:
        return None
    hour = int(match["h"])
    if match["ampm"]:
        if hour > 12:
            return None
        hour = hour % 12 + (12 if match["ampm"][0] in "Pp" else 0)
    try:
        moment = datetime(
            int(match["year"]), month, int(match["day"]), hour, int(match["m"]), int(match["s"])
        )
    except ValueError:
        return None
    zone = match["zone"]
    offset: float | None = 0.0 if zone is None else _ZONES.get(zone.upper())
    if offset is None and zone is not None:
        found = _OFFSET.match(zone.upper())
        if found is not None:
            offset = int(found["h"]) + int(found["m"] or 0) / 60
            offset = -offset if found["sign"] == "-" else offset
    assumed = offset is None
    tz = timezone(timedelta(hours=offset or 0.0))
    return moment.replace(tzinfo=tz).astimezone(UTC), assumed


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
        return path.stem.lower() in _ACTIVITY_FILES and "youtube" in path.parent.name.lower()


class ActivitySource(_ActivityFiles):
    name: ClassVar[str] = "takeout_activity"
    description: ClassVar[str] = "Google My Activity records from Takeout (JSON or HTML)"

    def sniff_stream(self, name: str, head: bytes) -> bool:
        path = PurePosixPath(name)
        suffix = path.suffix.lower()
        if suffix == ".json":
            return self._json_activity(head)
        return suffix == ".html" and path.stem.lower() in _ACTIVITY_FILES


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
