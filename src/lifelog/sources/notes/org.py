"""Org-mode files (``.org``): one item per headline, at every level.

Choice: a headline (with the text up to the next headline of any level) is the
unit because it is Org's own unit of meaning — it carries its TODO state,
priority, tags, SCHEDULED/DEADLINE/CLOSED dates and properties — and because a
citation then points at the exact entry (``line N``). Text before the first
headline, when it holds more than ``#+KEYWORD`` lines, is one more item titled
with the file's ``#+TITLE``.

Per item (kind ``note``): ``text`` is the headline line and its body verbatim
(planning lines, drawers and their contents included); ``title`` is the outline
path (``Parent / Child``) without TODO keyword, priority, statistics cookies or
tags; ``metadata`` holds ``level``, ``todo``, ``priority``, ``tags`` (own tags,
then inherited ones and ``#+FILETAGS``), ``properties`` (the ``:PROPERTIES:``
drawer), ``drawers`` (names of other drawers), ``scheduled``/``deadline``/
``closed`` (ISO dates), ``outline`` and ``commented`` (``COMMENT`` headlines).
File keywords ``#+TITLE``, ``#+AUTHOR`` (the items' author), ``#+DATE``,
``#+FILETAGS``, ``#+CATEGORY`` and the TODO keywords of ``#+TODO``/
``#+SEQ_TODO``/``#+TYP_TODO`` are understood.

``timestamp``: CLOSED, else SCHEDULED, else DEADLINE, else a ``CREATED``
property, else the first active ``<…>`` then inactive ``[…]`` timestamp in the
entry, else ``#+DATE``, else the file's mtime. Org times carry no zone; they are
stored as UTC wall time, like every zone-less time in lifelog.

Keys: ``<file name>/<ID or CUSTOM_ID property>`` when there is one, else
``<file name>/<outline path>`` (``#2``, ``#3`` … for repeated paths), so that
entries keep their key when text moves around them.

Lines inside ``#+BEGIN_…``/``#+END_…`` blocks are never headlines. The file is
streamed; an entry longer than 5 MB is cut (``metadata["truncated"]``).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import MAX_ITEM_TEXT as MAX_TEXT
from ..base import Parsed, Source, clean_text, file_uri
from .notes import parse_note_date

__all__ = ["OrgSource", "parse_org_timestamp"]

#: longest line read at once
LINE_LIMIT = 1_000_000
#: headline depth kept in the outline path
MAX_LEVEL = 64

_DEFAULT_TODO = ("TODO", "DONE")
_HEADLINE = re.compile(r"(\*+)[ \t]+(.*?)[ \t]*")
_HEADLINE_EMPTY = re.compile(r"(\*+)[ \t]*")
_PRIORITY = re.compile(r"\[#([A-Za-z0-9])\][ \t]*")
_TAGS = re.compile(r"[ \t]+(:(?:[\w@#%]+:)+)$")
_COOKIE = re.compile(r"[ \t]*\[(?:\d+%|\d+/\d+)\]")
_KEYWORD = re.compile(r"#\+([A-Za-z_]+):[ \t]*(.*)")
_BLOCK_BEGIN = re.compile(r"[ \t]*#\+begin_(\w+)", re.I)
_BLOCK_END = re.compile(r"[ \t]*#\+end_(\w+)", re.I)
_PLANNING = re.compile(r"(SCHEDULED|DEADLINE|CLOSED):[ \t]*([<\[][^>\]]*[>\]])")
_DRAWER = re.compile(r"[ \t]*:([\w-]+):[ \t]*")
_DRAWER_END = re.compile(r"[ \t]*:end:[ \t]*", re.I)
_PROPERTY = re.compile(r"[ \t]*:([^\s:]+):(?:[ \t]+(.*?))?[ \t]*")
_TIMESTAMP = re.compile(
    r"([<\[])(\d{4})-(\d{2})-(\d{2})(?:[ \t]+[^\s\d>\]]+)?"
    r"(?:[ \t]+(\d{1,2}):(\d{2})(?:--?\d{1,2}:\d{2})?)?"
    r"(?:[ \t]+[.+]?\+\d+[hdwmy])?(?:[ \t]+--?\d+[hdwmy])?[ \t]*[>\]]"
)


def parse_org_timestamp(text: str) -> tuple[datetime, bool] | None:
    """The first Org timestamp in ``text``: ``(UTC wall time, active)``, or None."""
    for match in _TIMESTAMP.finditer(text):
        year, month, day = int(match[2]), int(match[3]), int(match[4])
        hour = int(match[5]) if match[5] else 0
        minute = int(match[6]) if match[6] else 0
        try:
            return datetime(year, month, day, hour, minute, tzinfo=UTC), match[1] == "<"
        except ValueError:
            continue
    return None


@dataclass
class _Entry:
    line: int
    level: int
    title: str
    todo: str | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    commented: bool = False
    lines: list[str] = field(default_factory=list)
    size: int = 0
    truncated: bool = False
    planning: dict[str, datetime] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    drawers: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        if self.size + len(line) + 1 > MAX_TEXT:
            self.truncated = True
            return
        self.lines.append(line)
        self.size += len(line) + 1


@dataclass
class _File:
    title: str | None = None
    author: str | None = None
    date: datetime | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    todo: set[str] = field(default_factory=lambda: set(_DEFAULT_TODO))


def _read_lines(handle: IO[bytes]) -> Iterator[tuple[int, str, bool]]:
    """``(line number, text, had encoding errors)``; BOM dropped, long lines cut."""
    number = 0
    while raw := handle.readline(LINE_LIMIT):
        number += 1
        if len(raw) >= LINE_LIMIT and not raw.endswith(b"\n"):
            while (more := handle.readline(LINE_LIMIT)) and not more.endswith(b"\n"):
                pass  # the rest of an over-long line is dropped
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[3:]
        try:
            text, errors = raw.decode("utf-8"), False
        except UnicodeDecodeError:
            text, errors = raw.decode("utf-8", errors="replace"), True
        yield number, text.rstrip("\r\n"), errors


def _headline(match: re.Match[str], number: int, todo: set[str]) -> _Entry:
    stars, rest = match[1], match[2] if match.lastindex and match.lastindex >= 2 else ""
    entry = _Entry(line=number, level=len(stars), title="")
    rest = rest or ""
    tags = _TAGS.search(" " + rest)
    if tags:
        entry.tags = [t for t in tags[1].split(":") if t]
        rest = (" " + rest)[: tags.start()].strip()
    words = rest.split(None, 1)
    if words and words[0] in todo:
        entry.todo = words[0]
        rest = words[1] if len(words) > 1 else ""
    priority = _PRIORITY.match(rest)
    if priority:
        entry.priority = priority[1]
        rest = rest[priority.end() :]
    if rest == "COMMENT" or rest.startswith("COMMENT "):
        entry.commented = True
        rest = rest[len("COMMENT") :].strip()
    entry.title = _COOKIE.sub("", rest).strip()[:500]
    return entry


def _todo_keywords(value: str) -> set[str]:
    words = {re.sub(r"\(.*\)$", "", w) for w in value.split() if w != "|"}
    return {w for w in words if w}


class OrgSource(Source):
    name = "org"
    description = "Org-mode files: one item per headline, with dates, tags and properties"
    extensions = (".org",)

    def parse(self, path: Path) -> Iterator[Parsed]:
        try:
            handle = path.open("rb")
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError as error:
            raise SourceError(f"{path}: cannot read: {error}") from error
        with handle:
            yield from self._parse(path, handle, mtime)

    def _parse(self, path: Path, handle: IO[bytes], mtime: datetime) -> Iterator[Parsed]:
        info = _File()
        preamble = _Entry(line=1, level=0, title="")
        current = preamble
        outline: list[_Entry] = []
        seen: dict[str, int] = {}
        block: str | None = None
        drawer: str | None = None
        errors = False
        body_lines = 0  # lines since the headline (planning and properties come first)
        for number, line, bad in _read_lines(handle):
            errors = errors or bad
            if block is not None:
                end = _BLOCK_END.match(line)
                if end and end[1].lower() == block:
                    block = None
                current.add(line)
                continue
            match = _HEADLINE.fullmatch(line) or _HEADLINE_EMPTY.fullmatch(line)
            if match and line.startswith("*"):
                yield from self._emit(path, current, outline, info, seen, mtime, errors)
                current = _headline(match, number, info.todo)
                del outline[min(current.level, MAX_LEVEL) - 1 :]
                outline.append(current)
                current.add(line)
                drawer, body_lines, errors = None, 0, bad
                continue
            current.add(line)
            body_lines += 1
            if current is preamble:
                keyword = _KEYWORD.match(line)
                if keyword:
                    self._keyword(info, keyword[1].upper(), keyword[2].strip())
            begin = _BLOCK_BEGIN.match(line)
            if begin and drawer is None:
                block = begin[1].lower()
                continue
            if drawer is not None:
                if _DRAWER_END.fullmatch(line):
                    drawer = None
                elif drawer == "PROPERTIES":
                    prop = _PROPERTY.fullmatch(line)
                    if prop and len(current.properties) < 200:
                        current.properties[prop[1]] = (prop[2] or "")[:2000]
                continue
            if body_lines == 1 and current is not preamble and _PLANNING.search(line):
                for kind, stamp in _PLANNING.findall(line):
                    parsed = parse_org_timestamp(stamp)
                    if parsed and kind.lower() not in current.planning:
                        current.planning[kind.lower()] = parsed[0]
                continue
            opened = _DRAWER.fullmatch(line)
            if opened and opened[1].lower() != "end":
                drawer = opened[1].upper()
                if drawer != "PROPERTIES" and len(current.drawers) < 50:
                    current.drawers.append(opened[1])
        if block is not None:
            yield Skip(str(path), f"line {current.line}", f"#+begin_{block} block never ends")
        yield from self._emit(path, current, outline, info, seen, mtime, errors)

    @staticmethod
    def _keyword(info: _File, name: str, value: str) -> None:
        if not value:
            return
        if name == "TITLE":
            info.title = (info.title + " " + value) if info.title else value[:500]
        elif name == "AUTHOR":
            info.author = info.author or value[:500]
        elif name == "DATE":
            found = parse_org_timestamp(value)
            info.date = info.date or (found[0] if found else parse_note_date(value))
        elif name == "CATEGORY":
            info.category = value[:200]
        elif name == "FILETAGS":
            info.tags = [t for t in re.split(r"[:\s]+", value) if t][:100]
        elif name in ("TODO", "SEQ_TODO", "TYP_TODO"):
            info.todo |= _todo_keywords(value)

    def _emit(
        self,
        path: Path,
        entry: _Entry,
        outline: list[_Entry],
        info: _File,
        seen: dict[str, int],
        mtime: datetime,
        errors: bool,
    ) -> Iterator[Parsed]:
        text = clean_text("\n".join(entry.lines)).strip("\n")
        if entry.level == 0:  # the preamble: only when it holds more than keywords
            prose = [ln for ln in entry.lines if ln.strip() and not ln.lstrip().startswith("#")]
            if not prose:
                return
        titles = [e.title for e in outline] if entry.level else []
        outline_path = " / ".join(t for t in titles if t) or info.title or path.stem
        upper = {k.upper(): v for k, v in entry.properties.items()}
        ident = upper.get("ID") or upper.get("CUSTOM_ID")
        if ident:
            key = f"{path.name}/{ident}"
        else:
            base = f"{path.name}/{outline_path if entry.level else '#preamble'}"
            seen[base] = seen.get(base, 0) + 1
            key = base if seen[base] == 1 else f"{base} #{seen[base]}"
        tags: list[str] = []
        for source in [entry, *reversed(outline[:-1])] if entry.level else [entry]:
            tags.extend(t for t in source.tags if t not in tags)
        tags.extend(t for t in info.tags if t not in tags)
        moment = self._moment(entry, info) or mtime
        metadata: dict[str, Any] = {"format": "org", "file": path.name, "level": entry.level}
        if entry.level:
            metadata["outline"] = titles
        for name, value in (
            ("todo", entry.todo),
            ("priority", entry.priority),
            ("tags", tags),
            ("properties", entry.properties),
            ("drawers", entry.drawers),
            ("category", info.category),
            ("file_title", info.title),
        ):
            if value:
                metadata[name] = value
        for kind, when in entry.planning.items():
            metadata[kind] = when.isoformat()
        if entry.commented:
            metadata["commented"] = True
        if errors:
            metadata["encoding_errors"] = True
        if entry.truncated:
            metadata["truncated"] = True
        yield Item(
            source=self.name,
            key=key,
            kind="note",
            text=text,
            timestamp=moment,
            author=info.author,
            title=outline_path[:1000],
            thread=f"org:{path.name}",
            uri=file_uri(path, f"line {entry.line}"),
            locator=f"line {entry.line}",
            metadata=metadata,
        )

    @staticmethod
    def _moment(entry: _Entry, info: _File) -> datetime | None:
        for kind in ("closed", "scheduled", "deadline"):
            if kind in entry.planning:
                return entry.planning[kind]
        created = next((v for k, v in entry.properties.items() if k.upper() == "CREATED"), None)
        if created:
            found = parse_org_timestamp(created)
            if found:
                return found[0]
        active = inactive = None
        for line in entry.lines[:2000]:
            if "<" not in line and "[" not in line:
                continue
            found = parse_org_timestamp(line)
            if found and found[1]:
                active = found[0]
                break
            if found and inactive is None:
                inactive = found[0]
        return active or inactive or info.date
