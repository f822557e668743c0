"""The crash test (issue 10, must show): an import killed with SIGKILL at 20 or more
points, then run again, ends where a clean run ends.

``lifelog ingest`` runs in a process of its own over a folder of notes and
mailboxes, with small batches (many commits), and is killed by SIGKILL: at the Nth
of the points where a crash tells most (``LIFELOG_TEST_KILL_AT``: inside a commit with
everything written, right after it, after the people read what it stored) and after
random delays (any point, parsing included), from a seeded generator. After each kill
the store passes ``PRAGMA integrity_check`` and FTS5's integrity-check, every item a
kill found committed is still there, unchanged, and the killed run's journal counts
exactly the items it committed. Run again until an import ends, the memory is the
clean run's: the same items (ids and content hashes), chunks, word index (each
chunk's terms with their columns and offsets), people, mentions and files journal,
and ``lifelog check`` finds every derived index true to the store.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from lifelog.config import DB_NAME, load_config
from lifelog.store.db import connect
from lifelog.store.keys import keying_for
from process_helpers import base_env, lifelog


def sample(folder: Path, notes: int, mailboxes: int, per_box: int) -> Path:
    """Notes and mailboxes whose items name a few people (so the people are derived)."""
    rnd = random.Random(10)
    people = ["Ana Lima <ana@example.org>", "Bo Chen <bo@example.net>", "Cy Diaz <cy@example.com>"]
    words = "camping beach dunes kids lisbon rain train office garden piano".split()
    (folder / "notes").mkdir(parents=True)
    for n in range(notes):
        text = " ".join(rnd.choice(words) for _ in range(30))
        (folder / "notes" / f"note{n:04d}.md").write_text(f"# Note {n}\n\n{text} {n}\n")
    (folder / "mail").mkdir()
    for box in range(mailboxes):
        lines = []
        for m in range(per_box):
            sender = people[(box + m) % len(people)]
            body = " ".join(rnd.choice(words) for _ in range(60))
            lines += [
                "From sender@example.org Mon Jan  1 00:00:00 2024",
                f"From: {sender}",
                "To: Sam Roe <sam@example.org>",
                f"Subject: letter {box}-{m}",
                f"Date: Mon, {1 + m % 28:d} Jan 2024 10:{m % 60:02d}:00 +0000",
                f"Message-ID: <m{box}-{m}@example.org>",
                "",
                f"{body} {box} {m}",
                "",
            ]
        (folder / "mail" / f"box{box}.mbox").write_text("\n".join(lines))
    return folder


def open_db(home: Path) -> Any:
    """A connection of the test's own (FTS5's integrity-check is a write command)."""
    config = load_config(home)
    return connect(home / DB_NAME, keying=keying_for(home, config, None))


def state(home: Path) -> dict[str, Any]:
    """What a run leaves that must not depend on how it was interrupted (row numbers
    and times may differ: everything is keyed by item id)."""
    conn = open_db(home)
    try:
        conn.execute(
            "CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, chunks_fts, 'instance')"
        )
        where = {
            rowid: (item, ordinal)
            for rowid, item, ordinal in conn.execute(
                "SELECT c.rowid, i.id, c.ordinal FROM chunks c"
                " JOIN items i ON i.rowid = c.item_rowid"
            )
        }
        fts = sorted(
            (*where[doc], term, col, offset)
            for term, doc, col, offset in conn.execute("SELECT term, doc, col, offset FROM terms")
        )
        return {
            "items": dict(conn.execute("SELECT id, hash FROM items")),
            "chunks": sorted(
                conn.execute(
                    "SELECT i.id, c.ordinal, c.start, c.end FROM chunks c"
                    " JOIN items i ON i.rowid = c.item_rowid"
                )
            ),
            "fts": fts,
            "fts rows": conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0],
            "people": sorted(conn.execute("SELECT id, name, items, first, last FROM people")),
            "handles": sorted(conn.execute("SELECT kind, value, person_id FROM people_handles")),
            "mentions": sorted(
                conn.execute(
                    "SELECT i.id, m.sig FROM people_item_mentions l"
                    " JOIN items i ON i.rowid = l.item_rowid"
                    " LEFT JOIN people_mentions m ON m.id = l.mention_id"
                )
            ),
            "files": sorted(conn.execute("SELECT path, size, mtime, source, items FROM files")),
        }
    finally:
        conn.close()


def assert_sound(home: Path) -> dict[str, str]:
    """The store as a kill left it: whole, its word index whole; its items (id: hash)."""
    conn = open_db(home)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('integrity-check', 1)")
        chunks = {r[0] for r in conn.execute("SELECT rowid FROM chunks")}
        assert chunks == {r[0] for r in conn.execute("SELECT rowid FROM chunks_fts")}
        no_chunk = conn.execute(
            "SELECT count(*) FROM items i WHERE NOT EXISTS"
            " (SELECT 1 FROM chunks c WHERE c.item_rowid = i.rowid)"
        ).fetchone()[0]
        assert no_chunk == 0
        # the journal counts what each run committed (items keep the run that added them)
        for run_id, added, updated in conn.execute("SELECT id, added, updated FROM runs"):
            stored = conn.execute(
                "SELECT count(*) FROM items WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            assert added + updated == stored, (run_id, added, updated, stored)
        return dict(conn.execute("SELECT id, hash FROM items"))
    finally:
        conn.close()


def ingest(
    home: Path, folder: Path, env: dict[str, str], kill_at: int = 0, delay: float | None = None
) -> bool:
    """One import; ``True`` when it was killed."""
    command = [
        sys.executable,
        "-m",
        "lifelog.cli",
        "ingest",
        "--memory",
        str(home),
        "--quiet",
        str(folder),
    ]
    extra = {"LIFELOG_TEST_KILL_AT": str(kill_at)} if kill_at else {}
    process = subprocess.Popen(
        command, env={**env, **extra}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    if delay is not None:
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
    _out, err = process.communicate(timeout=300)
    if process.returncode == -signal.SIGKILL:
        return True
    assert process.returncode == 0, err
    return False


def crash_and_compare(
    tmp_path: Path, kills: int, notes: int, boxes: int, per_box: int, seed: int
) -> None:
    folder = sample(tmp_path / "life", notes, boxes, per_box)
    env = base_env(LIFELOG_EMBED_MODEL="none", LIFELOG_INGEST_BATCH="25")
    clean = tmp_path / "clean"
    lifelog("init", "--memory", clean, env=env)
    assert not ingest(clean, folder, env)
    expected = state(clean)
    assert len(expected["items"]) == notes + boxes * per_box and expected["people"]

    rnd = random.Random(seed)
    rounds = 0
    home = tmp_path / "crashed0"
    lifelog("init", "--memory", home, env=env)
    killed = runs = 0
    committed: dict[str, str] = {}
    while True:
        runs += 1
        assert runs < kills * 4, f"only {killed} kills in {runs} runs"
        if killed >= kills:
            assert not ingest(home, folder, env)
        elif rnd.random() < 0.6:
            was_killed = ingest(home, folder, env, kill_at=rnd.randint(1, 9))
        else:
            was_killed = ingest(home, folder, env, delay=rnd.uniform(0.3, 3.0))
        found = assert_sound(home)
        assert all(found.get(i) == h for i, h in committed.items()), "a committed item was lost"
        committed = found
        if killed >= kills:
            break
        if was_killed:
            killed += 1
            continue
        # the import ended before the next kill: it is a clean run's; go on with a new one
        assert state(home) == expected
        rounds += 1
        home = tmp_path / f"crashed{rounds}"
        lifelog("init", "--memory", home, env=env)
        committed = {}
    assert state(home) == expected
    done = lifelog("check", "--memory", home, env=env)
    assert "the memory is whole" in done.stdout
    conn = open_db(home)
    try:
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    finally:
        conn.close()
    assert statuses[-1] == "done" and "interrupted" in statuses


def test_an_import_killed_at_20_points_ends_as_a_clean_run(tmp_path: Path) -> None:
    started = time.monotonic()
    crash_and_compare(tmp_path, kills=20, notes=150, boxes=4, per_box=60, seed=20)
    assert time.monotonic() - started < 300


@pytest.mark.slow
def test_an_import_killed_at_60_points_ends_as_a_clean_run(tmp_path: Path) -> None:
    crash_and_compare(tmp_path, kills=60, notes=600, boxes=10, per_box=150, seed=60)
