"""Slack workspace exports: the export ``.zip`` (read in place) or its unpacked folder.

A workspace export (Workspace settings > Import/Export Data > Export) holds::

    users.json                    [{"id", "name", "real_name", "profile": {...}}]
    channels.json groups.json     public / private channels: [{"id", "name", "members"}]
    dms.json mpims.json           direct and group messages: [{"id", "name"?, "members"}]
    <channel>/<YYYY-MM-DD>.json   one file per channel per day: [{"ts", "user", "text", ...}]

Channel folders are named after the channel (after the DM's id for direct
messages). Each message becomes one ``Item`` keyed by channel id and ``ts``
(unique within a channel in Slack), threaded per channel (``slack:<id>``);
replies carry ``metadata["thread_ts"]`` and ``metadata["reply_to"]`` (the key of
the thread's first message). User ids are resolved to names (real name, else
display name, else handle), in the author and in mentions: ``<@U123>`` becomes
``@Alice``, ``<#C1|general>`` ``#general``, ``<!here>`` ``@here`` and links
``<https://x|label>`` ``label (https://x)``. Shared files are named in
``metadata["files"]`` (a message with no text gets ``[file: name]``); joins,
leaves, topic changes and other ``subtype`` events are kept with
``metadata["system"] = True``. Participants are the channel's members when it
has at most 50, else the author.

A zip is never extracted: member names with ``..``, absolute paths or drive
letters are refused, every member is checked for size and compression ratio
(zip bombs), and all reads together are capped. Every file (up to 256 MB) is
streamed and decoded one message at a time (:class:`~lifelog.sources.jsonstream.
JsonStream`), so memory stays bounded whatever a file holds: a text is cut at
``MAX_ITEM_TEXT`` characters (the item marked ``truncated``, a Skip naming the
message), a message too large even then is one Skip, and a file whose JSON
breaks keeps the messages before the break.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ...archive import check_zip_member, is_whole_export, open_zip
from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text
from ..jsonstream import (
    JsonStream,
    JsonStreamError,
    ValueSkipped,
    cap_text,
    epoch_time,
    record_uri,
    truncation_note,
)

__all__ = ["SlackSource", "SlackZipSource", "export_folder"]

#: a single JSON file of the export may not be larger than this
MAX_FILE_BYTES = 256 * 1024 * 1024
#: everything read from one export together may not be larger than this
MAX_TOTAL_BYTES = 16 * 1024**3
#: a zip with more members than this is refused
MAX_MEMBERS = 2_000_000
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
_META = ("users.json", "channels.json", "groups.json", "dms.json", "mpims.json")
_KINDS = {
    "channels.json": "channel",
    "groups.json": "private",
    "dms.json": "dm",
    "mpims.json": "mpim",
}
_MARKUP = re.compile(r"<([^<>\n]{1,2000})>")
_USER_SUBTYPES = {
    None,
    "bot_message",
    "file_share",
    "thread_broadcast",
    "me_message",
    "file_comment",
    "reply_broadcast",
    "slackbot_response",
}
_MAX_MEMBERS_LISTED = 50


class _Refused(Exception):
    """A member that must not be read; the message says why."""


@dataclass(slots=True)
class _Channel:
    folder: str
    id: str
    title: str
    kind: str
    members: list[str] = field(default_factory=list)


class _Tree:
    """The export's files by relative POSIX name, from a folder or a zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_total = 0
        self.exhausted = False
        self.refused: list[tuple[str, str]] = []
        self._archive: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}
        self.names: list[str] = []
        #: a zip that is the export alone (not a larger archive holding its folder)
        self.whole = True
        if path.is_dir():
            self._scan_folder()
        else:
            self._scan_zip()

    def _scan_folder(self) -> None:
        try:
            with os.scandir(self.path) as top:
                for entry in top:
                    if entry.is_symlink():
                        continue
                    if entry.is_file() and entry.name in _META:
                        self.names.append(entry.name)
                    elif entry.is_dir() and not entry.name.startswith("."):
                        with os.scandir(entry.path) as inner:
                            self.names.extend(
                                f"{entry.name}/{e.name}"
                                for e in inner
                                if _DAY.fullmatch(e.name) and e.is_file() and not e.is_symlink()
                            )
        except OSError as error:
            raise SourceError(f"{self.path}: cannot read folder: {error}") from error

    def _scan_zip(self) -> None:
        self._archive = open_zip(self.path)
        infos = self._archive.infolist()
        if len(infos) > MAX_MEMBERS:
            self._archive.close()
            raise SourceError(f"{self.path}: too many zip members ({len(infos)})")
        safe: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.is_dir():
                continue
            raw = info.filename.replace("\\", "/")
            parts: tuple[str, ...] = PurePosixPath(raw).parts
            if raw.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                self.refused.append((info.filename, "unsafe member name (path traversal)"))
                continue
            safe["/".join(p for p in parts if p not in ("", "."))] = info
        prefix = _root_prefix(safe)
        self.whole = is_whole_export((info.filename for info in infos), prefix)
        for name, info in safe.items():
            if prefix and not name.startswith(prefix):
                continue
            relative = name[len(prefix) :]
            pieces = relative.split("/")
            if (len(pieces) == 1 and pieces[0] in _META) or (
                len(pieces) == 2 and _DAY.fullmatch(pieces[1])
            ):
                self._members[relative] = info
                self.names.append(relative)

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()

    @contextmanager
    def open(self, name: str) -> Iterator[IO[str]]:
        """``name`` as a text stream (never read whole), counted towards the caps."""
        if self._archive is None:
            target = self.path / name
            self._account(target.stat().st_size)
            with target.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
                yield handle
            return
        info = self._members[name]
        refused = check_zip_member(info, MAX_FILE_BYTES)
        if refused:
            raise _Refused(refused)
        self._account(info.file_size)
        with self._archive.open(info) as member:
            yield io.TextIOWrapper(member, encoding="utf-8-sig", errors="replace", newline="")

    def _account(self, size: int) -> None:
        if size > MAX_FILE_BYTES:
            raise _Refused(f"file too large ({size} bytes, limit {MAX_FILE_BYTES // 1024**2} MB)")
        self.read_total += size
        if self.read_total > MAX_TOTAL_BYTES:
            self.exhausted = True
            raise _Refused(
                f"the export holds more than {MAX_TOTAL_BYTES // 1024**3} GB of JSON, the limit"
                " on what one import reads; the rest is not read"
            )


def _root_prefix(names: Mapping[str, Any]) -> str:
    """The folder holding users.json/channels.json ("" at the top), the shallowest one."""
    best: str | None = None
    for name in names:
        parts = name.split("/")
        if parts[-1] in ("users.json", "channels.json") and len(parts) <= 3:
            prefix = "/".join(parts[:-1])
            prefix = prefix + "/" if prefix else ""
            if best is None or prefix.count("/") < best.count("/"):
                best = prefix
    return best or ""


def export_folder(member: str) -> str | None:
    """The folder (``""`` or ``"a/b/"``) whose Slack export ``member`` (a POSIX path inside
    an archive) would be part of, from its place alone: ``users.json``, ``channels.json``
    ... in it, ``<channel>/<YYYY-MM-DD>.json`` one folder down; None for any other name."""
    parts = member.split("/")
    if parts[-1] in _META:
        root = parts[:-1]
    elif len(parts) >= 2 and _DAY.fullmatch(parts[-1]):
        root = parts[:-2]
    else:
        return None
    return "/".join(root) + "/" if root else ""


def _looks_like_export(names: list[str]) -> bool:
    return any(n in ("users.json", "channels.json") for n in names) and any("/" in n for n in names)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _user_name(user: Mapping[str, Any]) -> str | None:
    profile = user.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    return (
        _str(user.get("real_name"))
        or _str(profile.get("real_name"))
        or _str(profile.get("display_name"))
        or _str(user.get("name"))
    )


class SlackSource(Source):
    name = "slack"
    description = "Slack workspace export (the export folder, or its .zip read in place)"
    extensions = (".zip",)
    directory = True

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.is_dir():
            if not any((path / name).is_file() for name in ("users.json", "channels.json")):
                return False
            try:
                return _looks_like_export(_Tree(path).names)
            except SourceError:
                return False
        if path.suffix.lower() != ".zip":
            return False
        try:
            tree = _Tree(path)
        except SourceError:
            return False
        try:
            return tree.whole and _looks_like_export(tree.names)
        finally:
            tree.close()

    def parse(self, path: Path) -> Iterator[Parsed]:
        tree = _Tree(path)
        try:
            for name, reason in tree.refused:
                yield Skip(str(path), name, reason)
            yield from self._parse(path, tree)
        finally:
            tree.close()

    def _elements(
        self, path: Path, tree: _Tree, name: str, what: str | None
    ) -> Iterator[tuple[int, str, Any] | Skip]:
        """``(index, where, element)`` for each element of the JSON list ``name``, decoded one at a
        time (bounded, see :class:`JsonStream`), or a Skip: for an element too large to
        read, for a file that is not a list (when it should be a list of ``what``), for
        the place where the JSON breaks (the elements before it are kept)."""
        try:
            with tree.open(name) as stream:
                reader = JsonStream(stream)
                if reader.peek() != "[":
                    reader.skip()  # a JSON value that is not a list, or the first error
                    if what:
                        yield Skip(str(path), name, f"expected a list of {what}")
                    return
                for index in reader.items():
                    where = f"{name} message {index + 1}"
                    try:
                        yield index, where, reader.value()
                    except ValueSkipped as error:
                        yield Skip(str(path), where, f"not read: {error}")
        except _Refused as refused:
            yield Skip(str(path), name, str(refused))
        except JsonStreamError as error:
            where = f"{name} {error.position.split(' (char ')[0]}"
            reason = error.message
            yield Skip(str(path), where, reason if "JSON" in reason else f"invalid JSON: {reason}")
        except (OSError, zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as error:
            yield Skip(str(path), name, f"cannot read: {error}")

    def _parse(self, path: Path, tree: _Tree) -> Iterator[Parsed]:
        users: dict[str, str] = {}
        channels: dict[str, _Channel] = {}  # by folder name
        names = set(tree.names)
        if "users.json" in names:
            for entry in self._elements(path, tree, "users.json", None):
                if isinstance(entry, Skip):
                    yield entry
                    continue
                user = entry[2]
                if isinstance(user, dict) and _str(user.get("id")):
                    users[user["id"]] = _user_name(user) or user["id"]
        for meta, kind in _KINDS.items():
            if meta not in names:
                continue
            for entry in self._elements(path, tree, meta, None):
                if isinstance(entry, Skip):
                    yield entry
                    continue
                channel = self._channel(entry[2], kind, users)
                if channel is not None:
                    channels.setdefault(channel.folder, channel)
        by_id = {c.id: c.title.lstrip("#") for c in channels.values()}
        days: dict[str, list[str]] = {}
        for name in tree.names:
            if "/" in name:
                folder, day = name.split("/", 1)
                days.setdefault(folder, []).append(day)
        for folder in sorted(days):
            channel = channels.get(folder) or _Channel(folder, folder, f"#{folder}", "channel")
            for day in sorted(days[folder]):
                name = f"{folder}/{day}"
                for entry in self._elements(path, tree, name, "messages"):
                    if isinstance(entry, Skip):
                        yield entry
                        if tree.exhausted:
                            return
                        continue
                    index, where, raw = entry
                    try:
                        message = self._message(path, channel, users, by_id, raw, where, index)
                    except (ValueError, TypeError, AttributeError, KeyError) as error:
                        message = Skip(str(path), where, f"malformed message: {error}")
                    yield message
                    if isinstance(message, Item) and message.metadata.get("truncated"):
                        yield truncation_note(str(path), where)

    @staticmethod
    def _channel(entry: Any, kind: str, users: Mapping[str, str]) -> _Channel | None:
        if not isinstance(entry, dict) or not _str(entry.get("id")):
            return None
        cid: str = entry["id"]
        members = [m for m in entry.get("members") or [] if isinstance(m, str)]
        member_names = [users.get(m, m) for m in members]
        name = _str(entry.get("name"))
        if kind == "dm":
            return _Channel(cid, cid, "DM: " + ", ".join(member_names), kind, members)
        if kind == "mpim":
            title = "Group DM: " + ", ".join(member_names) if members else (name or cid)
            return _Channel(name or cid, cid, title, kind, members)
        return _Channel(name or cid, cid, f"#{name or cid}", kind, members)

    def _message(
        self,
        path: Path,
        channel: _Channel,
        users: Mapping[str, str],
        channels: Mapping[str, str],
        raw: Any,
        where: str,
        index: int,
    ) -> Parsed:
        if not isinstance(raw, dict):
            return Skip(str(path), where, f"expected an object, got {type(raw).__name__}")
        ts = _str(raw.get("ts"))
        user_id = _str(raw.get("user"))
        profile = raw.get("user_profile")
        profile = profile if isinstance(profile, dict) else {}
        bot = raw.get("bot_profile")
        bot = bot if isinstance(bot, dict) else {}
        author = (
            (users.get(user_id) if user_id else None)
            or _str(profile.get("real_name"))
            or _str(profile.get("display_name"))
            or _str(raw.get("username"))
            or _str(bot.get("name"))
            or user_id
        )
        metadata: dict[str, Any] = {"channel": channel.title}
        if user_id:
            metadata["user_id"] = user_id
        text = _render(raw.get("text"), users, channels)
        files = self._files(raw)
        if files:
            metadata["files"] = files
        attachments = raw.get("attachments")
        extra: list[str] = []
        for attachment in attachments if isinstance(attachments, list) else []:
            if isinstance(attachment, dict):
                shown = _str(attachment.get("fallback")) or _str(attachment.get("text"))
                if shown:
                    extra.append(_render(shown, users, channels))
        if not text.strip():
            text = "\n".join(extra + [f"[file: {name}]" for name in files])
        subtype = raw.get("subtype")
        if subtype not in _USER_SUBTYPES:
            metadata["system"] = True
        if isinstance(subtype, str):
            metadata["subtype"] = subtype
        thread_ts = _str(raw.get("thread_ts"))
        if thread_ts and thread_ts != ts:
            metadata["thread_ts"] = thread_ts
            metadata["reply_to"] = f"{channel.id}/{thread_ts}"
        elif thread_ts and isinstance(raw.get("reply_count"), int):
            metadata["replies"] = raw["reply_count"]
        edited = raw.get("edited")
        if isinstance(edited, dict) and _str(edited.get("ts")):
            metadata["edited"] = edited["ts"]
        text = cap_text(clean_text(text), metadata)
        people = [author] if author else []
        if len(channel.members) <= _MAX_MEMBERS_LISTED:
            for member in channel.members:
                name = users.get(member)
                if name and name not in people:
                    people.append(name)
        locator = where
        return Item(
            source=self.name,
            key=f"{channel.id}/{ts}" if ts else f"{channel.id}/{where}",
            kind="message",
            text=text,
            timestamp=epoch_time(ts),
            author=author,
            participants=tuple(people),
            title=channel.title,
            thread=f"slack:{channel.id}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )

    @staticmethod
    def _files(raw: Mapping[str, Any]) -> list[str]:
        entries = list(raw.get("files") or []) if isinstance(raw.get("files"), list) else []
        if isinstance(raw.get("file"), dict):
            entries.append(raw["file"])
        names: list[str] = []
        for entry in entries[:50]:
            if isinstance(entry, dict):
                name = _str(entry.get("name")) or _str(entry.get("title"))
                if name and name not in names:
                    names.append(name)
        return names


def _render(text: Any, users: Mapping[str, str], channels: Mapping[str, str]) -> str:
    """Slack's message markup as plain text: mentions resolved, entities unescaped."""
    if not isinstance(text, str):
        return ""

    def one(match: re.Match[str]) -> str:
        body = match.group(1)
        target, _, label = body.partition("|")
        if target.startswith("@"):
            return "@" + (users.get(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (channels.get(target[1:]) or label or target[1:])
        if target.startswith("!"):
            if label:
                return label
            special = target[1:].split("^", 1)[0]
            return f"@{special}"
        if target.startswith("mailto:"):
            return label or target[7:]
        if label and label != target:
            return f"{label} ({target})"
        return target

    rendered = _MARKUP.sub(one, text)
    return rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackZipSource(SlackSource):
    """The same reader offered for files (directory sources are only asked about folders)."""

    directory = False
