"""Twitter / X archive: your posts, direct messages and likes (``data/*.js``).

"Download an archive of your data" gives a zip whose ``data/`` folder holds one
JavaScript file per kind of record, each a JSON array after an assignment::

    window.YTD.tweets.part0 = [ {"tweet": {"id_str", "created_at": "Fri Feb 20
      09:10:58 +0000 2026", "full_text", "lang", "entities": {"urls": [{"url",
      "expanded_url"}], "user_mentions": [...], "hashtags": [...]},
      "in_reply_to_status_id_str", "in_reply_to_screen_name", ...}}, ...]
    window.YTD.direct_messages.part0 = [ {"dmConversation": {"conversationId":
      "2815014648-1964312974236991488", "messages": [{"messageCreate": {"id",
      "senderId", "recipientId", "text", "createdAt": "2026-01-25T19:33:24.183Z",
      "urls": [...], "mediaUrls": [...], "reactions": [...]}}]}}, ...]
    window.YTD.like.part0 = [ {"like": {"tweetId", "fullText", "expandedUrl"}}, ...]

Read (source ``twitter``): ``tweets.js`` (older archives: ``tweet.js``; large accounts:
``tweets-part1.js`` ...) and ``deleted-tweets.js``, one item per post (kind ``post``,
author ``Me``, keyed by the tweet id, a reply threaded under the tweet it answers);
``direct-messages.js`` and ``direct-messages-group.js``, one item per message (kind
``message``, threaded per conversation, keyed by the message id; the sender is ``Me``
when it is the account's own id, read from ``account.js`` beside the file when there is
one, else the sender's numeric id, as the archive gives no names); ``like.js`` and ``bookmark.js``,
one item per liked or bookmarked post (kind ``like`` / ``bookmark``, keyed by the tweet
id, with its text and link; dated only when the archive says when); ``note-tweet.js``,
the whole text of long posts (over 280 characters: ``tweets.js`` cuts them), one item
each (kind ``post``). Texts are kept as posted, with ``&amp;``, ``&lt;`` and
``&gt;`` decoded and ``t.co`` links expanded to the addresses they stand for. The other
files (followers, blocks, ads, devices ...) are not read.

The arrays are streamed (:mod:`..jsonstream`): memory holds one post or one message;
one that cannot be read is one ``Skip`` naming it; malformed or cut JSON ends the file
with one ``Skip`` at its line, after what was read before it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, to_utc
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

__all__ = ["TwitterSource", "read_assignment"]

#: characters read looking for the ``=`` of ``window.YTD.x.part0 =``
_PREFIX_CHARS = 200
_ASSIGNMENT = re.compile(rb"^\s*window\.YTD\.([a-z_]+)\.part\d+\s*=\s*\[")
_POSTS = {"tweets", "tweet", "deleted_tweets"}
_DMS = {"direct_messages", "direct_messages_group"}
_LIKES = {"like", "bookmark"}
_NOTES = {"note_tweet"}
_READ = _POSTS | _DMS | _LIKES | _NOTES
_ACCOUNT_BYTES = 1 << 20


def read_assignment(handle: IO[str], file: str) -> str:
    """Consume ``window.YTD.<name>.partN =`` from ``handle``; return ``<name>``."""
    prefix = ""
    while len(prefix) < _PREFIX_CHARS:
        char = handle.read(1)
        if not char or char == "=":
            break
        prefix += char
    found = re.fullmatch(r"\s*window\.YTD\.([a-z_]+)\.part\d+\s*", prefix)
    if found is None:
        raise SourceError(f"{file}: not a Twitter archive file (no window.YTD assignment)")
    return found.group(1)


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _expand(text: str, urls: Any) -> str:
    """``text`` with its t.co links replaced by the addresses they stand for."""
    for url in urls if isinstance(urls, list) else []:
        if isinstance(url, dict):
            short = _str(url.get("url"))
            long = _str(url.get("expanded_url")) or _str(url.get("expanded"))
            if short and long:
                text = text.replace(short, long)
    return text


def _post_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return to_utc(datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y"))
    except ValueError:
        return iso_time(value)


def _owner(path: Path) -> tuple[str, str]:
    """``(account id, user name)`` from ``account.js`` beside ``path``, or empty strings."""
    account = path.with_name("account.js")
    try:
        if not account.is_file() or account.stat().st_size > _ACCOUNT_BYTES:
            return "", ""
        with open_text(account) as handle:
            if read_assignment(handle, str(account)) != "account":
                return "", ""
            reader = JsonStream(handle)
            for _ in reader.items():
                value = reader.value()
                if isinstance(value, dict) and isinstance(value.get("account"), dict):
                    found = value["account"]
                    return _str(found.get("accountId")), _str(found.get("username"))
    except (OSError, SourceError, ValueError):
        pass
    return "", ""


class TwitterSource(Source):
    name = "twitter"
    description = "Twitter / X archive: posts, direct messages and likes (data/*.js)"
    extensions = (".js",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".js":
            return False
        found = _ASSIGNMENT.match(head.lstrip(b"\xef\xbb\xbf"))
        return found is not None and found.group(1).decode() in _READ

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        with open_text(path) as handle:
            kind = read_assignment(handle, file)
            if kind not in _READ:
                raise SourceError(f"{file}: Twitter archive file of {kind!r}, which is not read")
            reader = JsonStream(handle)
            if reader.peek() != "[":
                raise SourceError(f"{file}: expected a JSON array after the assignment")
            owner, username = _owner(path) if kind in _DMS or kind in _POSTS else ("", "")
            try:
                if kind in _DMS:
                    yield from self._conversations(path, reader, owner)
                else:
                    yield from each_message(
                        path,
                        reader,
                        lambda index: f"{kind} {index + 1}",
                        lambda raw, where: self._record(path, kind, raw, where, username),
                    )
            except JsonStreamError as error:
                yield error.skip(file)

    # -- posts and likes ----------------------------------------------------------------

    def _record(self, path: Path, kind: str, raw: Any, where: str, username: str) -> Parsed:
        if not isinstance(raw, dict):
            return Skip(str(path), where, f"expected an object, got {type(raw).__name__}")
        if kind in _LIKES:
            return self._like(path, kind, raw.get(kind), where)
        if kind in _NOTES:
            return self._note(path, raw.get("noteTweet"), where, username)
        tweet = raw.get("tweet", raw)
        if not isinstance(tweet, dict):
            return Skip(str(path), where, "'tweet' is not an object")
        tweet_id = _str(tweet.get("id_str")) or _str(tweet.get("id"))
        if not tweet_id:
            return Skip(str(path), where, "post without an id")
        found = tweet.get("entities")
        entities: dict[str, Any] = found if isinstance(found, dict) else {}
        text = html.unescape(_str(tweet.get("full_text")) or _str(tweet.get("text")))
        text = _expand(text, entities.get("urls"))
        metadata: dict[str, Any] = {"tweet_id": tweet_id}
        if kind == "deleted_tweets":
            metadata["deleted"] = True
        for field, name in (("lang", "lang"), ("in_reply_to_screen_name", "reply_to_user")):
            if _str(tweet.get(field)):
                metadata[name] = _str(tweet.get(field))[:100]
        reply_to = _str(tweet.get("in_reply_to_status_id_str"))
        if reply_to:
            metadata["reply_to"] = reply_to
        if username:
            metadata["account"] = username
        mentions = [
            _str(m.get("screen_name"))
            for m in entities.get("user_mentions") or []
            if isinstance(m, dict) and _str(m.get("screen_name"))
        ][:50]
        if text.startswith("RT @"):
            metadata["retweet"] = True
        for field in ("favorite_count", "retweet_count"):
            if _str(tweet.get(field)).isdigit():
                metadata[field.removesuffix("_count") + "s"] = int(_str(tweet.get(field)))
        if not text.strip():
            return Skip(str(path), where, f"post {tweet_id} without text")
        locator = f"tweet {tweet_id}"
        return Item(
            source=self.name,
            key=f"tweet/{tweet_id}",
            kind="post",
            text=cap_text(clean_text(text), metadata),
            timestamp=_post_time(tweet.get("created_at")),
            author="Me",
            participants=("Me", *(f"@{m}" for m in mentions)),
            title=f"@{username}" if username else "Twitter",
            thread=f"twitter:{reply_to}" if reply_to else f"twitter:{tweet_id}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )

    def _like(self, path: Path, kind: str, like: Any, where: str) -> Parsed:
        if not isinstance(like, dict):
            return Skip(str(path), where, f"'{kind}' is not an object")
        tweet_id = _str(like.get("tweetId"))
        text = html.unescape(_str(like.get("fullText")))
        if not tweet_id or not text.strip():
            return Skip(str(path), where, f"{kind} without a post id or text")
        metadata: dict[str, Any] = {"tweet_id": tweet_id}
        if _str(like.get("expandedUrl")):
            metadata["url"] = _str(like.get("expandedUrl"))[:2000]
        locator = f"{kind} {tweet_id}"
        return Item(
            source=self.name,
            key=f"{kind}/{tweet_id}",
            kind=kind,
            text=cap_text(clean_text(text), metadata),
            timestamp=iso_time(like.get("likedAt") or like.get("bookmarkedAt")),
            author=None,
            participants=("Me",),
            title="Liked on Twitter" if kind == "like" else "Bookmarked on Twitter",
            thread=f"twitter:{tweet_id}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )

    def _note(self, path: Path, note: Any, where: str, username: str) -> Parsed:
        """A long post (over 280 characters): its whole text, which tweets.js cuts."""
        if not isinstance(note, dict):
            return Skip(str(path), where, "'noteTweet' is not an object")
        note_id = _str(note.get("noteTweetId"))
        body = note.get("core") or note.get("noteTweetResults") or {}
        text = html.unescape(_str(body.get("text"))) if isinstance(body, dict) else ""
        if not note_id or not text.strip():
            return Skip(str(path), where, "long post without an id or text")
        if isinstance(body, dict):
            text = _expand(text, body.get("urls"))
        metadata: dict[str, Any] = {"note_tweet_id": note_id, "long_post": True}
        if _str(note.get("tweetId")):
            metadata["tweet_id"] = _str(note.get("tweetId"))
        if username:
            metadata["account"] = username
        locator = f"long post {note_id}"
        return Item(
            source=self.name,
            key=f"note/{note_id}",
            kind="post",
            text=cap_text(clean_text(text), metadata),
            timestamp=iso_time(note.get("createdAt")),
            author="Me",
            participants=("Me",),
            title=f"@{username}" if username else "Twitter",
            thread=f"twitter:{metadata.get('tweet_id') or note_id}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )

    # -- direct messages ----------------------------------------------------------------

    def _conversations(self, path: Path, reader: JsonStream, owner: str) -> Iterator[Parsed]:
        file = str(path)
        for index in reader.items():
            where = f"conversation {index + 1}"
            if reader.peek() != "{":
                yield Skip(file, where, "not an object")
                continue
            for key in reader.members():
                if key != "dmConversation":
                    continue
                if reader.peek() != "{":
                    yield Skip(file, where, "'dmConversation' is not an object")
                    continue
                conversation = ""
                for field in reader.members():
                    if field == "conversationId":
                        try:
                            conversation = _str(reader.value())[:200]
                        except ValueSkipped as error:
                            yield Skip(file, where, str(error))
                    elif field == "messages" and reader.peek() == "[":
                        yield from self._messages(
                            path, reader, conversation or f"#{index + 1}", owner
                        )

    def _messages(self, path: Path, reader: JsonStream, chat: str, owner: str) -> Iterator[Parsed]:
        yield from each_message(
            path,
            reader,
            lambda n: f"conversation {chat} / message {n + 1}",
            lambda raw, place: self._dm(path, chat, raw, place, owner),
        )

    def _dm(self, path: Path, chat: str, raw: Any, where: str, owner: str) -> Parsed:
        if not isinstance(raw, dict):
            return Skip(str(path), where, f"expected an object, got {type(raw).__name__}")
        message = raw.get("messageCreate")
        if not isinstance(message, dict):
            kinds = ", ".join(sorted(str(k)[:40] for k in raw)[:3])
            return Skip(str(path), where, f"conversation event, not a message ({kinds})")
        message_id = _str(message.get("id"))
        if not message_id:
            return Skip(str(path), where, "message without an id")
        sender = _str(message.get("senderId"))
        text = _expand(html.unescape(_str(message.get("text"))), message.get("urls"))
        metadata: dict[str, Any] = {"conversation": chat}
        media = [_str(m) for m in message.get("mediaUrls") or [] if _str(m)][:50]
        if media:
            metadata["media"] = media
            if not text.strip():
                text = " ".join(f"[media: {m}]" for m in media)
        if not text.strip():
            return Skip(str(path), where, "message without text")
        ids = [part for part in chat.split("-") if part.isdigit()]
        me = owner or ""
        author = "Me" if sender and sender == me else sender or None
        others = [i for i in ids if i != me] if me else ids
        participants = tuple(dict.fromkeys(["Me", *others] if me else others))
        locator = f"message {message_id}"
        return Item(
            source=self.name,
            key=f"dm/{message_id}",
            kind="message",
            text=cap_text(clean_text(text), metadata),
            timestamp=iso_time(message.get("createdAt")),
            author=author,
            participants=participants[:50],
            title="Twitter direct messages",
            thread=f"twitter-dm:{chat}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )
