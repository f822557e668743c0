"""Extra CLI command groups, one module each, registered on the main app.

Each module here defines ``register(app: typer.Typer) -> None`` and adds its
commands; ``lifelog.cli`` discovers them, so a new area of the CLI never edits
``cli.py``. Shared helpers for them live in ``lifelog.cli`` (``open_memory``,
``console``, ``print_answer`` ...).
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["MemoryOption", "register_all"]

#: the ``--memory`` option every command that opens a memory takes
MemoryOption = Annotated[
    Path | None,
    typer.Option(
        "--memory", "-m", help="Memory directory (default: $LIFELOG_HOME or the XDG data dir)."
    ),
]


def register_all(app: typer.Typer) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
        except ImportError as error:  # an optional dependency is missing
            warnings.warn(f"lifelog {info.name} commands unavailable: {error}", stacklevel=2)
            continue
        register = getattr(module, "register", None)
        if callable(register):
            register(app)
