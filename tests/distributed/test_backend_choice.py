"""The backend is chosen in memory.json; the embedded one stays the default and never
imports Ray; what the distributed one cannot do yet is refused, not answered empty."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lifelog import Memory
from lifelog.errors import UserError


def test_the_embedded_backend_never_imports_ray(tmp_path: Path) -> None:
    script = (
        "import sys; from lifelog import Memory\n"
        f"m = Memory.init({str(tmp_path / 'm')!r}); m.close()\n"
        f"m = Memory.open({str(tmp_path / 'm')!r}); print(type(m).__name__)\n"
        "print(any(n.split('.')[0] == 'ray' or n.startswith('lifelog.distributed')"
        " for n in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["Memory", "False"]


def test_memory_json_chooses_the_ray_backend(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from lifelog.distributed.memory import RayMemory, use_ray

    home = tmp_path / "m"
    Memory.init(home).close()
    backend = use_ray(home, "127.0.0.1:1", shards=3)
    saved = json.loads((home / "memory.json").read_text())["settings"]["backend"]
    assert saved == backend and backend["kind"] == "ray" and len(backend["id"]) == 16
    with Memory.open(home) as memory:  # no connection is made until the shards are needed
        assert isinstance(memory, RayMemory)
        assert memory._cluster is None


def test_an_unknown_backend_is_a_user_error(tmp_path: Path) -> None:
    home = tmp_path / "m"
    Memory.init(home).close()
    config = json.loads((home / "memory.json").read_text())
    config["settings"]["backend"] = {"kind": "spark"}
    (home / "memory.json").write_text(json.dumps(config))
    with pytest.raises(UserError, match="unknown backend 'spark'"):
        Memory.open(home)


def test_nothing_below_imports_the_distributed_floor() -> None:
    """Only ``Memory.open`` reaches up to it, lazily, when memory.json chooses it."""
    import lifelog

    package = Path(lifelog.__file__).parent
    wrong = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.parent.name not in ("distributed", "commands")  # commands: the CLI, above
        and path.name != "memory.py"
        and any(
            word in path.read_text()
            for word in ("lifelog.distributed", "from .distributed", "from ..distributed")
        )
    ]
    assert not wrong, wrong
    assert "from .distributed.memory import RayMemory" in (package / "memory.py").read_text()


# -- `lifelog backend`: choosing it from the command line ------------------------------


def _lifelog(*args: str | Path) -> Any:
    from typer.testing import CliRunner

    from lifelog.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def _backend(home: Path) -> dict[str, Any]:
    return dict(json.loads((home / "memory.json").read_text())["settings"].get("backend") or {})


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_backend_command_shows_and_switches(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    home = tmp_path / "m"
    Memory.init(home).close()
    shown = _lifelog("backend", "--memory", home)
    assert shown.exit_code == 0 and "embedded" in shown.output, shown.output
    chosen = _lifelog(
        "backend", "ray", "--memory", home, "--address", "10.0.0.5:6379", "--shards", "3"
    )
    assert chosen.exit_code == 0, chosen.output
    backend = _backend(home)
    assert (backend["kind"], backend["address"], backend["shards"]) == ("ray", "10.0.0.5:6379", 3)
    assert backend["root"] == str(home / "shards") and len(backend["id"]) == 16
    shown = _lifelog("--memory", home, "backend")
    said = " ".join(shown.output.split())  # as one line, however wide the terminal
    assert "ray, 3 shards on the cluster at 10.0.0.5:6379" in said, said
    from lifelog.distributed.memory import RayMemory

    with Memory.open(home) as memory:
        assert isinstance(memory, RayMemory)
    # nothing was sent to the shards yet: back to this machine without asking the cluster
    assert _lifelog("backend", "embedded", "--memory", home).exit_code == 0
    assert _backend(home)["kind"] == "embedded"
    with Memory.open(home) as memory:
        assert type(memory) is Memory
    # the Ray settings were kept: the same memory id, so the same shards
    assert _lifelog("backend", "--memory", home, "ray", "-a", "10.0.0.6:6379").exit_code == 0
    again = _backend(home)
    assert again["id"] == backend["id"] and again["address"] == "10.0.0.6:6379"
    assert again["shards"] == 2


def test_a_memory_holding_items_does_not_switch_to_ray(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    home, notes = tmp_path / "m", tmp_path / "notes"
    notes.mkdir()
    (notes / "bakery.md").write_text("# Bakery\n\nThe new bakery sells cardamom buns.\n")
    with Memory.init(home) as memory:
        memory.ingest(notes)
        held = memory.stats().items
    before = (home / "memory.json").read_text()
    refused = _lifelog("backend", "ray", "--memory", home, "--address", "127.0.0.1:6379")
    assert isinstance(refused.exception, UserError)
    assert f"holds {held} items on this machine" in str(refused.exception)
    assert "make a new memory for the cluster" in str(refused.exception)
    assert (home / "memory.json").read_text() == before


def test_without_ray_the_command_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "m"
    Memory.init(home).close()
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as when not installed
    refused = _lifelog("backend", "ray", "--memory", home, "--address", "127.0.0.1:6379")
    assert isinstance(refused.exception, UserError)
    assert "pip install 'lifelog[distributed]'" in str(refused.exception)
    assert _backend(home) == {}
    for bad in (["--shards", "0"], ["--query-timeout", "0"]):
        monkeypatch.delitem(sys.modules, "ray")
        pytest.importorskip("ray")
        wrong = _lifelog("backend", "ray", "--memory", home, "-a", "127.0.0.1:6379", *bad)
        assert isinstance(wrong.exception, UserError), bad
        monkeypatch.setitem(sys.modules, "ray", None)


def test_shards_that_may_hold_items_are_asked_before_switching_back(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from lifelog.distributed.choice import mark_ingested

    home = tmp_path / "m"
    Memory.init(home).close()
    address = f"127.0.0.1:{_closed_port()}"  # nobody listens: the check says so at once
    assert _lifelog("backend", "ray", "--memory", home, "--address", address).exit_code == 0
    mark_ingested(home)  # what a RayMemory's ingest records before it sends any file
    refused = _lifelog("backend", "embedded", "--memory", home)
    assert isinstance(refused.exception, UserError)
    assert f"could not ask the Ray cluster at {address}" in str(refused.exception)
    assert "pass --force" in str(refused.exception)
    assert _backend(home)["kind"] == "ray"
    fewer = _lifelog("backend", "ray", "--memory", home, "--address", address, "--shards", "1")
    assert isinstance(fewer.exception, UserError) and _backend(home)["shards"] == 2
    forced = _lifelog("backend", "embedded", "--memory", home, "--force")
    assert forced.exit_code == 0, forced.output
    assert _backend(home)["kind"] == "embedded" and _backend(home)["ingested"] is True
