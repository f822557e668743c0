"""``notes/*.md``: an Obsidian-style vault of Markdown notes.

Each note has YAML front matter (``title``, ``date``, ``tags`` as a flow or a
block list), a body with ``[[wikilinks]]`` and ``#tags``, and the file's mtime
set to the note's date. A few hand-written notes hold facts; the rest are
journal entries and topic notes drawn from the filler.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import NamedTuple

from . import facts as F
from . import templates as T
from .clock import EPOCH_END, EPOCH_START, epoch
from .filler import EraPools, Filler, pool_size
from .writer import set_mtime

__all__ = ["write_notes"]

_LINKS = ("[[Lisbon]]", "[[Priya Shah]]", "[[Miso]]", "[[Documents]]", "[[Reading list]]")
_TAGS = ("journal", "ideas", "garden", "reading", "food", "travel", "photo", "admin")


def _links_at(utc: int) -> tuple[str, ...]:
    """The wikilinks a note of that date may hold (no cat before Miso arrived)."""
    if utc < F.MOVE_UTC - 150 * 86400:
        return ("[[Priya Shah]]", "[[Documents]]", "[[Reading list]]")
    if utc < F.MISO_UTC:
        return ("[[Lisbon]]", "[[Priya Shah]]", "[[Documents]]", "[[Reading list]]")
    return _LINKS


def _front_matter(title: str, date: str, tags: list[str], block: bool) -> str:
    if block:
        tag_text = "tags:\n" + "".join(f"  - {t}\n" for t in tags)
    else:
        tag_text = f"tags: [{', '.join(tags)}]\n"
    quoted = f'"{title}"' if ":" in title or title.startswith(("[", "{", "#")) else title
    return f"---\ntitle: {quoted}\ndate: {date}\n{tag_text}---\n"


def _iso(utc: int) -> str:
    t = time.gmtime(utc)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"


class FixedNote(NamedTuple):
    title: str
    created: int
    tags: list[str]
    body: str
    #: last edit (the file's mtime), if later than ``created``
    edited: int = 0


FIXED: tuple[FixedNote, ...] = (
    FixedNote(
        "Priya Shah",
        epoch(2019, 3, 2, 21),
        ["people", "friends"],
        "# Priya Shah\n\n"
        "Friend from the Boston book club; lives in London since 2020. #people\n\n"
        f"{F.BIRTHDAY_SENTENCE}\n\n"
        "Gift ideas:\n- deep blue fountain pen ink\n- dark chocolate from [[Lisbon]]\n"
        "- a good paperback (she reads on trains)\n\n"
        "See also [[Miso]], who adores her.\n",
        edited=epoch(2023, 11, 10, 9),
    ),
    FixedNote(
        "Documents",
        epoch(2021, 6, 8, 19),
        ["admin"],
        "# Documents\n\n"
        f"{F.PASSPORT_SENTENCE}\n\n"
        "- Portuguese residence card: in the blue folder, copy in [[Storage unit]]\n"
        "- Health number (número de utente) written on the back of the folder\n"
        "- Tax number (NIF) saved in the password manager #admin\n",
    ),
    FixedNote(
        "Storage unit",
        epoch(2022, 11, 3, 20),
        ["admin", "lisbon"],
        "# Storage unit\n\n"
        f"{F.SECRET_NOTE_SENTENCE}\n\n"
        "Lisbon Self Storage, gate open 7:00-22:00. Winter clothes, bikes, the old desk. #admin\n",
    ),
    FixedNote(
        "Lisbon",
        epoch(2021, 4, 2, 18),
        ["lisbon", "places"],
        "# Lisbon\n\n"
        "Neighbourhood: Campo de Ourique. Tram 28 stops two streets away. #lisbon\n\n"
        "- Bakery: Aloma, the best pastéis de nata\n- Market: Mercado de Campo de Ourique\n"
        "- Sunset: Jardim da Estrela, then the miradouro\n\n"
        "Friends here: [[Joana Almeida]], Tomás next door.\n",
    ),
    FixedNote(
        "Miso",
        epoch(2021, 5, 9, 10),
        ["cat"],
        "# Miso\n\n"
        "Grey tabby, very talkative at 6 a.m. #cat\n\n"
        "- Vet: Clínica Veterinária da Estrela\n- Food: wet food twice a day, no milk\n"
        "- Hates the vacuum cleaner, loves the balcony and [[Priya Shah]]\n",
    ),
)


def write_notes(root: Path, seed: int, scale: float) -> list[Path]:
    """Write the vault under ``root/notes``; return the note paths."""
    rng = random.Random(f"{seed}:notes")
    filler = Filler(rng)
    pools = EraPools(filler, T.NOTE, pool_size(scale, 300, 60, 3000))
    folder = root / "notes"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    used: set[str] = set()

    def emit(title: str, utc: int, tags: list[str], body: str, edited: int = 0) -> None:
        name = title
        number = 2
        while name.lower() in used:
            name = f"{title} {number}"
            number += 1
        used.add(name.lower())
        path = folder / f"{name}.md"
        text = _front_matter(title, _iso(utc), tags, rng.random() < 0.4) + "\n" + body
        path.write_bytes(text.encode("utf-8"))
        set_mtime(path, max(utc, edited))
        written.append(path)

    for note in FIXED:
        emit(note.title, note.created, note.tags, note.body, note.edited)

    journal_days = sorted(
        {
            rng.randrange(EPOCH_START, EPOCH_END) // 86400
            for _ in range(max(1, round(30 * scale**0.5)))
        }
    )
    for day in journal_days:
        utc = day * 86400 + filler.between(19 * 3600, 23 * 3600)
        lines = pools.at(utc).draw(filler.between(3, 9))
        links = " ".join(rng.sample(_links_at(utc), filler.between(0, 2)))
        tags = ["journal", *rng.sample(_TAGS[1:], filler.between(0, 2))]
        body = f"# {_iso(utc)}\n\n" + "\n".join(lines) + "\n"
        body += (f"\nRelated: {links}\n" if links else "") + f"\n#{' #'.join(tags)}\n"
        emit(f"Journal {_iso(utc)}", utc, tags, body)

    for _ in range(max(1, round(15 * scale**0.5))):
        utc = rng.randrange(EPOCH_START, EPOCH_END)
        title = filler.fill(filler.pick(T.NOTE_TITLE))
        tags = rng.sample(_TAGS[1:], filler.between(1, 3))
        lines = pools.at(utc).draw(filler.between(4, 14))
        link = filler.pick(_links_at(utc))
        body = f"# {title}\n\n" + "\n".join(lines) + f"\n\nSee {link}. #{tags[0]}\n"
        emit(title, utc, tags, body)
    return written
