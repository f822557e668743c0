"""``lifelog chat``: a conversation with the memory, follow-up questions included.

Also the live display that ``lifelog ask`` uses: while the model writes, the
agent's steps, the model's reasoning when asked, and how far the answer has come;
the model's draft is not shown, only the checked answer with its citations
(:mod:`lifelog.answer.release`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.text import Text

if TYPE_CHECKING:
    from ..memory import Memory
    from ..records import Answer
    from ..retrieval.filters import Filters

__all__ = ["register", "stream_answer"]

HELP = """commands:
  /new                  forget the conversation so far
  /reasoning LEVEL      off | low | medium | high
  /show-reasoning       show or hide the model's reasoning
  /model NAME           local, a .gguf path, a server's model name, or none
  /sources              list the items behind the last answer
  /quit                 leave (or Ctrl-D)"""


def stream_answer(
    memory: Memory,
    question: str,
    out: Console,
    *,
    filters: Filters | None = None,
    reasoning: str = "off",
    model: str | None = None,
    history: list[Answer] | None = None,
    show_reasoning: bool = False,
) -> Answer:
    """Ask, showing the answer as it is generated on a terminal; return the checked answer."""
    events = memory.ask_stream(
        question, filters=filters, reasoning=reasoning, model=model, history=history or ()
    )
    if not out.is_terminal:
        for event in events:
            if event.answer is not None:
                return event.answer
        return memory.ask(question, filters=filters, reasoning=reasoning, model=model)
    steps: list[str] = []
    thinking: list[str] = []
    tokens: list[str] = []
    progress: list[str] = []

    def view() -> Group:
        parts: list[Text] = [Text(f"· {step}", style="dim") for step in steps[-6:]]
        if show_reasoning and thinking:
            parts.append(Text("".join(thinking)[-1200:], style="dim italic"))
        elif thinking and not tokens and not progress:
            parts.append(Text("thinking…", style="dim italic"))
        if tokens:
            parts.append(Text("".join(tokens)))
        else:
            parts.append(Text(f"{progress[-1]}…" if progress else "…", style="dim"))
        return Group(*parts)

    answer: Answer | None = None
    with Live(view(), console=out, transient=True, refresh_per_second=12) as live:
        for event in events:
            if event.kind == "token":
                tokens.append(event.text)
            elif event.kind == "reasoning":
                thinking.append(event.text)
            elif event.kind == "step":
                steps.append(event.text)
            elif event.kind == "progress":
                progress.append(event.text)
            elif event.answer is not None:
                answer = event.answer
            live.update(view())
    if answer is None:  # the pipeline always ends with an answer; this is a safety net
        return memory.ask(question, filters=filters, reasoning=reasoning, model=model)
    return answer


def _mode_line(answer: Answer) -> str:
    if answer.mode == "generative":
        return "generated, checked against its sources"
    if answer.mode == "extractive-fallback":
        return "quotes (the generated answer was not supported)"
    return "quotes"


def chat(
    memory: Annotated[Path | None, typer.Option("--memory", "-m", help="Memory directory.")] = None,
    reasoning: Annotated[str, typer.Option(help="off | low | medium | high")] = "off",
    model: Annotated[
        str | None,
        typer.Option(help="local (embedded), a .gguf path, a server's model name, or none."),
    ] = None,
    show_reasoning: Annotated[
        bool, typer.Option("--show-reasoning", help="Print the model's reasoning.")
    ] = False,
) -> None:
    """Talk with your memory: ask, then ask follow-up questions (/help for commands)."""
    from ..answer.reasoning import LEVELS
    from ..cli import console, open_memory, print_answer
    from ..errors import LifelogError, UserError

    if reasoning not in LEVELS:
        raise UserError("--reasoning must be off, low, medium or high")
    history: list[Answer] = []
    with open_memory(memory) as mem:
        console.print(f"[dim]lifelog chat over {escape(str(mem.home))} — /help, Ctrl-D to leave[/]")
        while True:
            try:
                line = console.input("[bold cyan]you ›[/] ").strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                break
            if not line:
                continue
            if line.startswith("/"):
                command, _, arg = line[1:].partition(" ")
                arg = arg.strip()
                if command in ("quit", "exit", "q"):
                    break
                if command == "new":
                    history.clear()
                    console.print("[dim]a new conversation[/]")
                elif command == "reasoning" and arg in LEVELS:
                    reasoning = arg
                    console.print(f"[dim]reasoning: {reasoning}[/]")
                elif command == "show-reasoning":
                    show_reasoning = not show_reasoning
                    console.print(f"[dim]show reasoning: {'on' if show_reasoning else 'off'}[/]")
                elif command == "model" and arg:
                    model = arg
                    console.print(f"[dim]model: {escape(arg)}[/]")
                elif command == "sources" and history:
                    for hit in history[-1].hits[:10]:
                        item = hit.item
                        when = f"{item.timestamp:%Y-%m-%d}" if item.timestamp else "undated"
                        console.print(
                            f"  {when} {item.source} {escape(item.author or '')}"
                            f" [dim]{item.id}[/] {escape(hit.snippet[:80])!r}"
                        )
                else:
                    console.print(HELP)
                continue
            try:
                answer = stream_answer(
                    mem,
                    line,
                    console,
                    reasoning=reasoning,
                    model=model,
                    history=history,
                    show_reasoning=show_reasoning,
                )
            except LifelogError as error:
                console.print(f"[red]error:[/] {escape(str(error))}")
                continue
            print_answer(answer, console, show_reasoning=show_reasoning)
            console.print(f"[dim]({_mode_line(answer)})[/]\n")
            history.append(answer)
            del history[:-6]


def register(app: typer.Typer) -> None:
    app.command()(chat)
