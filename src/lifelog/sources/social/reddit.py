"""Reddit's data export (the GDPR request): posts, comments, messages and chats as CSV.

reddit.com/settings/data-request sends a zip of CSV files, one per kind of record,
each with a header row (Reddit writes its dates as ``2023-01-15 12:34:56 UTC``):

* ``posts.csv``: ``id,permalink,date,ip,subreddit,gildings,title,url,body``
* ``comments.csv``: ``id,permalink,date,ip,subreddit,gildings,link,parent,body,media``
  (some exports add ``gildings_silver,gildings_supergold``)
* ``messages.csv`` (and ``messages_archive.csv``):
  ``id,permalink,thread_id,date,ip,from,to,subject,body``
* ``chat_history.csv``: ``message_id,created_at,updated_at,username,message,
  thread_parent_message_id,channel_url,subreddit,channel_name,conversation_type``

A file is recognised by its header row, whatever it is called. Read (source
``reddit``): each post (kind ``post``: its title, its text or link), each comment (kind
``comment``, threaded under the post it answers), each private message (kind
``message``: sender, recipient, subject) and each chat message is one item, keyed by
Reddit's id. The other files (votes, saved and hidden posts, subscriptions, IP logs ...)
hold no text you wrote and are not read. Posts and comments removed or deleted
(``[removed]``, ``[deleted]`` with nothing else) are counted as left out. The ``ip``
column is never kept.

Hostile files: read row by row (lines longer than ``MAX_LINE`` are cut, a field over
the CSV limit is one ``Skip`` naming its row), undecodable bytes replaced; a row without
an id or a readable shape is one ``Skip`` naming its row.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, left_out_skip, to_utc
from ..jsonstream import cap_text, open_text, record_uri

__all__ = ["RedditSource", "table_kind"]

#: characters of one physical line handed to the CSV reader at most
MAX_LINE = 1 << 20
#: rows read from one file at most
MAX_ROWS = 10_000_000
_GONE = {"[deleted]", "[removed]", ""}
_POST_ID = re.compile(r"/comments/([a-z0-9]{1,16})(?:/|$)", re.I)
_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("chat", frozenset({"message_id", "created_at", "username", "message"})),
    ("message", frozenset({"id", "thread_id", "date", "from", "to", "body"})),
    ("post", frozenset({"id", "permalink", "date", "subreddit", "title", "body"})),
    ("comment", frozenset({"id", "permalink", "date", "subreddit", "body", "parent"})),
)


def table_kind(header: list[str]) -> str | None:
    """``post``, ``comment``, ``message`` or ``chat`` from a CSV header row, or None."""
    names = {name.strip().lower() for name in header}
    for kind, needed in _KINDS:
        if needed <= names:
            return kind
    return None


def _when(value: str) -> datetime | None:
    value = value.strip().removesuffix(" UTC").replace(" ", "T", 1)
    if not 8 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        return None
    return to_utc(moment) if 1990 <= moment.year < 3000 else None


def _lines(handle: IO[str]) -> Iterator[str]:
    """Physical lines, each at most ``MAX_LINE`` characters (a longer one comes in pieces,
    so a CSV field built from it runs into the CSV field limit and is refused)."""
    while line := handle.readline(MAX_LINE):
        yield line


class RedditSource(Source):
    name = "reddit"
    description = "Reddit data export: posts, comments, messages and chats (CSV)"
    extensions = (".csv",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".csv":
            return False
        first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
        return table_kind(next(csv.reader([first]), [])) is not None

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        gone: Counter[str] = Counter()
        with open_text(path) as handle:
            rows = csv.reader(_lines(handle))
            try:
                header = [name.strip().lower() for name in next(rows)]
            except (StopIteration, csv.Error) as error:
                raise SourceError(f"{file}: no CSV header row ({error or 'empty'})") from None
            kind = table_kind(header)
            if kind is None:
                raise SourceError(f"{file}: not a Reddit export table (header {header[:10]})")
            count = 0
            while count < MAX_ROWS:
                try:
                    row = next(rows)
                except StopIteration:
                    break
                except csv.Error as error:
                    yield Skip(file, f"line {rows.line_num}", f"unreadable CSV row: {error}")
                    continue
                count += 1
                if not any(cell.strip() for cell in row):
                    continue
                where = f"line {rows.line_num}"
                record = dict(zip(header, row, strict=False))
                try:
                    found = self._record(path, kind, record, where, gone)
                except (ValueError, TypeError) as error:
                    found = Skip(file, where, f"malformed row: {error}")
                if found is not None:
                    yield found
        if gone:
            yield left_out_skip(file, "removed", [(n, k) for k, n in sorted(gone.items())])

    def _record(
        self, path: Path, kind: str, row: dict[str, str], where: str, gone: Counter[str]
    ) -> Parsed | None:
        if kind == "chat":
            return self._chat(path, row, where)
        ident = row.get("id", "").strip()
        if not ident:
            return Skip(str(path), where, f"{kind} without an id")
        body = clean_text(row.get("body", "")).strip()
        metadata: dict[str, Any] = {}
        permalink = row.get("permalink", "").strip()
        if permalink:
            metadata["permalink"] = permalink[:2000]
        subreddit = row.get("subreddit", "").strip()
        if subreddit:
            metadata["subreddit"] = subreddit[:100]
        when = _when(row.get("date", ""))
        locator = f"{kind} {ident}"
        if kind == "message":
            sender, to = row.get("from", "").strip(), row.get("to", "").strip()
            subject = clean_text(row.get("subject", "")).strip()
            if not body:
                return Skip(str(path), where, f"message {ident} without text")
            metadata.update(to=to[:100], thread_id=row.get("thread_id", "")[:100])
            return Item(
                source=self.name,
                key=f"message/{ident}",
                kind="message",
                text=cap_text(body, metadata),
                timestamp=when,
                author=sender or None,
                participants=tuple(p for p in dict.fromkeys((sender, to)) if p),
                title=subject[:300] or "Reddit message",
                thread=f"reddit-dm:{row.get('thread_id', '').strip() or ident}",
                uri=record_uri(path, locator),
                locator=locator,
                metadata=metadata,
            )
        title = clean_text(row.get("title", "")).strip()
        url = row.get("url", "").strip()
        if kind == "post":
            if url and url != permalink:
                metadata["url"] = url[:2000]
            parts = [p for p in (title, body if body not in _GONE else "", metadata.get("url"))]
            text = "\n\n".join(p for p in parts if p)
            post_id = ident
        else:
            text = body if body not in _GONE else ""
            link = row.get("link", "")
            found = _POST_ID.search(link) or _POST_ID.search(permalink)
            post_id = found.group(1) if found else ident
            if row.get("parent", "").strip():
                metadata["parent"] = row["parent"].strip()[:100]
        if not text or (kind == "comment" and body in _GONE):
            gone[f"{kind}s removed or deleted"] += 1
            return None
        return Item(
            source=self.name,
            key=f"{kind}/{ident}",
            kind=kind,
            text=cap_text(text, metadata),
            timestamp=when,
            author="Me",
            participants=("Me",),
            title=(title or (f"r/{subreddit}" if subreddit else "Reddit"))[:300],
            thread=f"reddit:{post_id}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )

    def _chat(self, path: Path, row: dict[str, str], where: str) -> Parsed:
        ident = row.get("message_id", "").strip()
        text = clean_text(row.get("message", "")).strip()
        if not ident or not text:
            return Skip(str(path), where, "chat message without an id or text")
        user = row.get("username", "").strip()
        channel = (row.get("channel_url") or row.get("channel_name") or "").strip()
        metadata: dict[str, Any] = {}
        for field in ("subreddit", "channel_name", "conversation_type"):
            if row.get(field, "").strip():
                metadata[field] = row[field].strip()[:200]
        locator = f"chat {ident}"
        return Item(
            source=self.name,
            key=f"chat/{ident}",
            kind="message",
            text=cap_text(text, metadata),
            timestamp=_when(row.get("created_at", "")),
            author=user or None,
            participants=(user,) if user else (),
            title=metadata.get("channel_name") or "Reddit chat",
            thread=f"reddit-chat:{channel or ident}"[:300],
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )
