"""Discord channel exports written by DiscordChatExporter in its JSON format.

DiscordChatExporter (``--format Json``) writes one file per channel (or per
partition of a channel)::

    {"guild": {"id", "name"}, "channel": {"id", "type", "category", "name", "topic"},
     "dateRange": {...}, "exportedAt": ..., "messages": [
        {"id", "type", "timestamp", "timestampEdited", "isPinned", "content",
         "author": {"id", "name", "discriminator", "nickname", "isBot"},
         "attachments": [{"fileName", "url"}], "embeds": [...], "stickers": [...],
         "mentions": [{"id", "name", "nickname"}], "reference": {"messageId"}}, ...],
     "messageCount": n}

Each message becomes one ``Item`` keyed by channel id and message id (so two
partitions or two overlapping exports of a channel meet), threaded per channel
(``discord:<channel id>``). The author is the server nickname, else the user
name. Content is kept as exported; raw ``<@id>`` mentions (exports made with
``--markdown false``) are resolved from the message's ``mentions``. Attachment,
sticker and embed names go to metadata; a message with no content gets a
placeholder (``[attachment: cat.png]``) or its embed's title and description.
System messages (joins, pins, calls, thread creation) are kept with
``metadata["system"] = True``. Reactions are counted, not listed.

The file is streamed: memory holds one message, not the channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
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
    iso_time,
    open_text,
    record_uri,
)

__all__ = ["DiscordSource"]

_USER_MENTION = re.compile(r"<@!?(\d{1,25})>")
_CUSTOM_EMOJI = re.compile(r"<a?:(\w{1,64}):\d{1,25}>")
_USER_TYPES = {"Default", "Reply", "ThreadStarterMessage", "ChatInputCommand", "ContextMenuCommand"}
_DIRECT = {"DirectTextChat", "DirectGroupTextChat"}
_MAX_LISTED = 50


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _user_name(user: Any) -> str | None:
    if not isinstance(user, dict):
        return None
    return _str(user.get("nickname")) or _str(user.get("name"))


def _names(values: Any, key: str) -> list[str]:
    found: list[str] = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, dict):
            name = _str(value.get(key))
            if name and len(found) < _MAX_LISTED:
                found.append(name)
    return found


class DiscordSource(Source):
    name = "discord"
    description = "Discord channel export from DiscordChatExporter (JSON)"
    extensions = (".json",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".json":
            return False
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return False
        return (
            b'"guild"' in head
            and b'"channel"' in head
            and (b'"messages"' in head or b'"exportedAt"' in head or b'"dateRange"' in head)
        )

    def parse(self, path: Path) -> Iterator[Parsed]:
        with open_text(path) as handle:
            reader = JsonStream(handle)
            if reader.peek() != "{":
                raise SourceError(f"{path}: not a DiscordChatExporter export (expected an object)")
            try:
                yield from self._root(path, reader)
            except JsonStreamError as error:
                yield error.skip(str(path))

    def _root(self, path: Path, reader: JsonStream) -> Iterator[Parsed]:
        guild: dict[str, Any] = {}
        channel: dict[str, Any] = {}
        for key in reader.members():
            if key in ("guild", "channel"):
                try:
                    value = reader.value()
                except ValueSkipped:
                    continue
                if isinstance(value, dict):
                    (guild if key == "guild" else channel).update(value)
            elif key == "messages":
                if reader.peek() != "[":
                    yield Skip(str(path), "messages", "'messages' is not a list")
                    continue
                yield from each_message(
                    path,
                    reader,
                    lambda index: f"message {index + 1}",
                    lambda raw, where: self._message(path, guild, channel, raw, where),
                )

    def _message(
        self,
        path: Path,
        guild: Mapping[str, Any],
        channel: Mapping[str, Any],
        raw: Any,
        where: str,
    ) -> Parsed:
        if not isinstance(raw, dict):
            return Skip(str(path), where, f"expected an object, got {type(raw).__name__}")
        message_id = _str(raw.get("id"))
        if message_id is None:
            return Skip(str(path), where, "message has no id")
        channel_id = _str(channel.get("id")) or _str(channel.get("name")) or "unknown"
        author = raw.get("author")
        author_name = _user_name(author)
        metadata: dict[str, Any] = {}
        if isinstance(author, dict):
            for field, meta_key in (("id", "author_id"), ("name", "username")):
                value = _str(author.get(field))
                if value:
                    metadata[meta_key] = value
            if author.get("isBot") is True:
                metadata["bot"] = True
        mentions = raw.get("mentions")
        by_id: dict[str, str] = {}
        for user in mentions if isinstance(mentions, list) else []:
            if isinstance(user, dict):
                user_id, name = _str(user.get("id")), _user_name(user)
                if user_id and name:
                    by_id[user_id] = name
        content = raw.get("content")
        text = content if isinstance(content, str) else ""
        if "<" in text:
            text = _USER_MENTION.sub(lambda m: "@" + by_id.get(m.group(1), m.group(1)), text)
            text = _CUSTOM_EMOJI.sub(r":\1:", text)
        attachments = _names(raw.get("attachments"), "fileName")
        stickers = _names(raw.get("stickers"), "name")
        if attachments:
            metadata["attachments"] = attachments
        if stickers:
            metadata["stickers"] = stickers
        if not text.strip():
            text = self._fallback(raw, attachments, stickers)
        mtype = _str(raw.get("type")) or "Default"
        if mtype not in _USER_TYPES:
            metadata.update(system=True, type=mtype)
            text = text if text.strip() else f"[{mtype}]"
        reference = raw.get("reference")
        if isinstance(reference, dict) and _str(reference.get("messageId")):
            metadata["reply_to"] = _str(reference.get("messageId"))
        edited = iso_time(raw.get("timestampEdited"))
        if edited:
            metadata["edited"] = edited.isoformat()
        if raw.get("isPinned") is True:
            metadata["pinned"] = True
        reactions = raw.get("reactions")
        if isinstance(reactions, list) and reactions:
            metadata["reactions"] = sum(
                r.get("count", 0)
                for r in reactions
                if isinstance(r, dict) and isinstance(r.get("count"), int)
            )
        text = cap_text(clean_text(text), metadata)
        names = [author_name] if author_name else []
        names.extend(n for n in by_id.values() if n not in names)
        channel_name = _str(channel.get("name"))
        if channel.get("type") in _DIRECT and channel_name:
            names.extend(n for n in channel_name.split(", ") if n and n not in names)
        locator = f"channel {channel_id} / message {message_id}"
        return Item(
            source=self.name,
            key=f"{channel_id}/{message_id}",
            kind="message",
            text=text,
            timestamp=iso_time(raw.get("timestamp")),
            author=author_name,
            participants=tuple(names[:_MAX_LISTED]),
            title=self._title(guild, channel),
            thread=f"discord:{channel_id}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )

    @staticmethod
    def _fallback(raw: Mapping[str, Any], attachments: list[str], stickers: list[str]) -> str:
        lines: list[str] = []
        embeds = raw.get("embeds")
        for embed in embeds if isinstance(embeds, list) else []:
            if isinstance(embed, dict):
                for field in ("title", "description"):
                    value = embed.get(field)
                    if isinstance(value, str) and value.strip():
                        lines.append(value)
        lines.extend(f"[attachment: {name}]" for name in attachments)
        lines.extend(f"[sticker: {name}]" for name in stickers)
        return "\n".join(lines)

    @staticmethod
    def _title(guild: Mapping[str, Any], channel: Mapping[str, Any]) -> str | None:
        channel_name = _str(channel.get("name"))
        if channel.get("type") in _DIRECT:
            return channel_name
        guild_name = _str(guild.get("name"))
        parts = [p for p in (guild_name, f"#{channel_name}" if channel_name else None) if p]
        return " ".join(parts) or None
