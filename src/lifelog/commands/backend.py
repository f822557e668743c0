"""``lifelog backend``: where the memory's items live, on this machine or in shards on
a Ray cluster.

``lifelog backend`` shows the choice, ``lifelog backend ray --address HEAD:6379
--shards 8`` makes the memory a distributed one, ``lifelog backend embedded`` brings it
back to this machine. Thin: the checks (a memory that holds items never switches
silently) are :mod:`lifelog.distributed.choice`'s; it is imported only when a command
runs, so the CLI never loads the distributed backend otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from . import MemoryOption

__all__ = ["register"]

backend_app = typer.Typer(
    help="Where the memory's items live: on this machine (embedded, the default) or in"
    " shards on a Ray cluster. `lifelog backend` shows the choice.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _home(memory: Path | None) -> Path:
    from ..cli import state
    from ..config import default_home
    from ..errors import NotFoundError

    home = Path(memory or state.memory_path or default_home()).expanduser()
    if not (home / "memory.json").exists():
        raise NotFoundError(
            f"no memory at {home}: create one with `lifelog init`"
            " (or pick another with --memory / LIFELOG_HOME)"
        )
    return home


def _print(home: Path, backend: dict[str, Any]) -> None:
    from ..cli import console

    if backend.get("kind", "embedded") != "ray":
        console.print(f"[bold]{escape(str(home))}[/]: embedded (the items live on this machine)")
        return
    console.print(
        f"[bold]{escape(str(home))}[/]: ray, {backend.get('shards')} shards on the cluster at"
        f" {escape(str(backend.get('address')))}"
    )
    for key in ("id", "root", "query_timeout", "actor_cpus"):
        if key in backend:
            console.print(f"  {key:<14}{escape(str(backend[key]))}")


@backend_app.callback()
def _current(ctx: typer.Context, memory: MemoryOption = None) -> None:
    if ctx.invoked_subcommand is None:
        show(memory)
    elif memory is not None:  # `lifelog backend --memory M ray …`: the command's memory
        from ..cli import state

        state.memory_path = memory


@backend_app.command()
def show(memory: MemoryOption = None) -> None:
    """The memory's backend and its settings (reads memory.json only: no key needed)."""
    from ..config import load_config

    home = _home(memory)
    _print(home, dict(load_config(home).settings.get("backend") or {}))


@backend_app.command()
def ray(
    address: Annotated[
        str,
        typer.Option(
            "--address", "-a", help="The Ray cluster's head, HOST:PORT (as `ray start` printed)."
        ),
    ],
    shards: Annotated[
        int,
        typer.Option(
            "--shards", "-n", help="How many shards the items are spread over (one per node)."
        ),
    ] = 2,
    root: Annotated[
        str | None,
        typer.Option(
            "--root",
            help="Where the nodes keep the shards, a path each node can write"
            " (default: <memory>/shards, for a cluster on this machine).",
        ),
    ] = None,
    query_timeout: Annotated[
        float,
        typer.Option(
            "--query-timeout",
            help="Seconds a search waits for the shards; a late one is named, not waited for.",
        ),
    ] = 30.0,
    actor_cpus: Annotated[
        float,
        typer.Option("--actor-cpus", help="CPUs Ray sets aside for each shard on its node."),
    ] = 1.0,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Use fewer shards even though they may hold items (those of the shards"
            " dropped become unreachable).",
        ),
    ] = False,
    memory: MemoryOption = None,
) -> None:
    """Spread the memory's items over shards on a Ray cluster (before ingesting into it).

    Needs `pip install 'lifelog[distributed]'`. Files given to `lifelog ingest` must
    then be readable on the nodes (shared storage)."""
    from ..cli import console, open_memory
    from ..distributed.choice import choose_ray

    _home(memory)
    with open_memory(memory) as mem:
        backend = choose_ray(
            mem,
            address,
            shards=shards,
            root=root,
            query_timeout=query_timeout,
            actor_cpus=actor_cpus,
            force=force,
        )
    _print(mem.home, backend)
    console.print("[dim]ingest, search, ask and forget now go to the shards[/]")


@backend_app.command()
def embedded(
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Switch even if the shards hold items, or cannot be asked (the items stay"
            " in the shards; `lifelog backend ray` reaches them again).",
        ),
    ] = False,
    memory: MemoryOption = None,
) -> None:
    """Keep the memory's items on this machine again (refused while shards hold items)."""
    from ..cli import open_memory
    from ..distributed.choice import choose_embedded

    _home(memory)
    with open_memory(memory) as mem:
        backend = choose_embedded(mem, force=force)
    _print(mem.home, backend)


def register(app: typer.Typer) -> None:
    app.add_typer(backend_app, name="backend")
