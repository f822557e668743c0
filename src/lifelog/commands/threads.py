"""``lifelog show ID --thread``: a message among its neighbours in its conversation, both
sides, a line per message under a line per day, with the commands that page back and
forward (see :meth:`lifelog.Memory.thread_window`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

    from ..memory import Memory
    from ..records import Item

__all__ = ["print_thread"]

#: a message's text is cut to this many characters (``lifelog show ID`` prints it whole)
TEXT_MAX = 600


def _name(item: Item) -> str:
    if item.title:
        return item.title
    thread = item.thread or ""
    return thread.split(":", 1)[1] if ":" in thread else thread


def print_thread(
    memory: Memory, item: Item, out: Console, *, before: int = 10, after: int = 10
) -> None:
    """Print ``item`` with up to ``before`` and ``after`` messages of its thread."""
    window = memory.thread_window(item.id, before=before, after=after)
    if not window.thread:
        out.print(f"[dim]{escape(item.id)} is in no conversation: lifelog show {item.id}[/]")
        return
    header = Text()
    header.append(_name(item), "bold")
    header.append(f"  {item.source}", "magenta")
    header.append(f"  {window.total:,} message{'s' if window.total != 1 else ''}", "dim")
    out.print(header)
    if window.earlier:
        out.print(f"[dim]  ↑ earlier: lifelog show {window.items[0].id} --thread --after 0[/]")
    width = max((len(i.author or i.kind) for i in window.items), default=0)
    day = None
    for shown in window.items:
        this_day = f"{shown.timestamp:%A %-d %B %Y}" if shown.timestamp else "undated"
        if this_day != day:
            out.print(Text(f"── {this_day} ──", style="green"))
            day = this_day
        focus = shown.id == item.id
        line = Text()
        line.append("▶ " if focus else "  ", "bold yellow")
        line.append(f"{shown.timestamp:%H:%M}  " if shown.timestamp else "       ", "green")
        line.append(f"{(shown.author or shown.kind):<{width}}  ", "bold" if focus else "cyan")
        text = " ".join(shown.text.split())
        if len(text) > TEXT_MAX:
            text = text[: TEXT_MAX - 1] + "…"
        line.append(text, "bold" if focus else "")
        out.print(line, soft_wrap=True)
    if window.later:
        out.print(f"[dim]  ↓ later: lifelog show {window.items[-1].id} --thread --before 0[/]")
