"""Signal: the exports of signal-export, and Signal Desktop's own database once decrypted.

Signal has no export of its own. Two ways out are read:

* **signal-export** (``sigexport DEST``, github.com/carderne/signal-export) writes a
  folder per chat, ``DEST/<chat name>/``, holding ``data.json`` (JSON Lines: one
  message a line, ``{"date": "2024-05-01T18:02:11", "sender": "Ana", "body": "...",
  "quote": "...", "sticker": ..., "reactions": [["Ben", "👍"]], "attachments":
  [{"name", "path"}], "deleted": false}``) and ``chat.md`` (``[2024-05-01 18:02:11]
  Ana: ...``, older versions ``[2024-05-01, 18:02]``, continuation lines after).
  Both are read (source ``signal``); a message keeps the same id from either file,
  so importing both adds it once: the key is the chat (its folder's name), the time
  to the minute, the sender and the message's rank among those. Times are the
  computer's wall-clock time, with no zone: taken as UTC, as WhatsApp's are.
* **Signal Desktop's database** (``sql/db.sqlite`` in Signal's folder), decrypted
  (``sigexport --manual`` leaves ``db-decrypted.sqlite``; ``sqlcipher`` with the key
  exports a plain copy): any SQLite file with Signal's tables (``messages``,
  ``conversations`` with ``identityKeys`` or ``sessions``), whatever it is called, read
  from a private copy (:mod:`..sqlitecopy`). Source ``signal_desktop``: each message
  of type ``incoming`` or ``outgoing`` (and each call, as a line) is one item keyed by
  Signal's own message id, threaded per conversation, the author from the
  conversation table (``Me`` for outgoing). Key changes, profile changes, group
  updates and other bookkeeping rows are counted as left out. The encrypted
  database itself is not read: it needs Signal's key from the system keychain.

Hostile files: a line longer than ``MAX_LINE`` is one ``Skip`` naming it; a line that is
not JSON, or a message without a date, is one ``Skip``; texts are cut at ``MAX_TEXT``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, left_out_skip
from ..jsonstream import cap_text, epoch_time, iso_time, open_text, record_uri
from ..sqlitecopy import (
    SQLITE_MAGIC,
    int_value,
    read_copy,
    sqlite_names,
    sqlite_tables,
    table_columns,
    text_value,
)

__all__ = ["SignalDesktopSource", "SignalSource"]

#: characters of one line read at most (one message of data.json)
MAX_LINE = 16 * 1024 * 1024
#: messages read from one database at most
MAX_ROWS = 10_000_000
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
        file = str(path)
        chat = _chat_name(path)
        ranks: Counter[str] = Counter()
        number = 0
        with open_text(path) as handle:
            while True:
                try:
                    raw = handle.readline(MAX_LINE + 1)
                except (OSError, ValueError) as error:
                    yield Skip(file, f"line {number + 1}", f"read error: {error}")
                    break
                if not raw:
                    break
                number += 1
                if len(raw) > MAX_LINE and not raw.endswith("\n"):
                    while (more := handle.readline(MAX_LINE)) and not more.endswith("\n"):
                        pass
                    yield Skip(file, f"line {number}", f"message longer than {MAX_LINE:,} chars")
                    continue
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                except (ValueError, RecursionError) as error:
                    yield Skip(file, f"line {number}", f"not a JSON message: {error}"[:300])
                    continue
                if not isinstance(record, dict):
                    yield Skip(file, f"line {number}", "not a JSON object")
                    continue
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


# -- Signal Desktop's database ---------------------------------------------------------

_KEPT_TYPES = {"incoming", "outgoing", "call-history"}
_CONVERSATION_FIELDS = ("id", "type", "name", "profileName", "e164", "serviceId", "uuid")
_MESSAGE_FIELDS = (
    "id",
    "conversationId",
    "type",
    "body",
    "sent_at",
    "received_at",
    "source",
    "sourceServiceId",
    "sourceUuid",
    "json",
)


class SignalDesktopSource(Source):
    name = "signal_desktop"
    description = "Signal Desktop's database (db.sqlite), decrypted, read from a copy"
    extensions = (".sqlite",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(SQLITE_MAGIC):
            return False
        tables = sqlite_tables(path, head)
        if tables is None:
            return False
        return {"messages", "conversations"} <= tables and bool(
            {"identityKeys", "sessions", "sticker_packs"} & tables
        )

    def parse(self, path: Path) -> Iterator[Parsed]:
        with read_copy(path) as connection:
            try:
                tables = sqlite_names(connection)
            except sqlite3.Error as error:
                raise SourceError(f"{path}: not a readable SQLite database: {error}") from error
            if not {"messages", "conversations"} <= tables:
                raise SourceError(f"{path}: not a Signal Desktop database (no messages table)")
            people = self._conversations(connection)
            yield from self._messages(path, connection, people)

    @staticmethod
    def _conversations(connection: sqlite3.Connection) -> dict[str, dict[str, str]]:
        present = table_columns(connection, "conversations")
        picked = ", ".join(c if c in present else "NULL" for c in _CONVERSATION_FIELDS)
        found: dict[str, dict[str, str]] = {}
        try:
            for row in connection.execute(f"SELECT {picked} FROM conversations LIMIT 1000000"):
                values = {
                    k: clean_text(text_value(v))
                    for k, v in zip(_CONVERSATION_FIELDS, row, strict=True)
                }
                found[values["id"]] = values
        except sqlite3.Error:
            pass  # names are a nicety: messages are read without them
        return found

    def _messages(
        self, path: Path, connection: sqlite3.Connection, people: dict[str, dict[str, str]]
    ) -> Iterator[Parsed]:
        file = str(path)
        by_handle: dict[str, str] = {}
        for person in people.values():
            name = person["name"] or person["profileName"] or person["e164"]
            for handle in (person["serviceId"], person["uuid"], person["e164"]):
                if handle and name:
                    by_handle[handle] = name
        present = table_columns(connection, "messages")
        picked = ", ".join(c if c in present else "NULL" for c in _MESSAGE_FIELDS)
        left: Counter[str] = Counter()
        last = None
        try:
            rows = connection.execute(
                f"SELECT {picked} FROM messages ORDER BY sent_at, rowid LIMIT {MAX_ROWS}"
            )
            for row in rows:
                last = row[0]
                kind = text_value(row[2])
                if kind not in _KEPT_TYPES:
                    left[kind or "untyped"] += 1
                    continue
                yield self._message(path, row, people, by_handle)
        except sqlite3.Error as error:
            where = f"after message {last}" if last is not None else "messages"
            yield Skip(file, where, f"database damaged or unreadable, the rest is lost: {error}")
        if left:
            counts = [(n, f"{kind} rows") for kind, n in sorted(left.items())]
            yield left_out_skip(file, "bookkeeping", counts)

    def _message(
        self,
        path: Path,
        row: tuple[Any, ...],
        people: dict[str, dict[str, str]],
        by_handle: dict[str, str],
    ) -> Parsed:
        mid, conversation, kind, body, sent_at, received_at, source, service, uuid, raw = row
        mid = text_value(mid)
        where = f"message {mid}"
        if not mid:
            return Skip(str(path), "message", "message without an id")
        details: dict[str, Any] = {}
        if isinstance(raw, str) and len(raw) < 4_000_000:
            try:
                loaded = json.loads(raw)
            except (ValueError, RecursionError):
                loaded = None
            if isinstance(loaded, dict):
                details = loaded
        chat = people.get(text_value(conversation), {})
        chat_name = chat.get("name") or chat.get("profileName") or chat.get("e164") or ""
        metadata: dict[str, Any] = {"conversation": text_value(conversation)}
        if chat.get("type") == "group":
            metadata["group"] = True
        text = text_value(body)
        if kind == "call-history":
            text = text or "[call]"
            metadata["call"] = True
        attachments = [
            str(a.get("fileName"))[:200]
            for a in details.get("attachments") or []
            if isinstance(a, dict) and a.get("fileName")
        ][:50]
        if attachments:
            metadata["attachments"] = attachments
        if not text.strip():
            text = " ".join(f"[attachment: {name}]" for name in attachments)
        if not text.strip():
            return Skip(str(path), where, "message without text or attachments")
        quote = details.get("quote")
        if isinstance(quote, dict) and isinstance(quote.get("text"), str):
            metadata["quote"] = quote["text"][:2000]
        author: str | None = "Me"
        if kind != "outgoing":
            handle = text_value(service) or text_value(uuid) or text_value(source)
            author = by_handle.get(handle) or handle or chat_name or None
        millis = int_value(sent_at) or int_value(received_at)
        return Item(
            source=self.name,
            key=mid,
            kind="message",
            text=cap_text(clean_text(text), metadata),
            timestamp=epoch_time(millis, 1000.0),
            author=author,
            participants=tuple(p for p in dict.fromkeys((author or "", chat_name, "Me")) if p),
            title=chat_name or None,
            thread=f"signal:{text_value(conversation)}",
            uri=record_uri(path, where),
            locator=where,
            metadata=metadata,
        )
