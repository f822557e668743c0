"""``lifelog chat``: a conversation with the memory, follow-up questions included.

Conversations are saved in the memory (the web chat's list shows them too):
``lifelog chat --resume`` continues the last one, ``--resume NAME`` a named one. Ctrl-C
while an answer is prepared cancels that answer, not the session; Ctrl-C or Ctrl-D at the
prompt leaves.

Also the live display that ``lifelog ask`` uses: while the model writes, the
agent's steps, the model's reasoning when asked, and how far the answer has come;
the model's draft is not shown, only the checked answer with its citations
(:mod:`lifelog.answer.release`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.text import Text

if TYPE_CHECKING:
    from ..answer.generate import AskEvent
    from ..memory import Memory
    from ..records import Answer
    from ..retrieval.filters import Filters
    from ..store.conversations import Conversation, Conversations

__all__ = ["register", "stream_answer"]

HELP = """commands:
  /new                  start a new conversation
  /chats                list the saved conversations
  /resume NAME          continue a saved one (its id or words of its name)
  /rename NAME          rename this conversation
  /delete               delete this conversation from the memory
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
    history: Sequence[Answer | tuple[str, str]] | None = None,
    show_reasoning: bool = False,
) -> Answer:
    """Ask, showing the answer as it is generated on a terminal; return the checked answer.

    A ``KeyboardInterrupt`` (Ctrl-C) stops the model where it is and goes up to the caller
    (``lifelog chat`` says "(cancelled)" and asks for the next question)."""
    events = memory.ask_stream(
        question, filters=filters, reasoning=reasoning, model=model, history=history or ()
    )
    try:
        return _follow(memory, question, events, out, filters, reasoning, model, show_reasoning)
    finally:
        close = getattr(events, "close", None)  # a generator: a cancelled answer stops it
        if close is not None:
            close()


def _follow(
    memory: Memory,
    question: str,
    events: Iterator[AskEvent],
    out: Console,
    filters: Filters | None,
    reasoning: str,
    model: str | None,
    show_reasoning: bool,
) -> Answer:
    if not out.is_terminal:
        for event in events:
            if event.answer is not None:
                return event.answer
        return memory.ask(question, filters=filters, reasoning=reasoning, model=model)
    steps: list[str] = []
    thinking: list[str] = []
    tokens: list[str] = []
    progress: list[str] = []

    from ..narrate import SEARCHING, progress_words, step_words

    def view() -> Group:
        parts = [Text(f"· {step_words(step)}", style="dim") for step in steps[-6:]]
        if show_reasoning and thinking:
            parts.append(Text("".join(thinking)[-1200:], style="dim italic"))
        elif thinking and not tokens and not progress:
            parts.append(Text("thinking…", style="dim italic"))
        if tokens:
            parts.append(Text("".join(tokens)))
        else:
            said = progress_words(progress[-1]) if progress else SEARCHING
            parts.append(Text(said, style="dim"))
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
    name: Annotated[
        str | None,
        typer.Argument(help="With --resume: the conversation (its id or words of its name)."),
    ] = None,
    memory: Annotated[Path | None, typer.Option("--memory", "-m", help="Memory directory.")] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", "-r", help="Continue the last conversation (or the one NAME)."),
    ] = False,
    list_chats: Annotated[
        bool, typer.Option("--list", "-l", help="List the saved conversations and leave.")
    ] = False,
    reasoning: Annotated[str, typer.Option(help="off | low | medium | high")] = "off",
    model: Annotated[
        str | None,
        typer.Option(help="local (embedded), a .gguf path, a server's model name, or none."),
    ] = None,
    show_reasoning: Annotated[
        bool, typer.Option("--show-reasoning", help="Print the model's reasoning.")
    ] = False,
) -> None:
    """Talk with your memory: ask, then ask follow-up questions (/help for commands).

    Conversations are kept in the memory: --resume continues the last one, --resume NAME
    the one NAME designates. Ctrl-C cancels the answer being written; Ctrl-D leaves."""
    from ..answer.reasoning import LEVELS
    from ..cli import console, open_memory
    from ..errors import UserError
    from ..store.conversations import Conversations

    if reasoning not in LEVELS:
        raise UserError("--reasoning must be off, low, medium or high")
    if name and not resume:
        raise UserError(f"to continue {name!r}: lifelog chat --resume {name!r}")
    with open_memory(memory) as mem:
        chats = Conversations(mem.store)
        if list_chats:
            _list(chats, console)
            return
        session = _Session(mem, chats, console, reasoning, model, show_reasoning)
        if resume:
            session.resume(name)
        console.print(
            f"[dim]lifelog chat over {escape(str(mem.home))} — /help, Ctrl-C cancels an"
            " answer, Ctrl-D leaves[/]"
        )
        session.run()


def _list(chats: Conversations, out: Console) -> None:
    from datetime import datetime

    found = chats.recent(50)
    if not found:
        out.print("no saved conversation yet")
        return
    for talk in found:
        when = datetime.fromtimestamp(talk.updated_at).strftime("%Y-%m-%d %H:%M")
        out.print(
            f"  [green]{when}[/] [dim]{talk.id}[/] {escape(talk.title or 'Untitled')}"
            f" [dim]({talk.turns} question{'s' if talk.turns != 1 else ''})[/]"
        )


class _Session:
    """One ``lifelog chat``: the conversation being held, saved turn by turn."""

    def __init__(
        self,
        memory: Memory,
        chats: Conversations,
        out: Console,
        reasoning: str,
        model: str | None,
        show_reasoning: bool,
    ) -> None:
        self.memory = memory
        self.chats = chats
        self.out = out
        self.reasoning = reasoning
        self.model = model
        self.show_reasoning = show_reasoning
        self.current: Conversation | None = None
        #: earlier turns given to the model: answers of this session, or saved ones
        self.history: list[Answer | tuple[str, str]] = []
        self.last: Answer | None = None

    def resume(self, name: str | None) -> None:
        self.current = self.chats.find(name)
        turns = self.chats.turns(self.current.id)
        self.history = [(t.question, t.text) for t in turns[-6:]]
        self.last = None
        self.out.print(
            f"[dim]continuing “{escape(self.current.title or 'Untitled')}”"
            f" ({len(turns)} question{'s' if len(turns) != 1 else ''} so far)[/]"
        )
        for turn in turns[-3:]:
            self.out.print(f"[bold cyan]you ›[/] {escape(turn.question)}")
            self.out.print(escape(turn.text), soft_wrap=True)
        self.out.print()

    def run(self) -> None:
        while True:
            try:
                line = self.out.input("[bold cyan]you ›[/] ").strip()
            except (EOFError, KeyboardInterrupt):  # Ctrl-D, or Ctrl-C at the prompt
                self.out.print()
                return
            if not line:
                continue
            if line.startswith("/"):
                if not self.command(line):
                    return
                continue
            self.ask(line)

    def ask(self, question: str) -> None:
        from ..cli import print_answer
        from ..errors import LifelogError
        from ..server.serialize import answer_json

        try:
            answer = stream_answer(
                self.memory,
                question,
                self.out,
                reasoning=self.reasoning,
                model=self.model,
                history=self.history,
                show_reasoning=self.show_reasoning,
            )
        except KeyboardInterrupt:
            self.out.print("[yellow](cancelled)[/]\n")
            return
        except LifelogError as error:
            self.out.print(f"[red]error:[/] {escape(str(error))}")
            return
        print_answer(answer, self.out, show_reasoning=self.show_reasoning)
        self.out.print(f"[dim]({_mode_line(answer)})[/]\n")
        self.history.append(answer)
        del self.history[:-6]
        self.last = answer
        if self.current is None:
            self.current = self.chats.create()
        self.chats.add_turn(self.current.id, question, answer_json(answer))

    def command(self, line: str) -> bool:
        """Run a /command; ``False`` to leave."""
        from ..answer.reasoning import LEVELS
        from ..errors import LifelogError

        command, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        out = self.out
        try:
            if command in ("quit", "exit", "q"):
                return False
            if command == "new":
                self.current, self.last = None, None
                self.history.clear()
                out.print("[dim]a new conversation[/]")
            elif command == "chats":
                _list(self.chats, out)
            elif command == "resume":
                self.resume(arg or None)
            elif command == "rename" and arg:
                if self.current is None:
                    self.current = self.chats.create(arg)
                self.current = self.chats.rename(self.current.id, arg)
                out.print(f"[dim]renamed: {escape(self.current.title)}[/]")
            elif command == "delete":
                if self.current is not None:
                    self.chats.delete(self.current.id)
                    out.print(f"[dim]deleted “{escape(self.current.title)}”[/]")
                self.current, self.last = None, None
                self.history.clear()
            elif command == "reasoning" and arg in LEVELS:
                self.reasoning = arg
                out.print(f"[dim]reasoning: {self.reasoning}[/]")
            elif command == "show-reasoning":
                self.show_reasoning = not self.show_reasoning
                out.print(f"[dim]show reasoning: {'on' if self.show_reasoning else 'off'}[/]")
            elif command == "model" and arg:
                self.model = arg
                out.print(f"[dim]model: {escape(arg)}[/]")
            elif command == "sources" and self.last is not None:
                for hit in self.last.hits[:10]:
                    item = hit.item
                    when = f"{item.timestamp:%Y-%m-%d}" if item.timestamp else "undated"
                    out.print(
                        f"  {when} {item.source} {escape(item.author or '')}"
                        f" [dim]{item.id}[/] {escape(hit.snippet[:80])!r}"
                    )
            else:
                out.print(HELP)
        except LifelogError as error:
            out.print(f"[red]error:[/] {escape(str(error))}")
        return True


def register(app: typer.Typer) -> None:
    app.command()(chat)
