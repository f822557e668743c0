"""Mastodon (and other ActivityPub servers') archives: ``outbox.json``, ``likes.json``,
``bookmarks.json``.

"Request your archive" (Preferences → Import and export) gives a zip holding
``actor.json``, ``outbox.json`` (an ActivityStreams ``OrderedCollection``), ``likes.json``,
``bookmarks.json`` and ``media_attachments/``. The outbox lists what you did::

    {"@context": [...], "id": "outbox.json", "type": "OrderedCollection",
     "totalItems": 1557, "orderedItems": [
       {"id": ".../statuses/1093.../activity", "type": "Create", "actor": "...",
        "published": "2022-11-08T03:07:14Z", "to": [...], "cc": [...],
        "object": {"id": ".../statuses/1093...", "type": "Note", "summary": null,
          "inReplyTo": null, "published": "...", "url": "https://.../@me/1093...",
          "sensitive": false, "conversation": "tag:...", "content": "<p>HTML</p>",
          "contentMap": {"en": "..."}, "attachment": [{"mediaType", "url", "name"}],
          "tag": [{"type": "Mention", "name": "@mcg@social.lol"}, {"type": "Hashtag"}]}},
       {"type": "Announce", "object": "https://other.server/users/x/statuses/1", ...}]}

Read (source ``mastodon``): each ``Create`` of a ``Note`` (or ``Question``, ``Article``,
``Page``) is one item (kind ``post``, author ``Me``, keyed by the status's id, its HTML
content turned into text, a content warning (``summary``) before it, attachments'
descriptions after it, mentions as participants, threaded by its ``conversation``).
Visibility is kept in the metadata (``public``, ``unlisted``, ``followers``,
``direct``). Each boost (``Announce``) is one item naming what was boosted (kind
``boost``). ``likes.json`` and ``bookmarks.json`` list the addresses of statuses, without
their text: one item each (kind ``like`` / ``bookmark``), undated. Other activities
(``Delete``, ``Update`` ...) are counted as left out.

The collection is streamed (:mod:`..jsonstream`): memory holds one activity; one that
cannot be read is one ``Skip`` naming it; malformed or cut JSON ends the file with one
``Skip`` at its line, after what was read before it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, left_out_skip
from ..htmltext import html_to_text
from ..jsonstream import (
    JsonStream,
    JsonStreamError,
    ValueSkipped,
    cap_text,
    iso_time,
    open_text,
    record_uri,
    truncation_note,
)

__all__ = ["MastodonSource"]

_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_POSTS = {"Note", "Question", "Article", "Page"}
_LISTS = {"likes.json": "like", "bookmarks.json": "bookmark"}
_MALFORMED = (ValueError, TypeError, AttributeError, KeyError)
#: HTML of one post turned into text at most (Mastodon allows 500 characters; others more)
MAX_HTML = 2_000_000


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _visibility(activity: dict[str, Any]) -> str:
    to, cc = _strings(activity.get("to")), _strings(activity.get("cc"))
    if _PUBLIC in to:
        return "public"
    if _PUBLIC in cc:
        return "unlisted"
    if any(address.endswith("/followers") for address in to + cc):
        return "followers"
    return "direct"


def _status_key(address: str) -> str:
    """A status's address without the ``/activity`` suffix of the activity naming it."""
    return address.removesuffix("/activity")


class MastodonSource(Source):
    name = "mastodon"
    description = "Mastodon / ActivityPub archive: outbox.json posts and boosts, likes, bookmarks"
    extensions = (".json",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".json":
            return False
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return (
            start.startswith(b"{")
            and b"activitystreams" in head
            and b'"OrderedCollection"' in head
            and (b'"orderedItems"' in head or path.name.lower() in ("outbox.json", *_LISTS))
        )

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        left: Counter[str] = Counter()
        with open_text(path) as handle:
            reader = JsonStream(handle)
            if reader.peek() != "{":
                raise SourceError(f"{file}: not an ActivityStreams collection (expected an object)")
            collection = ""
            try:
                for key in reader.members():
                    if key == "id":
                        collection = _str(reader.value())
                    elif key == "orderedItems" and reader.peek() == "[":
                        kind = _LISTS.get(PurePosixPath(collection).name) or _LISTS.get(path.name)
                        yield from self._entries(path, reader, kind, left)
            except JsonStreamError as error:
                yield error.skip(file)
        if left:
            yield left_out_skip(
                file, "activities", [(n, f"{k} activities") for k, n in left.items()]
            )

    def _entries(
        self, path: Path, reader: JsonStream, kind: str | None, left: Counter[str]
    ) -> Iterator[Parsed]:
        file = str(path)
        for index in reader.items():
            where = f"item {index + 1}"
            try:
                raw = reader.value()
            except ValueSkipped as error:
                yield Skip(file, where, str(error))
                continue
            try:
                record = self._entry(path, raw, where, kind, left)
            except _MALFORMED as error:
                record = Skip(file, where, f"malformed activity: {error}")
            if record is not None:
                yield record
                if isinstance(record, Item) and record.metadata.get("truncated"):
                    yield truncation_note(file, where)

    def _entry(
        self, path: Path, raw: Any, where: str, kind: str | None, left: Counter[str]
    ) -> Parsed | None:
        if kind is not None:  # likes.json, bookmarks.json: addresses of statuses
            address = _str(raw)
            if not address:
                return Skip(str(path), where, f"expected the address of a status in {kind}s")
            return Item(
                source=self.name,
                key=f"{kind}/{address}",
                kind=kind,
                text=f"{'Liked' if kind == 'like' else 'Bookmarked'}: {address}",
                participants=("Me",),
                title=f"Mastodon {kind}s",
                uri=record_uri(path, where),
                locator=where,
                metadata={"url": address[:2000]},
            )
        if not isinstance(raw, dict):
            return Skip(str(path), where, f"expected an activity, got {type(raw).__name__}")
        activity = _str(raw.get("type"))
        if activity == "Announce":
            return self._boost(path, raw, where)
        thing = raw.get("object")
        if activity != "Create" or not isinstance(thing, dict) or thing.get("type") not in _POSTS:
            left[activity or "untyped"] += 1
            return None
        return self._post(path, raw, thing, where)

    def _post(
        self, path: Path, activity: dict[str, Any], post: dict[str, Any], where: str
    ) -> Parsed:
        address = _str(post.get("id")) or _status_key(_str(activity.get("id")))
        if not address:
            return Skip(str(path), where, "post without an id")
        content = _str(post.get("content"))
        if not content:
            languages = post.get("contentMap")
            if isinstance(languages, dict):
                content = next((v for v in languages.values() if isinstance(v, str)), "")
        body = html_to_text(content[:MAX_HTML])[1] if "<" in content else content
        metadata: dict[str, Any] = {"visibility": _visibility(activity), "status": address}
        parts: list[str] = []
        warning = _str(post.get("summary")).strip()
        if warning:
            metadata["content_warning"] = warning[:500]
            parts.append(f"CW: {warning}")
        if body.strip():
            parts.append(body.strip())
        options = [
            _str(option.get("name"))
            for option in (post.get("oneOf") or post.get("anyOf") or [])
            if isinstance(option, dict) and _str(option.get("name"))
        ][:50]
        parts.extend(f"- {option}" for option in options)
        media: list[str] = []
        for attachment in post.get("attachment") or []:
            if isinstance(attachment, dict):
                described = _str(attachment.get("name")).strip()
                media.append(_str(attachment.get("url"))[:500])
                if described:
                    parts.append(f"[image: {described}]")
        if media:
            metadata["attachments"] = media[:50]
        if not parts:
            return Skip(str(path), where, f"post {address} without text")
        mentions: list[str] = []
        tags: list[str] = []
        for tag in post.get("tag") or []:
            if isinstance(tag, dict) and _str(tag.get("name")):
                (mentions if tag.get("type") == "Mention" else tags).append(_str(tag["name"]))
        if tags:
            metadata["tags"] = tags[:50]
        reply_to = _str(post.get("inReplyTo"))
        if reply_to:
            metadata["reply_to"] = reply_to
        if _str(post.get("url")):
            metadata["url"] = _str(post.get("url"))
        thread = _str(post.get("conversation")) or reply_to or address
        locator = f"status {address.rsplit('/', 1)[-1]}"
        return Item(
            source=self.name,
            key=f"post/{address}",
            kind="post",
            text=cap_text(clean_text("\n\n".join(parts)), metadata),
            timestamp=iso_time(post.get("published")) or iso_time(activity.get("published")),
            author="Me",
            participants=tuple(dict.fromkeys(["Me", *mentions[:50]])),
            title=warning[:200] or "Mastodon",
            thread=f"mastodon:{thread[:300]}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )

    def _boost(self, path: Path, activity: dict[str, Any], where: str) -> Parsed:
        boosted = activity.get("object")
        target = _str(boosted) or (_str(boosted.get("id")) if isinstance(boosted, dict) else "")
        own = _str(activity.get("id"))
        if not target or not own:
            return Skip(str(path), where, "boost without the status it boosts")
        locator = f"boost {own.rstrip('/').rsplit('/', 2)[-2] if '/' in own else own}"
        return Item(
            source=self.name,
            key=f"boost/{own}",
            kind="boost",
            text=f"Boosted: {target}",
            timestamp=iso_time(activity.get("published")),
            author="Me",
            participants=("Me",),
            title="Mastodon boost",
            thread=f"mastodon:{target[:300]}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata={"url": target[:2000], "visibility": _visibility(activity)},
        )
