"""``lifelog index``: the derived indexes (vectors, words) — their state, catching up, rebuilding.

``status`` tells how many chunks carry a vector of the current embedding model,
``embed`` embeds the ones that do not (after an import with ``--no-embed``, an
interrupted run or a change of model), ``rebuild`` drops every vector, re-indexes
the words from the store and embeds everything again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..errors import LifelogError
from ..index.vectors import EmbedProgress

__all__ = ["RichEmbedProgress", "register"]

MemoryOption = Annotated[
    Path | None, typer.Option("--memory", "-m", help="Memory directory (default: $LIFELOG_HOME).")
]

index_app = typer.Typer(
    help="The search indexes: which chunks are embedded, catch up, rebuild from the store.",
    no_args_is_help=True,
)


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} chunks/s" if speed else "", style="progress.data.speed")


class RichEmbedProgress(EmbedProgress):
    """Embedding progress: a bar over chunks, with their rate and the time left."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]embed[/] {task.fields[model]}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None

    def start(self, total: int, model: str) -> None:
        self.progress.start()
        self.task = self.progress.add_task("embed", total=max(total, 1), model=model)

    def advance(self, chunks: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, advance=chunks)

    def finish(self) -> None:
        self.progress.stop()


def embed_progress(quiet: bool = False) -> EmbedProgress | None:
    """A progress bar on stderr when it is a terminal (what ``lifelog ingest`` shows too)."""
    from ..cli import err

    return None if quiet or not err.is_terminal else RichEmbedProgress(err)


@index_app.command("status")
def status(memory: MemoryOption = None) -> None:
    """How many chunks there are, how many are embedded, and with which model."""
    from ..cli import console, open_memory

    with open_memory(memory) as mem:
        state = mem.index_status()
        try:
            off = mem.embedder() is None
        except LifelogError as error:
            off, problem = False, str(error)
        else:
            problem = ""
    console.print(f"chunks    {state.chunks:,}")
    console.print(f"embedded  {state.embedded:,} ({state.pending:,} pending)")
    console.print(f"model     {state.model or 'none'}" + (" (embedding is off)" if off else ""))
    if problem:
        console.print(f"[yellow]the embedding model cannot load:[/] {escape(problem)}")
    if state.stale:
        console.print(
            f"[dim]{state.stale:,} vectors of an earlier model are replaced as it catches up[/]"
        )


@index_app.command("embed")
def embed(
    memory: MemoryOption = None,
    batch: Annotated[int, typer.Option(help="Chunks per embedding call.")] = 256,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Embed every chunk that has no vector from the current model (resumable)."""
    from ..cli import console, open_memory

    with open_memory(memory) as mem:
        if mem.embedder() is None:
            console.print("embedding is off (LIFELOG_EMBED_MODEL=none or settings.embed)")
            return
        done = mem.embed_pending(embed_progress(quiet), batch=batch)
        console.print(f"embedded {done:,} chunks")


@index_app.command("rebuild")
def rebuild(
    memory: MemoryOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Drop every vector, re-index the words from the store, and embed everything again."""
    from ..cli import console, open_memory

    with open_memory(memory) as mem:
        done = mem.rebuild_index(progress=embed_progress(quiet))
        state = mem.index_status()
    console.print(
        f"re-indexed {state.chunks:,} chunks; embedded {done:,}"
        f" with {state.model or 'no model (embedding is off)'}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
