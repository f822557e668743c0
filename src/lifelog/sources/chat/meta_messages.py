"""Facebook Messenger and Instagram direct messages from Meta's "Download your information".

Both services export the JSON format (choose "JSON", not "HTML") as one folder
per conversation, ``messages/inbox/<name>_<id>/message_1.json`` (then
``message_2.json`` ... every 10,000 messages)::

    {"participants": [{"name": ...}], "messages": [
        {"sender_name", "timestamp_ms", "content", "photos": [{"uri"}], "videos",
         "audio_files", "files", "gifs", "sticker": {"uri"}, "share": {"link"},
         "reactions": [{"reaction", "actor"}], "call_duration", "is_unsent", "type"}],
     "title", "is_still_participant", "thread_type", "thread_path"}

Meta writes every non-ASCII character as the ``\\u00XX`` escapes of its UTF-8
bytes (``"caf\\u00c3\\u00a9"`` for "café"). Each string is repaired with
``s.encode("latin-1").decode("utf-8")`` when that round-trips, and left alone
otherwise, so correctly encoded files (Messenger's newer end-to-end encrypted
export, with ``senderName``/``text``/``timestamp``/``threadName``) come through
unchanged.

Each message becomes one ``Item`` keyed by the conversation's ``thread_path``,
the time, the sender and an ordinal among messages sharing both, threaded per
conversation. Photos, videos, audio, files, GIFs and stickers are named in
``metadata["media"]`` (a message without text gets ``[photo]``-style
placeholders); shared links are appended to the text when missing from it;
reactions, calls and unsent messages are noted in metadata.

A file whose path has a folder named like ``*instagram*`` is imported as
source ``instagram``, any other as ``messenger``. Message files are small (at
most 10,000 messages) but are streamed all the same, in two passes (the
conversation's ``thread_path`` and ``title`` come after its messages); a file
cut short keeps the messages before the damage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

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
    open_text,
    record_uri,
)

__all__ = ["InstagramSource", "MessengerSource", "fix_mojibake"]

_MESSAGE_FILE = re.compile(r"message_\d+\.json", re.I)
_MEDIA_KEYS = ("photos", "videos", "audio_files", "files", "gifs")
_MAX_LISTED = 20


def fix_mojibake(text: str) -> str:
    """Undo Meta's encoding: UTF-8 bytes written as ``\\u00XX`` escapes, when that round-trips."""
    if not text or text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _str(value: Any) -> str | None:
    return fix_mojibake(value) if isinstance(value, str) and value else None


@dataclass(slots=True)
class _Thread:
    id: str
    title: str | None
    names: list[str]
    last: tuple[str, str] | None = None  # (time, sender) of the previous message
    repeat: int = 0


def _is_meta(path: Path, head: bytes) -> bool:
    if path.suffix.lower() != ".json":
        return False
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return False
    if b'"sender_name"' in head and b'"timestamp_ms"' in head:
        return True
    if b'"participants"' in head and (b'"senderName"' in head or b'"threadName"' in head):
        return True
    return bool(_MESSAGE_FILE.fullmatch(path.name)) and b'"participants"' in head


def _is_instagram(path: Path) -> bool:
    return any("instagram" in part.lower() for part in path.parts[:-1])


class _MetaMessages(Source):
    extensions = (".json",)
    instagram: ClassVar[bool]

    def sniff(self, path: Path, head: bytes) -> bool:
        return _is_meta(path, head) and _is_instagram(path) == self.instagram

    def parse(self, path: Path) -> Iterator[Parsed]:
        # Two passes: the conversation's fields (thread_path, title) follow the messages,
        # so the first pass reads them and skips the messages, the second streams those.
        fields: dict[str, Any] = {}
        with open_text(path) as handle:
            reader = JsonStream(handle)
            if reader.peek() != "{":
                raise SourceError(f"{path}: not a Meta message file (expected a JSON object)")
            try:
                for key in reader.members():
                    if key in ("participants", "title", "threadName", "thread_path"):
                        fields[key] = reader.value()
            except (JsonStreamError, ValueSkipped):
                pass  # reported by the second pass
        names: list[str] = []
        participants = fields.get("participants")
        for entry in participants if isinstance(participants, list) else []:
            name = _str(entry.get("name")) if isinstance(entry, dict) else _str(entry)
            if name and name not in names:
                names.append(name)
        title = _str(fields.get("title")) or _str(fields.get("threadName"))
        thread = _Thread(self._thread_id(path, fields, title, names), title, names)
        with open_text(path) as handle:
            reader = JsonStream(handle)
            try:
                for key in reader.members():
                    if key != "messages" or reader.peek() != "[":
                        continue
                    yield from each_message(
                        path,
                        reader,
                        lambda index: f"message {index + 1}",
                        lambda raw, where: self._message(path, raw, thread, where),
                    )
            except JsonStreamError as error:
                yield error.skip(str(path))

    @staticmethod
    def _thread_id(
        path: Path, fields: Mapping[str, Any], title: str | None, names: list[str]
    ) -> str:
        thread_path = _str(fields.get("thread_path"))
        if thread_path:
            return thread_path
        if _MESSAGE_FILE.fullmatch(path.name) and path.parent.name:
            return f"inbox/{path.parent.name}"
        if title:
            return f"title:{title}"
        if names:
            return "with:" + "|".join(sorted(names))
        return f"file:{path.stem}"

    def _message(self, path: Path, raw: Any, thread: _Thread, where: str) -> Parsed:
        if not isinstance(raw, dict):
            return Skip(str(path), where, f"expected an object, got {type(raw).__name__}")
        sender = _str(raw.get("sender_name")) or _str(raw.get("senderName"))
        stamp = raw.get("timestamp_ms", raw.get("timestamp"))
        timestamp = epoch_time(stamp, 1000.0)
        metadata: dict[str, Any] = {}
        text = _str(raw.get("content")) or _str(raw.get("text")) or ""
        share = raw.get("share")
        if isinstance(share, dict):
            link = _str(share.get("link"))
            if link:
                metadata["link"] = link[:2000]
                if link not in text:
                    text = f"{text}\n{link}" if text else link
        media = self._media(raw)
        if media:
            metadata["media"] = media
        if raw.get("is_unsent") is True or raw.get("isUnsent") is True:
            metadata["unsent"] = True
            text = text or "[unsent message]"
        duration = raw.get("call_duration")
        if isinstance(duration, int) and not isinstance(duration, bool):
            metadata["call_duration"] = duration
        reactions = raw.get("reactions")
        if isinstance(reactions, list):
            shown = [
                " ".join(p for p in (_str(r.get("reaction")), _str(r.get("actor"))) if p)
                for r in reactions[:_MAX_LISTED]
                if isinstance(r, dict)
            ]
            if any(shown):
                metadata["reactions"] = [s for s in shown if s]
        kind = _str(raw.get("type"))
        if kind and kind not in ("Generic", "text"):
            metadata["type"] = kind
        if not text.strip() and media:
            text = " ".join(f"[{m}]" for m in media)
        text = cap_text(clean_text(text), metadata)
        marker = (str(stamp), sender or "")
        thread.repeat = thread.repeat + 1 if thread.last == marker else 0
        thread.last = marker
        key = f"{thread.id}/{stamp}/{sender or ''}/{thread.repeat}"
        locator = f"{thread.id} / {where}"
        people = list(thread.names)
        if sender and sender not in people:
            people.insert(0, sender)
        return Item(
            source=self.name,
            key=key,
            kind="message",
            text=text,
            timestamp=timestamp,
            author=sender,
            participants=tuple(people[:50]),
            title=thread.title,
            thread=f"{self.name}:{thread.id}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )

    @staticmethod
    def _media(raw: Mapping[str, Any]) -> list[str]:
        """``kind: file name`` for each photo, video, sticker ... of a message."""
        found: list[str] = []
        entries: list[tuple[str, Any]] = []
        for key in _MEDIA_KEYS:
            value = raw.get(key)
            if isinstance(value, list):
                entries.extend((key, v) for v in value)
        sticker = raw.get("sticker")
        if isinstance(sticker, dict):
            entries.append(("sticker", sticker))
        media = raw.get("media")  # the end-to-end encrypted export
        if isinstance(media, list):
            entries.extend(("media", v) for v in media)
        for key, value in entries:
            uri = _str(value.get("uri")) if isinstance(value, dict) else None
            label = {"photos": "photo", "videos": "video", "audio_files": "audio"}.get(
                key, key.rstrip("s")
            )
            name = PurePosixPath(uri.replace("\\", "/")).name if uri else ""
            if len(found) < _MAX_LISTED:
                found.append(f"{label}: {name}" if name else label)
        return found


class MessengerSource(_MetaMessages):
    name = "messenger"
    description = "Facebook Messenger messages from Meta's JSON export (message_1.json)"
    instagram = False


class InstagramSource(_MetaMessages):
    name = "instagram"
    description = "Instagram direct messages from Meta's JSON export (message_1.json)"
    instagram = True
