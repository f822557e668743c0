"""LoCoMo conversations (Maharana et al., ACL 2024) read as a person's chat history.

A LoCoMo file is a JSON list of samples; each has a ``sample_id`` and a
``conversation`` with ``speaker_a``, ``speaker_b``, ``session_N`` (a list of
turns ``{speaker, dia_id, text[, img_url, blip_caption]}``) and
``session_N_date_time`` (``"1:56 pm on 8 May, 2023"``).

Only ``sample_id`` and ``conversation`` are read. The benchmark's answers and
summaries (``qa``, ``event_summary``, ``observation``, ``session_summary``)
are never looked at: a system under test gets the chat, nothing more.

Each turn is one ``Item`` (kind ``message``) dated by its session, plus one
second per turn so that turns keep their order; a shared photo is kept as
``[shared a photo: <caption>]`` after the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dateutil import parser as dateparser

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, file_uri

__all__ = ["LocomoSource", "parse_session_date"]

#: LoCoMo files are a few MB; anything far larger is not one
MAX_FILE_BYTES = 512 * 1024 * 1024

_DEFAULT = datetime(2000, 1, 1)  # deterministic fill-in for dateutil
_SESSION = re.compile(r"session_(\d+)")
_DATE = re.compile(
    r"\s*(\d{1,2}):(\d{2})\s*([ap])\.?m\.?\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})\s*", re.I
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}


def parse_session_date(text: str) -> datetime | None:
    """``"1:56 pm on 8 May, 2023"`` -> aware UTC datetime; None when unreadable."""
    match = _DATE.fullmatch(text)
    try:
        if match:
            hour, minute, half, day, month_name, year = match.groups()
            month = _MONTHS.get(month_name.lower())
            if month is None:
                return None
            clock = int(hour) % 12 + (12 if half.lower() == "p" else 0)
            return datetime(int(year), month, int(day), clock, int(minute), tzinfo=UTC)
        moment = dateparser.parse(text.replace(" on ", " "), fuzzy=True, default=_DEFAULT)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


class LocomoSource(Source):
    name = "locomo"
    description = "LoCoMo benchmark conversations (JSON), read as chat history"
    extensions = (".json",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".json":
            return False
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not start.startswith(b"["):
            return False
        return (b'"sample_id"' in head and b'"conversation"' in head) or (
            b'"qa"' in head and b'"evidence"' in head and b'"category"' in head
        )

    def parse(self, path: Path) -> Iterator[Parsed]:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise SourceError(f"{path}: file too large for a LoCoMo file ({size} bytes)")
            raw = path.read_bytes()
        except OSError as error:
            raise SourceError(f"{path}: cannot read: {error}") from error
        try:
            samples = json.loads(raw.decode("utf-8-sig", errors="replace"))
        except json.JSONDecodeError as error:
            raise SourceError(
                f"{path}: invalid JSON at line {error.lineno} column {error.colno}"
                f" (char {error.pos}): {error.msg}"
            ) from None
        del raw
        if isinstance(samples, dict):
            samples = [samples]
        if not isinstance(samples, list):
            raise SourceError(f"{path}: expected a list of LoCoMo samples")
        for number, sample in enumerate(samples, start=1):
            if not isinstance(sample, dict) or not isinstance(sample.get("conversation"), dict):
                yield Skip(str(path), f"sample {number}", "no 'conversation' object")
                continue
            sample_id = sample.get("sample_id")
            if not isinstance(sample_id, str | int) or isinstance(sample_id, bool):
                sample_id = f"sample-{number}"
            yield from self._conversation(path, str(sample_id), sample["conversation"])

    def _conversation(
        self, path: Path, sample_id: str, conversation: Mapping[str, Any]
    ) -> Iterator[Parsed]:
        speakers = tuple(
            str(conversation[k])
            for k in ("speaker_a", "speaker_b")
            if isinstance(conversation.get(k), str) and conversation[k]
        )
        sessions = sorted(
            int(match[1])
            for key in conversation
            if (match := _SESSION.fullmatch(key)) and isinstance(conversation[key], list)
        )
        for session in sessions:
            where = f"sample {sample_id} / session {session}"
            date_text = conversation.get(f"session_{session}_date_time")
            start = parse_session_date(date_text) if isinstance(date_text, str) else None
            if start is None:
                yield Skip(
                    str(path), where, f"unreadable session date {date_text!r}; turns undated"
                )
            for index, turn in enumerate(conversation[f"session_{session}"]):
                item = self._turn(path, sample_id, session, index, turn, start, speakers)
                if item is None:
                    yield Skip(str(path), f"{where} / turn {index + 1}", "turn without text")
                else:
                    yield item

    def _turn(
        self,
        path: Path,
        sample_id: str,
        session: int,
        index: int,
        turn: Any,
        start: datetime | None,
        speakers: tuple[str, ...],
    ) -> Item | None:
        if not isinstance(turn, dict) or not isinstance(turn.get("text"), str):
            return None
        text = turn["text"]
        caption = turn.get("blip_caption")
        if isinstance(caption, str) and caption.strip():
            text += f"\n[shared a photo: {caption.strip()}]"
        elif turn.get("img_url"):
            text += "\n[shared a photo]"
        dia_id = turn.get("dia_id")
        dia_id = dia_id if isinstance(dia_id, str) and dia_id else f"S{session}:{index + 1}"
        speaker = turn.get("speaker")
        locator = f"{sample_id} {dia_id}"
        return Item(
            source=self.name,
            key=f"{sample_id}/{dia_id}",
            kind="message",
            text=clean_text(text),
            timestamp=start + timedelta(seconds=index) if start else None,
            author=speaker if isinstance(speaker, str) and speaker else None,
            participants=speakers,
            thread=f"locomo:{sample_id}:session_{session}",
            uri=file_uri(path, locator),
            locator=locator,
            metadata={"dia_id": dia_id, "session": session, "sample_id": sample_id},
        )
