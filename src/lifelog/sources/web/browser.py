"""Browser history: Chrome/Chromium ``History`` and Firefox ``places.sqlite``.

Both are SQLite databases that the browser keeps open (and, on Windows, locked)
while it runs. lifelog never opens the live file: it reads a private copy, in
memory when it fits, else through a 0700 temporary folder deleted as soon as the
copy is read (:mod:`.sqlitecopy` explains the choice and the hardening).

One ``Item`` (kind ``visit``) is made per page per day (UTC): every visit to
the same URL on the same day is grouped, so a page reloaded forty times is one
item saying "40 visits", and history stays a sane size (a heavy user's year of
~200,000 visits became ~32,000 items in a benchmark). The key is ``url + day``: re-importing
a newer copy of the same history updates that day's item in place and adds the
new days. The item text names the page title, the URL, the visit count and
times, how the page was reached (typed in the address bar, a link, a reload ...),
the search terms when the page is a search result, and (Firefox) the page's
description. Frame-only visits (ads and embedded iframes: Chrome's
``AUTO_SUBFRAME``, Firefox's ``EMBED``) are not kept.

Times: Chrome counts microseconds since 1601-01-01 UTC (the WebKit / Windows
FILETIME epoch); Firefox counts microseconds since 1970 (PRTime).

Firefox's bookmarks live in the same ``places.sqlite`` (``moz_bookmarks``): each becomes
one ``Item`` of kind ``bookmark`` (title, address, folder path such as ``Bookmarks
Toolbar / Recipes``, tags), dated when it was added and keyed by its ``guid``, so it
stays one item however often it is moved or imported. Folders, separators and the
tag entries themselves are not items.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text
from ..jsonstream import record_uri
from ..sqlitecopy import (
    SQLITE_MAGIC,
    int_value,
    read_copy,
    schema_has,
    sqlite_names,
    sqlite_tables,
    table_columns,
    text_value,
)

__all__ = [
    "ChromeHistorySource",
    "FirefoxHistorySource",
    "firefox_bookmarks",
    "prtime",
    "search_terms",
    "webkit_time",
]

#: visit times listed in one item's metadata at most
MAX_TIMES = 100
#: URL characters shown in an item's text at most (``data:`` URLs can be megabytes)
MAX_URL_TEXT = 2048

WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)

#: Chrome's core transition types (``ui/base/page_transition_types.h``), the low byte
CHROME_TRANSITIONS = {
    0: "link",
    1: "typed",
    2: "bookmark",
    3: "subframe",
    4: "manual subframe",
    5: "generated",
    6: "start page",
    7: "form submit",
    8: "reload",
    9: "keyword",
    10: "keyword generated",
}
_CHROME_FRAME = 3  # AUTO_SUBFRAME: content loaded inside a frame, not a page the person opened
#: Firefox's visit types (``nsINavHistoryService`` TRANSITION_*)
FIREFOX_TRANSITIONS = {
    1: "link",
    2: "typed",
    3: "bookmark",
    4: "embed",
    5: "permanent redirect",
    6: "temporary redirect",
    7: "download",
    8: "framed link",
    9: "reload",
}
_FIREFOX_EMBED = 4

#: query parameters that carry the search terms on common search engines
_QUERY_KEYS = ("q", "query", "search_query", "p", "wd", "text", "k")
_SEARCH_HOSTS = (
    "google.",
    "bing.com",
    "duckduckgo.com",
    "search.yahoo.",
    "baidu.com",
    "yandex.",
    "ecosia.org",
    "search.brave.com",
    "startpage.com",
    "qwant.com",
    "kagi.com",
    "youtube.com",
    "wikipedia.org",
    "amazon.",
    "github.com",
)


def webkit_time(value: Any) -> datetime | None:
    """Chrome's microseconds since 1601-01-01 UTC as aware UTC, or None when not a real date."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        moment = WEBKIT_EPOCH + timedelta(microseconds=value)
    except (OverflowError, ValueError):  # beyond datetime's range, or NaN
        return None
    return moment if _EARLIEST <= moment < _LATEST else None


def prtime(value: Any) -> datetime | None:
    """Firefox's PRTime (microseconds since 1970) as aware UTC, or None when not a real date."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)
    except (OverflowError, ValueError):  # beyond datetime's range, or NaN
        return None
    return moment if _EARLIEST <= moment < _LATEST else None


def search_terms(url: str) -> str | None:
    """The words searched for when ``url`` is a search-results page of a common engine."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not any(marker in host for marker in _SEARCH_HOSTS) or not parts.query:
        return None
    params = parse_qs(parts.query[:4096])
    for key in _QUERY_KEYS:
        values = params.get(key)
        if values and values[0].strip():
            return values[0].strip()[:500]
    return None


# -- visits, grouped per page per day ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Visit:
    """One row of a browser's visit table, normalised."""

    visit_id: int
    page_id: int
    url: str
    title: str
    when: datetime
    how: str | None
    typed: bool
    total_visits: int
    duration: float | None
    description: str


class _HistorySource(Source):
    """What Chrome's and Firefox's readers share: sniffing, the copy, grouping into items."""

    browser: ClassVar[str]
    file_names: ClassVar[tuple[str, ...]]
    tables: ClassVar[tuple[str, ...]]

    def sniff(self, path: Path, head: bytes) -> bool:
        """By the database's tables, whatever the file is called (``History-57.0…``, a
        copy). A database with the browser's own file name is claimed whatever its
        tables, and one that cannot be opened also by the table names in its first MiB,
        so that what is wrong with it is reported."""
        if not head.startswith(SQLITE_MAGIC):
            return False
        if path.name in self.file_names:
            return True
        tables = sqlite_tables(path, head)
        if tables is not None:
            return all(t in tables for t in self.tables)
        return schema_has(path, tuple(f"CREATE TABLE {t}".encode() for t in self.tables))

    def parse(self, path: Path) -> Iterator[Parsed]:
        with read_copy(path) as connection:
            try:
                present = {
                    row[0]
                    for row in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                    )
                }
            except sqlite3.Error as error:
                raise SourceError(f"{path}: not a readable SQLite database: {error}") from error
            missing = [t for t in self.tables if t not in present]
            if missing:
                raise SourceError(
                    f"{path}: not a {self.browser} history database (no table {', '.join(missing)})"
                )
            yield from self._grouped(path, connection)

    #: transition code -> its name, the code of a typed visit, the code of visits that are
    #: not pages the person opened, the bits of the stored value that hold the code
    transitions: ClassVar[dict[int, str]] = {}
    typed_code: ClassVar[int] = -1
    hidden_code: ClassVar[int] = -1
    code_mask: ClassVar[int] = -1

    def _query(self, connection: sqlite3.Connection) -> str:
        """SELECT visit id, page id, url, title, time, transition, total visits,
        microseconds on the page, description; ordered by page, then time."""
        raise NotImplementedError

    def _time(self, value: Any) -> datetime | None:
        raise NotImplementedError

    def _visits(self, path: Path, connection: sqlite3.Connection) -> Iterator[Visit | Skip]:
        rows = connection.execute(self._query(connection))
        for vid, page, url, title, stamp, transition, total, duration, description in rows:
            url = text_value(url)
            if not url:
                continue
            code = int_value(transition) & self.code_mask
            if code == self.hidden_code:
                continue
            when = self._time(stamp)
            if when is None:
                yield Skip(str(path), f"visit id {vid}", f"visit time out of range: {stamp!r}")
                continue
            yield Visit(
                visit_id=int_value(vid),
                page_id=int_value(page),
                url=url,
                title=text_value(title),
                when=when,
                how=self.transitions.get(code),
                typed=code == self.typed_code,
                total_visits=int_value(total),
                duration=int_value(duration) / 1e6 if int_value(duration) > 0 else None,
                description=text_value(description),
            )

    def _extras(self, connection: sqlite3.Connection) -> dict[int, str]:
        """Search terms by page id, where the database records them."""
        return {}

    def _grouped(self, path: Path, connection: sqlite3.Connection) -> Iterator[Parsed]:
        file = str(path)
        try:
            terms = self._extras(connection)
        except sqlite3.Error:
            terms = {}
        group: list[Visit] = []
        last_id = None
        try:
            for visit in self._visits(path, connection):
                if isinstance(visit, Skip):
                    yield visit
                    continue
                if group and (
                    visit.page_id != group[0].page_id or visit.when.date() != group[0].when.date()
                ):
                    yield self._item(path, group, terms)
                    group = []
                group.append(visit)
                last_id = visit.visit_id
        except sqlite3.Error as error:
            where = f"after visit id {last_id}" if last_id is not None else "visits"
            yield Skip(file, where, f"database damaged or unreadable, the rest is lost: {error}")
        if group:
            yield self._item(path, group, terms)

    def _item(self, path: Path, group: list[Visit], terms: dict[int, str]) -> Item:
        first, last = group[0], group[-1]
        day = first.when.date().isoformat()
        url = first.url
        title = clean_text(last.title or first.title).strip()
        shown_url = url if len(url) <= MAX_URL_TEXT else url[:MAX_URL_TEXT] + "…"
        hows = sorted({v.how for v in group if v.how})
        typed = any(v.typed for v in group)
        count = len(group)
        when = first.when.strftime("%H:%M")
        lines = [f"Visited “{title}” — {shown_url}" if title else f"Visited {shown_url}"]
        if count == 1:
            lines.append(f"1 visit on {day} at {when} UTC")
        else:
            lines.append(
                f"{count} visits on {day} (first {when}, last {last.when.strftime('%H:%M')} UTC)"
            )
        if typed:
            lines[-1] += "; typed in the address bar"
        elif hows:
            lines[-1] += f"; reached by {', '.join(hows)}"
        host = _host(url)
        searched = terms.get(first.page_id) or (search_terms(url) if host else None)
        if searched:
            lines.append(f"Searched for: {clean_text(searched)}")
        description = clean_text(last.description or first.description).strip()
        if description:
            lines.append(description[:1000])
        metadata: dict[str, Any] = {
            "browser": self.browser,
            "url": url,
            "day": day,
            "visits": count,
            "visit_times": [v.when.isoformat() for v in group[:MAX_TIMES]],
            "total_visits": last.total_visits,
        }
        if count > MAX_TIMES:
            metadata["visit_times_truncated"] = True
        if hows:
            metadata["transitions"] = hows
        if typed:
            metadata["typed"] = True
        if searched:
            metadata["search"] = searched
        durations = [v.duration for v in group if v.duration]
        if durations:
            metadata["seconds_on_page"] = round(sum(durations), 1)
        key_url = url if len(url) <= MAX_URL_TEXT else url[:MAX_URL_TEXT] + f"#len={len(url)}"
        locator = f"visit {first.visit_id}"
        return Item(
            source=self.name,
            key=f"{key_url}\x00{day}",
            kind="visit",
            text="\n".join(lines),
            timestamp=first.when,
            title=title or host or shown_url[:200],
            thread=f"{self.name}:{host}" if host else None,
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )


def _host(url: str) -> str:
    try:
        return (urlsplit(url[:MAX_URL_TEXT]).hostname or "").lower()
    except ValueError:
        return ""


def _pick(present: set[str], column: str, alias: str) -> str:
    return f"{alias}.{column}" if column in present else "NULL"


class ChromeHistorySource(_HistorySource):
    name = "chrome"
    description = "Chrome / Chromium / Edge / Brave browser history (History), read from a copy"
    browser = "Chrome"
    file_names = ("History", "Archived History")
    tables = ("urls", "visits")

    def _extras(self, connection: sqlite3.Connection) -> dict[int, str]:
        tables = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if "keyword_search_terms" not in tables:
            return {}
        return {
            int_value(url_id): text_value(term)[:500]
            for url_id, term in connection.execute(
                "SELECT url_id, term FROM keyword_search_terms LIMIT 1000000"
            )
            if text_value(term).strip()
        }

    transitions = CHROME_TRANSITIONS
    typed_code = 1
    hidden_code = _CHROME_FRAME
    code_mask = 0xFF  # the core type; the high bits are qualifiers (redirects, chains)

    def _time(self, value: Any) -> datetime | None:
        return webkit_time(value)

    def _query(self, connection: sqlite3.Connection) -> str:
        urls, visits = table_columns(connection, "urls"), table_columns(connection, "visits")
        return (
            "SELECT v.id, v.url, u.url, u.title, v.visit_time,"
            f" {_pick(visits, 'transition', 'v')}, {_pick(urls, 'visit_count', 'u')},"
            f" {_pick(visits, 'visit_duration', 'v')}, ''"
            " FROM visits v JOIN urls u ON u.id = v.url ORDER BY v.url, v.visit_time, v.id"
        )


#: Firefox's root folders (``moz_bookmarks.guid``) and the names its Library shows
FIREFOX_ROOTS = {
    "root________": "",
    "menu________": "Bookmarks Menu",
    "toolbar_____": "Bookmarks Toolbar",
    "unfiled_____": "Other Bookmarks",
    "mobile______": "Mobile Bookmarks",
    "tags________": "Tags",
}
#: bookmarks and folders read from one database at most
MAX_BOOKMARKS = 1_000_000


def _folder_path(folder: int, folders: dict[int, tuple[str, int]]) -> str:
    names: list[str] = []
    seen: set[int] = set()
    while folder in folders and folder not in seen and len(names) < 64:
        seen.add(folder)
        title, folder = folders[folder]
        if title:
            names.append(title)
    return " / ".join(reversed(names))


def firefox_bookmarks(path: Path, connection: sqlite3.Connection) -> Iterator[Parsed]:
    """One ``Item`` (kind ``bookmark``) per bookmark of ``places.sqlite``: its title,
    address, folder path and tags, dated when it was added; keyed by its ``guid``."""
    file = str(path)
    folders: dict[int, tuple[str, int]] = {}
    tags_root: int | None = None
    rows = connection.execute(
        "SELECT b.id, b.type, b.fk, b.parent, b.title, b.dateAdded, b.guid, p.url, p.title"
        " FROM moz_bookmarks b LEFT JOIN moz_places p ON p.id = b.fk"
        " ORDER BY b.id LIMIT ?",
        (MAX_BOOKMARKS,),
    ).fetchall()
    for bid, kind, _fk, parent, title, _added, guid, _url, _ptitle in rows:
        if int_value(kind) == 2:
            name = FIREFOX_ROOTS.get(text_value(guid), text_value(title).strip())
            folders[int_value(bid)] = (name[:200], int_value(parent))
            if text_value(guid) == "tags________":
                tags_root = int_value(bid)
    tags: dict[int, list[str]] = {}
    for _bid, kind, fk, parent, *_rest in rows:
        grand = folders.get(int_value(parent), ("", -1))[1]
        if int_value(kind) == 1 and tags_root is not None and grand == tags_root:
            tag = folders[int_value(parent)][0]
            if tag and len(tags.setdefault(int_value(fk), [])) < 50:
                tags[int_value(fk)].append(tag)
    for bid, kind, fk, parent, title, added, guid, url, place_title in rows:
        if int_value(kind) != 1 or folders.get(int_value(parent), ("", -1))[1] == tags_root:
            continue
        url = text_value(url)
        if not url:
            yield Skip(file, f"bookmark id {bid}", "bookmark without an address")
            continue
        name = clean_text(text_value(title) or text_value(place_title)).strip()
        shown = url if len(url) <= MAX_URL_TEXT else url[:MAX_URL_TEXT] + "…"
        folder = _folder_path(int_value(parent), folders)
        lines = [f"Bookmarked “{name}” — {shown}" if name else f"Bookmarked {shown}"]
        if folder:
            lines.append(f"Folder: {folder}")
        found_tags = tags.get(int_value(fk), [])
        if found_tags:
            lines.append(f"Tags: {', '.join(found_tags)}")
        metadata: dict[str, Any] = {"browser": "Firefox", "url": url, "bookmark": True}
        if folder:
            metadata["folder"] = folder
        if found_tags:
            metadata["tags"] = found_tags
        locator = f"bookmark id {bid}"
        host = _host(url)
        yield Item(
            source="firefox",
            key=f"bookmark/{text_value(guid) or bid}",
            kind="bookmark",
            text="\n".join(lines),
            timestamp=prtime(added),
            title=name or host or shown[:200],
            thread=f"firefox:{host}" if host else None,
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )


class FirefoxHistorySource(_HistorySource):
    """Firefox history, and its bookmarks beside it (``moz_bookmarks``, same file)."""

    name = "firefox"
    description = "Firefox browser history and bookmarks (places.sqlite), read from a copy"
    browser = "Firefox"
    file_names = ("places.sqlite",)
    tables = ("moz_places", "moz_historyvisits")

    transitions = FIREFOX_TRANSITIONS
    typed_code = 2
    hidden_code = _FIREFOX_EMBED

    def _time(self, value: Any) -> datetime | None:
        return prtime(value)

    def _grouped(self, path: Path, connection: sqlite3.Connection) -> Iterator[Parsed]:
        yield from super()._grouped(path, connection)
        try:
            if "moz_bookmarks" in sqlite_names(connection):
                yield from firefox_bookmarks(path, connection)
        except sqlite3.Error as error:
            yield Skip(str(path), "bookmarks", f"bookmarks damaged or unreadable: {error}")

    def _query(self, connection: sqlite3.Connection) -> str:
        places = table_columns(connection, "moz_places")
        return (
            "SELECT v.id, v.place_id, p.url, p.title, v.visit_date, v.visit_type,"
            f" {_pick(places, 'visit_count', 'p')}, NULL, {_pick(places, 'description', 'p')}"
            " FROM moz_historyvisits v JOIN moz_places p ON p.id = v.place_id"
            " ORDER BY v.place_id, v.visit_date, v.id"
        )
