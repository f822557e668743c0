"""Issue 10, finding 5: an upload is never on disk in the clear, even when the server is
killed in the middle of its import; the next start deletes what is left and shows the
job as interrupted; uploading the file again finishes it without duplicates.

(``POST /api/ingest`` then SIGKILL left ``uploads/job-…/WhatsApp Chat with ….txt`` in
plaintext until a 24 h sweep, and the job was left ``running``.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import AUTH, TOKEN, free_port

from lifelog import Memory

CANARY = "canary-5f1e-plaintext-9c2b"
NAME = "WhatsApp Chat with Ana Lima.txt"
LINES = 300_000  # ~25 MB: parsed in the second process, and slow enough to be killed


def _chat() -> bytes:
    lines = [
        f"12/03/2024, 18:{i % 60:02d} - Ana Lima: bakery {i} sells cardamom buns {CANARY}"
        for i in range(LINES)
    ]
    return ("\n".join(lines) + "\n").encode()


class Server:
    def __init__(self, home: Path, tmp: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "LIFELOG_TOKEN": TOKEN,
            "LIFELOG_LLM_MODEL": "none",
            "LIFELOG_EMBED_MODEL": "none",
            "TMPDIR": str(tmp),
        }
        command = [sys.executable, "-m", "lifelog.cli", "serve", "--memory", str(home)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.http = httpx.Client(base_url=self.base, headers=AUTH, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.http.get("/api/stats")
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("lifelog serve did not start") from None
                time.sleep(0.1)

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.http.get(f"/api/jobs/{job_id}").json())

    def stop(self, sig: int = signal.SIGINT) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def places(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    home = tmp_path / "memory"
    Memory.init(home).close()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    yield home, tmp


def plaintext_copies(*roots: Path) -> list[str]:
    """Files (not links) under ``roots`` whose bytes hold the canary."""
    found = []
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder) / name
                if path.is_symlink() or not path.is_file():
                    continue
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                if CANARY.encode() in data:
                    found.append(str(path))
    return found


def test_a_killed_import_leaves_no_plaintext_and_is_shown_interrupted(
    places: tuple[Path, Path],
) -> None:
    home, tmp = places
    chat = _chat()
    server = Server(home, tmp)
    try:
        started = server.http.post("/api/ingest", files=[("files", (NAME, chat, "text/plain"))])
        assert started.status_code == 202, started.text
        job_id = started.json()["job"]["id"]
        deadline = time.monotonic() + 60
        while (job := server.job(job_id))["status"] != "running" or not job["items"]:
            assert job["status"] not in ("done", "failed"), "the import ended before the kill"
            assert time.monotonic() < deadline, job
            time.sleep(0.02)
        during = plaintext_copies(home, tmp)
    finally:
        server.stop(signal.SIGKILL)
    assert during == [], "the upload is in the clear on disk while it imports"
    after = plaintext_copies(home, tmp)
    assert after == [], "a killed server left the upload in the clear"

    again = Server(home, tmp)
    try:
        jobs = again.http.get("/api/jobs").json()["jobs"]
        assert [j["id"] for j in jobs] == [job_id]
        shown = jobs[0]
        assert shown["status"] == "interrupted" and shown["files"] == [NAME]
        assert "during this import" in shown["error"] and shown["ended"]
        uploads = home / "uploads"
        assert not uploads.exists() or not any(uploads.iterdir()), "the spool is removed"
        # uploading it again finishes the import; nothing is stored twice
        rerun = again.http.post("/api/ingest", files=[("files", (NAME, chat, "text/plain"))])
        assert rerun.status_code == 202
        rerun_id = rerun.json()["job"]["id"]
        deadline = time.monotonic() + 300
        while (job := again.job(rerun_id))["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["status"] == "done", job
        assert again.http.get("/api/stats").json()["items"] == LINES
        assert not any(uploads.iterdir())
    finally:
        again.stop()
    assert plaintext_copies(home, tmp) == []


def test_a_killed_upload_is_removed_at_the_next_start(places: tuple[Path, Path]) -> None:
    """Killed while the files arrive: the partial spool is ciphertext, then deleted."""
    home, tmp = places
    server = Server(home, tmp)
    chat = _chat()

    def slow_body() -> Iterator[bytes]:
        boundary = "lifelogboundary"
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{NAME}"'
            "\r\nContent-Type: text/plain\r\n\r\n"
        ).encode()
        yield chat[: 3 << 20]
        time.sleep(60)  # the server is killed meanwhile

    import threading

    def send() -> None:
        try:
            httpx.post(
                f"{server.base}/api/ingest",
                content=slow_body(),
                headers={**AUTH, "content-type": "multipart/form-data; boundary=lifelogboundary"},
                timeout=90,
            )
        except httpx.HTTPError:
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        deadline = time.monotonic() + 30
        spool = home / "uploads"
        while not (spool.exists() and any(p.name == "spool.db" for p in spool.rglob("*"))):
            assert time.monotonic() < deadline, "no spool appeared"
            time.sleep(0.05)
        time.sleep(1.0)  # some pieces written
    finally:
        server.stop(signal.SIGKILL)
    assert plaintext_copies(home, tmp) == []
    again = Server(home, tmp)
    try:
        jobs = again.http.get("/api/jobs").json()["jobs"]
        assert len(jobs) == 1 and jobs[0]["status"] == "interrupted"
        assert "uploading" in jobs[0]["error"]
        assert not any((home / "uploads").iterdir())
    finally:
        again.stop()
