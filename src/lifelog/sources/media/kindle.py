"""Kindle highlights and notes: the ``My Clippings.txt`` file every Kindle keeps.

Plug the Kindle in by USB and copy ``documents/My Clippings.txt``. Each clipping is
a book line, a details line, a blank line, the text, and a line of ten ``=``::

    The Mythical Man Month (Frederick P. Brooks)
    - Your Highlight on page 12 | Location 181-182 | Added on Tuesday, November 19, 2013 1:23:50 PM

    Good cooking takes time.
    ==========

Older Kindles write ``- Highlight Loc. 563-64  | Added on ...`` or ``- Highlight on
Page 20 | Added on ...``; Kindles set to another language write the details in it
(``- Tu subrayado en la página 5 | posición 100-105 | Añadido el viernes, 1 de enero de
2024 10:30:45``): the kind of clipping is recognised in English, Spanish, German,
French, Italian and Portuguese, and so are their month names.

Each highlight, note or clip becomes one ``Item`` (kind ``highlight`` or ``note``):
its text verbatim, the book title as the item's title and thread (``kindle:<title>``),
the book's author as the highlight's author (the words are theirs; a note's author is
``"Me"``), ``page`` and ``location`` in the metadata and as the locator, and the date
it was added (the Kindle's wall-clock time, which has no zone: taken as UTC). The key
is the book, the kind, the location and the date, so importing a newer copy of the
file adds only the new clippings. Bookmarks (no text) are left out and counted.

Hostile files: read as text line by line (a BOM and CRLF line ends are what Kindles
write), a line longer than ``MAX_LINE`` characters is cut, a clipping's text is cut at
``MAX_CLIPPING_CHARS``, and a clipping whose details line cannot be read is one
``Skip`` naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, left_out_skip
from ..dates import parse_note_date
from ..jsonstream import open_text, record_uri

__all__ = ["KindleSource", "parse_details"]

#: characters of one line kept at most
MAX_LINE = 100_000
#: characters of one clipping's text kept at most (Kindles cap a clip far below this)
MAX_CLIPPING_CHARS = 1_000_000
SEPARATOR = "=========="

_DETAILS = re.compile(r"^\s*-\s*\S")
#: what sniffing asks of a file's second line: ``- Your Highlight ... 12 | Added on ...``
_DETAILS_LINE = re.compile(r"^\s*-\s*\S[^|]*\d[^|]*\|")
_KINDS = (
    ("bookmark", re.compile(r"bookmark|marcador|lesezeichen|signet|segnalibro", re.I)),
    ("note", re.compile(r"\bnot[ea]\b|notiz", re.I)),
    (
        "highlight",
        re.compile(r"highlight|subrayado|markierung|surlignement|evidenziazione|destaque", re.I),
    ),
    ("clip", re.compile(r"\bclip\b|recorte", re.I)),
)
_PAGE = re.compile(r"(?:page|p[aá]gina|seite|pagina)\s+([\w-]+)", re.I)
_LOCATION = re.compile(
    r"(?:location|loc\.|posici[oó]n|position|posizione|posi[cç][aã]o)\s*([\d-]+)", re.I
)
_ADDED = re.compile(
    r"(?:added on|añadido el|hinzugefügt am|ajouté le|aggiunto il|adicionado:?(?: em)?)\s*(.+)$",
    re.I,
)
_WEEKDAY = re.compile(r"^[^\d,]+,\s*")
_GMT = re.compile(r"\s*GMT[+-]\d{1,2}:?\d{0,2}\s*$")
_MONTHS = {
    # Spanish, Portuguese, Italian, French, German month names -> English
    **dict.fromkeys(("enero", "janeiro", "gennaio", "janvier", "januar", "jänner"), "January"),
    **dict.fromkeys(("febrero", "fevereiro", "febbraio", "février", "februar"), "February"),
    **dict.fromkeys(("marzo", "março", "mars", "märz"), "March"),
    **dict.fromkeys(("abril", "aprile", "avril"), "April"),
    **dict.fromkeys(("mayo", "maio", "maggio", "mai"), "May"),
    **dict.fromkeys(("junio", "junho", "giugno", "juin", "juni"), "June"),
    **dict.fromkeys(("julio", "julho", "luglio", "juillet", "juli"), "July"),
    **dict.fromkeys(("agosto", "août"), "August"),
    **dict.fromkeys(("septiembre", "setembro", "settembre", "septembre"), "September"),
    **dict.fromkeys(("octubre", "outubro", "ottobre", "octobre", "oktober"), "October"),
    **dict.fromkeys(("noviembre", "novembro", "novembre"), "November"),
    **dict.fromkeys(("diciembre", "dezembro", "dicembre", "décembre", "dezember"), "December"),
}
_MONTH_WORD = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b", re.I)
_FILLER = re.compile(r"\b(?:de|del|di|le|am|um|à|a las|às)\b\.?", re.I)


def parse_added(text: str) -> datetime | None:
    """The date of a details line's ``Added on ...`` part, in any of the languages above."""
    value = _GMT.sub("", _WEEKDAY.sub("", text.strip()))
    if _MONTH_WORD.search(value):
        value = _FILLER.sub(" ", _MONTH_WORD.sub(lambda m: _MONTHS[m.group(1).lower()], value))
    return parse_note_date(" ".join(value.replace(",", " ").split()))


def parse_details(line: str) -> dict[str, Any]:
    """``kind``, ``page``, ``location`` and ``added`` (a datetime) of a details line."""
    parts = [p.strip() for p in line.strip().lstrip("-").split("|")]
    found: dict[str, Any] = {"kind": None}
    head = parts[0] if parts else ""
    for kind, pattern in _KINDS:
        if pattern.search(head):
            found["kind"] = kind
            break
    for part in parts:
        if (page := _PAGE.search(part)) and "page" not in found:
            found["page"] = page.group(1)
        if (location := _LOCATION.search(part)) and "location" not in found:
            found["location"] = location.group(1)
        if added := _ADDED.search(part):
            found["added"] = parse_added(added.group(1))
    return found


def _book(line: str) -> tuple[str, str | None]:
    """``(title, author)`` of a book line ``Title (Author)``."""
    line = " ".join(line.split())
    if line.endswith(")") and " (" in line:
        title, _, author = line[:-1].rpartition(" (")
        if title.strip():
            return title.strip(), author.strip() or None
    return line, None


class KindleSource(Source):
    name = "kindle"
    description = "Kindle highlights and notes (My Clippings.txt)"
    extensions = (".txt",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".txt":
            return False
        text = head[:8192].decode("utf-8", errors="ignore").lstrip("\ufeff")
        lines = text.splitlines()
        return (
            len(lines) >= 3
            and bool(_DETAILS_LINE.match(lines[1]))
            and any(line.strip() == SEPARATOR for line in lines[2:])
        )

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        bookmarks = 0
        lines: list[str] = []
        start = 1
        number = size = 0
        with open_text(path) as handle:
            while True:
                raw = handle.readline(MAX_LINE + 1)
                if len(raw) > MAX_LINE and not raw.endswith(("\n", "\r")):
                    while (more := handle.readline(MAX_LINE)) and not more.endswith(("\n", "\r")):
                        pass
                number += 1
                line = raw.rstrip("\r\n")
                if raw and line.strip() != SEPARATOR:
                    if size < MAX_CLIPPING_CHARS:
                        lines.append(line[:MAX_LINE])
                        size += len(lines[-1]) + 1
                    continue
                if any(x.strip() for x in lines):
                    record = self._clipping(path, lines, start)
                    if isinstance(record, str):
                        bookmarks += 1
                    elif record is not None:
                        yield record
                lines, start, size = [], number + 1, 0
                if not raw:
                    break
        if bookmarks:
            yield left_out_skip(file, "bookmarks", [(bookmarks, "bookmarks (no text)")])

    def _clipping(self, path: Path, lines: list[str], start: int) -> Parsed | str | None:
        while lines and not lines[0].strip():
            lines, start = lines[1:], start + 1
        if len(lines) < 2 or not _DETAILS.match(lines[1]):
            return Skip(str(path), f"line {start}", "clipping without a details line")
        title, author = _book(clean_text(lines[0].lstrip("\ufeff")))
        details = parse_details(lines[1])
        kind = details["kind"] or "highlight"
        if kind == "bookmark":
            return "bookmark"
        text = clean_text("\n".join(lines[2:]).strip())
        if not text:
            return Skip(str(path), f"line {start}", f"{kind} without text")
        added: datetime | None = details.get("added")
        where = " ".join(
            f"{name} {details[name]}" for name in ("page", "location") if details.get(name)
        )
        metadata: dict[str, Any] = {
            "book": title,
            "clipping": kind,
            "details": lines[1].strip()[:300],
            "line": start,
        }
        if author:
            metadata["book_author"] = author
        for name in ("page", "location"):
            if details.get(name):
                metadata[name] = details[name]
        if len(text) >= MAX_CLIPPING_CHARS:
            metadata["truncated"] = True
        stamp = added.isoformat() if added else f"line {start}"
        locator = where or f"line {start}"
        return Item(
            source=self.name,
            key=f"{title}\x00{author or ''}\x00{kind}\x00{where}\x00{stamp}",
            kind="note" if kind == "note" else "highlight",
            text=text,
            timestamp=added,
            author="Me" if kind == "note" else author,
            title=title[:500],
            thread=f"kindle:{title[:200]}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )
