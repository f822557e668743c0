"""The one data model every layer speaks: Item, Chunk, Hit, Citation, Answer.

All records are frozen dataclasses. Timestamps are timezone-aware UTC datetimes
(or ``None`` when a record carries no date). An :class:`Item` is one record of a
person's life kept verbatim: one mail, one chat message, one note.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

__all__ = [
    "Answer",
    "Chunk",
    "Citation",
    "Hit",
    "Item",
    "Skip",
    "item_id_for",
    "mend_text",
    "mended",
    "storable",
]


def item_id_for(source: str, key: str) -> str:
    """A stable item id from a source name and the record's natural key.

    The key is what identifies a record inside its export (a Message-ID, a
    conversation id plus message id, a file path plus a line ...). Re-ingesting
    the same export therefore yields the same ids; a changed record keeps its id
    and updates in place.
    """
    # surrogatepass: a key may hold half an emoji from a JSON export ("\ud83d")
    data = f"{source}\x00{key}".encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(data, digest_size=12).hexdigest()
    return digest


@dataclass(frozen=True, slots=True)
class Item:
    """One record of a life, kept verbatim.

    ``key`` is the natural key inside the source; ``id`` derives from it.
    ``uri`` points at the original (``file:///path#locator``); ``locator`` is the
    human-readable position inside that file (a Message-ID, ``line 12`` ...).
    """

    source: str
    key: str
    kind: str
    text: str
    timestamp: datetime | None = None
    author: str | None = None
    participants: tuple[str, ...] = ()
    title: str | None = None
    thread: str | None = None
    uri: str | None = None
    locator: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", item_id_for(self.source, self.key))

    @property
    def content_hash(self) -> str:
        """A hash of what the item says; a change means an update.

        ``uri`` and ``locator`` (where the record lies) are left out: the same
        record in a newer export at another path is unchanged, and the store
        only repoints it (see ``Store.upsert``).
        """
        try:
            return encode_item(self)[2]
        except UnicodeEncodeError:
            return encode_item(mended(self))[2]

    def with_changes(self, **changes: Any) -> Item:
        return replace(self, **changes)


# made once: ``json.dumps`` with options builds a new encoder on every call
_LIST_JSON = json.JSONEncoder(ensure_ascii=False).encode
_METADATA_JSON = json.JSONEncoder(ensure_ascii=False, default=str, sort_keys=True).encode
_NONE = b"\xff"
#: the participants of a chat repeat on every message: their JSON is kept (bounded)
_PARTICIPANTS: dict[tuple[str, ...], str] = {}
_PARTICIPANTS_KEPT = 4096


def _participants_json(participants: tuple[str, ...]) -> str:
    found = _PARTICIPANTS.get(participants)
    if found is None:
        found = _LIST_JSON(list(participants))
        if len(_PARTICIPANTS) >= _PARTICIPANTS_KEPT:
            _PARTICIPANTS.clear()
        _PARTICIPANTS[participants] = found
    return found


def encode_item(item: Item) -> tuple[str, str, str]:
    """``(participants JSON, metadata JSON, content hash)``: what the store writes.

    The metadata JSON carries the record's key under ``_key`` when it differs
    from the id. The hash covers every field but ``uri`` and ``locator``, each
    length-prefixed so that no two different items hash alike by concatenation.
    It runs once per item, in the parsing process when there is one. (The hash of
    a stored item must never change: a re-import compares it to tell an update.)
    """
    participants = _participants_json(tuple(item.participants))
    if item.key != item.id:
        metadata_json = _METADATA_JSON({**item.metadata, "_key": item.key})
    elif item.metadata:
        metadata_json = _METADATA_JSON(dict(item.metadata))
    else:
        metadata_json = "{}"
    parts: list[bytes] = []
    for part in (
        item.kind,
        item.text,
        item.timestamp.isoformat() if item.timestamp else None,
        item.author,
        participants,
        item.title,
        item.thread,
        metadata_json,
    ):
        # strict: a lone surrogate raises, and :func:`mended` makes the item storable
        data = _NONE if part is None else part.encode("utf-8")
        parts.append(len(data).to_bytes(8, "little"))
        parts.append(data)
    digest = hashlib.blake2b(b"".join(parts), digest_size=16).hexdigest()
    return participants, metadata_json, digest


def mend_text(text: str) -> str:
    """``text`` as valid Unicode: surrogate pairs joined into their character, a lone
    surrogate (half an emoji, as JSON exports cut at a length limit hold: ``"\\ud83d"``)
    replaced by U+FFFD. SQLite stores UTF-8, which cannot hold a lone surrogate."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def storable(text: str) -> str:
    """``text`` as UTF-8 can hold it: undecodable bytes of a file name (which Python
    keeps as surrogates, ``os.fsdecode``) written as ``\\xe9``, so that two such names
    stay apart; any other lone surrogate as U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return mend_text(text)


def _mend(value: Any) -> Any:
    if isinstance(value, str):
        return mend_text(value)
    if isinstance(value, dict):
        return {_mend(k): _mend(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mend(v) for v in value)
    return value


def mended(item: Item) -> Item:
    """``item`` with every string in it valid Unicode (see :func:`mend_text`); its id
    stays, so that the same record imported again meets the stored one."""
    return replace(
        item,
        source=mend_text(item.source),
        kind=mend_text(item.kind),
        text=mend_text(item.text),
        author=_mend(item.author),
        participants=_mend(tuple(item.participants)),
        title=_mend(item.title),
        thread=_mend(item.thread),
        uri=_mend(item.uri),
        locator=_mend(item.locator),
        metadata=_mend(dict(item.metadata)),
        key=mend_text(item.key),
        id=item.id,
    )


@dataclass(frozen=True, slots=True)
class Skip:
    """A record a source could not read: reported, skipped, the import goes on.

    Sources yield these instead of raising (errors as values).
    """

    file: str
    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} [{self.position}]: {self.reason}"


@dataclass(frozen=True, slots=True)
class Chunk:
    """A span ``text[start:end]`` of an item; the unit that is indexed."""

    item_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved span of an item, with its score and a highlighted snippet."""

    item: Item
    score: float
    start: int
    end: int
    snippet: str
    chunk_ordinal: int = 0
    #: (start, end) offsets of matched terms inside ``snippet``
    marks: tuple[tuple[int, int], ...] = ()
    why: tuple[str, ...] = ()
    #: for a chat message, the messages around it in time order (context, not retrieved)
    context: tuple[Item, ...] = ()


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered reference in an answer; always resolves to an item and a span."""

    number: int
    item: Item
    start: int
    end: int
    snippet: str

    @property
    def item_id(self) -> str:
        return self.item.id


@dataclass(frozen=True, slots=True)
class Answer:
    """What ``Memory.ask`` returns."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    found: bool = True
    mode: str = "extractive"
    reasoning: str | None = None
    notes: tuple[str, ...] = ()
    hits: tuple[Hit, ...] = ()
    #: the model's own words before lifelog checked them (``None`` when no model wrote)
    draft: str | None = None
    #: every excerpt the model was shown, numbered as it saw them (what it could cite)
    shown: tuple[Citation, ...] = ()
