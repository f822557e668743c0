"""The ``lifelog`` command line. Thin: parses arguments, calls ``Memory``, prints."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from .commands import MemoryOption
from .errors import LifelogError, UserError
from .ingest import IngestReport, Interrupted
from .ingest import Progress as ProgressSink
from .memory import Memory
from .records import Answer, Item
from .retrieval.explain import check_range
from .retrieval.filters import Filters, read_when

app = typer.Typer(
    name="lifelog",
    help="A personal AI memory: your exports, encrypted on your machine, answered with citations.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
console = Console()
err = Console(stderr=True)


_PLAIN_TYPES = re.compile(r"(?:list\[)?(\w+)\]?(?=>)")
_TYPE_WORDS = {"str": "text", "int": "number", "float": "number"}


def _flags_show_no_type() -> None:
    """typer 0.29's rich help prints a type beside every flag (``--help -h <bool>``,
    ``--yes -y <bool>``), though a flag takes no value: flags show none, and the other
    types are said in words (``<text>``, not ``<list[str]>``)."""
    from typer.core import TyperArgument, TyperOption

    for cls in (TyperArgument, TyperOption):
        shown = cls.display_type_rich
        if getattr(shown, "_lifelog", False):
            continue

        def display_type_rich(
            self: TyperArgument | TyperOption, ctx: Any, shown: Any = shown
        ) -> str | None:
            if getattr(self, "is_flag", False) or getattr(self, "count", False):
                return None
            said = shown(self, ctx)
            if not said:
                return None
            # <list[str]> is Python's spelling: a repeatable option takes <text>, repeated
            return _PLAIN_TYPES.sub(lambda m: _TYPE_WORDS.get(m[1].lower(), m[1].lower()), said)

        display_type_rich._lifelog = True  # type: ignore[attr-defined]  # patched once
        cls.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_show_no_type()


class _State:
    memory_path: Path | None = None
    #: the memory a command opened (see :func:`damage_said`)
    opened: Memory | None = None


state = _State()


@app.callback()
def _main(memory: MemoryOption = None) -> None:
    state.memory_path = memory


def open_memory(memory: Path | None = None) -> Memory:
    """Open the memory named by ``--memory`` (on the command or on ``lifelog``)."""
    opened = Memory.open(memory or state.memory_path)
    state.opened = opened  # main() says which file is damaged when a read fails
    return opened


def damage_said(error: BaseException) -> LifelogError | None:
    """An SQLite error that says a file is damaged, as one clear ``LifelogError``
    (which file, where, what to do); ``None`` for any other error."""
    from .store.db import is_damage

    if not is_damage(error):
        return None
    if state.opened is not None:
        return state.opened.diagnose(error)
    from .errors import StoreError

    return StoreError(f"the memory is damaged ({error}): run `lifelog check`")


_open = open_memory


class RichProgress(ProgressSink):
    """Ingest progress: a bar over bytes (MB/s, ETA) and a running item count."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.fields[label]}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[items]:,} items"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None
        self.items = 0
        self.files = 0
        self.started = 0

    def start(self, total_bytes: int, files: int) -> None:
        self.files = files
        self.progress.start()
        self.task = self.progress.add_task(
            "ingest", total=max(total_bytes, 1), label=f"{files} files", items=0
        )

    def file(self, path: Path, source: str) -> None:
        self.started += 1
        if self.task is not None:
            label = f"file {self.started}/{self.files} {source}: {path.name[:30]}"
            self.progress.update(self.task, label=label)

    def advance(self, nbytes: int, items: int) -> None:
        self.items += items
        if self.task is not None:
            self.progress.update(self.task, advance=nbytes, items=self.items)

    def finish(self) -> None:
        if self.task is not None:
            self.progress.update(self.task, label="done")
        self.progress.stop()


def read_filters(
    since: str | None,
    until: str | None,
    source: list[str] | None,
    person: list[str] | None,
    kind: list[str] | None = None,
) -> Filters:
    """Filters from the options; dates as people type them ("March 2023", "last summer")."""
    return check_range(
        Filters(
            since=read_when(since) if since else None,
            until=read_when(until, end=True) if until else None,
            sources=tuple(source or ()),
            people=tuple(person or ()),
            kinds=tuple(kind or ()),
        )
    )


def when_written(item: Item) -> str:
    return item.timestamp.strftime("%Y-%m-%d %H:%M") if item.timestamp else "undated"


def print_report(report: IngestReport, out: Console) -> None:
    table = Table(title=f"ingest run {report.run_id}", show_edge=False)
    for column in ("source", "files", "added", "updated", "unchanged", "skipped"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for name, c in sorted(report.by_source.items()):
        table.add_row(
            name, str(c.files), str(c.added), str(c.updated), str(c.unchanged), str(c.skipped)
        )
    out.print(table)
    out.print(
        f"{report.added:,} added, {report.updated:,} updated, {report.unchanged:,} unchanged,"
        f" {report.skipped_count:,} skipped in {report.seconds:.1f} s"
        f" ({report.mb_per_s:.1f} MB/s)"
        + (f"; {report.files_resumed_past} files already done" if report.files_resumed_past else "")
    )
    if report.forgotten:
        out.print(
            f"{report.forgotten:,} items skipped: forgotten earlier"
            " (use --include-forgotten to bring them back)"
        )
    for skip in report.skipped[:50]:
        out.print(f"[yellow]skipped[/] {escape(str(skip))}")
    if report.skipped_count > 50:
        out.print(
            f"… and {report.skipped_count - 50} more: `lifelog runs --errors {report.run_id}`"
        )
    if report.unrecognised:
        out.print(
            f"[dim]{len(report.unrecognised)} files in no known format (or no regular files:"
            " broken links, pipes) were left alone"
            f" (e.g. {escape(report.unrecognised[0])})[/]"
        )


#: items shown under an answer that found nothing
NEAREST = 3


_STEP_LINE = re.compile(r"^step \d+: (.+)$")


def _narrated(reasoning: str) -> str:
    """The reasoning trace with the agent's steps (``step 2: read [3]``) in words."""
    from .narrate import step_words

    lines = []
    for line in reasoning.splitlines():
        step = _STEP_LINE.match(line.strip())
        lines.append(f"· {step_words(step[1])}" if step else line)
    return "\n".join(lines)


def print_answer(answer: Answer, out: Console, *, show_reasoning: bool = False) -> None:
    if show_reasoning and answer.reasoning:
        out.print(f"[dim italic]{escape(_narrated(answer.reasoning))}[/]\n")
    out.print(escape(answer.text))
    for note in answer.notes:
        out.print(f"[dim]note: {escape(note)}[/]")
    for citation in answer.citations:
        item = citation.item
        who = f", {item.author}" if item.author else ""
        title = f" — {item.title}" if item.title else ""
        out.print(
            f"[cyan][{citation.number}][/] {when_written(item)} {item.source}{escape(who)}"
            f"{escape(title)}  [dim]{item.id}[/]"
        )
    if not answer.found and answer.hits:
        out.print("[dim]the nearest items:[/]")
        for hit in answer.hits[:NEAREST]:
            item = hit.item
            who = f", {item.author}" if item.author else ""
            snippet = " ".join(hit.snippet.split())[:140]
            out.print(
                f"[dim]-[/] {when_written(item)} {item.source}{escape(who)}: “{escape(snippet)}”"
                f"  [dim]{item.id}[/]"
            )


@app.command()
def init(
    memory: MemoryOption = None,
    passphrase: Annotated[
        bool, typer.Option("--passphrase", help="Encrypt with a passphrase instead of a key file.")
    ] = False,
    no_encryption: Annotated[
        bool, typer.Option("--no-encryption", help="Store the memory unencrypted (not advised).")
    ] = False,
) -> None:
    """Create a new, encrypted memory (a key file, 0600, unless --passphrase)."""
    if passphrase and no_encryption:
        raise UserError("choose either --passphrase or --no-encryption")
    mode = "none" if no_encryption else "passphrase" if passphrase else "keyfile"
    with Memory.init(memory or state.memory_path, encryption=mode) as mem:
        console.print(f"created memory at [bold]{mem.home}[/] (encryption: {mode})")
        if mode == "keyfile":
            console.print(
                "[dim]the key file lives beside it; keep a copy somewhere safe,"
                " or move it and set LIFELOG_KEY_FILE[/]"
            )


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Export files or folders.")],
    memory: MemoryOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-read files already ingested unchanged.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    no_embed: Annotated[
        bool,
        typer.Option("--no-embed", help="Only the word index now; `lifelog index embed` later."),
    ] = False,
    include_forgotten: Annotated[
        bool,
        typer.Option(
            "--include-forgotten", help="Bring back items forgotten earlier (skipped otherwise)."
        ),
    ] = False,
) -> None:
    """Import exports: mail (mbox, eml, Maildir), chats, notes … Safe to re-run or interrupt."""
    from .commands.index import embed_progress

    with _open(memory) as mem:
        sink = None if quiet or not err.is_terminal else RichProgress(err)
        try:
            report = mem.ingest(
                *paths,
                progress=sink,
                force=force,
                embed=not no_embed,
                embed_progress=embed_progress(quiet),
                include_forgotten=include_forgotten,
            )
        except KeyboardInterrupt as stopped:
            _say_ingest_stopped(stopped)
            sys.exit(130)  # past click, which would turn Ctrl-C into a return value
        print_report(report, console)


def _say_ingest_stopped(stopped: KeyboardInterrupt) -> None:
    """One line for Ctrl-C during ``lifelog ingest``: what was kept, how to go on."""
    if isinstance(stopped, Interrupted):
        report = stopped.report
        done = report.files_done + report.files_resumed_past
        stored = report.added + report.updated
        err.print(
            f"[yellow]stopped[/] after {done:,} of {stopped.files:,} files"
            f" ({stored:,} items stored, run {report.run_id} journaled as interrupted);"
            " run the same command to continue"
        )
    else:  # after the files were stored: while their meaning was being indexed
        err.print(
            "[yellow]stopped[/] after every file was stored, while indexing their meaning;"
            " run the same command to continue"
        )


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about your life.")],
    memory: MemoryOption = None,
    reasoning: Annotated[str, typer.Option(help="off | low | medium | high")] = "off",
    show_reasoning: Annotated[
        bool, typer.Option("--show-reasoning", help="Print the model's reasoning.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Only evidence from this date: 2023-06, March 2023, last summer …"),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only evidence up to the end of this date.")
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Only evidence from this source (repeatable)."),
    ] = None,
    person: Annotated[
        list[str] | None,
        typer.Option("--from", "--person", "-p", help="Only evidence by or with this person."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="local (the packaged default), a packaged model's name (`lifelog models`),"
            " a .gguf path, an OpenAI-compatible server's model name (with"
            " LIFELOG_LLM_BASE_URL), or none (extractive only)."
        ),
    ] = None,
) -> None:
    """Answer a question from the memory, citing the items behind the answer."""
    from .commands.chat import stream_answer

    if reasoning not in ("off", "low", "medium", "high"):
        raise UserError("--reasoning must be off, low, medium or high")
    with _open(memory) as mem:
        answer = stream_answer(
            mem,
            question,
            console,
            filters=read_filters(since, until, source, person),
            reasoning=reasoning,
            model=model,
            show_reasoning=show_reasoning,
        )
        print_answer(answer, console, show_reasoning=show_reasoning)
        if not answer.found:
            raise typer.Exit(1)


@app.command()
def forget(
    item_ids: Annotated[list[str] | None, typer.Argument(help="Item ids to forget.")] = None,
    memory: MemoryOption = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Forget everything ingested from this file.")
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", help="Forget the items matching this search.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Forget items for good: by id, by source file or by query.

    They leave the store, every index and what was derived from them (people, vectors),
    their bytes are overwritten in the database, and a re-import skips them."""
    if not item_ids and file is None and query is None:
        raise UserError("say what to forget: item ids, --file PATH or --query WORDS")
    with _open(memory) as mem:
        from_file: list[str] = []
        if file is not None:
            from_file = mem.ids_from_file(file)
            if not from_file:
                raise UserError(
                    f"nothing in the memory came from {file}: it was never ingested, or was"
                    " forgotten already (`lifelog runs` lists the imports)"
                )
            _show_and_confirm(mem, from_file, f"from {file}", yes, "--file")
        removed = 0
        if item_ids:
            ids = [mem.get(i).id for i in item_ids]
            removed += mem.forget(ids)
        if file is not None:
            removed += mem.forget_file(file)
        if query is not None:
            ids = list(mem.query_ids(query))
            if not ids:
                console.print("nothing matches")
            else:
                _show_and_confirm(mem, ids, "", yes, "--query")
                removed += mem.forget(ids)
        console.print(f"forgot {removed} items")
        if removed:
            console.print(
                "[dim]a re-import skips them (`lifelog ingest --include-forgotten` brings"
                " them back)[/]"
            )


def _show_and_confirm(mem: Memory, ids: list[str], where: str, yes: bool, option: str) -> None:
    """List (the first of) the items about to be forgotten and ask, in a terminal."""
    for item in (mem.get(i) for i in ids[:10]):  # read where the items are
        console.print(f"  {when_written(item)} {item.source} {escape(item.text[:70])!r}")
    if len(ids) > 10:
        console.print(f"  … and {len(ids) - 10} more")
    if yes:
        return
    if not sys.stdin.isatty():
        raise UserError(f"forget {option} needs --yes when not run interactively")
    typer.confirm(f"Forget these {len(ids)} items{' ' + where if where else ''}?", abort=True)


@app.command()
def stats(memory: MemoryOption = None) -> None:
    """What the memory holds."""
    with _open(memory) as mem:
        s = mem.stats()
        console.print(f"[bold]{s.path}[/] (encryption: {s.encryption}, {s.db_bytes / 1e6:.1f} MB)")
        span = f"{s.first:%Y-%m-%d} … {s.last:%Y-%m-%d}" if s.first and s.last else "no dates"
        console.print(f"{s.items:,} items, {s.chunks:,} chunks, {span}, {s.runs} ingest runs")
        for name, count in sorted(s.by_source.items(), key=lambda kv: -kv[1]):
            console.print(f"  {name:<12} {count:>10,}")


@app.command()
def runs(
    memory: MemoryOption = None,
    errors: Annotated[
        int | None, typer.Option("--errors", help="List the skipped records of this run.")
    ] = None,
) -> None:
    """The ingest journal: every run with its counts, or one run's skipped records."""
    with _open(memory) as mem:
        if errors is not None:
            for file, position, reason in mem.run_errors(errors):
                console.print(f"{escape(file)} [{escape(position)}]: {escape(reason)}")
            return
        table = Table(show_edge=False)
        for column in ("run", "status", "added", "updated", "unchanged", "skipped", "MB"):
            table.add_column(column, justify="right")
        for run in mem.runs():
            table.add_row(
                str(run["id"]),
                run["status"],
                str(run["added"]),
                str(run["updated"]),
                str(run["unchanged"]),
                str(run["skipped"]),
                f"{run['bytes'] / 1e6:.1f}",
            )
        console.print(table)


def _register_extra_commands() -> None:
    from .commands import register_all

    register_all(app)


_register_extra_commands()


def _show_usage_error(error: Exception) -> None:
    """A usage error (``--limit abc``, an unknown command) as typer shows it."""
    try:
        from typer import rich_utils

        rich_utils.rich_format_error(error)  # type: ignore[arg-type]  # typer's own click
    except Exception:  # noqa: BLE001 - any failure to format falls back to one line
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"[red]error:[/] {escape(str(error))}")


def main() -> None:
    """Entry point: one place turns lifelog's errors into one line and an exit code."""
    try:
        code = app(standalone_mode=False)
    except LifelogError as error:
        err.print(f"[red]error:[/] {escape(str(error))}")
        sys.exit(2 if isinstance(error, UserError) else 1)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: run the same command again to continue")
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except Exception as error:  # click's own usage errors
        import click

        if isinstance(error, click.ClickException | typer.TyperException):
            _show_usage_error(error)  # typer's own click: a usage error, not a traceback
            sys.exit(int(getattr(error, "exit_code", 2)))
        damage = damage_said(error)
        if damage is not None:
            err.print(f"[red]error:[/] {escape(str(damage))}")
            sys.exit(1)
        raise
    # without standalone mode click returns an exit code instead of exiting (typer.Exit,
    # and Ctrl-C as 130): it must reach the shell
    if isinstance(code, int) and not isinstance(code, bool) and code:
        if code == 130:
            err.print("[yellow]interrupted[/]: run the same command again to continue")
        sys.exit(code)


if __name__ == "__main__":
    # ``python -m lifelog.cli``: run the module the command modules import, not this copy
    # of it, so that they and the global options share one state
    from lifelog.cli import main as run

    run()
