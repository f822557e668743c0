"""Uploading through the web's Import page (issue 12, item 7): a file imported before
from disk keeps its original path and is reported unchanged; any other upload is kept
as ``upload:<name>``. No path of the job's folder (``uploads/job-…``) nor the name of
its in-memory file is kept in the store or shown in a report."""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import AUTH, BASE, PORT, TOKEN
from starlette.testclient import TestClient

from lifelog import Memory
from lifelog.server.app import create_app

INTERNAL = ("uploads/", "job-", "memfd", "lifelog-upload", "/open/")
NOTE = "# Lake trip\n\nWe swam in the *cold* lake with Ana, May 2023.\n"


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "lake.md").write_text(NOTE)
    chat = (
        "12/03/2024, 18:30 - Ana Lima: The bakery sells cardamom buns\n"
        "12/03/2024, 18:31 - Sam Rivera: Saturday then\n"
    )
    with zipfile.ZipFile(folder / "chat.zip", "w") as archive:
        archive.writestr("WhatsApp Chat with Ana Lima.txt", chat)
    return folder


@pytest.fixture
def memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Memory]:
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")
    with Memory.init(tmp_path / "memory", encryption="none") as mem:
        yield mem


def _upload(client: TestClient, *files: tuple[str, bytes]) -> dict[str, Any]:
    sent = client.post(
        "/api/ingest",
        headers=AUTH,
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )
    assert sent.status_code == 202, sent.text
    url = sent.headers["location"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(url, headers=AUTH).json()
        if job["status"] in ("done", "failed", "interrupted"):
            assert job["status"] == "done", job
            return job
        time.sleep(0.05)
    raise AssertionError("the upload never finished")


def _rows(memory: Memory) -> list[tuple[Any, ...]]:
    return memory.store.conn.execute("SELECT id, uri, origin FROM items ORDER BY id").fetchall()


def _kept_anywhere(memory: Memory, job: dict[str, Any]) -> str:
    """Everything the store and the job say about where items came from (but a note's
    hidden ``_key``, the source's own, which for an upload reads ``memfd:<name>``)."""
    conn = memory.store.conn
    metadata = [
        {k: v for k, v in json.loads(m).items() if k != "_key"}
        for (m,) in conn.execute("SELECT metadata FROM items")
    ]
    return json.dumps(
        [
            {key: value for key, value in job.items() if key != "id"},  # its id is job-…
            conn.execute("SELECT uri, origin FROM items").fetchall(),
            metadata,
            conn.execute("SELECT path FROM files").fetchall(),
            conn.execute("SELECT paths FROM runs").fetchall(),
            conn.execute("SELECT file, reason FROM run_errors").fetchall(),
        ]
    )


def test_an_upload_of_a_file_imported_from_disk_keeps_its_path(
    memory: Memory, exports: Path
) -> None:
    first = memory.ingest(exports / "lake.md", exports / "chat.zip")
    assert first.added == 3
    before = _rows(memory)
    with TestClient(create_app(memory, token=TOKEN, port=PORT), base_url=BASE) as client:
        job = _upload(
            client,
            ("lake.md", (exports / "lake.md").read_bytes()),
            ("chat.zip", (exports / "chat.zip").read_bytes()),
        )
    report = job["report"]
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 3), report
    assert sorted(k["file"] for k in report["known"]) == ["chat.zip", "lake.md"]
    assert _rows(memory) == before, "the same items, at their original paths"
    kept = _kept_anywhere(memory, job)
    assert not [word for word in INTERNAL if word in kept], kept
    assert memory.forget_file(exports / "lake.md") == 1  # forget --file finds it


def test_a_new_upload_is_kept_by_its_name_and_two_never_collide(memory: Memory) -> None:
    """Before, every upload's first file was read as ``/memfd:lifelog-upload-0``: two
    different notes uploaded one after the other were one item, the second 'updated'."""
    with TestClient(create_app(memory, token=TOKEN, port=PORT), base_url=BASE) as client:
        one = _upload(client, ("one.md", b"# One\nthe first note, about herons\n"))
        two = _upload(client, ("two.md", b"# Two\nthe second note, about otters\n"))
        bad = _upload(client, ("broken.pdf", b"%PDF-1.4 cut short"))
    for job in (one, two):
        assert (job["report"]["added"], job["report"]["updated"]) == (1, 0), job
        assert job["report"]["known"] == []
    assert bad["report"]["skipped"] == 1
    assert sorted(uri for _id, uri, _origin in _rows(memory)) == ["upload:one.md", "upload:two.md"]
    for job in (one, two, bad):
        kept = _kept_anywhere(memory, job)
        assert not [word for word in INTERNAL if word in kept], kept
    assert [h.item.title for h in memory.search("otters")] == ["Two"]
