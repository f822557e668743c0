"""AI-assistant exports beside ChatGPT's: Claude.ai, and Open WebUI's chat export.

**Claude.ai** (Settings > Privacy > Export data) mails a zip holding
``conversations.json``, ``users.json`` and ``projects.json``. The conversations
file is a JSON list::

    [{"uuid", "name", "created_at", "updated_at", "account": {"uuid"},
      "chat_messages": [{"uuid", "sender": "human" | "assistant", "text",
                         "content": [{"type": "text", "text"}, {"type": "tool_use"} ...],
                         "attachments": [{"file_name", "extracted_content"}],
                         "files": [{"file_name"}], "created_at"}, ...]}, ...]

Each human or assistant message becomes one ``Item`` (author ``"Me"`` or
``"Claude"``), keyed by conversation and message uuid, threaded per
conversation (``claude:<uuid>``). The text is the message's ``text`` blocks
(``thinking``, ``tool_use`` and ``tool_result`` blocks are left out, their
presence noted in metadata); the top-level ``text`` is used when there are no
blocks. The text extracted from attached files (``extracted_content``) is kept
after the message under an ``[attachment: name]`` line, since it is what the
person sent. Projects and their documents are not read.

**Open WebUI** ("Export All Chats" in Settings > Chats, or a chat's
"Export chat (.json)") writes a JSON list of
``{"id", "title", "created_at", "chat": {"messages": [{"id", "role",
"content", "timestamp", "model"}], "history": {...}}}``; each user or
assistant message becomes one ``Item`` of source ``assistant`` (author
``"Me"`` or the model name), keyed by chat and message id.

Both files are decoded one conversation at a time, in bounded memory whatever
they hold: a text longer than ``MAX_ITEM_TEXT`` characters is cut (the item is
marked ``truncated`` and a Skip naming the message says so), a conversation
costing more than ``MAX_RECORD_CHARS`` even then is one Skip (see
:mod:`lifelog.sources.base`); the zip is read in place. A conversation that is
malformed is one ``Skip``; a file cut short keeps every conversation before the
damage.
"""

from __future__ import annotations

import zipfile
from abc import abstractmethod
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any, ClassVar

from ...archive import check_zip_member, open_zip
from ...errors import SourceError
from ...records import Item, Skip
from ..base import MAX_RECORD_CHARS, Parsed, Source, clean_text
from ..jsonstream import (
    JsonStream,
    JsonStreamError,
    ValueSkipped,
    cap_text,
    epoch_time,
    iso_time,
    open_text,
    record_uri,
    truncation_note,
)
from .conversations_zip import conversations_member, parse_zipped_conversations

__all__ = ["AssistantSource", "ClaudeSource"]

#: one conversation costing more than this (see ``JsonStream.value``) is skipped
MAX_CONVERSATION_CHARS = MAX_RECORD_CHARS
#: conversations.json inside a zip may not be larger than this, uncompressed
MAX_MEMBER_BYTES = 4 * 1024**3
_AUTHORS = {"human": "Me", "user": "Me", "assistant": "Claude"}
_SILENT_BLOCKS = {"thinking", "redacted_thinking", "tool_use", "tool_result"}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _iter_conversations(path: Path, stream: IO[str], name: str) -> Iterator[tuple[str, Any] | Skip]:
    """``(where, conversation)`` for each element of the top-level list, or a Skip."""
    reader = JsonStream(stream, max_value=MAX_CONVERSATION_CHARS)
    first = reader.peek()
    if first != "[":
        found = repr(first) if first else "an empty file"
        raise SourceError(f"{name}: expected a JSON list of conversations, found {found}")
    try:
        for index in reader.items():
            where = f"conversation {index + 1}"
            try:
                yield where, reader.value()
            except ValueSkipped as error:
                yield Skip(str(path), where, str(error))
    except JsonStreamError as error:
        yield error.skip(str(path))


class _ZipAware(Source):
    """Reads ``conversations.json``, alone or inside the service's export zip."""

    extensions: ClassVar[tuple[str, ...]] = (".json", ".zip")

    @abstractmethod
    def _looks_right(self, head: bytes) -> bool:
        """Whether the first bytes of a conversations file are in this format."""

    def sniff(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix == ".json":
            start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
            return start.startswith(b"[") and self._looks_right(head)
        if suffix != ".zip":
            return False
        try:
            with open_zip(path) as archive:
                info = conversations_member(archive)
                if info is None or check_zip_member(info, MAX_MEMBER_BYTES):
                    return False
                with archive.open(info) as member:
                    return self._looks_right(member.read(8192))
        except (SourceError, OSError, zipfile.BadZipFile, ValueError, EOFError):
            return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        if path.suffix.lower() == ".zip":
            yield from parse_zipped_conversations(
                path, MAX_MEMBER_BYTES, lambda stream, name: self._records(path, stream, name)
            )
            return
        with open_text(path) as handle:
            yield from self._records(path, handle, str(path))

    def _records(self, path: Path, stream: IO[str], name: str) -> Iterator[Parsed]:
        for entry in _iter_conversations(path, stream, name):
            if isinstance(entry, Skip):
                yield entry
                continue
            where, conversation = entry
            try:
                yield from self._conversation(path, conversation, where)
            except (ValueError, TypeError, AttributeError, KeyError) as error:
                yield Skip(str(path), where, f"malformed conversation: {error}")

    @abstractmethod
    def _conversation(self, path: Path, conversation: Any, where: str) -> Iterator[Parsed]:
        """The items of one conversation; raise ValueError and co. when it is malformed."""


class ClaudeSource(_ZipAware):
    name = "claude"
    description = "Claude.ai data export (conversations.json or the export .zip)"

    def _looks_right(self, head: bytes) -> bool:
        return b'"chat_messages"' in head or (
            b'"uuid"' in head and b'"account"' in head and b'"sender"' in head
        )

    def _conversation(self, path: Path, conversation: Any, where: str) -> Iterator[Parsed]:
        if not isinstance(conversation, dict):
            raise ValueError(f"expected an object, got {type(conversation).__name__}")
        cid = _str(conversation.get("uuid"))
        if cid is None:
            raise ValueError("no conversation uuid")
        messages = conversation.get("chat_messages")
        if not isinstance(messages, list):
            raise ValueError("no 'chat_messages' list")
        title = _str(conversation.get("name"))
        started = iso_time(conversation.get("created_at"))
        for index, message in enumerate(messages):
            here = f"{where} (uuid {cid}) / message {index + 1}"
            if not isinstance(message, dict):
                yield Skip(str(path), here, "message is not an object")
                continue
            sender = message.get("sender")
            if sender not in _AUTHORS:
                continue
            metadata: dict[str, Any] = {"role": sender, "conversation_id": cid}
            text = self._text(message, metadata)
            if not text.strip():
                continue
            mid = _str(message.get("uuid")) or f"#{index + 1}"
            locator = f"conversation {cid} / message {mid}"
            item = Item(
                source=self.name,
                key=f"{cid}/{mid}",
                kind="message",
                text=cap_text(clean_text(text), metadata),
                timestamp=iso_time(message.get("created_at")) or started,
                author=_AUTHORS[sender],
                participants=("Me", "Claude"),
                title=title,
                thread=f"claude:{cid}",
                uri=record_uri(path, locator),
                locator=locator,
                metadata=metadata,
            )
            yield item
            if "truncated" in metadata:
                yield truncation_note(str(path), here)

    @staticmethod
    def _text(message: Mapping[str, Any], metadata: dict[str, Any]) -> str:
        pieces: list[str] = []
        blocks = message.get("content")
        silent: list[str] = []
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                pieces.append(block["text"])
            elif isinstance(kind, str) and kind in _SILENT_BLOCKS and kind not in silent:
                silent.append(kind)
        if silent:
            metadata["blocks_left_out"] = silent
        text = "\n\n".join(p for p in pieces if p)
        if not text.strip() and isinstance(message.get("text"), str):
            text = message["text"]
        names: list[str] = []
        for key in ("attachments", "files"):
            entries = message.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                file_name = _str(entry.get("file_name")) or "file"
                if file_name not in names:
                    names.append(file_name)
                content = entry.get("extracted_content")
                if isinstance(content, str) and content.strip():
                    text += f"\n\n[attachment: {file_name}]\n{content}"
        if names:
            metadata["attachments"] = names[:50]
        return text


class AssistantSource(_ZipAware):
    """Open WebUI's chat export (a list of ``{"id", "title", "chat": {"messages"}}``)."""

    name = "assistant"
    description = "Open WebUI chat export (JSON list of chats with messages)"
    extensions = (".json",)

    def _looks_right(self, head: bytes) -> bool:
        return b'"chat"' in head and b'"messages"' in head and b'"role"' in head

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == ".json" and super().sniff(path, head)

    def _conversation(self, path: Path, conversation: Any, where: str) -> Iterator[Parsed]:
        if not isinstance(conversation, dict):
            raise ValueError(f"expected an object, got {type(conversation).__name__}")
        chat = conversation.get("chat")
        chat = chat if isinstance(chat, dict) else conversation
        cid = _str(conversation.get("id")) or _str(chat.get("id"))
        if cid is None:
            raise ValueError("no chat id")
        messages = chat.get("messages")
        if not isinstance(messages, list):
            raise ValueError("no 'messages' list")
        title = _str(conversation.get("title")) or _str(chat.get("title"))
        started = self._time(conversation.get("created_at"))
        for index, message in enumerate(messages):
            here = f"{where} (id {cid}) / message {index + 1}"
            if not isinstance(message, dict):
                yield Skip(str(path), here, "message is not an object")
                continue
            role = message.get("role")
            if role not in ("user", "assistant"):
                continue
            text = self._content(message.get("content"))
            if not text.strip():
                continue
            model = _str(message.get("model")) or _str(message.get("modelName"))
            author = "Me" if role == "user" else (model or "Assistant")
            metadata: dict[str, Any] = {"role": role, "conversation_id": cid}
            if model:
                metadata["model"] = model
            mid = _str(message.get("id")) or f"#{index + 1}"
            locator = f"chat {cid} / message {mid}"
            item = Item(
                source=self.name,
                key=f"{cid}/{mid}",
                kind="message",
                text=cap_text(clean_text(text), metadata),
                timestamp=self._time(message.get("timestamp")) or started,
                author=author,
                participants=("Me", model or "Assistant"),
                title=title,
                thread=f"assistant:{cid}",
                uri=record_uri(path, locator),
                locator=locator,
                metadata=metadata,
            )
            yield item
            if "truncated" in metadata:
                yield truncation_note(str(path), here)

    @staticmethod
    def _time(value: Any) -> datetime | None:
        if isinstance(value, str) and not value.strip().isdigit():
            return iso_time(value)
        moment = epoch_time(value)
        if moment is None and isinstance(value, int | float) and not isinstance(value, bool):
            for scale in (1e3, 1e6, 1e9):  # milliseconds, micro- or nanoseconds
                moment = moment or (epoch_time(value, scale) if value / scale > 1e8 else None)
        return moment

    @staticmethod
    def _content(content: Any) -> str:
        if isinstance(content, str):
            return content
        pieces: list[str] = []
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "text":
                value = part.get("text")
                if isinstance(value, str):
                    pieces.append(value)
        return "\n".join(pieces)
