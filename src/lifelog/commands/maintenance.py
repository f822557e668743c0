"""``lifelog check``, ``backup``, ``restore`` and ``rekey``: keeping a memory whole.

Thin: each calls ``Memory`` (``check``/``repair``, ``backup``, ``restore``,
``rekey``) and prints; see :mod:`lifelog.store.integrity` and
:mod:`lifelog.store.copies` for what they do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

__all__ = ["register"]

MemoryOption = Annotated[
    Path | None, typer.Option("--memory", "-m", help="Memory directory (default: $LIFELOG_HOME).")
]


def check(
    memory: MemoryOption = None,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Rebuild what is derived from the items (chunks, word index, vectors, people).",
        ),
    ] = False,
) -> None:
    """Check the memory: its pages, the database, the word index, vectors and people.

    Exits 1 when anything failed, with what failed and what to do."""
    from ..cli import console, open_memory, state
    from ..memory import Memory

    if repair:
        with open_memory(memory) as mem:
            for line in mem.repair():
                console.print(f"repaired: {escape(line)}")
    report = Memory.check_at(memory or state.memory_path)
    for line in report.lines():
        style = "red" if "FAILED" in line[:20] else None
        console.print(escape(line), style=style, highlight=False)
    if report.ok:
        console.print("the memory is whole")
        return
    if report.damaged:
        console.print(
            "[red]the store is damaged[/]: restore it from a backup"
            " (`lifelog restore BACKUP`); `lifelog check --repair` rebuilds the"
            " indexes if the items can still be read"
        )
    else:
        console.print(
            "[yellow]the indexes disagree with the items[/]: `lifelog check --repair`"
            " rebuilds them from the items"
        )
    raise typer.Exit(1)


def backup(
    path: Annotated[Path, typer.Argument(help="A new (or empty) folder for the backup.")],
    memory: MemoryOption = None,
) -> None:
    """Copy the memory, encrypted and consistent, into a folder, even while it is in use.

    The key file is not copied: keep it somewhere apart from the backup."""
    from ..cli import console, open_memory

    with open_memory(memory) as mem:
        info = mem.backup(path)
        console.print(
            f"backed up {info.items:,} items ({info.bytes / 1e6:.1f} MB) to"
            f" [bold]{escape(str(info.path))}[/]"
        )
        if mem.config.encryption == "keyfile":
            console.print(
                "[dim]encrypted with this memory's key file, which the backup does not"
                " hold: keep a copy of the key apart from it[/]"
            )


def restore(
    path: Annotated[Path, typer.Argument(help="A folder written by `lifelog backup`.")],
    memory: MemoryOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a memory that holds items.")
    ] = False,
) -> None:
    """Put a backup in place of the memory (checked first; --force to replace items)."""
    from ..cli import console, state
    from ..memory import Memory

    items = Memory.restore(path, memory or state.memory_path, force=force)
    console.print(f"restored {items:,} items from [bold]{escape(str(path))}[/]")


def rekey(memory: MemoryOption = None) -> None:
    """Change the key: a new key file, or a new passphrase (LIFELOG_NEW_PASSPHRASE).

    The memory must be open nowhere else (stop `lifelog serve`). Backups made
    before keep the old key."""
    from ..cli import console, open_memory

    with open_memory(memory) as mem:
        mem.rekey()
        if mem.config.encryption == "keyfile":
            console.print(
                "the memory has a new key file; the old key opens it no more"
                " (backups made before still need the old one)"
            )
        else:
            console.print("the memory has a new passphrase; the old one opens it no more")


def register(app: typer.Typer) -> None:
    for command in (check, backup, restore, rekey):
        app.command()(command)
