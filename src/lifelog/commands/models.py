"""``lifelog models``: the packaged local models, which are installed, which answers by default.

Without ``--verify`` a file is checked by its size (loading it always checks its
sha256); ``--verify`` reads each file through sha256 now (about a second a GB).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import ModelError
from ..models import packaged

__all__ = ["models", "register"]


def _check(model: packaged.PackagedModel, full: bool) -> tuple[str, bool]:
    """What is known of the file's integrity, and whether it is good (or not there)."""
    path = packaged.model_file(model)
    if path is None or not path.is_file():
        return ("not assembled" if packaged.part_files(model) else "-"), True
    if path.stat().st_size != model.size:
        return "[red]no[/] (wrong size)", False
    if not full:
        return "at load (size ok)", True
    try:
        packaged.verify(model, path)
    except ModelError:
        return "[red]no[/] (sha256 differs)", False
    return "[green]yes[/]", True


def models(
    verify: Annotated[
        bool, typer.Option("--verify", help="Check each file's sha256 now (about 1 s a GB).")
    ] = False,
) -> None:
    """The packaged local models: installed or not, size, licence, integrity, the default."""
    from ..cli import console

    try:
        default: str | None = packaged.default_model().name
    except ModelError:
        default = None
    table = Table(show_edge=False)
    for column in ("model", "default", "installed", "size", "licence", "sha256 verified"):
        table.add_column(
            column, justify="right" if column == "size" else "left", no_wrap=column == "model"
        )
    good = True
    for model in packaged.MODELS:
        installed = packaged.is_installed(model)
        state, ok = _check(model, verify) if installed else ("-", True)
        good = good and ok
        table.add_row(
            f"[bold]{model.name}[/]",
            "[green]yes[/]" if model.name == default else "",
            "yes" if installed else "[dim]no[/]",
            f"{model.size / 1e9:.2f} GB" if model.size >= 1e9 else f"{model.size / 1e6:.0f} MB",
            model.licence,
            state,
        )
    console.print(table)
    for model in packaged.MODELS:
        path = packaged.model_file(model) if packaged.is_installed(model) else None
        where = escape(str(path)) if path else "[dim]pip install: make setup[/]"
        console.print(f"[dim]{model.name}:[/] {escape(model.upstream)}, {where}")
    console.print(
        "sha256: checked against the pinned hash every time a model is loaded"
        + ("; checked now (--verify)" if verify else "; --verify checks it now")
    )
    if default is None:
        console.print("[yellow]no packaged model is installed[/]: run `make setup`")
    else:
        console.print(
            f"answers use [bold]{default}[/] unless the memory's settings or --model name"
            " another (e.g. --model qwen2.5-coder-0.5b)"
        )
    if not good:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(models)
