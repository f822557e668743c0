"""The people directory: one person, many handles, kept in the encrypted store.

Each item's mentions (see :mod:`lifelog.people_rules`) are read once and stored
(``people_mentions``, equal mentions once; ``people_item_mentions``, one row per
item and mention, deleted with the item). People are then derived from all
mentions together with the user's corrections (``people_merges``,
``people_splits``), which are never derived and so survive a rebuild. The derived
tables (``people``, ``people_handles``) are rewritten by :meth:`Directory.refresh`,
which reads only items not read before; it runs after every ingest and whenever
the items changed since it last ran (forget, a write by another program), so the
directory cannot go stale. :meth:`Directory.rebuild` reads every item again.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import NotFoundError, UserError
from .people_rules import (
    INPUT_KEYS,
    PEOPLE_KINDS,
    Key,
    Mention,
    cluster,
    key_for,
    mentions,
    norm_name,
    person_id_for,
)
from .records import Item
from .store import Store

__all__ = ["Directory", "Handle", "Person", "derive_rows", "only_person", "stale_corrections"]

_INPUTS = frozenset(INPUT_KEYS)
#: a metadata JSON that holds one of the keys the rules read (json.dumps writes keys as
#: they are: these are plain ASCII names)
_READS = re.compile("|".join(f'"{re.escape(k)}":' for k in INPUT_KEYS))

#: items read per batch while scanning
SCAN_BATCH = 2000
#: distinct mention inputs remembered during one scan
MEMO_SIZE = 20_000
#: at most this many spellings stand for one person in a filter
MAX_ALIASES = 200
#: shorter spellings would match almost every item (``instr``): never used to widen
MIN_ALIAS = 3


@dataclass(frozen=True, slots=True)
class Handle:
    """One way a person is named: ``email``, ``phone``, ``handle`` (a service's user
    id, ``telegram:user42``) or ``name``. Values are normalised, names as written."""

    kind: str
    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Person:
    """One person across sources, with how often and when they appear."""

    id: str
    name: str
    handles: tuple[Handle, ...]
    items: int
    first_seen: datetime | None
    last_seen: datetime | None
    sources: tuple[str, ...]

    def values(self, kind: str) -> tuple[str, ...]:
        return tuple(h.value for h in self.handles if h.kind == kind)


def _moment(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def only_person(text: str, found: Sequence[Person]) -> Person:
    """The one person of ``found`` (the candidates ``text`` names): ``NotFoundError`` when
    there is none, ``UserError`` naming them when there are several."""
    if not found:
        raise NotFoundError(f"nobody called {text!r} in this memory (see `lifelog people`)")
    if len(found) > 1:
        names = ", ".join(f"{p.name} ({p.id})" for p in found[:6])
        raise UserError(f"{text!r} may be several people: {names}; use an id or an address")
    return found[0]


class Directory:
    """The people of one store. All methods take the store's lock."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn
        #: the highest item row read by this object (see :meth:`read_new`)
        self._read_to = -1

    # -- keeping it up to date ---------------------------------------------------

    def _versions(self) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT items_version, derived_version FROM people_state WHERE id = 1"
        ).fetchone()
        return int(row[0]), int(row[1])

    def ensure_fresh(self) -> None:
        """Refresh when items were added or removed since the last refresh (one row read)."""
        with self.store.lock:
            current, derived = self._versions()
            if current != derived:
                self.refresh()

    def refresh(self, *, derive: bool = False) -> int:
        """Read items not read yet and, when anything changed (or ``derive``), derive the
        people again. Returns how many items were read."""
        with self.store.writing():
            current, derived = self._versions()
            read = self._scan()
            if read or derive or current != derived:
                self._derive()
            self.conn.execute(
                "UPDATE people_state SET derived_version = items_version WHERE id = 1"
            )
        return read

    def read_new(self) -> int:
        """Read the mentions of the items added since this object last read, without
        deriving the people. An import calls it after each batch it stores, while the
        parser works on; :meth:`refresh` at its end derives the people, and reads what
        this missed (an item whose row number was reused after a delete)."""
        with self.store.writing():
            return self._scan(after=self._read_to)

    def rebuild(self) -> int:
        """Forget every derived row and read every item again (corrections are kept)."""
        with self.store.writing():
            self.conn.execute("DELETE FROM people_item_mentions")
            self.conn.execute("DELETE FROM people_mentions")
            self.conn.execute("DELETE FROM people_handles")
            self.conn.execute("DELETE FROM people")
            # stale until the refresh below ends: one that fails is redone on next use
            self.conn.execute("UPDATE people_state SET derived_version = -1 WHERE id = 1")
        return self.refresh(derive=True)

    def _scan(self, after: int = -1) -> int:
        """Read the mentions of every item not read yet, a batch of rowids at a time.

        Messages of one chat name the same people over and over: the mentions of equal
        inputs (source, kind, author, participants, the metadata the rules read) are
        worked out once per scan.
        """
        known = {sig: mid for mid, sig in self.conn.execute("SELECT id, sig FROM people_mentions")}
        memo: dict[tuple[Any, ...], list[int]] = {}
        links: list[tuple[int, int | None]] = []
        read = 0
        while True:
            rows = self.conn.execute(
                "SELECT rowid, id, source, kind, author, participants, metadata FROM items"
                " WHERE rowid > ? AND NOT EXISTS (SELECT 1 FROM people_item_mentions p"
                " WHERE p.item_rowid = items.rowid) ORDER BY rowid LIMIT ?",
                (after, SCAN_BATCH),
            ).fetchall()
            if not rows:
                break
            after = rows[-1][0]
            for rowid, item_id, source, kind, author, participants, raw_meta in rows:
                read += 1
                if kind not in PEOPLE_KINDS:
                    links.append((rowid, None))
                    continue
                # most items carry no key the rules read: no need to parse their metadata
                meta = json.loads(raw_meta) if raw_meta and _READS.search(raw_meta) else {}
                # the few metadata keys an item has, not every key the rules may read
                inputs = (
                    source,
                    kind,
                    author,
                    participants,
                    *sorted((k, repr(v)) for k, v in meta.items() if k in _INPUTS),
                )
                ids = memo.get(inputs)
                if ids is None:
                    if len(memo) > MEMO_SIZE:
                        memo.clear()
                    item = Item(
                        source=source,
                        key=item_id,
                        kind=kind,
                        text="",
                        author=author,
                        participants=tuple(json.loads(participants or "[]")),
                        metadata=meta,
                        id=item_id,
                    )
                    ids = memo[inputs] = [self._mention_id(m, known) for m in mentions(item)]
                links.extend((rowid, mid) for mid in ids)
                if not ids:
                    links.append((rowid, None))
            self._link(links)
        self._read_to = max(self._read_to, after)
        return read

    def _mention_id(self, mention: Mention, known: dict[str, int]) -> int:
        sig = mention.signature()
        mid = known.get(sig)
        if mid is None:
            cursor = self.conn.execute("INSERT INTO people_mentions (sig) VALUES (?)", (sig,))
            mid = known[sig] = int(cursor.lastrowid)
        return mid

    def _link(self, links: list[tuple[int, int | None]]) -> None:
        self.conn.executemany(
            "INSERT INTO people_item_mentions (item_rowid, mention_id) VALUES (?, ?)", links
        )
        links.clear()

    def _derive(self) -> None:
        conn = self.conn
        conn.execute(
            "DELETE FROM people_mentions WHERE NOT EXISTS (SELECT 1 FROM people_item_mentions l"
            " WHERE l.mention_id = people_mentions.id)"
        )
        rows = conn.execute("SELECT id, sig FROM people_mentions ORDER BY id").fetchall()
        found = [Mention.from_signature(sig) for _mid, sig in rows]
        self._drop_stale_corrections(found)
        merges = [
            ((r[0], r[1]), (r[2], r[3]))
            for r in conn.execute("SELECT a_kind, a_value, b_kind, b_value FROM people_merges")
        ]
        split = [(r[0], r[1]) for r in conn.execute("SELECT kind, value FROM people_splits")]
        roots, root_of = cluster(found, merges, split)
        pids = [person_id_for(root) for root in roots]
        conn.executemany(
            "UPDATE people_mentions SET person_id = ? WHERE id = ?",
            [(pid, mid) for pid, (mid, _sig) in zip(pids, rows, strict=True)],
        )
        weight = dict(
            conn.execute(
                "SELECT mention_id, count(*) FROM people_item_mentions"
                " WHERE mention_id IS NOT NULL GROUP BY mention_id"
            ).fetchall()
        )
        stats = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT m.person_id, count(DISTINCT l.item_rowid), min(i.ts), max(i.ts),"
                " group_concat(DISTINCT i.source) FROM people_item_mentions l"
                " JOIN people_mentions m ON m.id = l.mention_id"
                " JOIN items i ON i.rowid = l.item_rowid GROUP BY m.person_id"
            )
        }
        weights = [int(weight.get(mid, 0)) for mid, _sig in rows]
        people_rows, handle_rows = derive_rows(
            found,
            weights,
            pids,
            roots,
            root_of,
            {
                pid: (n, a, b, (sources or "").split(","))
                for pid, (n, a, b, sources) in stats.items()
            },
        )
        conn.execute("DELETE FROM people")
        conn.execute("DELETE FROM people_handles")
        conn.executemany(
            "INSERT INTO people (id, name, items, first, last, sources) VALUES (?,?,?,?,?,?)",
            people_rows,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO people_handles (kind, value, label, person_id, own)"
            " VALUES (?,?,?,?,?)",
            handle_rows,
        )

    def _drop_stale_corrections(self, found: Sequence[Mention]) -> None:
        """Forget mentions no item names any more (their items were forgotten), and the
        corrections about handles no item names: forgetting leaves no trace of a person."""
        merges = self.conn.execute(
            "SELECT a_kind, a_value, b_kind, b_value FROM people_merges"
        ).fetchall()
        splits = self.conn.execute("SELECT kind, value FROM people_splits").fetchall()
        gone_merges, gone_splits = stale_corrections(found, merges, splits)
        self.conn.executemany(
            "DELETE FROM people_merges WHERE a_kind = ? AND a_value = ? AND b_kind = ?"
            " AND b_value = ?",
            gone_merges,
        )
        self.conn.executemany("DELETE FROM people_splits WHERE kind = ? AND value = ?", gone_splits)

    # -- reading -----------------------------------------------------------------

    def people(self, query: str = "", limit: int | None = None) -> list[Person]:
        """Everyone, most often seen first; ``query`` matches names and handles."""
        self.ensure_fresh()
        params: list[Any] = []
        where = "1"
        if query.strip():
            text = query.strip()
            escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%")
            needle = "%" + escaped.replace("_", "\\_") + "%"
            where = (
                "p.id IN (SELECT h.person_id FROM people_handles h WHERE h.value LIKE ?"
                " ESCAPE '\\') OR p.name LIKE ? ESCAPE '\\' OR p.id = ?"
            )
            params = [needle, needle, text]
        with self.store.lock:
            rows = self.conn.execute(
                f"SELECT id, name, items, first, last, sources FROM people p WHERE {where}"
                " ORDER BY items DESC, name, id LIMIT ?",
                [*params, -1 if limit is None else limit],
            ).fetchall()
            return self._people(rows)

    def _people(self, rows: Sequence[Sequence[Any]]) -> list[Person]:
        if not rows:
            return []
        handles: dict[str, list[Handle]] = defaultdict(list)
        ids = [r[0] for r in rows]
        for offset in range(0, len(ids), 500):
            part = ids[offset : offset + 500]
            marks = ",".join("?" * len(part))
            for kind, label, pid in self.conn.execute(
                f"SELECT kind, label, person_id FROM people_handles WHERE person_id IN ({marks})"
                " ORDER BY person_id, CASE kind WHEN 'name' THEN 0 WHEN 'email' THEN 1"
                " WHEN 'phone' THEN 2 ELSE 3 END, own DESC, label",
                part,
            ):
                handles[pid].append(Handle(kind, label))
        return [
            Person(
                id=r[0],
                name=r[1],
                handles=tuple(handles.get(r[0], ())),
                items=int(r[2]),
                first_seen=_moment(r[3]),
                last_seen=_moment(r[4]),
                sources=tuple(json.loads(r[5] or "[]")),
            )
            for r in rows
        ]

    def _by_ids(self, ids: Iterable[str]) -> list[Person]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        rows = self.conn.execute(
            f"SELECT id, name, items, first, last, sources FROM people WHERE id IN ({marks})"
            " ORDER BY items DESC, name, id",
            wanted,
        ).fetchall()
        return self._people(rows)

    def candidates(self, text: str) -> list[Person]:
        """Who ``text`` (an id, a handle, a name, or a part of one) may be, best first.

        An exact id, handle or name wins; a name another person's records also carry
        gives all of them; failing that, the people whose name or handles contain it.
        """
        self.ensure_fresh()
        value = text.strip()
        if not value:
            return []
        with self.store.lock:
            exact = self._by_ids([value])
            if exact:
                return exact
            key = key_for(value)
            if key is not None:
                found = self.conn.execute(
                    "SELECT person_id, own FROM people_handles WHERE kind = ? AND value = ?",
                    key,
                ).fetchall()
                own = [r[0] for r in found if r[1]] or [r[0] for r in found]
                if own:
                    return self._by_ids(own)
            folded = value.casefold()
            named = [
                r[0]
                for r in self.conn.execute("SELECT id FROM people WHERE lower(name) = ?", (folded,))
            ]
            if named:
                return self._by_ids(named)
            if len(folded) < 3:
                return []
            return self.people(value, limit=20)

    def person(self, text: str) -> Person:
        """The one person ``text`` names; ``UserError`` when it names several."""
        return only_person(text, self.candidates(text))

    def aliases(self, text: str) -> tuple[str, ...]:
        """Every spelling (lower case) by which the person ``text`` names appears in items'
        ``people``, ``text`` itself first; just ``text`` when it names nobody or several."""
        found = self.candidates(text)
        plain = text.strip().lower()
        if len(found) != 1:
            return (plain,)
        spellings: dict[str, None] = {plain: None}
        with self.store.lock:
            for (sig,) in self.conn.execute(
                "SELECT sig FROM people_mentions WHERE person_id = ?", (found[0].id,)
            ):
                for surface in Mention.from_signature(sig).surfaces:
                    if len(surface) >= MIN_ALIAS:
                        spellings.setdefault(surface, None)
        return tuple(spellings)[:MAX_ALIASES]

    # -- corrections ---------------------------------------------------------------

    def _root(self, person: Person) -> Key:
        row = self.conn.execute(
            "SELECT kind, value FROM people_handles WHERE person_id = ? AND own = 2",
            (person.id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{person.name} has no handle of their own")
        return (str(row[0]), str(row[1]))

    def merge(self, a: str, b: str) -> Person:
        """Make the people ``a`` and ``b`` name one person, for good (kept across rebuilds)."""
        first, second = self.person(a), self.person(b)
        if first.id == second.id:
            return first
        with self.store.writing():
            ka, kb = self._root(first), self._root(second)
            self.conn.execute(
                "INSERT OR IGNORE INTO people_merges (a_kind, a_value, b_kind, b_value, at)"
                " VALUES (?,?,?,?,?)",
                (*ka, *kb, time.time()),
            )
            for key in (ka, kb):
                self.conn.execute("DELETE FROM people_splits WHERE kind = ? AND value = ?", key)
        self.refresh(derive=True)
        return self._person_of(ka)

    def split(self, handle: str) -> Person:
        """Take one handle (an address, a number, a user id or a name) out of whoever it
        was joined to: it becomes a person of its own, for good, until merged again."""
        key = key_for(handle.strip())
        if key is None:
            raise UserError(f"{handle!r} is not an address, a number or a name")
        self.ensure_fresh()
        with self.store.writing():
            known = self.conn.execute(
                "SELECT 1 FROM people_handles WHERE kind = ? AND value = ?", key
            ).fetchone()
            if known is None:
                raise NotFoundError(f"no person has the handle {handle!r}")
            self.conn.execute(
                "INSERT OR IGNORE INTO people_splits (kind, value, at) VALUES (?,?,?)",
                (*key, time.time()),
            )
            self.conn.execute(
                "DELETE FROM people_merges WHERE (a_kind = ? AND a_value = ?)"
                " OR (b_kind = ? AND b_value = ?)",
                (*key, *key),
            )
        self.refresh(derive=True)
        return self._person_of(key)

    def _person_of(self, key: Key) -> Person:
        with self.store.lock:
            row = self.conn.execute(
                "SELECT person_id FROM people_handles WHERE kind = ? AND value = ? AND own > 0",
                key,
            ).fetchone()
            found = self._by_ids([row[0]]) if row else []
        if not found:
            raise NotFoundError(f"nobody has the handle {key[1]!r}")
        return found[0]


#: a person's row in ``people``: id, name, items, first, last, sources (JSON)
PersonRow = tuple[str, str, int, float | None, float | None, str]
#: a row of ``people_handles``: kind, value, label, person id, own
HandleRow = tuple[str, str, str, str, int]
#: a person's items, first and last item times and sources
PersonStats = tuple[int, float | None, float | None, Iterable[str]]


def stale_corrections(
    found: Sequence[Mention],
    merges: Iterable[Sequence[str]],
    splits: Iterable[Sequence[str]],
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The merges (``a_kind, a_value, b_kind, b_value``) and splits (``kind, value``)
    about a key no mention in ``found`` carries: their items were forgotten."""
    keys = {k for mention in found for k in mention.keys}
    return (
        [tuple(m) for m in merges if (m[0], m[1]) not in keys or (m[2], m[3]) not in keys],
        [tuple(s) for s in splits if (s[0], s[1]) not in keys],
    )


def derive_rows(
    found: Sequence[Mention],
    weights: Sequence[int],
    pids: Sequence[str],
    roots: Sequence[Key],
    root_of: dict[Key, Key],
    stats: dict[str, PersonStats],
) -> tuple[list[PersonRow], list[HandleRow]]:
    """The people and their handles, from every mention (``found``, each with how many
    items name it and its person's id and root key, from :func:`cluster`) and each
    person's ``stats``. Pure, and independent of the order of ``found`` (a person's
    mentions are read in signature order): a sharded memory derives its people with it
    from every shard's mentions (the distributed backend's people module)."""
    groups: dict[str, list[tuple[str, Mention, int]]] = defaultdict(list)
    roots_by_pid: dict[str, Key] = {}
    for pid, root, mention, weight in zip(pids, roots, found, weights, strict=True):
        groups[pid].append((mention.signature(), mention, weight))
        roots_by_pid[pid] = root
    people_rows: list[PersonRow] = []
    handle_rows: list[HandleRow] = []
    for pid, signed in groups.items():
        count, first, last, sources = stats.get(pid, (0, None, None, ()))
        if not count:
            continue
        members = [(mention, weight) for _sig, mention, weight in sorted(signed, key=_first)]
        handles = _handles(members, roots_by_pid[pid], root_of)
        handle_rows.extend((k, v, label, pid, own) for k, v, label, own in handles)
        people_rows.append(
            (
                pid,
                _display_name(members, handles),
                int(count),
                first,
                last,
                json.dumps(sorted(set(sources) - {""})),
            )
        )
    return people_rows, handle_rows


def _first(signed: tuple[str, Mention, int]) -> str:
    return signed[0]


def _handles(
    members: list[tuple[Mention, int]], root: Key, root_of: dict[Key, Key]
) -> list[tuple[str, str, str, int]]:
    """``(kind, value, label, own)`` of a person: own 2 for its root key, 1 for other keys
    of its own, 0 for names its records carry (another person may carry them too)."""
    labels: dict[Key, Counter[str]] = defaultdict(Counter)
    own: dict[Key, int] = {}
    for mention, weight in members:
        for key in mention.keys:
            if root_of.get(key) == root:
                own[key] = 1
            elif key[0] == "name":
                own.setdefault(key, 0)
            else:
                continue  # a key split off from this person
            if key[0] == "name":
                for shown in (mention.label, *mention.spellings):
                    if shown and norm_name(shown) == key[1]:
                        labels[key][shown] += max(weight, 1)
    own[root] = 2
    rows: list[tuple[str, str, str, int]] = []
    for key, flag in own.items():
        label = labels[key].most_common(1)[0][0] if labels.get(key) else key[1]
        rows.append((key[0], key[1], label, flag))
    return rows


def _display_name(
    members: list[tuple[Mention, int]], handles: list[tuple[str, str, str, int]]
) -> str:
    """The contact card's name, else the name used in most items, else the best handle."""
    for mention, _weight in members:
        if mention.anchor and mention.label:
            return mention.label
    votes: Counter[str] = Counter()
    for mention, weight in members:
        if mention.label:
            votes[mention.label] += max(weight, 1)
    if votes:
        return votes.most_common(1)[0][0]
    order = {"email": 0, "phone": 1, "handle": 2}
    ranked = sorted(handles, key=lambda h: (-h[3], order.get(h[0], 3), h[2]))
    return ranked[0][2] if ranked else "?"
