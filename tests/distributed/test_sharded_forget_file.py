"""``lifelog forget --file`` on a real Ray cluster on loopback: the items a file gave
are listed and forgotten where they lie, as on the embedded backend over the same files.
Before, the CLI looked for them in the owner's own store (empty there) and refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lifelog import Memory
from lifelog.samplelife import generate


def _forget(home: Path, target: Path) -> str:
    env = {**os.environ, "COLUMNS": "200"}
    cli = [sys.executable, "-m", "lifelog.cli", "--memory", str(home), "forget"]
    done = subprocess.run(
        [*cli, "--file", str(target), "--yes"], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_forget_file_lists_and_forgets_the_files_items_on_the_shards(
    loopback: Any, on_ray: Callable[..., Any], tmp_path: Path
) -> None:
    life = generate(tmp_path / "life", scale=0.05)
    target = life.root / "whatsapp" / "WhatsApp Chat with Priya Shah.txt"
    embedded = Memory.init(tmp_path / "embedded")
    embedded.ingest(life.root)
    ray = on_ray(tmp_path / "ray", loopback.address, shards=2)
    ray.ingest(life.root)
    try:
        ids = embedded.ids_from_file(target)
        assert len(ids) > 10 and sorted(ray.ids_from_file(target)) == sorted(ids)
        total = embedded.count()
        assert ray.count() == total
    finally:
        ray.close()
        embedded.close()
    said = {home.name: _forget(home, target) for home in (tmp_path / "embedded", tmp_path / "ray")}
    assert (
        f"forgot {len(ids)} items" in said["ray"] and f"forgot {len(ids)} items" in said["embedded"]
    )
    # the first items are shown before they go, read where they lie
    shown = [re.sub(r"\s+", " ", s.split("forgot")[0]).strip() for s in said.values()]
    assert shown[0] == shown[1] != ""
    after = Memory.open(tmp_path / "ray")
    try:
        assert after.count() == total - len(ids) and after.ids_from_file(target) == []
    finally:
        after.close()
