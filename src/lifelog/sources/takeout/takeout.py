"""Google Takeout: the parts that are Takeout's own formats, from a file or an archive.

Takeout archives (``takeout-*.zip`` / ``.tgz``) are opened by
:mod:`lifelog.sources.archive`, which hands each member to the source that
reads it; an extracted ``Takeout/`` folder is walked like any folder. Either
way the same sources read the same bytes:

- ``Mail/*.mbox`` (Gmail): the ``mbox`` source; ``X-Gmail-Labels`` are kept as
  ``metadata["labels"]`` and a ``Sent`` label marks a mail as sent.
- ``Calendar/*.ics`` and ``Contacts/*/*.vcf``: the ``ical`` and ``vcard`` sources.
- ``Chrome/BrowserHistory.json`` (``{"Browser History": [...]}``): one item of
  kind ``visit`` per page visit (this module, ``takeout_chrome``).
- ``Keep/*.json``: one ``note`` per file (this module, ``takeout_keep``); the
  ``.html`` copy Takeout writes beside each note is passed over.
- YouTube history and My Activity (JSON and HTML): :mod:`.takeout_activity`.
- Location History (``Records.json``, ``Semantic Location History``):
  :mod:`.takeout_location`.

Files are recognised by their content (the JSON keys at their start) rather than
by their names, which Takeout translates into the account's language; names only
help where the content cannot tell (Keep's ``.html`` copies, YouTube's HTML).
Keys come from the records (a visit's time and URL, a note's creation time), so
a newer export of the same account adds only what is new.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO, ClassVar
from urllib.parse import quote, urlsplit

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, open_binary
from ..jsonstream import JsonStream, JsonStreamError, ValueSkipped, cap_text, epoch_time

__all__ = [
    "KeepSource",
    "TakeoutChromeSource",
    "TakeoutSource",
    "json_head",
    "locate",
    "text_of",
    "usec_time",
]

URI_SAFE = "@:=+-_.~ "
#: one Keep note file is read whole; larger ones are refused
MAX_NOTE_BYTES = 16 * 1024 * 1024
#: list entries, labels, attachments kept per note at most
MAX_LIST = 2000


def locate(origin_uri: str, locator: str) -> str:
    """``origin_uri#locator``, quoted as :func:`lifelog.sources.base.file_uri` does."""
    return origin_uri + "#" + quote(locator, safe=URI_SAFE)


def usec_time(value: Any) -> datetime | None:
    """Microseconds since 1970 (Takeout's ``*Usec`` fields, number or string) as UTC."""
    return epoch_time(value, 1e6)


def json_head(head: bytes) -> bytes:
    """The first bytes of a JSON file without BOM and leading white space."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")


def text_of(stream: BinaryIO) -> IO[str]:
    """UTF-8 text over a binary stream (a BOM dropped, bad bytes replaced)."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")


class TakeoutSource(Source):
    """A Takeout part, read from a file on disk or from an archive member alike."""

    supports_stream: ClassVar[bool] = True

    def sniff(self, path: Path, head: bytes) -> bool:
        return self.sniff_stream(str(path), head)

    def parse(self, path: Path) -> Iterator[Parsed]:
        handle = open_binary(path)
        with handle:
            yield from self.parse_stream(str(path), handle, path.resolve().as_uri())


# -- Chrome ---------------------------------------------------------------------------


class TakeoutChromeSource(TakeoutSource):
    name: ClassVar[str] = "takeout_chrome"
    description: ClassVar[str] = "Google Takeout Chrome history (BrowserHistory.json)"
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff_stream(self, name: str, head: bytes) -> bool:
        start = json_head(head)
        return (
            PurePosixPath(name).suffix.lower() == ".json"
            and start.startswith(b"{")
            and b'"Browser History"' in head[:4096]
        )

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        reader = JsonStream(text_of(stream))
        if reader.peek() != "{":
            raise SourceError(f"{name}: not a Chrome history file (expected a JSON object)")
        try:
            for key in reader.members():
                if key != "Browser History" or reader.peek() != "[":
                    continue
                for index in reader.items():
                    position = f"Browser History entry {index + 1}"
                    try:
                        record = reader.value()
                    except ValueSkipped as error:
                        yield Skip(name, position, str(error))
                        continue
                    yield self._visit(name, position, record, origin_uri)
        except JsonStreamError as error:
            yield error.skip(name)

    def _visit(self, name: str, position: str, record: Any, origin_uri: str) -> Parsed:
        if not isinstance(record, dict):
            return Skip(name, position, "not a JSON object")
        url = record.get("url")
        url = url.strip()[:4000] if isinstance(url, str) else ""
        title = record.get("title")
        title = clean_text(title).strip()[:1000] if isinstance(title, str) else ""
        moment = usec_time(record.get("time_usec"))
        if not url:
            return Skip(name, position, "visit without a URL")
        if moment is None:
            return Skip(name, position, "visit without a readable time_usec")
        stamp = moment.isoformat().replace("+00:00", "Z")
        metadata: dict[str, Any] = {"url": url}
        host = _host(url)
        if host:
            metadata["domain"] = host
        transition = record.get("page_transition")
        if isinstance(transition, str) and transition:
            metadata["transition"] = transition[:40]
        locator = f"visit at {stamp}"
        return Item(
            source=self.name,
            key=f"{stamp}|{url}",
            kind="visit",
            text=f"{title}\n{url}" if title else url,
            timestamp=moment,
            title=title or url[:200],
            uri=locate(origin_uri, locator),
            locator=locator,
            metadata=metadata,
        )


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


# -- Keep -----------------------------------------------------------------------------


def _is_keep_folder(name: str) -> bool:
    return PurePosixPath(name).parent.name.lower() == "keep"


class KeepSource(TakeoutSource):
    name: ClassVar[str] = "takeout_keep"
    description: ClassVar[str] = "Google Keep notes from Takeout (Keep/*.json)"
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff_stream(self, name: str, head: bytes) -> bool:
        suffix = PurePosixPath(name).suffix.lower()
        if suffix == ".html":  # the HTML copy of a note: the .json beside it is read
            return _is_keep_folder(name) and b"<" in head[:4096]
        if suffix != ".json" or not json_head(head).startswith(b"{"):
            return False
        content = b'"textContent"' in head or b'"listContent"' in head
        keep = (
            b'"userEditedTimestampUsec"' in head
            or b'"createdTimestampUsec"' in head
            or b'"isTrashed"' in head
        )
        return content and (keep or _is_keep_folder(name))

    def parse(self, path: Path) -> Iterator[Parsed]:
        if path.suffix.lower() == ".html":
            if not path.with_suffix(".json").exists():  # an old Takeout: HTML only
                from ..web.html import HtmlSource

                yield from HtmlSource().parse(path)
            return
        yield from super().parse(path)

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        if PurePosixPath(name).suffix.lower() == ".html":
            return  # Takeout writes every note as .json too; that one is read
        data = stream.read(MAX_NOTE_BYTES + 1)
        if len(data) > MAX_NOTE_BYTES:
            raise SourceError(f"{name}: Keep note larger than {MAX_NOTE_BYTES // 1024**2} MB")
        try:
            note = json.loads(data.decode("utf-8-sig", errors="replace"))
        except json.JSONDecodeError as error:
            yield Skip(
                name, f"line {error.lineno} column {error.colno}", f"invalid JSON: {error.msg}"
            )
            return
        except RecursionError:
            yield Skip(name, "note", "JSON nested too deeply")
            return
        if not isinstance(note, dict):
            yield Skip(name, "note", "not a Keep note (expected a JSON object)")
            return
        yield self._note(name, note, origin_uri)

    def _note(self, name: str, note: dict[str, Any], origin_uri: str) -> Parsed:
        title = _str(note.get("title"))
        lines: list[str] = []
        body = _str(note.get("textContent"))
        if body:
            lines.append(body)
        metadata: dict[str, Any] = {}
        entries = _dicts(note.get("listContent"))
        if entries:
            metadata["list"] = True
        for entry in entries:
            mark = "x" if entry.get("isChecked") is True else " "
            lines.append(f"[{mark}] {_str(entry.get('text'))}")
        for link in _dicts(note.get("annotations")):
            if _str(link.get("url")):
                label = _str(link.get("title")) or _str(link.get("description"))
                lines.append(f"{label} {_str(link.get('url'))}".strip())
        attachments = _names(note.get("attachments"), "filePath")
        if attachments:
            metadata["attachments"] = attachments
            lines.append(f"[attachments: {', '.join(attachments)}]")
        text = clean_text("\n".join(lines)).strip()
        if not title and not text:
            return Skip(name, "note", "empty Keep note (no title, text or list)")
        labels = _names(note.get("labels"), "name")
        if labels:
            metadata["labels"] = labels
        sharees = _names(note.get("sharees"), "email")
        for flag, field in (
            ("pinned", "isPinned"),
            ("archived", "isArchived"),
            ("trashed", "isTrashed"),
        ):
            if note.get(field) is True:
                metadata[flag] = True
        color = _str(note.get("color"))
        if color and color != "DEFAULT":
            metadata["color"] = color[:20]
        created = usec_time(note.get("createdTimestampUsec"))
        edited = usec_time(note.get("userEditedTimestampUsec"))
        if edited is not None:
            metadata["edited"] = edited.isoformat()
        base = PurePosixPath(name)
        if created is not None:
            key = f"created:{int(created.timestamp() * 1_000_000)}"
        else:
            key = f"note:{base.stem}"
        text = cap_text(text, metadata)
        return Item(
            source=self.name,
            key=key,
            kind="note",
            text=text or title,
            timestamp=created or edited,
            participants=tuple(dict.fromkeys(sharees)),
            title=(title or text.split("\n", 1)[0])[:200],
            uri=origin_uri,
            locator=base.name,
            metadata=metadata,
        )


def _str(value: Any) -> str:
    return clean_text(value).strip() if isinstance(value, str) else ""


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of a list (at most ``MAX_LIST``); anything else gives none."""
    if not isinstance(value, list):
        return []
    return [entry for entry in value[:MAX_LIST] if isinstance(entry, dict)]


def _names(value: Any, field: str) -> list[str]:
    """``entry[field]`` of every object of a list that has a non-empty one."""
    return [text for entry in _dicts(value) if (text := _str(entry.get(field)))]
