"""Telegram Desktop JSON export: ``result.json`` of one chat or of the whole account.

Telegram Desktop ("Export chat history" or Settings > Advanced > "Export Telegram
data", format "Machine-readable JSON") writes one of two shapes::

    {"name": ..., "type": "personal_chat", "id": 123, "messages": [...]}    one chat
    {"about": ..., "personal_information": {...}, "chats": {"list": [chat, ...]},
     "left_chats": {"list": [...]}, ...}                                   whole account

Every message becomes one ``Item`` (kind ``message``), keyed by chat id and
message id, threaded per chat (``telegram:<chat id>``). ``text`` is a string or
a list of strings and entity objects (``{"type": "bold", "text": ...}``); the
entity texts are joined verbatim and ``text_link`` targets kept in
``metadata["links"]``. ``date_unixtime`` (UTC) is preferred; older exports only
have ``date``, the exporting machine's local wall time, stored as if it were
UTC. Service messages (group created, members invited, calls, pins ...) are
kept with ``metadata["system"] = True`` and a text made from their action.
Photos, files, stickers, polls, locations and shared contacts are named in
``metadata["media"]``; a message with no text gets a placeholder such as
``[photo]`` or ``[voice_message: audio.ogg]``.

The file is read as a stream (see :mod:`lifelog.sources.jsonstream`): memory holds one
message, not the export. A truncated or malformed file keeps every message
before the damage and reports the rest as one ``Skip`` naming the position.

"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text
from ..jsonstream import (
    JsonStream,
    JsonStreamError,
    ValueSkipped,
    cap_text,
    each_message,
    epoch_time,
    iso_time,
    open_text,
    record_uri,
)

__all__ = ["TelegramSource"]

_CHAT_TYPES = (
    b"personal_chat",
    b"private_group",
    b"private_supergroup",
    b"public_supergroup",
    b"private_channel",
    b"public_channel",
    b"bot_chat",
    b"saved_messages",
)
_SNIFF_TYPE = re.compile(rb'"type"\s*:\s*"(' + b"|".join(_CHAT_TYPES) + rb')"')
_PERSONAL = {"personal_chat", "bot_chat", "saved_messages"}
_NOT_INCLUDED = "(File not included"
_MEDIA_KEYS = ("photo", "file")
_MAX_LINKS = 20


@dataclass(slots=True)
class _Chat:
    index: int
    name: str | None = None
    type: str | None = None
    id: str | None = None
    left: bool = False
    last: tuple[str, str] | None = None  # (date, author) of the previous id-less message
    repeat: int = 0

    @property
    def key(self) -> str:
        return self.id or (f"name:{self.name}" if self.name else f"#{self.index + 1}")

    @property
    def title(self) -> str | None:
        if self.name:
            return self.name
        return "Saved Messages" if self.type == "saved_messages" else None

    def set(self, key: str, value: Any) -> None:
        if key == "id" and isinstance(value, int | str) and not isinstance(value, bool):
            self.id = str(value)
        elif key == "name" and isinstance(value, str):
            self.name = value
        elif key == "type" and isinstance(value, str):
            self.type = value


@dataclass(slots=True)
class _Owner:
    from_id: str | None = None
    name: str | None = None


def _entity_text(text: Any, links: list[str]) -> str:
    if isinstance(text, str):
        return text
    if not isinstance(text, list):
        return ""
    pieces: list[str] = []
    for part in text:
        if isinstance(part, str):
            pieces.append(part)
        elif isinstance(part, dict):
            value = part.get("text")
            if isinstance(value, str):
                pieces.append(value)
            href = part.get("href")
            if isinstance(href, str) and len(links) < _MAX_LINKS:
                links.append(href[:2000])
    return "".join(pieces)


def _file_name(value: Any) -> str | None:
    if not isinstance(value, str) or not value or value.startswith(_NOT_INCLUDED):
        return None
    return PurePosixPath(value.replace("\\", "/")).name or None


def _media(message: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """A placeholder for a message without text, and what to note in metadata."""
    kind = message.get("media_type")
    kind = kind if isinstance(kind, str) else None
    for key in _MEDIA_KEYS:
        if key in message:
            name = _file_name(message.get("file_name")) or _file_name(message.get(key))
            label = kind or key
            if kind == "sticker":
                emoji = message.get("sticker_emoji")
                emoji = f" {emoji}" if isinstance(emoji, str) and emoji else ""
                return f"[sticker{emoji}]", {"media": label}
            note: dict[str, Any] = {"media": label}
            if name:
                note["file"] = name
            return (f"[{label}: {name}]" if name else f"[{label}]"), note
    poll = message.get("poll")
    if isinstance(poll, dict):
        lines = [f"[poll] {poll.get('question', '')}"]
        answers = poll.get("answers")
        for answer in answers if isinstance(answers, list) else []:
            if isinstance(answer, dict) and isinstance(answer.get("text"), str):
                lines.append(f"- {answer['text']}")
        return "\n".join(lines), {"media": "poll"}
    contact = message.get("contact_information")
    if isinstance(contact, dict):
        parts = [contact.get(k) for k in ("first_name", "last_name", "phone_number")]
        shown = " ".join(str(p) for p in parts if isinstance(p, str | int) and p)
        return f"[contact: {shown}]", {"media": "contact"}
    where = message.get("location_information")
    if isinstance(where, dict):
        place = message.get("place_name") or message.get("address")
        shown = (
            place if isinstance(place, str) else f"{where.get('latitude')},{where.get('longitude')}"
        )
        return f"[location: {shown}]", {"media": "location"}
    if kind:
        return f"[{kind}]", {"media": kind}
    return None, {}


def _service_text(message: Mapping[str, Any], action: str) -> str:
    words = [action.replace("_", " ")]
    title = message.get("title")
    if isinstance(title, str) and title:
        words.append(f"“{title}”")
    members = message.get("members")
    if isinstance(members, list):
        names = [m for m in members if isinstance(m, str)]
        if names:
            words.append(", ".join(names[:50]))
    duration = message.get("duration_seconds")
    if isinstance(duration, int) and not isinstance(duration, bool):
        words.append(f"({duration} s)")
    reason = message.get("discard_reason")
    if isinstance(reason, str) and reason:
        words.append(f"({reason})")
    return " ".join(words)


class TelegramSource(Source):
    name = "telegram"
    description = "Telegram Desktop JSON export (result.json: one chat or the whole account)"
    extensions = (".json",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".json":
            return False
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not start.startswith(b"{"):
            return False
        if b'"date_unixtime"' in head or _SNIFF_TYPE.search(head):
            return True
        if b'"personal_information"' in head and b"Telegram" in head:
            return True
        return path.name.lower() == "result.json" and b'"messages"' in head and b'"from' in head

    def parse(self, path: Path) -> Iterator[Parsed]:
        with open_text(path) as handle:
            reader = JsonStream(handle)
            if reader.peek() != "{":
                raise SourceError(f"{path}: not a Telegram export (expected a JSON object)")
            try:
                yield from self._chat(path, reader, _Chat(index=0), _Owner(), top=True)
            except JsonStreamError as error:
                yield error.skip(str(path))
            except ValueSkipped as error:
                yield Skip(str(path), error.position, str(error))

    def _chat(
        self, path: Path, reader: JsonStream, chat: _Chat, owner: _Owner, top: bool = False
    ) -> Iterator[Parsed]:
        for key in reader.members():
            if key in ("name", "type", "id"):
                try:
                    chat.set(key, reader.value())
                except ValueSkipped:
                    continue
            elif key == "messages":
                if reader.peek() != "[":
                    yield Skip(str(path), f"chat {chat.key}", "'messages' is not a list")
                    continue
                yield from self._messages(path, reader, chat, owner)
            elif top and key in ("chats", "left_chats"):
                yield from self._chat_list(path, reader, owner, left=key == "left_chats")
            elif top and key == "personal_information":
                try:
                    info = reader.value()
                except ValueSkipped:
                    continue
                if isinstance(info, dict):
                    user_id = info.get("user_id")
                    if isinstance(user_id, int | str) and not isinstance(user_id, bool):
                        owner.from_id = f"user{user_id}"
                    names = [info.get("first_name"), info.get("last_name")]
                    owner.name = " ".join(n for n in names if isinstance(n, str) and n) or None

    def _chat_list(
        self, path: Path, reader: JsonStream, owner: _Owner, left: bool
    ) -> Iterator[Parsed]:
        if reader.peek() != "{":
            return
        for key in reader.members():
            if key != "list" or reader.peek() != "[":
                continue
            for index in reader.items():
                if reader.peek() != "{":
                    yield Skip(str(path), f"chat {index + 1}", "chat is not an object")
                    continue
                yield from self._chat(path, reader, _Chat(index=index, left=left), owner)

    def _messages(
        self, path: Path, reader: JsonStream, chat: _Chat, owner: _Owner
    ) -> Iterator[Parsed]:
        return each_message(
            path,
            reader,
            lambda index: f"chat {chat.key} / message {index + 1}",
            lambda raw, where: self._message(path, chat, owner, raw, where),
        )

    def _message(self, path: Path, chat: _Chat, owner: _Owner, raw: Any, where: str) -> Parsed:
        if not isinstance(raw, dict):
            return Skip(str(path), where, f"expected an object, got {type(raw).__name__}")
        mtype = raw.get("type", "message")
        service = mtype == "service"
        author_key, id_key = ("actor", "actor_id") if service else ("from", "from_id")
        author = raw.get(author_key)
        author = author if isinstance(author, str) and author else None
        timestamp = epoch_time(raw.get("date_unixtime")) or iso_time(raw.get("date"))
        links: list[str] = []
        text = _entity_text(raw.get("text"), links)
        metadata: dict[str, Any] = {"chat_type": chat.type} if chat.type else {}
        if service:
            action = raw.get("action")
            action = action if isinstance(action, str) and action else "service"
            text = text or _service_text(raw, action)
            metadata.update(system=True, action=action)
        else:
            placeholder, media = _media(raw)
            metadata.update(media)
            if not text.strip() and placeholder:
                text = placeholder
        text = cap_text(clean_text(text), metadata)
        from_id = raw.get(id_key)
        if isinstance(from_id, str | int) and not isinstance(from_id, bool):
            metadata["from_id"] = str(from_id)
            if owner.from_id and str(from_id) == owner.from_id:
                metadata["from_me"] = True
        for field, meta_key in (
            ("reply_to_message_id", "reply_to"),
            ("forwarded_from", "forwarded_from"),
            ("edited_unixtime", "edited"),
            ("via_bot", "via_bot"),
        ):
            value = raw.get(field)
            if isinstance(value, str | int) and not isinstance(value, bool):
                metadata[meta_key] = value
        if links:
            metadata["links"] = links
        if chat.left:
            metadata["left_chat"] = True
        message_id = raw.get("id")
        if isinstance(message_id, int | str) and not isinstance(message_id, bool) and message_id:
            key = f"{chat.key}/{message_id}"
            locator = f"chat {chat.key} / message {message_id}"
        else:
            moment = str(raw.get("date_unixtime") or raw.get("date") or "")
            marker = (moment, author or "")
            chat.repeat = chat.repeat + 1 if chat.last == marker else 0
            chat.last = marker
            key = f"{chat.key}/{moment}/{author or ''}/{chat.repeat}"
            locator = where
        names: list[str] = [author] if author else []
        if chat.type in _PERSONAL:
            for other in (chat.name, owner.name):
                if other and other not in names:
                    names.append(other)
        return Item(
            source=self.name,
            key=key,
            kind="message",
            text=text,
            timestamp=timestamp,
            author=author,
            participants=tuple(names),
            title=chat.title,
            thread=f"telegram:{chat.key}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )
