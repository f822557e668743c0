"""``lifelog search`` and ``lifelog show``: finding items and reading one whole."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..records import Hit
from . import MemoryOption

__all__ = ["print_metadata", "register"]


def register(app: typer.Typer) -> None:
    app.command()(search)
    app.command()(show)


def _highlight(hit: Hit) -> Text:
    text = Text(hit.snippet.replace("\n", " "))
    for start, end in hit.marks:
        text.stylize("bold yellow", start, end)
    return text


def search(
    query: Annotated[str, typer.Argument(help="Words to look for, or what you mean.")],
    memory: MemoryOption = None,
    since: Annotated[
        str | None,
        typer.Option(help="From this date: 2023, 2023-06, March 2023, last summer …"),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Up to the end of this date (same forms as --since).")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
    person: Annotated[
        list[str] | None,
        typer.Option("--from", "--person", "-p", help="Only items by or with this person."),
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option(help="Only this kind (email, message …).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many hits.")] = 10,
    words: Annotated[
        bool, typer.Option("--words", help="Only items holding the words (not by meaning).")
    ] = False,
) -> None:
    """Search the memory by words and by meaning, with filters: date, source, person.

    Each hit says why it matched: your words, by meaning, or both."""
    from ..cli import console, err, open_memory, read_filters, when_written
    from ..narrate import hit_reasons
    from ..retrieval.explain import why_nothing

    filters = read_filters(since, until, source, person, kind)
    with open_memory(memory) as mem:
        if words:
            hits = mem.search(query, filters, limit=limit)
        else:
            hits = mem.retrieve(query, filters=filters, limit=limit, mode="hybrid")
        if not hits:
            reasons = why_nothing(mem, filters) if not filters.empty else []
            if reasons:
                console.print("no matches, because:")
                for reason in reasons:
                    console.print(f"  - {escape(reason)}")
            else:
                console.print("no matches")
            raise typer.Exit(1)
        if not words:
            worded = sum(1 for h in hits if any(w.startswith("words #") for w in h.why))
            err.print(
                f"[dim]searched by words and by meaning: {worded} of {len(hits)} hold your"
                " words (--words for those only)[/]"
            )
        for hit in hits:
            item = hit.item
            header = Text()
            header.append(when_written(item), "green")
            header.append(f"  {item.source}", "magenta")
            if item.author:
                header.append(f"  {item.author}", "bold")
            if item.title:
                header.append(f"  {item.title[:60]}", "italic")
            header.append(f"  {item.id}", "dim")
            console.print(header)
            console.print(_highlight(hit))
            why = hit_reasons(hit.why) or ["your words"]
            console.print(Text(f"matched: {', '.join(why)}", "dim"))
            console.print()


def _plain_value(value: object, width: int = 200) -> str:
    """A metadata value as a person reads it: lists joined, mappings as ``key: value``,
    yes/no for flags, long text cut with an ellipsis."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, dict):
        text = "; ".join(f"{k}: {_plain_value(v, width)}" for k, v in value.items())
    elif isinstance(value, list | tuple | set):
        text = ", ".join(_plain_value(v, width) for v in value)
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_metadata(meta: dict[str, object], out: Console) -> None:
    """The metadata of an item, one field a line under a heading (none: nothing)."""
    shown = {k: _plain_value(v) for k, v in meta.items() if v not in (None, "", [], {})}
    if not shown:
        return
    out.print()
    out.print("[bold]metadata[/]")
    width = max(len(k) for k in shown)
    for key, value in shown.items():
        label = key.replace("_", " ")
        out.print(f"  [dim]{escape(label):<{width}}[/]  {escape(value)}", soft_wrap=True)


def show(
    item_id: Annotated[str, typer.Argument(help="Item id (or a unique prefix).")],
    memory: MemoryOption = None,
    thread: Annotated[
        bool,
        typer.Option(
            "--thread", "-t", help="Show it in its conversation, with the messages around it."
        ),
    ] = False,
    before: Annotated[int, typer.Option(help="With --thread: messages shown before it.")] = 10,
    after: Annotated[int, typer.Option(help="With --thread: messages shown after it.")] = 10,
) -> None:
    """Print a whole item and where it came from (--thread: in its conversation)."""
    from ..cli import console, open_memory, when_written

    with open_memory(memory) as mem:
        item = mem.get(item_id)
        if thread:
            from .threads import print_thread

            print_thread(mem, item, console, before=max(0, before), after=max(0, after))
            return
        meta = {k: v for k, v in item.metadata.items() if not k.startswith("_")}
        rows = [
            ("id", item.id),
            ("date", when_written(item)),
            ("source", f"{item.source} ({item.kind})"),
            ("from", item.author or ""),
            ("with", ", ".join(item.participants)),
            ("title", item.title or ""),
            ("thread", item.thread or ""),
            ("file", str(meta.pop("origin", ""))),
            ("where", item.locator or ""),
        ]
        for label, value in rows:
            if value:
                console.print(f"[bold]{label:>7}[/] {escape(value)}")
        print_metadata(meta, console)
        console.print()
        console.print(escape(item.text), soft_wrap=True)
