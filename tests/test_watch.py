"""``lifelog watch`` (issue 12, item 8), run for real in a process of its own: a file added
to a watched folder is searchable within 5 s; a changed one is updated, not duplicated;
a watcher killed by SIGKILL in the middle of an import loses nothing (started again, it
converges on every record once). The searches run in this process, on the memory the
watcher writes to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lifelog import Memory
from lifelog.watch import Watcher, save_watched, watched
from process_helpers import default_sigint, lifelog


@pytest.fixture
def env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELOG_")}
    env.update(LIFELOG_EMBED_MODEL="none", PYTHONUNBUFFERED="1", COLUMNS="200")
    return env


@pytest.fixture
def home(tmp_path: Path, env: dict[str, str]) -> Path:
    memory = tmp_path / "memory"
    lifelog("init", "--memory", memory, "--no-encryption", env=env)
    return memory


class Watching:
    """``lifelog watch`` running over ``home``; what it printed."""

    def __init__(self, home: Path, folder: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lifelog.cli", "watch", "--memory", str(home), str(folder)]
            + ["--interval", "0.2", "--settle", "0.5"],
            env=env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            preexec_fn=default_sigint,
        )
        try:
            self.until(lambda: "watching" in self.text, 60, "the watcher never started")
        except BaseException:
            self.process.kill()
            self.process.wait()
            raise

    @property
    def text(self) -> str:
        return self.log.read_text()

    def until(self, check: Callable[[], object], seconds: float, what: str) -> float:
        started = time.monotonic()
        while not check():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"lifelog watch exited {self.process.returncode}:\n{self.text}"
                )
            if time.monotonic() - started > seconds:
                raise AssertionError(f"{what} within {seconds} s; the watcher says:\n{self.text}")
            time.sleep(0.05)
        return time.monotonic() - started

    def stop(self, how: int = signal.SIGINT) -> None:
        """Stop the watcher with ``how``; one that does not stop is killed, so that a failed
        test leaves no watcher behind (one left from a loaded run kept importing)."""
        if self.process.poll() is None:
            self.process.send_signal(how)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(
                    f"lifelog watch did not stop within 60 s of {signal.Signals(how).name};"
                    f" it says:\n{self.text}"
                ) from None


@pytest.fixture
def memory_of(home: Path) -> Iterator[Callable[[], Memory]]:
    opened: list[Memory] = []

    def memory() -> Memory:
        if not opened:
            opened.append(Memory.open(home))
        return opened[0]

    yield memory
    for mem in opened:
        mem.close()


def _titles(memory: Memory, words: str) -> list[str]:
    return [hit.item.title or "" for hit in memory.search(words, limit=20)]


def test_added_and_changed_files_are_imported_once(
    home: Path, tmp_path: Path, env: dict[str, str], memory_of: Callable[[], Memory]
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "first.md").write_text("# First\n\nA note about herons.\n")
    watching = Watching(home, notes, env, tmp_path / "watch.log")
    try:
        memory = memory_of()
        assert _titles(memory, "herons") == ["First"], "imported when the watch starts"
        (notes / "trip").mkdir()
        (notes / "trip" / "otters.md").write_text("# Otters\n\nOtters played by the weir.\n")
        took = watching.until(lambda: _titles(memory, "weir") == ["Otters"], 5, "not searchable")
        print(f"searchable {took:.2f} s after it was written")
        (notes / "trip" / "otters.md").write_text("# Otters\n\nOtters slid down the muddy bank.\n")
        watching.until(lambda: _titles(memory, "muddy") == ["Otters"], 5, "not updated")
        assert _titles(memory, "weir") == [], "the old text is gone"
        assert memory.stats().items == 2, "updated in place, not duplicated"
        # the run's line is written once its items are stored: a moment after they are found
        watching.until(lambda: "0 added, 1 updated" in watching.text, 5, "the update's report")
    finally:
        watching.stop()
    assert watching.process.returncode == 0 and "stopped watching" in watching.text


def _chat(lines: int) -> str:
    return "".join(
        f"12/03/2024, {10 + n // 3600 % 10:02d}:{n // 60 % 60:02d} - Ana Lima: bun number b{n}x\n"
        for n in range(lines)
    )


def test_a_watcher_killed_mid_import_loses_nothing(
    home: Path, tmp_path: Path, env: dict[str, str], memory_of: Callable[[], Memory]
) -> None:
    """SIGKILL while a large chat is half stored (a commit every 100 messages); the next
    watcher reads it again: every message once, none lost."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    total = 40_000
    env = {**env, "LIFELOG_INGEST_BATCH": "100"}
    log = tmp_path / "watch.log"
    watching = Watching(home, folder, env, log)
    memory = memory_of()
    try:
        (folder / "WhatsApp Chat with Ana Lima.txt").write_text(_chat(total))
        watching.until(lambda: memory.stats().items > 0, 20, "nothing was stored")
        watching.stop(signal.SIGKILL)
        stored = memory.stats().items
        assert 0 < stored < total, f"the kill came at {stored} of {total} messages"
        (folder / "later.md").write_text("# Later\n\nWritten while nobody watched: kingfisher.\n")
        again = Watching(home, folder, env, log)
        try:
            again.until(lambda: memory.stats().items == total + 1, 120, "never converged")
            time.sleep(1)  # nothing more comes
            assert memory.stats().items == total + 1
            for n in (0, stored, total - 1):
                hits = memory.search(f"b{n}x", limit=5)
                assert [h.item.text for h in hits] == [f"bun number b{n}x"], hits
            assert _titles(memory, "kingfisher") == ["Later"]
        finally:
            again.stop()
    finally:
        watching.stop(signal.SIGKILL)
    runs = memory.runs()
    assert "interrupted" in {r["status"] for r in runs}, "the killed run is journaled as such"


def test_watched_folders_are_saved_and_a_file_still_written_waits(
    home: Path, tmp_path: Path
) -> None:
    """In process: the settings' list, and the debounce (a file whose size still moves
    is not imported until it has stayed the same for ``settle`` seconds)."""
    folder = tmp_path / "vault"
    folder.mkdir()
    with Memory.open(home) as memory:
        assert save_watched(memory, [str(folder), str(folder) + "/"]) == [str(folder)]
        with pytest.raises(Exception, match="no such file or folder"):
            save_watched(memory, [str(tmp_path / "nowhere")])
    with Memory.open(home) as memory:
        assert watched(memory) == [str(folder)]
        watcher = Watcher(memory, [folder], interval=0.1, settle=1.0)
        watcher.start()
        note = folder / "growing.md"
        note.write_text("# Growing\n\nfirst line\n")
        assert watcher.poll(now=100.0) is None
        with note.open("a") as handle:
            handle.write("second line\n")
        assert watcher.poll(now=100.8) is None, "still being written"
        assert watcher.poll(now=101.5) is None, "changed 0.7 s ago"
        report = watcher.poll(now=102.0)
        assert report is not None and report.added == 1
        assert watcher.poll(now=110.0) is None, "nothing changed since"
        assert watcher.entries([folder / "a" / "b.md", folder / "c.md"]) == [
            folder / "a",
            folder / "c.md",
        ]
