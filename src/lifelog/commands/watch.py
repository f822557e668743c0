"""``lifelog watch PATH…``: import folders and export files again whenever they change
(see :mod:`lifelog.watch`). Thin: a :class:`~lifelog.watch.Watcher` over ``Memory``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

if TYPE_CHECKING:
    from ..ingest import IngestReport

__all__ = ["register"]

MemoryOption = Annotated[
    Path | None, typer.Option("--memory", "-m", help="Memory directory (default: $LIFELOG_HOME).")
]


def watch(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders and export files to watch (default: those saved in the settings)."
        ),
    ] = None,
    memory: MemoryOption = None,
    save: Annotated[
        bool,
        typer.Option("--save", help="Add these paths to the watched folders saved in the memory."),
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.05, help="Seconds between two looks.")
    ] = 1.0,
    settle: Annotated[
        float,
        typer.Option(
            "--settle", min=0.0, help="Seconds a changed file must stay unchanged before import."
        ),
    ] = 1.0,
) -> None:
    """Import folders and export files again whenever they change (Ctrl-C stops).

    New and changed files are imported; unchanged ones are passed over by the import
    journal, so a watcher stopped or killed at any point picks up where it was."""
    from ..cli import console, open_memory
    from ..errors import UserError
    from ..ingest import Interrupted
    from ..watch import Watcher, save_watched, watched

    def told(entries: list[Path], report: IngestReport) -> None:
        if report.added or report.updated or report.skipped_count:
            names = ", ".join(escape(e.name) for e in entries)
            console.print(
                f"{time.strftime('%H:%M:%S')} {names}: {report.added} added,"
                f" {report.updated} updated, {report.skipped_count} skipped",
                highlight=False,
            )

    with open_memory(memory) as mem:
        given = [str(p.expanduser().resolve()) for p in paths or []]
        if save:
            save_watched(mem, [*watched(mem), *given])
        chosen = given or watched(mem)
        if not chosen:
            raise UserError(
                "nothing to watch: give folders or export files (lifelog watch ~/Notes),"
                " or save them with --save or on the web's settings page"
            )
        watcher = Watcher(mem, [Path(p) for p in chosen], interval=interval, settle=settle)
        try:
            first = watcher.start()
            watcher.on_import = told
            caught = f" ({first.added} added, {first.updated} updated)" if first else ""
            console.print(
                f"watching {', '.join(escape(p) for p in chosen)}{caught}", highlight=False
            )
            while True:
                time.sleep(interval)
                watcher.poll()
        except (KeyboardInterrupt, Interrupted):
            console.print("stopped watching (what was imported is kept)")


def register(app: typer.Typer) -> None:
    app.command()(watch)
