"""The backend is chosen in memory.json; the embedded one stays the default and never
imports Ray; what the distributed one cannot do yet is refused, not answered empty."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
        with pytest.raises(UserError, match="changing the key is not available"):
            memory.rekey("another passphrase")
        with pytest.raises(UserError, match="people directory"):
            memory.people()


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
        if path.parent.name != "distributed"
        and path.name != "memory.py"
        and any(
            word in path.read_text()
            for word in ("lifelog.distributed", "from .distributed", "from ..distributed")
        )
    ]
    assert not wrong, wrong
    assert "from .distributed.memory import RayMemory" in (package / "memory.py").read_text()
