"""ChatGPT data export: ``conversations.json``, alone or inside the export's ``.zip``.

The file is a JSON list of conversations, each with a ``mapping`` of node id to
``{message, parent, children}`` and a ``current_node``. The active branch is
the parent chain from ``current_node`` (what the user last saw); when that is
missing or unknown, every node with a message is taken, ordered by time.

Each user or assistant message with text becomes one ``Item`` (kind
``message``, author ``"Me"`` for the user, ``"ChatGPT"`` for the assistant).
System and tool messages, hidden context messages, assistant calls addressed to
a tool (``recipient`` other than ``all``), reasoning summaries and empty
messages are left out. Image and other non-text parts become ``[image]``-style
placeholders.

The list is decoded one conversation at a time (``JSONDecoder.raw_decode`` on
a sliding buffer), so memory holds one conversation, not the whole export.
A file whose top level is not valid JSON raises ``SourceError`` naming the file
and the position of the error (conversations before that point are kept); one
malformed conversation is reported as a ``Skip`` and the rest imported. A
conversation without an ``id`` gets a stable one from its content (its start time
and its first node: ``content-<sha256>``, ``metadata["conversation_id_derived"]``),
so a later export of it updates the same items.
Files over 2 GB are refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..errors import SourceError
from ..records import Item, Skip
from .base import Parsed, Source, clean_text, file_uri
from .conversations_zip import conversations_member, parse_zipped_conversations
from .whatsapp import MAX_TEXT, open_zip

__all__ = ["ChatGPTSource"]

#: larger files are refused (an export is rarely above a few hundred MB)
MAX_FILE_BYTES = 2 * 1024**3
#: characters read from the file at a time
READ_CHARS = 1 << 20
#: a single conversation larger than this is refused
MAX_CONVERSATION_CHARS = 512 * 1024 * 1024

#: what may follow a complete number or literal inside a list
_AFTER_SCALAR = frozenset(" \t\r\n,]")

AUTHORS = {"user": "Me", "assistant": "ChatGPT"}
#: content types that carry no conversation text
_SILENT = {
    "thoughts",
    "reasoning_recap",
    "user_editable_context",
    "model_editable_context",
    "system_error",
    "tether_browsing_display",
    "tether_quote",
    "execution_output",
}
_PART_PLACEHOLDERS = {
    "image_asset_pointer": "[image]",
    "audio_asset_pointer": "[audio]",
    "real_time_user_audio_video_asset_pointer": "[audio/video]",
    "video_container_asset_pointer": "[video]",
    "file_asset_pointer": "[file]",
}


class _Position:
    """Line and column bookkeeping for error messages on a sliding buffer."""

    def __init__(self) -> None:
        self.offset = 0  # characters dropped from the front of the buffer
        self.lines = 0  # newlines in the dropped characters
        self.line_start = 0  # absolute offset where the current line starts

    def drop(self, buffer: str, count: int) -> None:
        newlines = buffer.count("\n", 0, count)
        if newlines:
            self.lines += newlines
            self.line_start = self.offset + buffer.rfind("\n", 0, count) + 1
        self.offset += count

    def describe(self, buffer: str, index: int) -> str:
        line = self.lines + buffer.count("\n", 0, index) + 1
        newline = buffer.rfind("\n", 0, index)
        start = self.offset + newline + 1 if newline >= 0 else self.line_start
        absolute = self.offset + index
        return f"line {line} column {absolute - start + 1} (char {absolute})"


def _iter_array(stream: IO[str], name: str) -> Iterator[tuple[int, Any]]:
    """Decode a top-level JSON array element by element; ``(index, value)``."""
    decoder = json.JSONDecoder()
    position = _Position()
    buffer = ""
    eof = False
    index = 0

    def more(at: int = 0) -> bool:
        """Read more; as much as is pending after ``at`` (so retries cost O(n) in all)."""
        nonlocal buffer, eof
        if eof:
            return False
        chunk = stream.read(max(READ_CHARS, len(buffer) - at))
        if not chunk:
            eof = True
            return False
        buffer += chunk
        return True

    def fail(at: int, message: str) -> SourceError:
        return SourceError(f"{name}: invalid JSON at {position.describe(buffer, at)}: {message}")

    def skip_space(at: int) -> int:
        while True:
            while at < len(buffer) and buffer[at] in " \t\r\n":
                at += 1
            if at < len(buffer) or not more():
                return at

    at = skip_space(0)
    if at >= len(buffer):
        raise fail(at, "empty file")
    if buffer[at] == "{":  # a single conversation, or {"conversations": [...]}
        while more():
            pass
        try:
            value = json.loads(buffer)
        except json.JSONDecodeError as error:
            raise fail(error.pos, error.msg) from None
        if isinstance(value, dict) and isinstance(value.get("conversations"), list):
            yield from enumerate(value["conversations"])
        else:
            yield 0, value
        return
    if buffer[at] != "[":
        raise fail(at, "expected a list of conversations")
    at = skip_space(at + 1)
    if at < len(buffer) and buffer[at] == "]":
        return
    while True:
        if at >= len(buffer):
            raise fail(at, "unexpected end of file (truncated?)")
        try:
            value, end = decoder.raw_decode(buffer, at)
            if (
                not eof
                and not isinstance(value, dict | list | str)
                and buffer[end : end + 1] not in _AFTER_SCALAR
            ):
                raise ValueError("value may continue")  # a number cut by a read: "0" of "0.5"
        except ValueError as error:
            if len(buffer) - at > MAX_CONVERSATION_CHARS:
                raise fail(at, "conversation too large") from None
            if more(at):
                continue
            if isinstance(error, json.JSONDecodeError):
                raise fail(error.pos, error.msg) from None
            value, end = decoder.raw_decode(buffer, at)
        yield index, value
        index += 1
        at = skip_space(end)
        if at >= len(buffer):
            raise fail(at, "unexpected end of file (truncated?)")
        if buffer[at] == "]":
            return
        if buffer[at] != ",":
            raise fail(at, "expected ',' or ']' after a conversation")
        at = skip_space(at + 1)
        if at > READ_CHARS:  # drop what was consumed, keep positions right
            position.drop(buffer, at)
            buffer = buffer[at:]
            at = 0


def _time(value: Any) -> datetime | None:
    """Epoch seconds (as exported) or an ISO 8601 string -> aware UTC datetime."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except (ValueError, OverflowError):
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 < value < 32503680000:  # before year 3000
        return None
    return datetime.fromtimestamp(value, UTC)


def _text(content: Mapping[str, Any]) -> str:
    if content.get("content_type") in _SILENT:
        return ""
    pieces: list[str] = []
    parts = content.get("parts")
    if isinstance(parts, list):
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict):
                kind = str(part.get("content_type", ""))
                if isinstance(part.get("text"), str):
                    pieces.append(part["text"])
                else:
                    pieces.append(_PART_PLACEHOLDERS.get(kind, "[image]"))
    elif isinstance(content.get("text"), str):
        pieces.append(content["text"])
    return "\n".join(p for p in pieces if p)


def _branch(mapping: Mapping[str, Any], current: Any) -> list[Mapping[str, Any]]:
    """The nodes of the active branch, root first."""
    chain: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    node_id = current
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id]
        if not isinstance(node, dict):
            raise ValueError(f"node {node_id} is not an object")
        chain.append(node)
        node_id = node.get("parent")
    if chain:
        chain.reverse()
        return chain
    nodes = [n for n in mapping.values() if isinstance(n, dict) and n.get("message")]

    def when(node: Mapping[str, Any]) -> float:
        moment = _time((node.get("message") or {}).get("create_time"))
        return moment.timestamp() if moment else math.inf

    return sorted(nodes, key=when)


def _content_id(conversation: Mapping[str, Any], mapping: Mapping[str, Any]) -> str:
    """A stable id for a conversation the export gives none (some third-party exports
    and older ones): from what does not change when the conversation goes on -- its
    start time, and its first node (the root of ``mapping``, else the first key)."""
    roots = sorted(
        str(key)
        for key, node in mapping.items()
        if not isinstance(node, dict) or not node.get("parent")
    )
    first = roots[0] if roots else min((str(k) for k in mapping), default="")
    if not first:  # an empty mapping: the title is all there is
        first = str(conversation.get("title"))
    seed = json.dumps([conversation.get("create_time"), first], default=str)
    return "content-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


class ChatGPTSource(Source):
    name = "chatgpt"
    description = "ChatGPT data export (conversations.json or the export .zip)"
    extensions = (".json", ".zip")

    def sniff(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix == ".json":
            if path.name.lower() == "conversations.json":
                return True
            start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
            return start.startswith(b"[") and b'"mapping"' in head and b'"title"' in head
        if suffix == ".zip":
            try:
                with open_zip(path) as archive:
                    return conversations_member(archive) is not None
            except SourceError:
                return False
        return False

    def parse(self, path: Path) -> Iterator[Parsed]:
        if path.suffix.lower() == ".zip":
            yield from parse_zipped_conversations(
                path, MAX_FILE_BYTES, lambda stream, name: self._parse_stream(path, stream, name)
            )
            return
        try:
            size = path.stat().st_size
            handle = path.open(encoding="utf-8-sig", errors="replace")
        except OSError as error:
            raise SourceError(f"{path}: cannot read: {error}") from error
        with handle:
            if size > MAX_FILE_BYTES:
                raise SourceError(f"{path}: file too large ({size} bytes, limit 2 GB)")
            yield from self._parse_stream(path, handle, str(path))

    def _parse_stream(self, path: Path, stream: IO[str], name: str) -> Iterator[Parsed]:
        for index, conversation in _iter_array(stream, name):
            cid = None
            if isinstance(conversation, dict):
                cid = conversation.get("conversation_id") or conversation.get("id")
            where = f"conversation {index + 1}" + (f" (id {cid})" if cid else "")
            try:
                yield from self._conversation(path, conversation, where)
            except (ValueError, TypeError, AttributeError, KeyError) as error:
                yield Skip(str(path), where, f"malformed conversation: {error}")

    def _conversation(self, path: Path, conversation: Any, where: str) -> Iterator[Parsed]:
        if not isinstance(conversation, dict):
            raise ValueError(f"expected an object, got {type(conversation).__name__}")
        mapping = conversation.get("mapping")
        if not isinstance(mapping, dict):
            raise ValueError("no 'mapping' object")
        cid = conversation.get("conversation_id") or conversation.get("id")
        derived = not isinstance(cid, str) or not cid
        if derived:
            cid = _content_id(conversation, mapping)
        title = conversation.get("title")
        title = title if isinstance(title, str) and title else None
        started = _time(conversation.get("create_time"))
        items: list[Item] = []
        for node in _branch(mapping, conversation.get("current_node")):
            message = node.get("message")
            if not isinstance(message, dict):
                continue  # the root node carries no message
            author = message.get("author")
            role = author.get("role") if isinstance(author, dict) else None
            if role not in AUTHORS:
                continue
            meta = message.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            if meta.get("is_visually_hidden_from_conversation"):
                continue
            if message.get("recipient", "all") not in ("all", None):
                continue  # the assistant calling a tool
            content = message.get("content")
            if not isinstance(content, dict):
                continue
            text = clean_text(_text(content)).strip("\n")
            if not text.strip():
                continue
            mid = message.get("id") or node.get("id")
            locator = f"conversation {cid} / message {mid}"
            metadata: dict[str, Any] = {"role": role, "conversation_id": cid}
            if derived:
                metadata["conversation_id_derived"] = True
            if isinstance(meta.get("model_slug"), str):
                metadata["model"] = meta["model_slug"]
            if len(text) > MAX_TEXT:
                text = text[:MAX_TEXT]
                metadata["truncated"] = True
            items.append(
                Item(
                    source=self.name,
                    key=f"{cid}/{mid}",
                    kind="message",
                    text=text,
                    timestamp=_time(message.get("create_time")) or started,
                    author=AUTHORS[role],
                    participants=("Me", "ChatGPT"),
                    title=title,
                    thread=f"chatgpt:{cid}",
                    uri=file_uri(path, locator),
                    locator=locator,
                    metadata=metadata,
                )
            )
        yield from items  # all or nothing: a conversation that breaks half-way is one Skip
