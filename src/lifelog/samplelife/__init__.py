"""A bundled sample life: a fictional person's 2019-2024 archive in real export formats.

``generate(out_dir)`` writes Sam Rivera's mail (mboxo), WhatsApp chats (Android
and iOS text exports and an iOS zip), ChatGPT export and Markdown notes, with
facts planted at known places (:data:`FACTS`) among seeded filler. The same
seed and scale always give byte-identical files, mtimes included (on the same
Python minor version: the filler comes from ``random.Random``).

``scale`` grows the filler roughly linearly while the facts stay: about 3.7 MB
at 1.0 (a tenth of a second), about 215 MB at 60 (generated at 30-40 MB/s on
one core, four fifths of it mail). :data:`DEMO_QUESTIONS` are the six questions
``lifelog demo`` asks, one or more per source, the last the storage unit's access code.

Run ``python -m lifelog.samplelife OUT_DIR [--scale X] [--seed N]``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .chatgpt import write_chatgpt
from .clock import epoch
from .facts import DEMO_QUESTIONS, FACTS, PLANTED_SECRET, SAM, SOURCES, Fact
from .mail import write_mail
from .notes import write_notes
from .whatsapp import write_whatsapp
from .writer import set_mtime

__all__ = [
    "DEMO_QUESTIONS",
    "EXPORT_TIME",
    "FACTS",
    "PERSON",
    "PLANTED_SECRET",
    "SOURCES",
    "Fact",
    "SampleLife",
    "generate",
    "read_fact_file",
]

#: the mtime given to every export file and folder (notes keep their own dates)
EXPORT_TIME = epoch(2025, 1, 2, 9)
#: the person whose life it is
PERSON = SAM


@dataclass(frozen=True, slots=True)
class SampleLife:
    """What :func:`generate` wrote."""

    root: Path
    #: every file written, relative to ``root``, sorted
    files: tuple[Path, ...]
    total_bytes: int
    facts: tuple[Fact, ...]
    seed: int
    scale: float

    @property
    def now(self) -> datetime:
        """The moment the archive was exported: questions about it are asked as of then."""
        return datetime.fromtimestamp(EXPORT_TIME, UTC)


def generate(out_dir: str | Path, seed: int = 7, scale: float = 1.0) -> SampleLife:
    """Write the sample life under ``out_dir`` (created if needed) and describe it.

    Files of the same names are overwritten and other files are left alone, so
    write into an empty folder to get exactly the listed files.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for path in (
        write_mail(root, seed, scale)
        + write_whatsapp(root, seed, scale)
        + write_chatgpt(root, seed, scale)
    ):
        set_mtime(path, EXPORT_TIME)
        written.append(path)
    written.extend(write_notes(root, seed, scale))
    for folder in ("mail", "whatsapp", "chatgpt", "notes"):
        set_mtime(root / folder, EXPORT_TIME)
    files = tuple(sorted(p.relative_to(root) for p in written))
    total = sum((root / p).stat().st_size for p in files)
    return SampleLife(
        root=root, files=files, total_bytes=total, facts=FACTS, seed=seed, scale=scale
    )


def read_fact_file(root: str | Path, fact: Fact) -> str:
    """The text of the file that holds ``fact`` (a zipped chat's ``_chat.txt``)."""
    path = Path(root) / fact.file
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return archive.read("_chat.txt").decode("utf-8")
    return path.read_text(encoding="utf-8")
