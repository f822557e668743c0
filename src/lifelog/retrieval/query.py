"""Question analysis: what to search for, when, who and where.

A question such as "What did Melanie say on WhatsApp about camping last summer?"
becomes a :class:`QueryPlan`: the words to search ("Melanie say camping"), the
time ("last summer", resolved against the question's date), the people it names
(matched against the authors and participants in the store: ``Melanie``) and
the sources it names (``whatsapp``, when the memory holds that source). The
retrievers use the plan's text; people, sources and time become filters or
boosts (see :mod:`lifelog.retrieval.hybrid`).
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ..index.text import STOPWORDS, content_terms, normalise
from ..store import Store
from .recency import MAIL_WORDS, asks_order
from .timeexpr import TimeQuery, parse_time

__all__ = [
    "SOURCE_WORDS",
    "QueryPlan",
    "analyse",
    "match_people",
    "match_sources",
    "name_index",
    "raw_names",
    "store_names",
]

#: words naming a kind of export, and the sources they stand for
SOURCE_WORDS: Mapping[str, tuple[str, ...]] = {
    "email": ("maildir", "mbox", "eml"),
    "emails": ("maildir", "mbox", "eml"),
    "e-mail": ("maildir", "mbox", "eml"),
    "mail": ("maildir", "mbox", "eml"),
    "mails": ("maildir", "mbox", "eml"),
    "inbox": ("maildir", "mbox", "eml"),
    "whatsapp": ("whatsapp",),
    "telegram": ("telegram",),
    "discord": ("discord",),
    "slack": ("slack", "slack_zip"),
    "sms": ("sms",),
    "texts": ("sms", "imessage"),
    "imessage": ("imessage",),
    "imessages": ("imessage",),
    "instagram": ("instagram",),
    "messenger": ("messenger",),
    "chatgpt": ("chatgpt",),
    "claude": ("claude", "assistant"),
    "notes": ("notes", "org"),
    "calendar": ("ical",),
    "diary": ("notes", "org"),
    "journal": ("notes", "org"),
    "pdf": ("pdf",),
    "pdfs": ("pdf",),
    "ebook": ("epub",),
    "ebooks": ("epub",),
    "contacts": ("vcard",),
    "browser": ("browser",),
    "photos": ("photos", "photos_heif"),
}
_SOURCE_CONTEXT = re.compile(
    r"\b(?:in|on|from|via|over|by|through|my|the)\s+(?:my\s+|the\s+)?(?P<w>[\w-]+)", re.I
)
_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A question, analysed."""

    question: str
    #: the question without its time expressions and source words: what retrievers search
    text: str
    time: TimeQuery
    #: stored names (authors, participants) the question names, as stored
    people: tuple[str, ...] = ()
    #: the words of the question that named them (lower case)
    people_words: tuple[str, ...] = ()
    #: sources the question names that the memory holds
    sources: tuple[str, ...] = ()
    #: ``newest`` or ``oldest`` where the question asks for the last or the first time
    #: (:mod:`lifelog.retrieval.recency`)
    order: str | None = None

    @property
    def terms(self) -> list[str]:
        return content_terms(self.text)

    def window(self) -> tuple[datetime, datetime] | None:
        return self.time.window()


# -- names in the store ---------------------------------------------------------------

_CACHE: weakref.WeakKeyDictionary[Store, tuple[int, dict[str, tuple[str, ...]], frozenset[str]]]
_CACHE = weakref.WeakKeyDictionary()
_RAW: weakref.WeakKeyDictionary[Store, tuple[int, list[str], frozenset[str]]]
_RAW = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def name_index(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each word of each name (and each whole name), lower case, -> the names holding it.

    Words that are stop words or shorter than two letters are left out, and so
    are e-mail addresses' domains: "example" should not name everyone at example.com.
    """
    index: dict[str, set[str]] = {}
    for name in names:
        if not name:
            continue
        clean = name.split("<")[0] if "<" in name and not name.startswith("<") else name
        local = clean.split("@")[0] if "@" in clean else clean
        words = [normalise(w) for w in _WORD.findall(local)]
        keys = {w for w in words if len(w) > 1 and w not in STOPWORDS and not w.isdigit()}
        if len(words) > 1:
            keys.add(" ".join(words))
        for key in keys:
            index.setdefault(key, set()).add(name)
    return {key: tuple(sorted(found)) for key, found in index.items()}


def store_names(store: Store) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """The name index of the store's authors and participants, and its sources.

    Cached per store until an item is added (the largest item rowid changes).
    """
    version, names, sources = raw_names(store)
    with _CACHE_LOCK:
        cached = _CACHE.get(store)
    if cached is not None and cached[0] == version:
        return cached[1], cached[2]
    index = name_index(names)
    with _CACHE_LOCK:
        _CACHE[store] = (version, index, sources)
    return index, sources


def raw_names(store: Store) -> tuple[int, list[str], frozenset[str]]:
    """The store's version (its largest item rowid), the names :func:`store_names`
    indexes (authors, then participants, sorted) and its sources: what a shard sends
    its owner, who indexes every shard's names together."""
    with store.lock:
        version = store.conn.execute("SELECT coalesce(max(rowid), 0) FROM items").fetchone()[0]
    with _CACHE_LOCK:
        cached = _RAW.get(store)
    if cached is not None and cached[0] == version:
        return cached
    with store.lock:
        authors = [r[0] for r in store.conn.execute("SELECT DISTINCT author FROM items")]
        sources = frozenset(r[0] for r in store.conn.execute("SELECT DISTINCT source FROM items"))
        participants: set[str] = set()
        for (value,) in store.conn.execute(
            "SELECT DISTINCT participants FROM items WHERE participants != '[]' LIMIT 20000"
        ):
            try:
                names = json.loads(value)
            except ValueError:
                continue
            if isinstance(names, list):
                participants.update(n for n in names if isinstance(n, str))
    found = (int(version), [a for a in authors if a] + sorted(participants), sources)
    with _CACHE_LOCK:
        _RAW[store] = found
    return found


def match_people(
    question: str, index: Mapping[str, tuple[str, ...]]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Stored names the question names, and the question's words that named them.

    A word counts when it is capitalised (or the question is all lower case), so
    that "will" does not name Will; a two-word name ("Alice Smith") counts whole.
    """
    lower = question == question.lower()
    words = [
        (m.group(), normalise(m.group()).replace("’", "'").removesuffix("'s"))
        for m in _WORD.finditer(question)
    ]
    found: dict[str, None] = {}
    used: dict[str, None] = {}
    skip = False
    for position, (raw, word) in enumerate(words):
        if skip:
            skip = False
            continue
        if not (lower or raw[:1].isupper()):
            continue
        if position + 1 < len(words):
            pair = f"{word} {words[position + 1][1]}"
            if pair in index:
                found.update(dict.fromkeys(index[pair]))
                used.update({word: None, words[position + 1][1]: None})
                skip = True
                continue
        if word in STOPWORDS:
            continue
        names = index.get(word)
        if names and len(names) <= 8:
            found.update(dict.fromkeys(names))
            used[word] = None
    return tuple(found), tuple(used)


def match_sources(question: str, available: Iterable[str]) -> tuple[tuple[str, ...], list[str]]:
    """Sources a question names ("in my emails", "on WhatsApp") that the memory holds,
    and the words that named them."""
    held = set(available)
    found: dict[str, None] = {}
    words: list[str] = []
    for match in _SOURCE_CONTEXT.finditer(question):
        word = match["w"].lower()
        sources = [s for s in SOURCE_WORDS.get(word, ()) if s in held]
        if sources:
            found.update(dict.fromkeys(sources))
            words.append(match["w"])
    return tuple(found), words


Names = tuple[Mapping[str, tuple[str, ...]], frozenset[str]]


def analyse(
    question: str,
    *,
    now: datetime | None = None,
    store: Store | None = None,
    names: Names | None = None,
) -> QueryPlan:
    """The plan for ``question`` asked at ``now`` (default: the present), with the
    people and sources of ``store`` (or ``names``: a sharded memory's, gathered from its
    shards: :func:`store_names`'s index and sources)."""
    if names is None and store is not None:
        names = store_names(store)
    now = now or datetime.now(UTC)
    time = parse_time(question, now)
    order, text = asks_order(time.rest)
    people: tuple[str, ...] = ()
    people_words: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    if names is not None:
        index, available = names
        people, people_words = match_people(question, index)
        sources, source_words = match_sources(text, available)
        for word in source_words:
            text = re.sub(rf"\b{re.escape(word)}\b", " ", text)
        text = " ".join(text.split())
        if order and not sources:
            # "When did I last email Priya?": the kind of item is a source too
            if MAIL_WORDS.intersection(content_terms(text)):
                sources = tuple(s for s in SOURCE_WORDS["email"] if s in available)
    return QueryPlan(question, text or question, time, people, people_words, sources, order)
