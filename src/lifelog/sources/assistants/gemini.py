"""Gemini (formerly Bard): the conversations in Google Takeout's "My Activity".

Takeout → My Activity → Gemini Apps gives ``My Activity/Gemini Apps/MyActivity.json``, a
list of activity records, newest first. A conversation turn looks like::

    {"header": "Gemini Apps", "title": "Prompted what should I pack for Jeju?",
     "time": "2024-05-01T10:00:00.123Z", "products": ["Gemini Apps"],
     "activityControls": ["Gemini Apps Activity"],
     "details": [{"name": "https://gemini.google.com/app/d83053a82f419e50", ...}],
     "safeHtmlItem": [{"html": "<p>Pack a rain jacket ...</p>"}],
     "attachedFiles": ["itinerary.pdf"], "subtitles": [{"name": "...", "url": "..."}]}

The header is written in the account's language ("Gemini Apps", "Додатки Gemini",
"Bard" before 2024). Each turn becomes two items (source ``gemini``, kind ``message``):
what you asked (author ``Me``: the title without its ``Prompted`` prefix, with the names
of attached files) and Gemini's answer (author ``Gemini``: the HTML chunks of
``safeHtmlItem`` turned into text, the pages it cited after them), threaded by the
conversation's address when the record gives one, else by the day. Other Gemini
activity ("Created a Gem", "Used an extension") is one item each (kind ``activity``).
Keys are the record's time and role, so a newer Takeout adds only new turns.

Takeout's default form, ``MyActivity.html``, is read too: each record's content cell
holds ``Prompted <what you asked><br>date<br>`` and then the answer's HTML. The date
is in the account's language (``05.12.2023, 14:03:12 MEZ``, ``2023. 12. 5. 오후
2:03:12 KST``): :mod:`..takeout.activity_dates` reads it in the languages it lists, an
unknown zone taken as UTC (``metadata["zone_assumed"]``); a date it cannot read is a
``Skip`` naming the file and the record, as for any My Activity file. A Gemini HTML
file is one whose records are headed "Gemini Apps" or "Bard" (in any language:
"Gemini-Apps", "Applications Gemini"), or that lies in a folder named so.

Before this reader, the generic My Activity reader kept only each JSON record's title
(the answer was lost) and skipped every HTML record (its answer after the date hid the
date). The files are streamed (:mod:`..jsonstream`, one outer cell of HTML at a time):
one record in memory; one that cannot be read is one ``Skip``; malformed JSON ends the
file with one ``Skip`` at its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import PurePosixPath
from typing import Any, BinaryIO, ClassVar

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, clean_text
from ..htmltext import html_to_text
from ..jsonstream import JsonStream, JsonStreamError, ValueSkipped, cap_text, iso_time
from ..takeout.activity import activity_cells
from ..takeout.activity_dates import html_date
from ..takeout.takeout import TakeoutSource, json_head, locate, text_of

__all__ = ["GeminiSource"]

_HEADER = re.compile(rb'"header"\s*:\s*"[^"]{0,80}(?:Gemini|Bard)', re.I)
_HTML_HEADER = re.compile(rb'mdl-typography--title">[^<]{0,80}(?:Gemini|Bard)', re.I)
_BODY = re.compile(r'<div class="content-cell(?![^"]*text-right)[^"]*body-1[^"]*">', re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_TAGS = re.compile(r"<[^>]*>")
_TITLE = re.compile(r'<p class="mdl-typography--title">(.*?)</p>', re.S)
_PROMPTED = re.compile(r"^(?:Prompted|Asked Gemini|Asked Bard)[:\s]\s*", re.I)
_CONVERSATION = re.compile(r"https://(?:gemini|bard)\.google\.com/\S+")
#: HTML of one answer turned into text at most
MAX_HTML = 4_000_000
MAX_LIST = 50


def _strings(value: Any, key: str = "") -> list[str]:
    found: list[str] = []
    for entry in value[:MAX_LIST] if isinstance(value, list) else []:
        raw = entry.get(key) if isinstance(entry, dict) and key else entry
        if isinstance(raw, str) and raw.strip():
            found.append(clean_text(raw).strip()[:2000])
    return found


class GeminiSource(TakeoutSource):
    name: ClassVar[str] = "gemini"
    description: ClassVar[str] = "Gemini (Bard) conversations from Google Takeout My Activity"
    extensions: ClassVar[tuple[str, ...]] = (".json", ".html")

    def sniff_stream(self, name: str, head: bytes) -> bool:
        path = PurePosixPath(name)
        if path.suffix.lower() == ".html":
            folder = path.parent.name.lower()
            named = "gemini" in folder or folder == "bard"
            return b"outer-cell" in head and (named or bool(_HTML_HEADER.search(head)))
        if path.suffix.lower() != ".json" or not json_head(head).startswith(b"["):
            return False
        if _HEADER.search(head) or b'"Gemini Apps Activity"' in head:
            return True
        folder = path.parent.name.lower()
        return ("gemini" in folder or folder == "bard") and b'"safeHtmlItem"' in head

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        if PurePosixPath(name).suffix.lower() == ".html":
            yield from self._html(name, stream, origin_uri)
            return
        reader = JsonStream(text_of(stream))
        if reader.peek() != "[":
            raise SourceError(f"{name}: expected a JSON list of Gemini activity records")
        try:
            for index in reader.items():
                position = f"record {index + 1}"
                try:
                    value = reader.value()
                except ValueSkipped as error:
                    yield Skip(name, position, str(error))
                    continue
                try:
                    yield from self._record(name, position, value, origin_uri)
                except (ValueError, TypeError, AttributeError, KeyError) as error:
                    yield Skip(name, position, f"malformed record: {error}")
        except JsonStreamError as error:
            yield error.skip(name)

    def _html(self, name: str, stream: BinaryIO, origin: str) -> Iterator[Parsed]:
        for cell in activity_cells(text_of(stream), name):
            if isinstance(cell, Skip):
                yield cell
                continue
            number, html = cell
            position = f"record {number}"
            record = _html_record(html, name, position)
            if isinstance(record, Skip):
                yield record
            else:
                yield from self._record(name, position, record, origin)

    def _record(self, name: str, position: str, value: Any, origin: str) -> Iterator[Parsed]:
        if not isinstance(value, dict):
            yield Skip(name, position, "not a JSON object")
            return
        moment = iso_time(value.get("time"))
        raw_title = value.get("title")
        title = clean_text(raw_title).strip() if isinstance(raw_title, str) else ""
        if moment is None or not title:
            yield Skip(name, position, "record without a readable time or title")
            return
        stamp = moment.isoformat(timespec="milliseconds")
        details = _strings(value.get("details"), "url") + _strings(value.get("details"), "name")
        conversation = next((d for d in details if _CONVERSATION.match(d)), "")
        thread = f"gemini:{conversation or moment.date().isoformat()}"
        header = value.get("header") if isinstance(value.get("header"), str) else "Gemini"
        chunks = [
            chunk["html"]
            for chunk in (value.get("safeHtmlItem") or [])[:MAX_LIST]
            if isinstance(chunk, dict) and isinstance(chunk.get("html"), str)
        ]
        answer = "\n\n".join(
            html_to_text(chunk[:MAX_HTML])[1] if "<" in chunk else chunk for chunk in chunks
        ).strip()
        attached = _strings(value.get("attachedFiles"))
        sources = [
            url for url in _strings(value.get("subtitles"), "url") if not url.startswith("file:")
        ]
        metadata: dict[str, Any] = {"header": str(header)[:200]}
        if value.get("zone_assumed") is True:  # an HTML date's unknown zone, read as UTC
            metadata["zone_assumed"] = True
        if conversation:
            metadata["conversation"] = conversation
        prompted = _PROMPTED.match(title)
        if prompted is None and not answer:  # other activity: a Gem made, an extension used
            locator = f"activity at {stamp}"
            yield Item(
                source=self.name,
                key=f"{stamp}|activity|{title[:200]}",
                kind="activity",
                text=cap_text(title, metadata),
                timestamp=moment,
                author="Me",
                title=title[:300],
                thread=thread,
                uri=locate(origin, locator),
                locator=locator,
                metadata=metadata,
            )
            return
        prompt = title[prompted.end() :] if prompted else title
        if attached:
            metadata["attachments"] = attached
            prompt = "\n".join([prompt, *(f"[attached: {a}]" for a in attached)])
        short = prompt.splitlines()[0][:120] if prompt else "Gemini"
        locator = f"prompt at {stamp}"
        yield Item(
            source=self.name,
            key=f"{stamp}|prompt",
            kind="message",
            text=cap_text(prompt, dict(metadata)),
            timestamp=moment,
            author="Me",
            participants=("Me", "Gemini"),
            title=short,
            thread=thread,
            uri=locate(origin, locator),
            locator=locator,
            metadata=dict(metadata),
        )
        if not answer:
            return
        reply_meta = {k: v for k, v in metadata.items() if k != "attachments"}
        if sources:
            reply_meta["sources"] = sources
            answer += "\n\nSources:\n" + "\n".join(sources)
        locator = f"answer at {stamp}"
        yield Item(
            source=self.name,
            key=f"{stamp}|answer",
            kind="message",
            text=cap_text(clean_text(answer), reply_meta),
            timestamp=moment,
            author="Gemini",
            participants=("Me", "Gemini"),
            title=short,
            thread=thread,
            uri=locate(origin, locator),
            locator=locator,
            metadata=reply_meta,
        )


def _plain(fragment: str) -> str:
    return " ".join(unescape(_TAGS.sub(" ", fragment)).split())


def _html_record(cell: str, name: str, position: str) -> dict[str, Any] | Skip:
    """One HTML outer cell as the JSON record it stands for (header, title, time,
    safeHtmlItem, details), or a Skip."""
    body = _BODY.search(cell)
    if body is None:
        return Skip(name, position, "record without a content cell")
    end = cell.find('<div class="content-cell', body.end())
    content = cell[body.end() : end if end >= 0 else len(cell)]
    content = content.rsplit("</div>", 1)[0] if end < 0 else content
    parts = _BR.split(content, maxsplit=2)
    if len(parts) < 2:
        return Skip(name, position, "record without a title and a date")
    title = _plain(parts[0])
    when = html_date(_plain(parts[1]))
    if when is None:
        return Skip(name, position, f"unreadable date {_plain(parts[1])[:60]!r}")
    header = _TITLE.search(cell)
    answer = parts[2].rsplit("</div>", 1)[0] if len(parts) > 2 else ""
    links = [{"url": unescape(link)} for link in re.findall(r'href="(https://[^"]+)"', parts[0])]
    return {
        "header": _plain(_BR.split(header.group(1))[0]) if header else "Gemini",
        "title": title,
        "time": when[0].isoformat(),
        "zone_assumed": when[1],
        "safeHtmlItem": [{"html": answer}] if answer.strip() else [],
        "details": links,
    }
