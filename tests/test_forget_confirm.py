"""``lifelog forget --file`` asks before forgetting, in a terminal, as ``--query`` does
(issue 12, item 7): ``n`` keeps everything, ``y`` forgets, ``-y`` does not ask, and
without a terminal it needs ``--yes``."""

from __future__ import annotations

import os
import re
import select
import sys
import time
from pathlib import Path

import pytest

from process_helpers import lifelog

pty = pytest.importorskip("pty", reason="a pseudo-terminal needs a POSIX system")
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def _in_terminal(argv: list[str], env: dict[str, str], answer: str) -> tuple[int, str]:
    """Run ``lifelog ARGV`` on a pseudo-terminal, answer its question; (exit code, text)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "lifelog.cli", *argv], env)
    seen = ""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536).decode("utf-8", "replace")
            except OSError:  # the child has gone: its terminal is closed
                _, status = os.waitpid(pid, 0)
                return os.waitstatus_to_exitcode(status), ANSI.sub("", seen)
        if not answered and "[y/N]" in seen:
            os.write(fd, f"{answer}\r".encode())
            answered = True
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), ANSI.sub("", seen)
    os.kill(pid, 9)
    raise AssertionError(f"lifelog {argv} did not end:\n{seen}")


@pytest.fixture
def home(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELOG_")}
    env.update(LIFELOG_EMBED_MODEL="none", TERM="dumb", COLUMNS="120", PYTHONUNBUFFERED="1")
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "heron.md"
    note.write_text("# Herons\n\nA grey heron stood in the reeds all morning.\n")
    memory = tmp_path / "memory"
    lifelog("init", "--memory", memory, "--no-encryption", env=env)
    lifelog("ingest", "--memory", memory, notes, env=env)
    return memory, note, env


def _count(memory: Path, env: dict[str, str]) -> str:
    return lifelog("search", "--memory", memory, "--words", "heron", env=env, check=False).stdout


def test_forget_file_asks_in_a_terminal(home: tuple[Path, Path, dict[str, str]]) -> None:
    memory, note, env = home
    argv = ["forget", "--memory", str(memory), "--file", str(note)]
    code, text = _in_terminal(argv, env, "n")
    assert "Forget these 1 items from" in text and "grey heron" in text, text
    assert code != 0 and "forgot" not in text
    assert "Herons" in _count(memory, env), "answering no keeps it"
    code, text = _in_terminal(argv, env, "y")
    assert code == 0 and "forgot 1 items" in text, text
    assert "Herons" not in _count(memory, env)


def test_forget_file_without_a_terminal_needs_yes(home: tuple[Path, Path, dict[str, str]]) -> None:
    memory, note, env = home
    refused = lifelog("forget", "--memory", memory, "--file", note, env=env, check=False)
    assert refused.returncode == 2 and "forget --file needs --yes" in refused.stderr
    assert "Herons" in _count(memory, env)
    done = lifelog("forget", "--memory", memory, "-y", "--file", note, env=env)
    assert "forgot 1 items" in done.stdout and "Herons" not in _count(memory, env)
