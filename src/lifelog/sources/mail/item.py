"""One mail message (bytes) to one ``Item`` of kind ``email``: the fields, key and thread.

- ``key``: the Message-ID without ``<>``; without one, a hash of Date, From,
  Subject and body. Within one file, a second message with the same Message-ID
  but other content gets ``<id>#<hash>`` (a sender that reuses ids); an exact
  copy gets the same key (the store keeps one).
- ``thread``: the first id of ``References``, else ``In-Reply-To``, else the
  message's own id, so a reply lands in the thread of the mail it answers.
- ``timestamp``: the ``Date`` header (RFC 5322, obsolete forms, then a fuzzy
  parse), else the caller's fallback (the mbox ``From`` line, a Maildir file
  name), else the newest ``Received`` header, else None.
- ``metadata["direction"]``: ``sent`` when the From address (or name) is one of
  the user's own (``LIFELOG_ME``, plus the senders of a Sent folder), when the
  mail lies in a folder or file named like Sent, or carries Gmail's ``Sent``
  label; else ``received``.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ...records import Item, Skip
from ..base import Parsed, clean_text, to_utc
from .mbox import envelope_date
from .mime import Headers, extract_body, iter_ids, message_charset, split_message
from .text import decode_words

__all__ = ["MailContext", "build_item", "is_sent_folder", "own_addresses", "parse_date"]

#: longest text kept for one message (the rest is cut, ``metadata["truncated"]``)
MAX_TEXT = 5_000_000
#: addresses / references / attachment names kept in metadata at most
MAX_LIST = 50
#: characters of an address header read at most (mass mails list thousands)
MAX_ADDRESS_CHARS = 20_000
#: message ids remembered per file to tell duplicates apart
MAX_SEEN = 2_000_000
URI_SAFE = "@:=+-_.~ "

#: headers of which at least one makes bytes a mail message
_MAIL_HEADERS = (
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "sender",
    "received",
    "return-path",
    "newsgroups",
    "mime-version",
    "delivered-to",
    "in-reply-to",
)
_SENT_WORDS = re.compile(
    r"\b(?:sent|outbox|gesendete?|envoy[\u00e9e]s|enviad[oa]s|inviat[ae]|verzonden|skickat|"
    r"sendt|l\u00e4hetetyt|wys\u0142ane|odeslan\w*|\u043e\u0442\u043f\u0440\u0430\u0432\u043b\w*)\b",
    re.I,
)
_COMMENT = re.compile(r"\([^()]*\)")


def own_addresses() -> set[str]:
    """The user's own addresses and names from ``LIFELOG_ME`` (lower case)."""
    raw = os.environ.get("LIFELOG_ME", "")
    return {part.strip().strip("<>").lower() for part in raw.split(",") if part.strip()}


def is_sent_folder(name: str) -> bool:
    """Whether a folder or mailbox file name reads like a Sent folder (in a few languages)."""
    return bool(_SENT_WORDS.search(name.replace("_", " ")))


@dataclass(slots=True)
class MailContext:
    """What building items of one mailbox (file or Maildir) shares."""

    source: str
    #: ``file:///...`` of the file the items point at
    base_uri: str
    me: set[str] = field(default_factory=own_addresses)
    #: the mailbox is a Sent folder: every message is outgoing
    sent: bool = False
    folder: str | None = None
    #: message id -> content digest, for duplicates within this mailbox
    seen: dict[str, str] = field(default_factory=dict)
    #: learn the senders of this mailbox as the user's own addresses
    learn: bool = False


def parse_date(value: str | None) -> datetime | None:
    """A mail date header as aware UTC, or None; obsolete and sloppy forms accepted."""
    if not value:
        return None
    value = value.strip()
    moment: datetime | None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        moment = None
    if moment is None:
        moment = _fuzzy_date(_COMMENT.sub(" ", value))
    if moment is None or not 1971 <= moment.year <= 2200:
        return None
    try:
        return to_utc(moment)
    except (OverflowError, ValueError):
        return None


def _fuzzy_date(value: str) -> datetime | None:
    from dateutil import parser as dateparser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return dateparser.parse(value, fuzzy=True)
        except (ValueError, OverflowError, TypeError, LookupError):
            return None


def _normalise_id(value: str | None) -> str | None:
    if not value:
        return None
    ids = list(iter_ids(value))
    found = ids[0] if ids else value.strip().strip("<>")
    found = "".join(found.split())[:500]
    return found or None


_NAME_SPECIALS = re.compile(r'[<>,;:()\\"@\[\]]')
_ADDRESS_SPECIALS = re.compile(r'[\s<>,;:()\\"\[\]]')


def _fast_addresses(values: list[str]) -> list[tuple[str, str]] | None:
    """The common forms (``Name <a@b>``, ``"Name" <a@b>``, ``a@b``, lists of them), or None.

    Anything else (quoted commas, comments, groups, routes) is left to the
    standard library's full parser.
    """
    found: list[tuple[str, str]] = []
    for value in values:
        for piece in value.split(","):
            piece = piece.strip()
            if not piece:
                continue
            if piece.endswith(">") and piece.count("<") == 1:
                name, _, address = piece[:-1].partition("<")
                name = name.strip()
                if len(name) >= 2 and name[0] == name[-1] == '"':
                    name = name[1:-1]
            else:
                name, address = "", piece
            if "@" not in address or _ADDRESS_SPECIALS.search(address):
                return None
            if _NAME_SPECIALS.search(name):
                return None
            found.append((name, address))
    return found


def _addresses(headers: Headers, *names: str) -> list[tuple[str, str]]:
    values = [v[:MAX_ADDRESS_CHARS] for name in names for v in headers.get_all(name)]
    if not values:
        return []
    found: list[tuple[str, str]] = []
    pairs = _fast_addresses(values)
    if pairs is None:
        pairs = getaddresses(values)
    for name, address in pairs:
        address = address.strip().strip("<>").lower()
        name = decode_words(name).strip().strip("\"'").strip()
        if name or address:
            found.append((name, address))
        if len(found) >= 1000:
            break
    return found


def _unique(values: list[str], limit: int = MAX_LIST) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        folded = value.lower()
        if value and folded not in seen:
            seen.add(folded)
            out.append(value)
            if len(out) >= limit:
                break
    return out


def _digest(*parts: str) -> str:
    hasher = hashlib.blake2b(digest_size=12)
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00")
    return hasher.hexdigest()


def _received_date(headers: Headers) -> datetime | None:
    value = headers.get("received")
    if value and ";" in value:
        return parse_date(value.rsplit(";", 1)[1])
    return None


def build_item(
    raw: bytes,
    context: MailContext,
    *,
    file: str,
    position: str,
    envelope: bytes | None = None,
    fallback_date: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> Parsed:
    """The ``Item`` of one message, or a ``Skip`` when ``raw`` holds no mail headers."""
    headers, body = split_message(raw)
    if not any(name in headers for name in _MAIL_HEADERS):
        return Skip(file, position, "no mail headers (not a mail message)")
    headers.fallback = message_charset(headers)

    subject = decode_words(headers.get("subject") or "")[:1000]
    senders = _addresses(headers, "from") or _addresses(headers, "sender")
    to = _addresses(headers, "to")
    cc = _addresses(headers, "cc")
    from_name, from_address = senders[0] if senders else ("", "")
    author = from_name or from_address or None

    message_id = _normalise_id(headers.get("message-id"))
    references = list(iter_ids(headers.get("references")))
    in_reply_to = list(iter_ids(headers.get("in-reply-to")))

    date_value = headers.get("date")
    timestamp = parse_date(date_value)
    if timestamp is None:
        timestamp = envelope_date(envelope) or fallback_date or _received_date(headers)

    content = extract_body(headers, body)
    text = clean_text(content.text).strip()
    metadata: dict[str, Any] = {}
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        metadata["truncated"] = True
    attachments = _unique(content.attachments, 100)
    if attachments:
        text += ("\n\n" if text else "") + f"[attachments: {', '.join(attachments)}]"

    digest = _digest(date_value or "", from_address, subject, text)
    if message_id is None:
        key = f"hash:{digest}"
    else:
        key = message_id
        known = context.seen.get(message_id)
        if known is None:
            if len(context.seen) < MAX_SEEN:
                context.seen[message_id] = digest
        elif known != digest:
            key = f"{message_id}#{digest[:12]}"
    thread = (references or in_reply_to or [message_id or key])[0]
    locator = f"Message-ID <{message_id}>" if message_id else position

    labels = [
        label.strip()
        for value in headers.get_all("x-gmail-labels")
        for label in decode_words(value).split(",")
        if label.strip()
    ]
    if context.learn and from_address:
        context.me.add(from_address)
    sent = (
        context.sent
        or (bool(from_address) and from_address in context.me)
        or (bool(from_name) and from_name.lower() in context.me)
        or any(label.lower() == "sent" for label in labels)
    )

    metadata.update(
        {
            "from_address": from_address or None,
            "message_id": message_id,
            "direction": "sent" if sent else "received",
        }
    )
    if to:
        metadata["to"] = _unique([a or n for n, a in to])
    if cc:
        metadata["cc"] = _unique([a or n for n, a in cc])
    if in_reply_to:
        metadata["in_reply_to"] = in_reply_to[0]
    if references:
        metadata["references"] = (
            references if len(references) <= 20 else references[:1] + references[-19:]
        )
    if attachments:
        metadata["attachments"] = attachments
    if content.forwarded:
        metadata["forwarded"] = content.forwarded
    if labels:
        metadata["labels"] = labels[:MAX_LIST]
    if context.folder:
        metadata["folder"] = context.folder
    if extra:
        metadata.update(extra)

    participants = _unique([n or a for n, a in senders[:1] + to + cc])
    return Item(
        source=context.source,
        key=key,
        kind="email",
        text=text,
        timestamp=timestamp,
        author=author,
        participants=tuple(participants),
        title=subject or None,
        thread=thread,
        uri=context.base_uri + "#" + quote(locator, safe=URI_SAFE),
        locator=locator,
        metadata=metadata,
    )


def base_uri(path: Path) -> str:
    """``file:///abs/path`` (as ``base.file_uri`` writes it), computed once per file."""
    return path.resolve().as_uri()
