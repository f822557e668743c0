"""Ctrl-C during ``lifelog ingest``, typed on a real terminal (a pty): the import shows
its progress file by file, stops with one clear line ("stopped after N of M files; run
the same command to continue"), exits 130 without a traceback, and the run is journaled
as interrupted with what it stored; the same command then goes on after those files."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lifelog import Memory
from process_helpers import default_sigint

NOTES = 6000
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")


def _controlling_terminal() -> None:
    """In the child: the pty is its controlling terminal, and Ctrl-C is not ignored."""
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    default_sigint()


def write_notes(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for n in range(count):
        day = f"2023-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
        (folder / f"note {n:05d}.md").write_text(
            f"# Note {n}\n\n{day}: walked by the river and counted {n} herons.\n",
            encoding="utf-8",
        )


def run_in_a_terminal(
    args: list[str], env: dict[str, str], interrupt_at: Callable[[str], bool]
) -> tuple[int, str]:
    """Run ``lifelog ARGS`` on a pty; type Ctrl-C once ``interrupt_at(shown)``; return
    the exit status and everything the terminal showed."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "lifelog.cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,  # its own session: the pty is its controlling terminal
        preexec_fn=_controlling_terminal,
    )
    os.close(slave)
    shown = b""
    typed = False
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other side closed: the process ended
                break
            if not chunk:
                break
            shown += chunk
        if not typed and interrupt_at(shown.decode("utf-8", "replace")):
            os.write(master, b"\x03")  # Ctrl-C, as typed: the terminal sends SIGINT
            typed = True
        if process.poll() is not None and not ready:
            break
    else:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(f"lifelog did not end:\n{shown.decode('utf-8', 'replace')}")
    os.close(master)
    return process.wait(30), shown.decode("utf-8", "replace")


def test_ctrl_c_stops_an_import_cleanly_and_the_next_run_continues(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    write_notes(notes, NOTES)
    home = tmp_path / "memory"
    env = {**os.environ, "LIFELOG_EMBED_MODEL": "none", "COLUMNS": "120", "TERM": "xterm"}
    env["LIFELOG_PARALLEL_MIN_BYTES"] = "0"  # the parsing process gets Ctrl-C too
    subprocess.run(
        [sys.executable, "-m", "lifelog.cli", "init", "--memory", str(home), "--no-encryption"],
        env=env,
        check=True,
        capture_output=True,
    )

    # per-file progress: Ctrl-C once the bar has shown the 300th file or a later one
    def far_enough(shown: str) -> bool:
        return any(int(n) >= 300 for n in re.findall(r"file (\d+)/6000", shown))

    status, shown = run_in_a_terminal(
        ["ingest", "--memory", str(home), str(notes)], env, far_enough
    )
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert status == 130, plain
    assert "Traceback" not in plain and "KeyboardInterrupt" not in plain, plain
    # the message is wrapped to the terminal's width, wherever the counts put the break
    flat = " ".join(plain.split())
    said = re.search(r"stopped after ([\d,]+) of 6,000 files \(([\d,]+) items stored", flat)
    assert said, plain
    assert "run the same command to continue" in flat, plain
    files_done, stored = (int(g.replace(",", "")) for g in said.groups())
    assert 0 < files_done < NOTES

    with Memory.open(home) as memory:
        [run] = memory.runs()
        assert run["status"] == "interrupted"
        assert run["added"] == stored == memory.stats().items
        assert stored >= files_done  # files finished, and part of the one being read

    again = subprocess.run(
        [sys.executable, "-m", "lifelog.cli", "ingest", "--memory", str(home), str(notes)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    assert f"{files_done} files already done" in again.stdout
    with Memory.open(home) as memory:
        assert memory.stats().items == NOTES  # nothing lost, nothing twice
        assert [r["status"] for r in memory.runs()] == ["done", "interrupted"]
