"""``lifelog demo``: generate a sample life, ingest it, ask it questions, check the citations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.rule import Rule


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the sample life and its memory go.")
    ] = Path(".demo"),
    scale: Annotated[float, typer.Option(help="Size of the sample life (1 = a few MB).")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed of the generator.")] = 7,
    reasoning: Annotated[str, typer.Option(help="off | low | medium | high")] = "off",
    model: Annotated[
        str | None,
        typer.Option(
            help="'local' (the packaged default: `lifelog models`), a packaged model's name,"
            " 'none' (extractive) or a served model."
        ),
    ] = None,
    show_reasoning: Annotated[
        bool, typer.Option("--show-reasoning", help="Print the model's reasoning too.")
    ] = False,
) -> None:
    """Generate a fictional person's archive, ingest it encrypted, and answer questions."""
    from ..cli import RichProgress, console, err, print_answer, print_report
    from ..memory import Memory
    from ..samplelife import DEMO_QUESTIONS, generate

    directory = directory.expanduser().resolve()
    console.print(Rule("1. a sample life"))
    life = generate(directory / "life", seed=seed, scale=scale)
    console.print(
        f"wrote {len(life.files)} export files ({life.total_bytes / 1e6:.1f} MB) to {life.root}"
    )
    console.print(Rule("2. ingest (encrypted memory)"))
    home = directory / "memory"
    memory = Memory.open(home) if (home / "memory.json").exists() else Memory.init(home)
    failures = 0
    with memory:
        sink = RichProgress(err) if err.is_terminal else None
        report = memory.ingest(life.root, progress=sink)
        print_report(report, console)
        console.print(Rule("3. questions"))
        modes: dict[str, int] = {}
        for number, fact in enumerate(DEMO_QUESTIONS, start=1):
            console.print(f"\n[bold]Q{number}. {escape(fact.question)}[/]")
            answer = memory.ask(fact.question, reasoning=reasoning, now=life.now, model=model)
            print_answer(answer, console, show_reasoning=show_reasoning)
            modes[answer.mode] = modes.get(answer.mode, 0) + 1
            cited = [c for c in answer.citations if fact.needle in c.item.text]
            right = fact.answered_by(answer.text)
            if answer.found and cited and right:
                console.print(
                    f"[green]✓ {answer.mode} answer, right, citing the item that holds the fact"
                    f" ({cited[0].item.id})[/]"
                )
            else:
                failures += 1
                why = "is not right" if answer.found and cited else "does not cite the fact"
                console.print(f"[red]✗ the answer {why}[/]")
        if reasoning == "off":
            console.print(Rule("4. the reasoning switch"))
            fact = DEMO_QUESTIONS[0]
            console.print(
                f"[bold]{escape(fact.question)}[/] [dim]with --reasoning low: the model rewrites"
                " the question into searches, lifelog runs them and the model answers from all"
                " they found (a served model drives an agent with tools instead)[/]"
            )
            answer = memory.ask(fact.question, reasoning="low", now=life.now, model=model)
            print_answer(answer, console, show_reasoning=True)
    console.print()
    console.print(
        "answers by mode: "
        + ", ".join(f"{count} {mode}" for mode, count in sorted(modes.items()))
        + " [dim](generated = written by the model and checked against its citations;"
        " extractive = quoted evidence, used when no model runs or the model's answer"
        " was not supported)[/]"
    )
    console.print()
    console.print(
        f"[bold]{len(DEMO_QUESTIONS) - failures}/{len(DEMO_QUESTIONS)}[/] answers are right and"
        f' cite their evidence. Try: [cyan]lifelog --memory {home} ask "…"[/]'
    )
    if failures:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(demo)
