"""``lifelog people``: the people in the memory, one person across mail, chats and contacts.

``lifelog people [QUERY]`` lists them, ``show`` tells everything about one, ``merge``
joins two people the rules kept apart and ``split`` takes a handle back out (both are
kept across rebuilds), ``rebuild`` reads every item's people again.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

if TYPE_CHECKING:
    from ..people import Person

MemoryOption = Annotated[
    Path | None, typer.Option("--memory", "-m", help="Memory directory (default: $LIFELOG_HOME).")
]


class _ListByDefault(TyperGroup):
    """``lifelog people alice`` means ``lifelog people list alice``: a word that is not
    a subcommand is the query of the listing."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        names = set(self.list_commands(ctx)) | set(ctx.help_option_names)
        if not args or args[0] not in names:
            args = ["list", *args]
        return super().parse_args(ctx, args)


people_app = typer.Typer(
    cls=_ListByDefault,
    help="The people in your memory: one person across mail, chats, texts and contacts."
    " `lifelog people [QUERY]` lists them (as `lifelog people list [QUERY]` does).",
    no_args_is_help=False,
)


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""


def _handles(person: Person, limit: int = 4) -> str:
    values = [h.value for h in person.handles if h.value != person.name]
    shown = ", ".join(values[:limit])
    return shown + (f" (+{len(values) - limit})" if len(values) > limit else "")


@people_app.command("list")
def list_people(
    query: Annotated[str, typer.Argument(help="Part of a name, address or number.")] = "",
    memory: MemoryOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many people.")] = 50,
) -> None:
    """Everyone in the memory, most often seen first (or those matching QUERY)."""
    from ..cli import console, open_memory

    with open_memory(memory) as mem:
        found = mem.people(query, limit=limit)
    if not found:
        console.print("nobody found")
        raise typer.Exit(1)
    table = Table(show_edge=False)
    for column, justify in (
        ("name", "left"),
        ("handles", "left"),
        ("items", "right"),
        ("first seen", "left"),
        ("last seen", "left"),
        ("sources", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for person in found:
        table.add_row(
            escape(person.name),
            escape(_handles(person)),
            f"{person.items:,}",
            _day(person.first_seen),
            _day(person.last_seen),
            ", ".join(person.sources),
        )
    console.print(table)


@people_app.command()
def show(
    who: Annotated[str, typer.Argument(help="A name, address, number or person id.")],
    memory: MemoryOption = None,
    items: Annotated[int, typer.Option("--items", help="How many recent items to list.")] = 10,
) -> None:
    """Everything about one person: every handle, where and when they appear."""
    from ..cli import console, open_memory
    from ..retrieval.filters import Filters

    with open_memory(memory) as mem:
        person = mem.person(who)
        total = mem.count(Filters(people=(person.id,)))
        recent = mem.timeline(
            Filters(people=(person.id,)), limit=items, offset=max(0, total - items)
        )
    console.print(f"[bold]{escape(person.name)}[/]  [dim]{person.id}[/]")
    for kind in ("name", "email", "phone", "handle"):
        values = person.values(kind)
        if values:
            console.print(f"  {kind + 's':8} {escape(', '.join(values))}")
    console.print(
        f"  {person.items:,} items, {_day(person.first_seen) or '?'} – "
        f"{_day(person.last_seen) or '?'}, in {', '.join(person.sources)}"
    )
    for item in reversed(recent):
        when = item.timestamp.strftime("%Y-%m-%d %H:%M") if item.timestamp else "undated"
        titled = item.kind in ("email", "event", "task", "contact")
        label = ((item.title if titled else None) or item.text or item.title or "")[:80]
        label = label.replace("\n", " ")
        console.print(
            f"  [green]{when}[/] [magenta]{item.source}[/] {escape(label)}  [dim]{item.id}[/]"
        )


def _describe(person: Person) -> str:
    return f"{person.name} ({_handles(person, 6) or 'no handles'}; {person.items} items)"


@people_app.command()
def merge(
    first: Annotated[str, typer.Argument(help="One person (name, address, number or id).")],
    second: Annotated[str, typer.Argument(help="The person to join with them.")],
    memory: MemoryOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Join two people into one (kept when the directory is rebuilt)."""
    from ..cli import console, open_memory

    with open_memory(memory) as mem:
        a, b = mem.person(first), mem.person(second)
        if a.id == b.id:
            console.print(f"{escape(a.name)} is already one person")
            return
        console.print(f"1. {escape(_describe(a))}\n2. {escape(_describe(b))}")
        if not yes:
            typer.confirm("Merge them into one person?", abort=True)
        merged = mem.merge_people(a.id, b.id)
    console.print(f"merged: {escape(_describe(merged))}")


@people_app.command()
def split(
    handle: Annotated[str, typer.Argument(help="The address, number, user id or name.")],
    memory: MemoryOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Take one handle out of the person it was joined to (undoes a merge that used it)."""
    from ..cli import console, open_memory

    with open_memory(memory) as mem:
        owner = mem.person(handle)
        console.print(f"{escape(handle)} belongs to {escape(_describe(owner))}")
        if not yes:
            typer.confirm(f"Make {handle} a person of its own?", abort=True)
        alone = mem.split_person(handle)
    console.print(f"now apart: {escape(_describe(alone))}")


@people_app.command()
def rebuild(memory: MemoryOption = None) -> None:
    """Read every item's people again (merges and splits are kept)."""
    from ..cli import console, open_memory

    with open_memory(memory) as mem:
        read = mem.rebuild_people()
        count = len(mem.people())
    console.print(f"read {read:,} items: {count:,} people")


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
