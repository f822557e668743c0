"""The pipeline on the bundled sample life: idempotence, crash safety, encryption, reports."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lifelog import Memory, UserError
from lifelog.ingest import Progress, ingest_paths
from lifelog.samplelife import PLANTED_SECRET, generate


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("life"), seed=7, scale=1.0).root


def snapshot(memory: Memory) -> tuple[set[tuple[str, str]], int, int]:
    conn = memory.store.conn
    items = set(conn.execute("SELECT id, hash FROM items").fetchall())
    chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    fts = conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
    return items, chunks, fts


def test_importing_three_times_gives_identical_counts(tmp_path: Path, life: Path) -> None:
    with Memory.init(tmp_path / "m") as memory:
        first = memory.ingest(life)
        assert first.added > 100 and first.skipped_count == 0, first.skipped[:5]
        assert set(first.by_source) >= {"mbox", "whatsapp", "chatgpt", "notes"}
        state = snapshot(memory)
        for _ in range(2):
            again = memory.ingest(life)
            assert (again.added, again.updated) == (0, 0)
            assert snapshot(memory) == state
        forced = memory.ingest(life, force=True)
        assert (forced.added, forced.updated) == (0, 0)
        assert forced.unchanged == first.added + first.unchanged
        assert snapshot(memory) == state
        runs = memory.runs()
        assert [r["status"] for r in runs] == ["done"] * 4


def test_a_changed_record_updates_exactly_that_item(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Garden\nThe tomatoes are growing.\n")
    (notes / "b.md").write_text("# Books\nReading Dune.\n")
    with Memory.init(tmp_path / "m") as memory:
        memory.ingest(notes)
        before = dict(memory.store.conn.execute("SELECT id, hash FROM items").fetchall())
        (notes / "b.md").write_text("# Books\nReading Dune Messiah now.\n")
        report = memory.ingest(notes)
        assert (report.added, report.updated) == (0, 1)
        after = dict(memory.store.conn.execute("SELECT id, hash FROM items").fetchall())
        assert before.keys() == after.keys()
        assert sum(before[k] != after[k] for k in before) == 1
        assert memory.search("Messiah")[0].item.title == "Books"


def _count_items(home: Path) -> int:
    from lifelog.store.db import connect, read_key_file

    try:
        conn = connect(home / "lifelog.db", raw_key=read_key_file(home / "key"), readonly=True)
    except Exception:  # noqa: BLE001 - not created yet
        return 0
    try:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    except Exception:  # noqa: BLE001 - schema not there yet
        return 0
    finally:
        conn.close()


def test_sigkill_mid_run_then_rerun_ends_identical_to_a_clean_run(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    big = generate(tmp_path_factory.mktemp("biglife"), seed=11, scale=4.0).root
    clean_home, killed_home = tmp_path / "clean", tmp_path / "killed"
    with Memory.init(clean_home) as clean:
        clean.ingest(big)
        expected = snapshot(clean)
    Memory.init(killed_home).close()
    env = {**os.environ, "LIFELOG_INGEST_BATCH": "50"}
    command = [sys.executable, "-m", "lifelog.cli", "--memory", str(killed_home)]
    proc = subprocess.Popen(
        [*command, "ingest", "--quiet", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _count_items(killed_home) < 200 and time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("the ingest finished before it could be killed; make the life bigger")
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Memory.open(killed_home) as memory:
        partial = snapshot(memory)
        assert 0 < len(partial[0]) < len(expected[0])
        assert memory.runs()[0]["status"] == "running"  # it really died mid-run
    rerun = subprocess.run([*command, "ingest", "--quiet", str(big)], env=env, timeout=300)
    assert rerun.returncode == 0
    with Memory.open(killed_home) as memory:
        assert snapshot(memory) == expected
        statuses = [r["status"] for r in memory.runs()]
        assert statuses == ["done", "interrupted"]


def test_with_encryption_a_planted_string_is_in_no_file(
    tmp_path: Path, life: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifelog.store import textpack

    secret = PLANTED_SECRET.encode()
    assert any(secret in p.read_bytes() for p in life.rglob("*") if p.is_file())
    homes = {"keyfile": tmp_path / "enc", "none": tmp_path / "plain"}
    for mode, home in homes.items():
        if mode == "none":  # the control: text stored uncompressed, as the scan can see it
            monkeypatch.setattr(textpack, "MIN_BYTES", 1 << 30)
        with Memory.init(home, encryption=mode) as memory:
            memory.ingest(life)
            assert memory.search(PLANTED_SECRET)  # it is really stored
            # look while the database is open too (WAL, shared memory files)
            open_files = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
        closed_files = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
        leaked = [p for p, data in {**open_files, **closed_files}.items() if secret in data]
        if mode == "keyfile":
            assert not leaked, leaked
        else:
            assert leaked  # the same check finds it when encryption is off


def test_broken_files_are_reported_and_the_rest_imported(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "good.md").write_text("# Good\nThe import goes on.\n")
    (export / "conversations.json").write_text('[{"title": "x", "mapping": {')
    (export / "WhatsApp Chat with Ann.txt").write_text(
        "12/31/19, 10:15 PM - Ann: Happy new year!\n"
        "2019-31-12 25:99 - Ann: this date style is unknown\n"
        "12/31/19, 10:16 PM - Ann: See you tomorrow\n"
    )
    with Memory.init(tmp_path / "m") as memory:
        report = memory.ingest(export)
        assert memory.search("import goes")
        assert memory.search("tomorrow")
        assert report.skipped_count >= 1
        files = {Path(s.file).name for s in report.skipped}
        assert "conversations.json" in files
        logged = memory.run_errors(report.run_id)
        assert len(logged) == report.skipped_count
        assert all(position and reason for _f, position, reason in logged)


def test_file_names_that_are_not_utf8_are_imported_kept_apart_and_forgotten(
    tmp_path: Path,
) -> None:
    """Old archives name files in Latin-1 ("café.md" as b"caf\\xe9.md"): Python keeps the
    undecodable byte as a surrogate, which UTF-8 cannot store. The journal, the runs and
    the items' origin write it as "\\xe9", so that two such names stay apart."""
    export = tmp_path / "export"
    export.mkdir()
    latin = Path(os.fsdecode(bytes(export) + b"/caf\xe9.md"))
    other = Path(os.fsdecode(bytes(export) + b"/caf\xe8.md"))
    latin.write_text("# Coffee\nWe drank coffee in the old town.\n")
    other.write_text("# Tea\nWe drank tea by the river.\n")
    chat = Path(os.fsdecode(bytes(export) + b"/WhatsApp Chat with Ren\xe9.txt"))
    chat.write_text(
        "12/31/19, 10:15 PM - Ren\u00e9: Happy new year!\n"
        "2019-31-12 25:99 - Ren\u00e9: this date style is unknown\n"
    )
    with Memory.init(tmp_path / "m") as memory:
        report = memory.ingest(export)
        assert report.added == 3 and memory.search("coffee") and memory.search("tea")
        # the chat's unreadable line is logged under the file's name
        (logged,) = memory.run_errors(report.run_id)
        assert logged[0].endswith("WhatsApp Chat with Ren\\xe9.txt")
        again = memory.ingest(export)
        assert (again.added, again.files_resumed_past) == (0, 3)  # the journal knows them
        assert memory.forget_file(latin) == 1
        assert memory.search("tea") and not memory.search("coffee")
        # the journal forgot the file: read again, its item is known as forgotten
        again = memory.ingest(export)
        assert (again.added, again.forgotten, again.files_resumed_past) == (0, 1, 2)
        assert memory.ingest(export, include_forgotten=True).added == 1  # only that one


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_broken_links_pipes_links_within_and_link_loops_are_left_alone(tmp_path: Path) -> None:
    """A home folder holds more than files: a link to nothing stopped the import, and a
    named pipe that looks like a note would have blocked it for ever."""
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "tea.md").write_text("# Tea\nWe drank tea by the river.\n")
    (notes / "gone.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(notes / "pipe.md")
    (notes / "sub" / "loop").symlink_to(notes, target_is_directory=True)
    (notes / "alias.md").symlink_to(notes / "tea.md")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "coffee.md").write_text("# Coffee\nCoffee in the old town.\n")
    (notes / "coffee.md").symlink_to(elsewhere / "coffee.md")
    with Memory.init(tmp_path / "m") as memory:
        report = memory.ingest(notes)
        # a link within the folder is a second way to tea.md: read once; a link out of
        # it is read like a file of its own
        assert len(memory.search("river")) == 1 and len(memory.search("coffee")) == 1
        left = {Path(p).name for p in report.unrecognised}
        assert {"gone.md", "pipe.md"} <= left and "tea.md" not in left
        with pytest.raises(UserError, match="not a file or folder"):
            memory.ingest(notes / "pipe.md")


def test_forget_by_source_file(tmp_path: Path, life: Path) -> None:
    with Memory.init(tmp_path / "m") as memory:
        memory.ingest(life)
        chats = sorted((life / "whatsapp").glob("*.txt"))
        target = chats[0]
        before = memory.stats().items
        removed = memory.forget_file(target)
        assert removed > 0
        assert memory.stats().items == before - removed
        assert not memory.store.ids_by_origin(str(target.resolve()))
        # re-ingesting skips exactly those, and brings them back when asked
        report = memory.ingest(life)
        assert (report.added, report.forgotten) == (0, removed)
        report = memory.ingest(life, include_forgotten=True)
        assert (report.added, report.forgotten) == (removed, 0)
        assert memory.ingest(life, include_forgotten=True).added == 0


def test_cli_round_trip(tmp_path: Path, life: Path) -> None:
    home = tmp_path / "cli"
    run = [sys.executable, "-m", "lifelog.cli", "--memory", str(home)]
    assert subprocess.run([*run, "init"], capture_output=True).returncode == 0
    ingest = subprocess.run([*run, "ingest", str(life)], capture_output=True, text=True)
    assert ingest.returncode == 0, ingest.stderr
    assert "added" in ingest.stdout
    found = subprocess.run([*run, "search", "birthday"], capture_output=True, text=True)
    assert found.returncode == 0 and "birthday" in found.stdout.lower()
    item_id = re.search(r"\b[0-9a-f]{24}\b", found.stdout)
    assert item_id is not None
    shown = subprocess.run([*run, "show", item_id.group()], capture_output=True, text=True)
    assert shown.returncode == 0 and "birthday" in shown.stdout.lower()
    assert "file" in shown.stdout
    missing = subprocess.run([*run, "show", "nonexistent-id"], capture_output=True, text=True)
    assert missing.returncode == 2 and "error:" in missing.stderr
    stats = subprocess.run([*run, "stats"], capture_output=True, text=True)
    assert "items" in stats.stdout


class _Recorder(Progress):
    def __init__(self) -> None:
        self.total = self.nbytes = self.items = self.calls = 0

    def start(self, total_bytes: int, files: int) -> None:
        self.total = total_bytes

    def advance(self, nbytes: int, items: int) -> None:
        self.nbytes += nbytes
        self.items += items
        self.calls += 1


@pytest.mark.parametrize("parallel", [False, True])
def test_progress_adds_up_to_every_byte_and_item_in_a_few_calls(
    tmp_path: Path, life: Path, parallel: bool
) -> None:
    recorder = _Recorder()
    with Memory.init(tmp_path / "m") as memory:
        report = ingest_paths(memory.store, [life], progress=recorder, parallel=parallel)
    assert recorder.total == recorder.nbytes == report.bytes > 0
    assert recorder.items == report.items
    assert recorder.calls < report.items / 50, "progress is reported in steps, not per item"


class _StopAt(Progress):
    """Interrupts the import (as Ctrl-C would) when it reaches the ``at``-th file."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.seen = 0

    def file(self, path: Path, source: str) -> None:
        self.seen += 1
        if self.seen == self.at:
            raise KeyboardInterrupt


@pytest.mark.parametrize("parallel", [False, True])
def test_many_small_files_are_committed_together_and_an_interrupt_keeps_the_finished(
    tmp_path: Path, parallel: bool
) -> None:
    """Small files join one transaction (a commit per note cost more than the note);
    Ctrl-C between files still keeps every file read to its end, and the next run
    goes on from there."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for n in range(120):
        (notes / f"note{n:03d}.md").write_text(f"# Note {n}\nwalked along the river, day {n}\n")
    with Memory.init(tmp_path / "m") as memory:
        with pytest.raises(KeyboardInterrupt):
            ingest_paths(memory.store, [notes], progress=_StopAt(51), parallel=parallel)
        done = memory.store.conn.execute("SELECT count(*) FROM files").fetchone()[0]
        assert done == 50 and memory.stats().items == 50
        (status,) = memory.store.conn.execute("SELECT status FROM runs").fetchone()
        assert status == "interrupted"
        rest = ingest_paths(memory.store, [notes], parallel=parallel)
        assert (rest.added, rest.files_resumed_past, rest.files_done) == (70, 50, 70)
        assert memory.stats().items == 120 and len(memory.search("river", limit=200)) == 120
        # the items of one transaction share their time of adding: a few, not one a file
        (writes,) = memory.store.conn.execute(
            "SELECT count(DISTINCT added_at) FROM items"
        ).fetchone()
        assert writes <= 10  # (one a second at most, on a slow machine)
        again = ingest_paths(memory.store, [notes], force=True, parallel=parallel)
        assert (again.added, again.unchanged, again.by_source["notes"].files) == (0, 120, 120)
