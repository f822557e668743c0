"""Signal chats exported by signal-export (``data.json``, ``chat.md``).

Signal has no export of its own. **signal-export** (``sigexport DEST``,
github.com/carderne/signal-export) writes a folder per chat, ``DEST/<chat name>/``,
holding ``data.json`` (JSON Lines: one message a line, ``{"date": "2024-05-01T18:02:11",
"sender": "Ana", "body": "...", "quote": "...", "sticker": ..., "reactions": [["Ben",
"👍"]], "attachments": [{"name", "path"}], "deleted": false}``) and ``chat.md``
(``[2024-05-01 18:02:11] Ana: ...``, older versions ``[2024-05-01, 18:02]``,
continuation lines after). Both are read (source ``signal``); a message keeps the same id
from either file, so importing both adds it once: the key is the chat (its folder's
name), the time to the minute, the sender and the message's rank among those. Times
are the computer's wall-clock time, with no zone: taken as UTC, as WhatsApp's are.
Signal Desktop's own database is read by :mod:`.signal_desktop`.

Hostile files: a line longer than ``MAX_LINE`` is one ``Skip`` naming it; a line that is
not JSON, or a message without a date, is one ``Skip``; texts are cut at ``MAX_TEXT``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...records import Item, Skip
from ..base import Parsed, Source, clean_text
from ..jsonstream import cap_text, iso_time, json_lines, open_text, record_uri

__all__ = ["SignalSource"]

#: characters of one line read at most (one message of data.json)
MAX_LINE = 16 * 1024 * 1024
_MD_LINE = re.compile(
    r"^\[(\d{4}-\d{2}-\d{2})(?:,)? (\d{1,2}:\d{2})(:\d{2})?\] ([^:\n]{1,200}?): ?(.*)$"
)
_JSON_HEAD = re.compile(rb'^\{"date": ?"\d{4}-\d{2}-\d{2}T[^"]*", ?"sender": ?"')


def _chat_name(path: Path) -> str:
    return path.parent.name or path.stem


class SignalSource(Source):
    name = "signal"
    description = "Signal chats exported by signal-export (data.json, chat.md)"
    extensions = (".json", ".md")

    def sniff(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        text = head.lstrip(b"\xef\xbb\xbf")
        if suffix == ".json":
            return bool(_JSON_HEAD.match(text))
        if suffix == ".md":
            lines = text.decode("utf-8", "replace").splitlines()
            first = next((line for line in lines if line.strip()), "")
            return path.name.lower() == "chat.md" and bool(_MD_LINE.match(first))
        return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        if path.suffix.lower() == ".md":
            yield from self._markdown(path)
        else:
            yield from self._json_lines(path)

    # -- data.json --------------------------------------------------------------------

    def _json_lines(self, path: Path) -> Iterator[Parsed]:
        chat = _chat_name(path)
        ranks: Counter[str] = Counter()
        for found in json_lines(path, MAX_LINE, "message"):
            if isinstance(found, Skip):
                yield found
            else:
                number, record = found
                yield self._json_message(path, chat, record, number, ranks)

    def _json_message(
        self, path: Path, chat: str, record: dict[str, Any], number: int, ranks: Counter[str]
    ) -> Parsed:
        where = f"line {number}"
        moment = iso_time(record.get("date"))
        if moment is None:
            return Skip(str(path), where, "message without a readable date")
        sender = str(record.get("sender") or "").strip()[:200] or "unknown"
        metadata: dict[str, Any] = {"chat": chat}
        body = record.get("body") if isinstance(record.get("body"), str) else ""
        parts: list[str] = []
        quote = record.get("quote")
        if isinstance(quote, str) and quote.strip():
            metadata["quote"] = quote.strip().removeprefix(">").strip()[:2000]
        if record.get("deleted") is True:
            metadata["deleted"] = True
            parts.append("(This message was deleted)")
        if isinstance(body, str) and body.strip():
            parts.append(body.rstrip())
        sticker = record.get("sticker")
        if isinstance(sticker, dict) and isinstance(sticker.get("emoji"), str):
            parts.append(f"[sticker {sticker['emoji']}]")
        attachments = [
            str(a.get("name"))[:200]
            for a in record.get("attachments") or []
            if isinstance(a, dict) and a.get("name")
        ][:50]
        if attachments:
            metadata["attachments"] = attachments
            if not parts:
                parts.extend(f"[attachment: {name}]" for name in attachments)
        reactions = [
            f"{r[0]}: {r[1]}"
            for r in record.get("reactions") or []
            if isinstance(r, list | tuple) and len(r) == 2
        ][:50]
        if reactions:
            metadata["reactions"] = reactions
        if not parts:
            return Skip(str(path), where, "message without text or attachments")
        text = cap_text(clean_text("\n".join(parts)), metadata)
        return self._item(path, chat, moment, sender, text, where, metadata, ranks)

    # -- chat.md ----------------------------------------------------------------------

    def _markdown(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        chat = _chat_name(path)
        ranks: Counter[str] = Counter()
        current: tuple[int, datetime, str, list[str]] | None = None
        number = 0
        with open_text(path) as handle:
            while True:
                raw = handle.readline(MAX_LINE + 1)
                if len(raw) > MAX_LINE and not raw.endswith("\n"):
                    while (more := handle.readline(MAX_LINE)) and not more.endswith("\n"):
                        pass
                    number += 1
                    yield Skip(file, f"line {number}", f"line longer than {MAX_LINE:,} chars")
                    continue
                number += 1 if raw else 0
                line = raw.rstrip("\r\n")
                match = _MD_LINE.match(line) if raw else None
                if raw and match is None:
                    if current is not None and sum(len(x) for x in current[3]) < MAX_LINE:
                        current[3].append(line)
                    elif current is None and line.strip():
                        yield Skip(file, f"line {number}", "text before the first message")
                    continue
                if current is not None:
                    yield self._md_message(path, chat, current, ranks)
                if not raw:
                    break
                assert match is not None
                day, clock, seconds, sender, first = match.groups()
                try:
                    moment = datetime.fromisoformat(f"{day}T{clock.zfill(5)}{seconds or ''}")
                except ValueError:
                    current = None
                    yield Skip(file, f"line {number}", f"impossible date {day} {clock}")
                    continue
                current = (number, moment.replace(tzinfo=UTC), sender.strip(), [first])

    def _md_message(
        self,
        path: Path,
        chat: str,
        current: tuple[int, datetime, str, list[str]],
        ranks: Counter[str],
    ) -> Parsed:
        number, moment, sender, lines = current
        where = f"line {number}"
        text = clean_text("\n".join(lines).strip())
        if not text:
            return Skip(str(path), where, "message without text")
        metadata: dict[str, Any] = {"chat": chat}
        text = cap_text(text, metadata)
        return self._item(path, chat, moment, sender, text, where, metadata, ranks)

    def _item(
        self,
        path: Path,
        chat: str,
        moment: datetime,
        sender: str,
        text: str,
        where: str,
        metadata: dict[str, Any],
        ranks: Counter[str],
    ) -> Item:
        minute = moment.replace(second=0, microsecond=0).isoformat()
        slot = f"{minute}/{sender}"
        rank = ranks[slot]
        ranks[slot] += 1
        return Item(
            source=self.name,
            key=f"{chat}/{slot}/{rank}",
            kind="message",
            text=text,
            timestamp=moment,
            author=sender,
            participants=(sender,) if sender == "Me" else (sender, "Me"),
            title=chat,
            thread=f"signal:{chat}",
            uri=record_uri(path, where),
            locator=where,
            metadata=metadata,
        )
