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

The list is decoded one conversation at a time with :class:`~lifelog.sources.
jsonstream.JsonStream`, so memory holds one conversation, not the whole export,
and a bounded one whatever the file holds: a message's text is cut at
``MAX_ITEM_TEXT`` characters (``metadata["truncated"]``, and a Skip naming the
message says so), a conversation costing more than ``MAX_RECORD_CHARS`` even then
is one Skip (see :mod:`lifelog.sources.base`). A top-level object (one
conversation, or ``{"conversations": [...]}``) is walked the same way, never
read whole. A file whose top level is not valid JSON raises ``SourceError``
naming the file and the position of the error (conversations before that point
are kept); one malformed conversation is reported as a ``Skip`` and the rest
imported. A
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

from ...archive import open_zip
from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, file_uri
from ..jsonstream import MAX_TEXT, JsonStream, JsonStreamError, ValueSkipped, truncation_note
from .conversations_zip import conversations_member, parse_zipped_conversations

__all__ = ["ChatGPTSource"]

#: larger files are refused (an export is rarely above a few hundred MB)
MAX_FILE_BYTES = 2 * 1024**3
#: characters read from the file at a time
READ_CHARS = 1 << 20

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


def _iter_array(stream: IO[str], name: str, path: Path) -> Iterator[tuple[int, Any] | Skip]:
    """The conversations, one at a time: ``(index, conversation)``, or a Skip for one
    too large to read even with its long texts cut (see :class:`JsonStream`)."""
    reader = JsonStream(stream, read_chars=READ_CHARS)
    try:
        first = reader.peek()
        if not first:
            raise JsonStreamError(reader.position(), "empty file")
        if first == "{":  # a single conversation, or {"conversations": [...]}
            yield from _single(reader, path)
        elif first == "[":
            for index in reader.items():
                try:
                    yield index, reader.value()
                except ValueSkipped as error:
                    yield _refused(path, index, error)
        else:
            raise JsonStreamError(reader.position(), "expected a list of conversations")
    except JsonStreamError as error:
        raise SourceError(f"{name}: invalid JSON at {error.position}: {error.message}") from None


def _single(reader: JsonStream, path: Path) -> Iterator[tuple[int, Any] | Skip]:
    """A top-level object: the conversations of its ``conversations`` list when it has
    one, else itself as one conversation, its members sharing one record's budget."""
    budget = reader.budget()
    start = reader.position()
    conversation: dict[str, Any] = {}
    refused: ValueSkipped | None = None
    wrapped = False
    for key in reader.members():
        if key == "conversations" and reader.peek() == "[":
            wrapped = True
            for index in reader.items():
                try:
                    yield index, reader.value()
                except ValueSkipped as error:
                    yield _refused(path, index, error)
        elif refused is None and not wrapped:
            try:
                conversation[key] = reader.value(budget)
            except ValueSkipped as error:
                refused = error
                conversation.clear()
    if wrapped:
        return
    if refused is not None:
        yield _refused(path, 0, ValueSkipped(start, refused.reason))
    else:
        yield 0, conversation


def _refused(path: Path, index: int, error: ValueSkipped) -> Skip:
    return Skip(
        str(path),
        f"conversation {index + 1}",
        f"not read: {error.reason} even with each text cut to {MAX_TEXT:,} characters"
        f" (the conversation starts at {error.position})",
    )


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
        for entry in _iter_array(stream, name, path):
            if isinstance(entry, Skip):
                yield entry
                continue
            index, conversation = entry
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
        cut: list[str] = []  # the messages whose text was cut
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
                cut.append(f"{where} / message {mid}")
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
        for place in cut:
            yield truncation_note(str(path), place)
