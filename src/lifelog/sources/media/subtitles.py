"""Subtitles and captions (``.srt``, ``.vtt``) as transcripts: what a podcast or a video said.

SubRip (``.srt``: a number, ``00:01:02,500 --> 00:01:05,000``, the text, a blank line)
and WebVTT (``.vtt``: a ``WEBVTT`` header, then cues whose timing may leave out the
hours, with settings after it; ``NOTE``, ``STYLE`` and ``REGION`` blocks are not
said aloud and are left out). Cues are grouped into passages of about a minute
(``MAX_PASSAGE_SECONDS``, ``MAX_PASSAGE_CHARS``; a silence longer than
``MAX_GAP_SECONDS`` starts a new one), each one ``Item`` of kind ``transcript``
whose locator is its time span (``00:01:02.500-00:02:01.000``) and whose key is the
file name and that span, so importing the file again updates it in place.

The text is what is shown: formatting tags (``<i>``, ``<c.yellow>``, ``{\\an8}``)
are removed, a WebVTT voice (``<v Alice>``) becomes the speaker (``Alice: ...``,
listed in the item's participants), and a line repeated from the cue before (the
roll-up captions of YouTube's automatic subtitles repeat each line once) is kept
once. Subtitles carry no date: the timestamp is the file's modification time.

Hostile files: the file is read as text line by line, a line longer than
``MAX_LINE`` characters is cut, and at most ``MAX_BYTES`` are read (the rest is
reported); a cue whose timing cannot be read is one ``Skip`` naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, left_out_skip
from ..jsonstream import open_text, record_uri

__all__ = ["SubtitlesSource", "parse_timing"]

#: characters read from one file at most (a season of subtitles is a few MB)
MAX_BYTES = 64 * 1024 * 1024
#: characters of one line kept at most
MAX_LINE = 10_000
#: a passage ends once it spans this many seconds ...
MAX_PASSAGE_SECONDS = 60.0
#: ... or holds this many characters ...
MAX_PASSAGE_CHARS = 2_000
#: ... or before a silence longer than this
MAX_GAP_SECONDS = 8.0

_TIME = r"(?:(\d{1,3}):)?([0-5]?\d):([0-5]\d)(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_LOOKS_TIMED = re.compile(r"-->")
_TAG = re.compile(r"</?(?:[a-zA-Z0-9][^<>]{0,200})?>|\{\\[^{}]{0,200}\}")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^<>]{1,100})>")
_SRT_HEAD = re.compile(rb"^\s*\d+\s*\r?\n\s*\d{1,3}:\d\d:\d\d[,.]\d{1,3}\s*-->", re.M)
_BOM = "\ufeff"


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str | None) -> float:
    fraction = int((millis or "0").ljust(3, "0")) / 1000
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + fraction


def parse_timing(line: str) -> tuple[float, float] | None:
    """``(start, end)`` seconds of a cue timing line (``00:01:02,500 --> 00:01:05.000``)."""
    found = _TIMING.match(line)
    if found is None:
        return None
    groups = found.groups()
    return _seconds(*groups[:4]), _seconds(*groups[4:])


def _clock(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


@dataclass
class _Cue:
    start: float
    end: float
    line: int
    text: list[str] = field(default_factory=list)


@dataclass
class _Passage:
    cues: list[_Cue] = field(default_factory=list)
    chars: int = 0


def _cue_text(lines: list[str], speakers: set[str]) -> str:
    shown: list[str] = []
    for raw in lines:
        voice = _VOICE.search(raw)
        text = " ".join(_TAG.sub("", raw).split())
        if not text:
            continue
        if voice:
            speaker = " ".join(voice.group(1).split())[:100]
            speakers.add(speaker)
            text = f"{speaker}: {text}"
        shown.append(text)
    return "\n".join(shown)


class SubtitlesSource(Source):
    name = "subtitles"
    description = "Subtitles and captions (.srt, .vtt) as transcripts, about a minute per item"
    extensions = (".srt", ".vtt")

    def sniff(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        text = head.lstrip(b"\xef\xbb\xbf")
        if suffix == ".vtt":
            return text.startswith(b"WEBVTT")
        if suffix == ".srt":
            return bool(_SRT_HEAD.search(text[:4096])) or b"-->" in text[:4096]
        return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        try:
            mtime: datetime | None = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            mtime = None
        speakers: set[str] = set()
        passage = _Passage()
        previous = ""  # the last line kept
        left_out = [0, 0]  # NOTE/STYLE/REGION blocks, repeated roll-up lines
        for record in self._cues(path, left_out):
            if isinstance(record, Skip):
                yield record
                continue
            text = _cue_text(record.text, speakers)
            lines = text.split("\n") if text else []
            while lines and lines[0] == previous:  # roll-up captions repeat the line before
                lines.pop(0)
                left_out[1] += 1
            record.text = lines
            if not lines:
                continue
            if passage.cues and (
                record.start - passage.cues[-1].end > MAX_GAP_SECONDS
                or record.end - passage.cues[0].start > MAX_PASSAGE_SECONDS
                or passage.chars > MAX_PASSAGE_CHARS
            ):
                yield self._item(path, passage, speakers, mtime)
                passage, speakers = _Passage(), set()
                for line in lines:  # keep this cue's speaker for the new passage
                    if ": " in line:
                        speakers.add(line.split(": ", 1)[0])
            passage.cues.append(record)
            passage.chars += sum(len(line) + 1 for line in lines)
            previous = lines[-1]
        if passage.cues:
            yield self._item(path, passage, speakers, mtime)
        if any(left_out):
            yield left_out_skip(
                file,
                "subtitles",
                [(left_out[0], "notes and styles"), (left_out[1], "repeated caption lines")],
            )

    def _cues(self, path: Path, left_out: list[int]) -> Iterator[_Cue | Skip]:
        """Every cue of the file in order (a ``Skip`` for one whose timing is unreadable)."""
        file = str(path)
        read = 0
        block: list[tuple[int, str]] = []
        with open_text(path) as handle:
            number = 0
            while True:
                try:
                    raw = handle.readline(MAX_LINE + 1)
                except (OSError, UnicodeError, ValueError) as error:
                    yield Skip(file, f"line {number + 1}", f"read error: {error}")
                    return
                if raw and not raw.endswith(("\n", "\r")) and len(raw) > MAX_LINE:
                    while True:  # the rest of an overlong line is dropped
                        more = handle.readline(MAX_LINE)
                        read += len(more)
                        if not more or more.endswith(("\n", "\r")):
                            break
                number += 1
                read += len(raw)
                line = raw.rstrip("\r\n").lstrip(_BOM) if number == 1 else raw.rstrip("\r\n")
                if raw and line.strip():
                    block.append((number, clean_text(line[:MAX_LINE])))
                    if len(block) <= 1000 and read <= MAX_BYTES:
                        continue
                if block:
                    yield from self._block(file, block, left_out)
                    block = []
                if read > MAX_BYTES:
                    yield Skip(
                        file,
                        f"line {number}",
                        f"file longer than {MAX_BYTES:,} characters; the rest is not read",
                    )
                    return
                if not raw:
                    return

    @staticmethod
    def _block(
        file: str, block: list[tuple[int, str]], left_out: list[int]
    ) -> Iterator[_Cue | Skip]:
        """The cues of one block of lines (a timing line with no blank line before it, as
        youtube-dl writes them, starts the next cue)."""
        first = block[0][1].strip()
        if first.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            left_out[0] += not first.startswith("WEBVTT")
            return
        cue: _Cue | None = None
        for index, (number, line) in enumerate(block):
            timing = parse_timing(line)
            if timing is not None:
                if cue is not None:
                    yield cue
                cue = _Cue(timing[0], max(timing), number)
            elif _LOOKS_TIMED.search(line):
                if cue is not None:
                    yield cue
                cue = None
                yield Skip(file, f"line {number}", f"cue timing not understood: {line[:80]!r}")
            elif cue is not None:
                cue.text.append(line)
            elif index == 0 and len(block) > 1 and _LOOKS_TIMED.search(block[1][1]):
                continue  # the cue's identifier
            elif index == 0:
                yield Skip(file, f"line {number}", "text without a cue timing")
        if cue is not None:
            yield cue

    def _item(
        self, path: Path, passage: _Passage, speakers: set[str], mtime: datetime | None
    ) -> Item:
        first, last = passage.cues[0], passage.cues[-1]
        span = f"{_clock(first.start)}-{_clock(last.end)}"
        text = "\n".join(line for cue in passage.cues for line in cue.text)
        metadata: dict[str, Any] = {
            "format": path.suffix.lower().lstrip("."),
            "file": path.name,
            "start_seconds": first.start,
            "end_seconds": last.end,
            "cues": len(passage.cues),
            "line": first.line,
        }
        return Item(
            source=self.name,
            key=f"{path.name}#{span}",
            kind="transcript",
            text=text,
            timestamp=mtime,
            author=next(iter(speakers)) if len(speakers) == 1 else None,
            participants=tuple(sorted(speakers)[:50]),
            title=f"{path.stem} ({_clock(first.start)[:8]})",
            thread=f"subtitles:{path.name}",
            uri=record_uri(path, span),
            locator=span,
            metadata=metadata,
        )
