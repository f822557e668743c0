"""The server imports the watched folders while it runs (issue 12, item 8, left over:
``lifelog serve`` did not watch the folders its own settings page saves). A real server
on loopback, real files written into a real folder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from server_helpers import AUTH, running

from lifelog import Memory
from lifelog.server.watching import ServerWatch
from lifelog.watch import save_watched

NOTE = "# Boat trip\n\nWe rented a boat on Lake Bled with Mira; the oars were {colour}.\n"


def _until(check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the watcher did not import it in time"
        time.sleep(0.1)


def _found(base: str, words: str) -> bool:
    hits = httpx.get(f"{base}/api/search", params={"q": words}, headers=AUTH).json()["hits"]
    return any(words.split()[-1] in h["snippet"] for h in hits)


def test_the_server_imports_what_lands_in_a_watched_folder(tmp_path: Path) -> None:
    notes, later = tmp_path / "notes", tmp_path / "later"
    notes.mkdir()
    later.mkdir()
    (notes / "boat.md").write_text(NOTE.format(colour="turquoise"), encoding="utf-8")
    with Memory.init(tmp_path / "memory") as memory:
        save_watched(memory, [notes])
        with running(memory, watch_interval=0.1) as base:
            # what was there before the server started is imported on its first look
            _until(lambda: _found(base, "oars turquoise"))
            # a new file, once it stops changing
            (notes / "sauna.md").write_text("# Sauna\n\nThe sauna was 90 degrees, lingonberry.\n")
            _until(lambda: _found(base, "sauna lingonberry"))
            status = httpx.get(f"{base}/api/settings/watch", headers=AUTH).json()["watching"]
            assert status["paths"] == [str(notes)] and status["running"]
            assert status["last"]["added"] >= 1 and status["error"] is None
            # a folder added in the settings is watched from the next look on
            (later / "tea.md").write_text("# Tea\n\nA pot of sencha with grandmother Hana.\n")
            put = httpx.put(
                f"{base}/api/settings/watch",
                json={"paths": [str(notes), str(later)]},
                headers=AUTH,
            )
            assert put.status_code == 200
            _until(lambda: _found(base, "sencha Hana"))
            # the settings page tells what the watcher does
            page = httpx.get(f"{base}/settings", headers=AUTH).text
            assert "Watching 2 folders." in page and "Last import" in page


def test_an_upload_running_holds_the_watcher_back(tmp_path: Path) -> None:
    """The watcher takes turns with uploads on the jobs' run lock and never waits for one."""
    notes = tmp_path / "notes"
    notes.mkdir()
    with Memory.init(tmp_path / "memory") as memory:
        save_watched(memory, [notes])
        lock = threading.Lock()
        watch = ServerWatch(memory, lock, interval=0.0)
        watch.look()  # takes up the saved folders
        (notes / "bread.md").write_text("# Bread\n\nSourdough with rye and caraway.\n")
        with lock:  # as an upload holds it while it imports
            started = time.monotonic()
            assert watch.look() is None
            assert time.monotonic() - started < 1, "it does not wait for the upload"
        report = watch.look()  # seen changed and, with no time to settle, imported
        assert report is not None and report.added == 1
        assert watch.status()["last"]["entries"] == ["bread.md"]


def test_a_watched_folder_that_went_missing_is_said_and_the_others_watched(
    tmp_path: Path,
) -> None:
    notes, gone = tmp_path / "notes", tmp_path / "gone"
    notes.mkdir()
    gone.mkdir()
    with Memory.init(tmp_path / "memory") as memory:
        save_watched(memory, [notes, gone])
        gone.rmdir()
        with running(memory, watch_interval=0.1) as base:
            (notes / "kite.md").write_text("# Kite\n\nFlew the red kite at Tempelhof.\n")
            _until(lambda: _found(base, "kite Tempelhof"))
            status = httpx.get(f"{base}/api/settings/watch", headers=AUTH).json()["watching"]
            assert status["missing"] == [str(gone)] and status["paths"] == [str(notes)]
            assert (
                f"Not found, so not watched: {gone}"
                in httpx.get(f"{base}/settings", headers=AUTH).text
            )


def test_a_memory_inside_a_watched_folder_is_not_imported_over_and_over(tmp_path: Path) -> None:
    """Every import writes to the memory's own files: watching the folder that holds the
    memory must not see that as a change to import."""
    with Memory.init(tmp_path / "memory") as memory:
        save_watched(memory, [tmp_path])
        with running(memory, watch_interval=0.1) as base:
            (tmp_path / "plant.md").write_text("# Plant\n\nWatered the monstera deliciosa.\n")
            _until(lambda: _found(base, "monstera deliciosa"))
            runs = memory.stats().runs
            time.sleep(1.5)
            assert memory.stats().runs == runs, "no import without a change"


def test_the_server_can_be_told_not_to_watch(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "owl.md").write_text("# Owl\n\nA tawny owl called all night.\n")
    with Memory.init(tmp_path / "memory") as memory:
        save_watched(memory, [notes])
        with running(memory, watch=False) as base:
            time.sleep(0.5)
            assert not _found(base, "tawny owl")
            assert httpx.get(f"{base}/api/settings/watch", headers=AUTH).json()["watching"] is None
