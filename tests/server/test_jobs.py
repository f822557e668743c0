"""Ingest jobs seen from outside while they run: every snapshot is one consistent
version, and the event that ends a job's stream carries the finished job.

(The CI run of 2026-11-30 caught the web page stuck on "running: 2 items": the
stream had read a running job, then found it finished, and sent "done" with the
running figures.)"""

from __future__ import annotations

import json
import threading
import time
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
from server_helpers import AUTH, sse_events

from lifelog import Memory
from lifelog.server.jobs import Jobs


def _chat_zip(tag: int) -> bytes:
    chat = (
        f"12/03/2024, 18:30 - Ana Lima: Bakery number {tag} sells cardamom buns\n"
        f"12/03/2024, 18:31 - Sam Rivera: Saturday then, bakery {tag}\n"
    )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"WhatsApp Chat with Ana Lima {tag}.txt", chat)
    return buffer.getvalue()


def _upload(jobs: Jobs, tag: int) -> Any:
    spool = jobs.new_spool()
    spool.begin("chat.zip")
    spool.write(_chat_zip(tag))
    spool.end()
    return jobs.start(spool)


def test_every_snapshot_of_a_running_job_is_one_consistent_version(memory: Memory) -> None:
    jobs = Jobs(memory)
    for tag in range(5):
        job = _upload(jobs, tag)
        seen: list[dict[str, Any]] = []
        while True:
            snapshot = jobs.snapshot(job)
            seen.append(snapshot)
            if snapshot["status"] in ("done", "failed"):
                break
            time.sleep(0)
        final = seen[-1]
        assert final["status"] == "done", final
        assert final["ended"] is not None and final["report"]["added"] == 2
        assert final["items"] == 2 and final["progress"] == 1.0 and final["current"] is None
        assert [s["version"] for s in seen] == sorted(s["version"] for s in seen)
        assert [s["items"] for s in seen] == sorted(s["items"] for s in seen)
        for snapshot in seen:  # a version names exactly one state of the job
            same = [s for s in seen if s["version"] == snapshot["version"]]
            assert all(s == snapshot for s in same)
        jobs.wait(job, final["version"], 0.2)
        assert jobs.snapshot(job) == final, "nothing changes after the job ended"


def test_the_event_that_ends_a_stream_carries_the_finished_job(server: str) -> None:
    """Watchers join at different moments of many short jobs; each stream ends with an
    event named for the job's status, whose body is that finished job."""
    endings: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()

    def watch(http: httpx.Client, url: str, delay: float) -> None:
        time.sleep(delay)
        with http.stream("GET", url) as events:
            last = list(sse_events(events.iter_lines()))[-1]
        with lock:
            endings.append((last[0], json.loads(last[1])))

    with httpx.Client(base_url=server, headers=AUTH, timeout=30) as http:
        watchers = []
        for tag in range(8):
            started = http.post(
                "/api/ingest", files=[("files", (f"chat{tag}.zip", _chat_zip(tag), "x/zip"))]
            )
            assert started.status_code == 202, started.text
            events = started.json()["events"]
            for delay in (0.0, 0.01, 0.05):
                thread = threading.Thread(target=watch, args=(http, events, delay))
                thread.start()
                watchers.append(thread)
        for thread in watchers:
            thread.join(timeout=60)
    assert len(endings) == 24
    for name, job in endings:
        assert name == job["status"] == "done", (name, job)
        assert job["report"]["added"] == 2 and job["ended"] is not None


def test_a_job_that_raises_ends_failed_with_its_reason(memory: Memory, tmp_path: Path) -> None:
    jobs = Jobs(memory)
    spool = jobs.new_spool()
    spool.begin("chat.zip")
    spool.write(_chat_zip(1))
    spool.end()
    folder = spool.folder
    memory.store.close()  # the import cannot write: the job fails, the error is shown
    job = jobs.start(spool)
    deadline = time.monotonic() + 30
    while not job.finished and time.monotonic() < deadline:
        jobs.wait(job, job.version, 0.5)
    final = jobs.snapshot(job)
    assert final["status"] == "failed" and final["error"] and final["ended"] is not None
    assert not folder.exists(), "the upload is deleted even when the import fails"
