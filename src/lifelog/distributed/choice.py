"""Choosing a memory's backend (``lifelog backend``): embedded, or shards on a Ray cluster.

The choice is written to ``memory.json`` (``settings.backend``) and read by
``Memory.open``. A memory that holds items never switches silently, since the items
would stay where they are and the other backend would not see them:

- **embedded → Ray**: refused while the memory's own store holds items (they would
  not be in any shard); make a new memory for the cluster and ingest the files into it.
- **Ray → embedded**: refused while the shards hold items (asked of the cluster once
  anything was sent to them), unless ``force``. Switching keeps the Ray settings
  (the memory's id, its shards' root), so choosing Ray again reaches the same shards.
- **Ray → Ray** (a new address, more shards): allowed; fewer shards is refused once
  items were sent to them (the items of the shards dropped would be unreachable).

Nothing here imports Ray: :func:`ray_installed` only looks for it.
"""

from __future__ import annotations

import importlib.util
import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import load_config, save_config
from ..errors import LifelogError, UserError

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = [
    "INSTALL",
    "backend_of",
    "choose_embedded",
    "choose_ray",
    "mark_ingested",
    "ray_installed",
    "use_ray",
]

#: what to install for the Ray backend
INSTALL = "pip install 'lifelog[distributed]'"


def ray_installed() -> bool:
    """Whether Ray can be imported here (without importing it)."""
    try:
        return importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):  # ValueError: sys.modules["ray"] is None
        return False


def backend_of(home: Path) -> dict[str, Any]:
    """``settings.backend`` of the memory at ``home``, ``kind`` always set."""
    backend = dict(load_config(home).settings.get("backend") or {})
    backend.setdefault("kind", "embedded")
    return backend


def use_ray(
    path: str | Path,
    address: str,
    *,
    shards: int = 2,
    root: str | Path | None = None,
    query_timeout: float = 30.0,
    actor_cpus: float = 1.0,
    rekey_wait: float | None = None,
) -> dict[str, Any]:
    """Make the memory at ``path`` a distributed one on the Ray cluster at ``address``
    (before anything is ingested into it; :func:`choose_ray` checks that). ``root``:
    where the nodes keep the shards (default ``<memory>/shards``, which suits a cluster
    on one machine). ``actor_cpus``: the CPUs Ray sets aside for each shard (a shard can
    fail over only to a node with that much room). ``rekey_wait``: the seconds a shard's
    ``lifelog rekey`` waits for another process that has its database open before it
    stops (``None``: as set before, else 30 s, SQLite's busy timeout here)."""
    home = Path(path).expanduser()
    config = load_config(home)
    backend = dict(config.settings.get("backend") or {})
    backend.update(
        kind="ray",
        address=address,
        shards=int(shards),
        root=str(Path(root) if root else backend.get("root") or home / "shards"),
        query_timeout=float(query_timeout),
        actor_cpus=float(actor_cpus),
    )
    if rekey_wait is not None:
        if rekey_wait < 0:
            raise UserError(f"rekey_wait must be 0 or more (not {rekey_wait})")
        backend["rekey_wait"] = float(rekey_wait)
    backend.setdefault("id", secrets.token_hex(8))
    config.settings["backend"] = backend
    save_config(home, config)
    return backend


def mark_ingested(home: Path) -> None:
    """Record that items were sent to the shards (switching away then asks the cluster)."""
    config = load_config(home)
    backend = dict(config.settings.get("backend") or {})
    if backend.get("ingested"):
        return
    backend["ingested"] = True
    config.settings["backend"] = backend
    save_config(home, config)


def _reachable(address: str, timeout: float = 5.0) -> str | None:
    """Why the head at ``address`` (``HOST:PORT``) cannot be reached, or ``None`` (also
    for an address of another form): Ray itself waits minutes for a head that is down."""
    host, colon, port = address.strip().rpartition(":")
    if not colon or not port.isdigit() or "/" in host:
        return None
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    return None


def _shard_items(memory: Memory, doing: str) -> int:
    """Items the shards of a Ray memory hold, asked of its cluster; 0 when nothing was
    ever sent to them."""
    from .memory import RayMemory

    backend = backend_of(memory.home)
    if not backend.get("ingested") or not isinstance(memory, RayMemory):
        return 0
    if not ray_installed():
        raise UserError(
            f"Ray is not installed, so the shards cannot be asked whether they hold items"
            f" before {doing}: {INSTALL}, or pass --force"
        )
    address = str(backend.get("address"))
    unreachable = _reachable(address)
    if unreachable is None:
        try:
            items = memory.stats().items
        except LifelogError:
            raise
        except Exception as error:  # noqa: BLE001 - Ray's errors have no common base
            unreachable = f"{type(error).__name__}: {error}"
        else:
            if memory.last_partial.complete:
                return items
            unreachable = memory.last_partial.notice()
    raise UserError(
        f"could not ask the Ray cluster at {address} whether its shards hold items before"
        f" {doing} ({unreachable}): start it, or pass --force"
    )


def choose_ray(
    memory: Memory,
    address: str,
    *,
    shards: int,
    root: str | Path | None = None,
    query_timeout: float = 30.0,
    actor_cpus: float = 1.0,
    force: bool = False,
) -> dict[str, Any]:
    """Make the open ``memory`` a distributed one (see the module docstring)."""
    if not ray_installed():
        raise UserError(f"the Ray backend needs Ray, which is not installed: {INSTALL}")
    if not address.strip():
        raise UserError("give the Ray cluster's address (HEAD:6379)")
    if shards < 1:
        raise UserError(f"--shards must be at least 1 (not {shards})")
    if query_timeout <= 0 or actor_cpus <= 0:
        raise UserError("--query-timeout and --actor-cpus must be more than 0")
    before = backend_of(memory.home)
    if before["kind"] != "ray":
        held = memory.stats().items
        if held:
            raise UserError(
                f"this memory holds {held:,} items on this machine, which no shard would"
                " hold: make a new memory for the cluster (`lifelog --memory NEW init`,"
                " then `lifelog --memory NEW backend ray …`) and ingest the same files"
                " into it"
            )
    elif shards < int(before.get("shards", 2)) and not force:
        held = _shard_items(memory, "dropping shards")
        if held:
            raise UserError(
                f"the shards hold {held:,} items: the items of the shards dropped (past"
                f" {shards}) would be unreachable; keep --shards {before.get('shards')}"
                " or more"
            )
    return use_ray(
        memory.home,
        address,
        shards=shards,
        root=root,
        query_timeout=query_timeout,
        actor_cpus=actor_cpus,
    )


def choose_embedded(memory: Memory, *, force: bool = False) -> dict[str, Any]:
    """Make the open ``memory`` an embedded one again (see the module docstring)."""
    config = load_config(memory.home)
    backend = dict(config.settings.get("backend") or {})
    if backend.get("kind", "embedded") == "embedded":
        return {**backend, "kind": "embedded"}
    if not force:
        held = _shard_items(memory, "switching to the embedded backend")
        if held:
            raise UserError(
                f"the shards on the Ray cluster hold {held:,} items, which the embedded"
                " backend would not see: forget them first (`lifelog forget`), or pass"
                " --force (they stay in the shards, and `lifelog backend ray` reaches them"
                " again)"
            )
    backend["kind"] = "embedded"  # the rest kept: Ray again reaches the same shards
    config.settings["backend"] = backend
    save_config(memory.home, config)
    return backend
