"""Who an item names, and which names are the same person: the pure half of the people
directory (:mod:`lifelog.people` keeps it in the store).

**Mentions.** Each item names people through its author, its participants and its
source's metadata. :func:`mentions` turns them into :class:`Mention` values: the keys
one record ties to one person, with the display name it uses and the strings that
stand for that person in the item's ``people`` column (what person filters match).
Keys are normalised: ``email`` (lower case), ``phone`` (``+`` and digits, as
:func:`~lifelog.sources.contacts.vcard.normalize_phone`), ``handle`` (a service's own user
id: ``telegram:user123``, ``slack:U1``, ``discord:42``) and ``name`` (case-folded,
spaces collapsed, ``Smith, Alice`` read as ``alice smith``). A name that is really
an address or a number (an unsaved WhatsApp contact, an SMS without a contact) is
read as one. What ties keys together is only what one record states:

- a contact card: all its addresses, numbers and names (an *anchor*);
- a mail: the sender's name and address; a recipient's name and address only when
  the mail has exactly one recipient (the store keeps recipients' names and
  addresses in separate lists, so with several they cannot be paired safely);
- an SMS or call: the number and the phone's contact name (MMS: each number with
  its name); a calendar event: each organiser's and attendee's name and address;
- Telegram, Slack, Discord: the author's name and the service's user id;
- anything else (WhatsApp, Messenger, Instagram, iMessage handles ...): each
  author and participant alone, as a name, an address or a number.

AI assistants (ChatGPT, Claude) and the user's own ``Me`` are nobody; documents,
books and notes name authors, not correspondents, and are left out.

**Rules** (:func:`cluster`), in order:

1. Identical normalised addresses, numbers or user ids are one person, and so is
   everything one mention ties to them (a contact card ties a number to an
   address). A number written without its country code joins the one number
   with a country code that ends with it (at least 7 digits), when only one does.
2. Manual merges (``lifelog people merge``) join whole people.
3. A name never joins two people who have addresses, numbers or ids of their
   own: two "John"s with different addresses stay two people.
4. A name seen alone (a WhatsApp author, a mail recipient's name) joins the one
   person whose contact card carries that name; else the one person whose own
   records carry it; else (nobody, or several) it is a person of its own.
5. A split key (``lifelog people split``) is never joined automatically: it is a
   person of its own unless manually merged.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .records import Item
from .sources.contacts.vcard import normalize_email, normalize_phone

__all__ = [
    "INPUT_KEYS",
    "Key",
    "Mention",
    "cluster",
    "key_for",
    "mentions",
    "norm_name",
    "person_id_for",
]

Key = tuple[str, str]
#: kinds of keys, best first
KINDS = ("email", "phone", "handle", "name")
#: item kinds whose author and participants are people the user deals with
PEOPLE_KINDS = frozenset(("email", "message", "event", "task", "contact"))
#: sources whose "other party" is a program
NOBODY_SOURCES = frozenset(("chatgpt", "claude", "assistant"))
#: names that stand for the user, not for somebody
SELF_NAMES = frozenset(("me", "you"))
#: metadata keys of a user id per source
ID_KEYS = {"telegram": "from_id", "slack": "user_id", "discord": "author_id"}
#: every metadata key :func:`mentions` reads (what two items must share to name the same)
INPUT_KEYS = (
    "from_address",
    "to",
    "cc",
    "address",
    "contact",
    "addresses",
    "emails",
    "phones",
    "names",
    "organizer",
    "attendees",
    *ID_KEYS.values(),
)
MAX_NAME = 200
#: longer strings are neither names nor addresses (and are never cached)
MAX_INPUT = 1000
MAX_MENTIONS = 300

_BIDI = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
_PHONE_CHARS = re.compile(r"\+?[\d\s().\-/\u00a0\u2010-\u2015]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Mention:
    """One person as one record names them.

    ``keys`` are tied together by the record; ``label`` is the name as written;
    ``surfaces`` are the lower-case strings of the item's author and participants
    that stand for this person; ``anchor`` marks a contact card; ``spellings`` are
    further names as written (a card's nicknames), for display.
    """

    keys: tuple[Key, ...]
    label: str | None = None
    surfaces: tuple[str, ...] = ()
    anchor: bool = False
    spellings: tuple[str, ...] = ()

    @property
    def strong(self) -> tuple[Key, ...]:
        return tuple(k for k in self.keys if k[0] != "name")

    @property
    def names(self) -> tuple[Key, ...]:
        return tuple(k for k in self.keys if k[0] == "name")

    def signature(self) -> str:
        """The mention as compact JSON: equal mentions are stored once."""
        return json.dumps(
            [
                [list(k) for k in self.keys],
                self.label,
                list(self.surfaces),
                int(self.anchor),
                list(self.spellings),
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_signature(cls, text: str) -> Mention:
        keys, label, surfaces, anchor, spellings = json.loads(text)
        return cls(
            tuple((str(k), str(v)) for k, v in keys),
            label,
            tuple(surfaces),
            bool(anchor),
            tuple(spellings),
        )


def _clean(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).translate(_BIDI)).strip()


def norm_name(text: str) -> str | None:
    """A display name for comparing: case-folded, spaces collapsed, ``Last, First`` turned."""
    return _norm_name(text) if len(text) <= MAX_INPUT else None


@lru_cache(maxsize=1 << 14)
def _norm_name(text: str) -> str | None:
    name = _clean(text).strip("\"'`~<> ").strip()
    if not name or len(name) > MAX_NAME:
        return None
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and all(p and len(p.split()) <= 2 for p in parts):
        name = f"{parts[1]} {parts[0]}"
    name = name.casefold()
    return None if name in SELF_NAMES else name


def _phone(text: str) -> str | None:
    clean = _clean(text)
    if not _PHONE_CHARS.fullmatch(clean):
        return None
    digits = sum(c.isdigit() for c in clean)
    return normalize_phone(clean) if 7 <= digits <= 15 else None


def key_for(text: str) -> Key | None:
    """The key a bare string stands for: an address, a number, else a name."""
    return _key_for(text) if len(text) <= MAX_INPUT else None


@lru_cache(maxsize=1 << 14)
def _key_for(text: str) -> Key | None:
    if "@" in text:
        email = normalize_email(_clean(text))
        if email:
            return ("email", email)
    phone = _phone(text)
    if phone:
        return ("phone", phone)
    name = norm_name(text)
    return ("name", name) if name else None


def _handle_key(text: str) -> Key | None:
    """An address or a number (what SMS and iMessage call an address); never a name."""
    key = key_for(text)
    return key if key is not None and key[0] != "name" else None


def _mention(
    keys: Iterable[Key | None],
    label: str | None,
    surfaces: Iterable[str | None],
    anchor: bool = False,
    spellings: Iterable[str] = (),
) -> Mention | None:
    found = tuple(dict.fromkeys(k for k in keys if k is not None))
    if not found:
        return None
    shown = _clean(label)[:MAX_NAME] if label and norm_name(label) else None
    if shown is not None and key_for(shown) in {k for k in found if k[0] != "name"}:
        shown = None  # the "name" was the address or the number itself
    seen = tuple(dict.fromkeys(s.lower() for s in surfaces if s and norm_name(s)))
    extra = tuple(dict.fromkeys(_clean(n)[:MAX_NAME] for n in spellings if _clean(n) != shown))
    return Mention(found, shown, seen, anchor, extra)


def _name_key(text: str | None) -> Key | None:
    name = norm_name(text) if text else None
    return ("name", name) if name else None


def _strs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value[:MAX_MENTIONS] if isinstance(v, str)]
    return []


def _contact(item: Item, meta: Mapping[str, Any]) -> list[Mention | None]:
    emails = [normalize_email(e) for e in _strs(meta.get("emails"))]
    phones = [normalize_phone(p) for p in _strs(meta.get("phones"))]
    names = _strs(meta.get("names")) or ([item.title] if item.title else [])
    keys: list[Key | None] = [("email", e) for e in emails if e]
    keys += [("phone", p) for p in phones if p]
    names = [n for n in names if key_for(n) == _name_key(n)]
    keys += [_name_key(n) for n in names]
    label = names[0] if names else None
    return [_mention(keys, label, item.participants, anchor=True, spellings=names[1:])]


def _email(item: Item, meta: Mapping[str, Any]) -> list[Mention | None]:
    found: list[Mention | None] = []
    sender = meta.get("from_address") if isinstance(meta.get("from_address"), str) else None
    author = item.author
    if author or sender:
        found.append(
            _mention(
                [_handle_key(sender) if sender else None, key_for(author) if author else None],
                author,
                [author],
            )
        )
    others = list(item.participants[1:] if author else item.participants)[:MAX_MENTIONS]
    recipients = list(dict.fromkeys(_strs(meta.get("to")) + _strs(meta.get("cc"))))[:MAX_MENTIONS]
    lowered = {p.lower() for p in item.participants[:MAX_MENTIONS]}
    if len(recipients) == 1 and len(others) == 1:
        address = _handle_key(recipients[0])
        found.append(_mention([address, key_for(others[0])], others[0], [others[0]]))
        return found
    for recipient in recipients:
        key = _handle_key(recipient)
        if key is not None:
            surface = recipient if recipient.lower() in lowered else None
            found.append(_mention([key], None, [surface]))
    for other in others:
        key = key_for(other)
        if key is not None and key[0] == "name":
            found.append(_mention([key], other, [other]))
    return found


def _sms(item: Item, meta: Mapping[str, Any]) -> list[Mention | None]:
    address = meta.get("address")
    if isinstance(address, str):
        contact = meta.get("contact") if isinstance(meta.get("contact"), str) else None
        shown = contact or address
        return [_mention([_handle_key(address), _name_key(contact)], contact, [shown])]
    addresses = _strs(meta.get("addresses"))[:MAX_MENTIONS]
    people = [p for p in item.participants[:MAX_MENTIONS] if norm_name(p)]
    if len(people) != len(addresses):
        return [_mention([key_for(p)], p, [p]) for p in people]
    return [
        _mention([_handle_key(a), _name_key(p) if p != a else None], p, [p])
        for a, p in zip(addresses, people, strict=True)
    ]


def _ical(item: Item, meta: Mapping[str, Any]) -> list[Mention | None]:
    attendees = meta.get("attendees")
    listed = attendees[:MAX_MENTIONS] if isinstance(attendees, list) else []
    entries = [meta.get("organizer"), *listed]
    found: list[Mention | None] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        name = entry.get("name") if isinstance(entry.get("name"), str) else None
        email = entry.get("email") if isinstance(entry.get("email"), str) else None
        keys = [("email", e) if (e := normalize_email(email or "")) else None, _name_key(name)]
        found.append(_mention(keys, name, [name, email]))
    return found


def _generic(item: Item, meta: Mapping[str, Any]) -> list[Mention | None]:
    found: list[Mention | None] = []
    author = item.author
    id_key = ID_KEYS.get(item.source)
    user_id = meta.get(id_key) if id_key else None
    if author and isinstance(user_id, str | int) and not isinstance(user_id, bool):
        handle: Key = ("handle", f"{item.source}:{str(user_id).strip().lower()}")
        found.append(_mention([handle, key_for(author)], author, [author]))
    elif author:
        found.append(_mention([key_for(author)], author, [author]))
    for other in item.participants[:MAX_MENTIONS]:
        if other != author:
            found.append(_mention([key_for(other)], other, [other]))
    return found


def mentions(item: Item) -> list[Mention]:
    """The people ``item`` names, as its source states them (see the module's rules)."""
    if item.source in NOBODY_SOURCES or item.kind not in PEOPLE_KINDS:
        return []
    meta = item.metadata if isinstance(item.metadata, Mapping) else {}
    if item.kind == "contact":
        found = _contact(item, meta)
    elif item.kind == "email":
        found = _email(item, meta)
    elif item.source == "sms":
        found = _sms(item, meta)
    elif "organizer" in meta or "attendees" in meta:
        found = _ical(item, meta)
    else:
        found = _generic(item, meta)
    unique = dict.fromkeys(m for m in found if m is not None)
    return list(unique)[:MAX_MENTIONS]


def _rank(key: Key) -> tuple[int, str]:
    return (KINDS.index(key[0]) if key[0] in KINDS else len(KINDS), key[1])


class _Union:
    """Union-find over keys (path halving). The root is the best key (an address before a
    number before a user id before a name), so a person's id rarely changes."""

    def __init__(self) -> None:
        self.parent: dict[Key, Key] = {}

    def find(self, key: Key) -> Key:
        parent = self.parent.setdefault(key, key)
        while parent != key:
            grand = self.parent[parent]
            self.parent[key] = grand
            key, parent = parent, self.parent[grand]
        return key

    def union(self, a: Key, b: Key) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            low, high = (ra, rb) if _rank(ra) < _rank(rb) else (rb, ra)
            self.parent[high] = low


def _link_bare_numbers(keys: Iterable[Key], union: _Union, split: set[Key]) -> None:
    """Rule 1b: ``5555550100`` joins ``+15555550100`` when no other number ends so."""
    phones = {k[1] for k in keys if k[0] == "phone"}
    by_tail: dict[str, list[str]] = defaultdict(list)
    for number in phones:
        if number.startswith("+"):
            by_tail[number[-7:]].append(number)
    for number in phones:
        bare = number.lstrip("0")
        if number.startswith("+") or len(bare) < 7 or ("phone", number) in split:
            continue
        matches = [full for full in by_tail.get(bare[-7:], []) if full[1:].endswith(bare)]
        if len(matches) == 1 and ("phone", matches[0]) not in split:
            union.union(("phone", number), ("phone", matches[0]))


def cluster(
    found: Sequence[Mention],
    merges: Iterable[tuple[Key, Key]] = (),
    split: Iterable[Key] = (),
) -> tuple[list[Key], dict[Key, Key]]:
    """The person (a root key) of each mention, by the rules in this module's docstring,
    and the root of every key that belongs to one person (names that several people's
    records carry belong to none unless seen alone)."""
    union = _Union()
    cut = set(split)
    merge_list = list(merges)
    merged = {k for pair in merge_list for k in pair}
    for mention in found:
        strong = [k for k in mention.strong if k not in cut]
        for key in mention.strong:
            union.find(key)
        for key in strong[1:]:
            union.union(strong[0], key)
        if mention.anchor and not mention.strong:
            names = [k for k in mention.names if k not in cut]  # a card with names only
            for key in names[1:]:
                union.union(names[0], key)
    _link_bare_numbers(list(union.parent), union, cut)
    for a, b in merge_list:
        union.union(a, b)
    carriers: dict[Key, set[Key]] = defaultdict(set)
    anchors: dict[Key, set[Key]] = defaultdict(set)
    home: list[Key] = []
    for mention in found:
        strong = [k for k in mention.strong if k not in cut] or list(mention.strong)
        if not strong:
            home.append(mention.names[0])
            for name in mention.names:
                union.find(name)
            continue
        root = union.find(strong[0])
        home.append(strong[0])
        for name in mention.names:
            carriers[name].add(root)
            if mention.anchor:
                anchors[name].add(root)
    resolved: dict[Key, Key] = {}
    for mention in found:
        if mention.strong:
            continue
        for name in mention.names:
            if name in resolved or name in cut or name in merged:
                continue
            owners = anchors.get(name) or carriers.get(name) or set()
            roots = {union.find(r) for r in owners}
            if len(roots) == 1:
                resolved[name] = roots.pop()
    for name, root in resolved.items():
        union.union(name, root)
    return [union.find(key) for key in home], {k: union.find(k) for k in list(union.parent)}


def person_id_for(root: Key) -> str:
    """A short stable id for the person whose smallest key is ``root``."""
    digest = hashlib.blake2b(f"{root[0]}:{root[1]}".encode(), digest_size=6).hexdigest()
    return "p" + digest
