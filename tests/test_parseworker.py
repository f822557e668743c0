"""The parsing process: the same items as parsing in-process, errors carried back."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifelog import Memory
from lifelog.errors import SourceError
from lifelog.ingest import ingest_paths
from lifelog.parseworker import WorkUnit, parse_in_worker, unit_records
from lifelog.samplelife import generate
from lifelog.store.store import ItemRow


def _rows(memory: Memory) -> list[tuple[str, str, str]]:
    return memory.store.conn.execute(
        "SELECT id, hash, coalesce(uri, '') FROM items ORDER BY id"
    ).fetchall()


def test_the_worker_stores_exactly_what_in_process_parsing_stores(tmp_path: Path) -> None:
    life = generate(tmp_path / "life", seed=3, scale=0.5)
    with (
        Memory.init(tmp_path / "a", encryption="none") as a,
        Memory.init(tmp_path / "b", encryption="none") as b,
    ):
        one = ingest_paths(a.store, [life.root], parallel=False)
        two = ingest_paths(b.store, [life.root], parallel=True)
        assert (one.added, one.skipped_count) == (two.added, two.skipped_count)
        assert one.added > 1000
        assert _rows(a) == _rows(b)
        chunks = "SELECT count(*) FROM chunks"
        assert a.store.conn.execute(chunks).fetchone() == b.store.conn.execute(chunks).fetchone()


def test_a_file_the_worker_cannot_read_comes_back_as_its_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone.mbox"
    messages = parse_in_worker([(str(missing), "mbox", {})])
    with pytest.raises(SourceError, match="gone.mbox"):
        list(unit_records(messages, 0))
    assert list(messages) == []  # the stream ends cleanly after the error


def test_a_unit_left_unread_does_not_put_the_next_ones_out_of_step(tmp_path: Path) -> None:
    """Storing a unit's records may fail half-way (the file is then reported): the
    rest of its records are passed over, and the next unit reads its own."""
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text("# First\nthe first note\n")
    second.write_text("# Second\nthe second note\n")
    messages = parse_in_worker([(str(first), "notes", {}), (str(second), "notes", {})])
    next(unit_records(messages, 0))  # one record of the first, then its storing fails
    records = list(unit_records(messages, 1))
    assert [r.title for r in records if isinstance(r, ItemRow)] == ["Second"]
    assert list(messages) == []


def test_the_inbox_holds_a_bounded_number_of_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread that drains the worker's pipe stops reading once INBOX_BYTES wait, so a
    slow main thread makes the worker wait instead of growing the main process."""
    import multiprocessing
    import threading
    import time

    from lifelog import parseworker

    monkeypatch.setattr(parseworker, "INBOX_BYTES", 10_000)
    reader, writer = multiprocessing.Pipe(duplex=False)
    inbox = parseworker._Inbox(reader)
    sent = threading.Event()

    def send() -> None:
        for _ in range(40):
            writer.send_bytes(b"x" * 1_000)
        writer.close()
        sent.set()

    threading.Thread(target=send, daemon=True).start()
    time.sleep(0.3)
    assert inbox.held <= 10_000 + 1_000 and len(inbox.messages) <= 11
    got = []
    while (raw := inbox.get()) is not None:
        got.append(raw)
        assert inbox.held <= 10_000 + 1_000
    assert len(got) == 40 and sent.wait(5) and inbox.held == 0
    inbox.stop()


def _notes(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for number in range(count):
        path = folder / f"note{number:03d}.md"
        path.write_text(f"# Note {number}\n\nthe word marker{number} and more words\n")
        paths.append(path)
    return paths


def test_several_workers_store_what_one_process_stores_once_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Units taken by whichever worker is free come back in order: the same items,
    chunks and journal as parsing in-process, none twice."""
    life = generate(tmp_path / "life", seed=5, scale=0.3)
    _notes(life.root / "more-notes", 40)
    monkeypatch.setenv("LIFELOG_PARSE_WORKERS", "3")
    with (
        Memory.init(tmp_path / "a", encryption="none") as a,
        Memory.init(tmp_path / "b", encryption="none") as b,
    ):
        one = ingest_paths(a.store, [life.root], parallel=False)
        three = ingest_paths(b.store, [life.root], parallel=True)
        assert (one.added, one.files_done) == (three.added, three.files_done)
        assert _rows(a) == _rows(b)
        ids = [row[0] for row in _rows(b)]
        assert len(ids) == len(set(ids)) == one.added
        for query in ("SELECT count(*) FROM chunks", "SELECT path, items FROM files ORDER BY 1"):
            assert a.store.conn.execute(query).fetchall() == b.store.conn.execute(query).fetchall()
        fts = "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'marker17'"
        assert b.store.conn.execute(fts).fetchone() == (1,)


def test_a_file_that_fails_in_one_worker_is_named_and_the_rest_go_on(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    paths = _notes(folder, 12)
    missing = folder / "gone.mbox"  # a file that went away after it was planned
    units: list[WorkUnit] = [(str(p), "notes", {}) for p in paths[:6]]
    units += [(str(missing), "mbox", {})]
    units += [(str(p), "notes", {}) for p in paths[6:]]
    messages = parse_in_worker(units, workers=2)
    titles = []
    for index in range(len(units)):
        try:
            titles += [r.title for r in unit_records(messages, index) if isinstance(r, ItemRow)]
        except SourceError as error:
            assert index == 6 and "gone.mbox" in str(error)
    assert titles == [f"Note {n}" for n in range(12)]
    assert list(messages) == []


def test_the_writer_is_handed_the_word_index_rows_ready(tmp_path: Path) -> None:
    """The worker chunks and spells the text (``prepared``); the store writes what
    it would have made itself."""
    (tmp_path / "long.md").write_text("# Über Café\n\n" + "Straße und Fluss. " * 800)
    messages = parse_in_worker([(str(tmp_path / "long.md"), "notes", {})])
    rows = [r for r in unit_records(messages, 0) if isinstance(r, ItemRow)]
    assert len(rows) == 1 and rows[0].words is not None
    title, _people, spans = rows[0].words
    assert title == "uber cafe" and len(spans) > 1
    assert spans[0][0] == 0 and spans[-1][1] == len(rows[0].text)
    assert "strasse" in spans[0][2]
    list(messages)


def test_a_worker_that_dies_costs_only_the_unit_it_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unit is reported (its name, the exit code); the other worker reads the rest."""
    paths = _notes(tmp_path / "notes", 10)
    monkeypatch.setenv("LIFELOG_TEST_WORKER_DIES_ON", "note004.md")
    units: list[WorkUnit] = [(str(p), "notes", {}) for p in paths]
    messages = parse_in_worker(units, workers=2)
    titles, errors = [], []
    for index in range(len(units)):
        try:
            titles += [r.title for r in unit_records(messages, index) if isinstance(r, ItemRow)]
        except SourceError as error:
            errors.append((index, str(error)))
    assert errors == [(4, "the parsing process died (exit code 3) while reading it")]
    assert titles == [f"Note {n}" for n in range(10) if n != 4]
    assert list(messages) == []


def test_an_import_goes_on_past_a_worker_that_died(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "notes"
    _notes(folder, 8)
    monkeypatch.setenv("LIFELOG_TEST_WORKER_DIES_ON", "note002.md")
    monkeypatch.setenv("LIFELOG_PARSE_WORKERS", "2")
    with Memory.init(tmp_path / "m", encryption="none") as memory:
        report = ingest_paths(memory.store, [folder], parallel=True)
        assert report.added == 7
        assert [(s.file, s.reason) for s in report.skipped] == [
            (str(folder / "note002.md"), "the parsing process died (exit code 3) while reading it")
        ]
        done = [p for (p,) in memory.store.conn.execute("SELECT path FROM files")]
        assert str(folder / "note002.md") not in done and len(done) == 7  # tried again next time
