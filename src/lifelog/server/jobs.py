"""Ingest jobs: an uploaded export imported in the background, its progress observable.

Uploads are kept encrypted under ``<memory>/uploads/<job>/`` (0700; see
:mod:`lifelog.server.spool`), imported with ``Memory.ingest`` in a worker thread (one
import at a time: the store has one writer) from in-memory plaintext, then deleted:
the store keeps every item verbatim and encrypted, so no copy of the export stays
behind. A job that a killed server left is shown at the next start as
``interrupted`` (its spool deleted; uploading the files again finishes it, and what
was stored is not imported twice).

An uploaded file with the very bytes of a file imported before from disk (found
through the import journal, and still there) is imported from that file instead:
its items keep their original path (``lifelog forget --file`` finds them) and
the job reports them unchanged. Any other upload is recorded as ``upload:<name>``,
so no path of the job's folder is kept in the store or shown.

Each job counts its changes in ``version``; watchers (the SSE stream) wait for the
next version.

A job's fields change only under ``Jobs``' lock, together with its version, and
watchers read it only as a :meth:`Jobs.snapshot` taken under the same lock: a
watcher never sees a finished job's status with the last running version, nor
reports "done" with the figures of a moment before.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..index.embedding import EmbedProgress
from ..ingest import IngestReport, Progress
from .spool import Spool, leftovers, upload_key

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = ["ENDED", "Job", "Jobs", "safe_name"]

log = logging.getLogger("lifelog.server")
_UNSAFE = re.compile(r"[^\w .,()+@-]+")
MAX_JOBS_KEPT = 50
#: how the store names an upload not imported before from disk (``upload:<name>``)
UPLOAD = "upload:"
#: the statuses a job ends in
ENDED = ("done", "failed", "interrupted")
_INTERRUPTED = {
    "receiving": "the server stopped while the files were uploading",
    "queued": "the server stopped before this import began",
    "running": "the server stopped during this import",
}


def safe_name(name: str) -> str:
    """A file name from a browser's upload: no folders, no leading dots, nothing odd."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .") or "upload"
    return base[:120]


@dataclass(slots=True)
class Job:
    id: str
    files: list[str]
    status: str = "queued"  # queued | running | done | failed | interrupted
    created: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    total_bytes: int = 0
    done_bytes: int = 0
    total_files: int = 0
    items: int = 0
    current: str | None = None
    error: str | None = None
    report: dict[str, Any] | None = None
    version: int = 0

    def as_json(self) -> dict[str, Any]:
        fraction = self.done_bytes / self.total_bytes if self.total_bytes else 0.0
        if self.status == "done":
            fraction = 1.0
        return {
            "id": self.id,
            "status": self.status,
            "files": list(self.files),
            "created": self.created,
            "started": self.started,
            "ended": self.ended,
            "total_bytes": self.total_bytes,
            "done_bytes": self.done_bytes,
            "total_files": self.total_files,
            "items": self.items,
            "current": self.current,
            "progress": round(min(fraction, 1.0), 4),
            "error": self.error,
            "report": self.report,
            "version": self.version,
        }

    @property
    def finished(self) -> bool:
        return self.status in ENDED


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            sha.update(block)
    return sha.hexdigest()


def imported_copy(memory: Memory, size: int, digest: str) -> Path | None:
    """The file imported from disk earlier (in the journal, still there) whose bytes
    are ``size`` long and hash to ``digest``; ``None`` when there is none."""
    store = memory.store
    with store.lock:
        rows = store.conn.execute("SELECT path FROM files WHERE size = ?", (size,)).fetchall()
    for (name,) in rows:
        path = Path(name)
        try:
            if path.is_absolute() and path.is_file() and _sha256(path) == digest:
                return path
        except OSError:
            continue
    return None


def _name(path: str) -> str:
    """A file as a report names it: an upload's name, else the file name."""
    return path.removeprefix(UPLOAD) if path.startswith(UPLOAD) else Path(path).name


def report_json(report: IngestReport, known: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "run_id": report.run_id,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": report.skipped_count,
        "skips": [
            {"file": _name(s.file), "position": s.position, "reason": s.reason}
            for s in report.skipped[:50]
        ],
        "unrecognised": [_name(p) for p in report.unrecognised[:20]],
        "by_source": {
            name: {"files": c.files, "added": c.added, "updated": c.updated, "skipped": c.skipped}
            for name, c in sorted(report.by_source.items())
        },
        "seconds": round(report.seconds, 3),
        "status": report.status,
        # uploads found to be files imported before from disk: name -> that file
        "known": [{"file": name, "path": path} for name, path in sorted((known or {}).items())],
    }


class _Sink(Progress):
    """Ingest progress written onto a job, each change one atomic update."""

    def __init__(self, update: Callable[..., None]) -> None:
        self.update = update

    def start(self, total_bytes: int, files: int) -> None:
        self.update(total_bytes=total_bytes, total_files=files)

    def file(self, path: Path, source: str) -> None:
        self.update(current=f"{source}: {path.name}")

    def advance(self, nbytes: int, items: int) -> None:
        self.update(add_bytes=nbytes, add_items=items)

    def finish(self) -> None:
        self.update(current=None)


class _EmbedSink(EmbedProgress):
    """After the items are stored, the job says it is embedding them, and how far along."""

    def __init__(self, update: Callable[..., None]) -> None:
        self.update = update
        self.total = self.done = 0

    def start(self, total: int, model: str) -> None:
        self.total, self.done = total, 0
        self.update(current=f"embedding {total:,} chunks ({model})")

    def advance(self, chunks: int) -> None:
        self.done += chunks
        self.update(current=f"embedding {self.done:,} of {self.total:,} chunks")

    def finish(self) -> None:
        self.update(current=None)


class Jobs:
    """The jobs of one server, run one at a time in a worker thread."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self.root = memory.home / "uploads"
        self._jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._run_lock = threading.Lock()
        self._prefix = f"{int(time.time()):x}"
        self._key = upload_key(memory)
        self._recover()

    def _recover(self) -> None:
        """Delete the uploads a killed server left; show their jobs as interrupted."""
        now = time.time()
        for left in leftovers(self.root, self._key):
            reason = _INTERRUPTED.get(left.stage, _INTERRUPTED["running"])
            job = Job(left.job_id, left.files, status="interrupted", created=left.created)
            job.ended = now
            job.error = (
                f"{reason}: its upload was deleted. Upload the files again to finish it"
                " (what was already stored is kept, and is not imported twice)."
            )
            log.warning("ingest %s was interrupted (%s)", left.job_id, left.stage)
            self._jobs[job.id] = job

    @property
    def run_lock(self) -> threading.Lock:
        """Held while an import runs: the server's watcher takes turns on it too."""
        return self._run_lock

    def new_spool(self) -> Spool:
        """A new job's encrypted spool, in a private folder of its own."""
        job_id = f"job-{self._prefix}-{next(self._ids)}"
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return Spool(self.root / job_id, job_id, self._key)

    def start(self, spool: Spool) -> Job:
        """Import ``spool``'s files in the background; the spool is deleted when it ends."""
        job = Job(spool.job_id, list(spool.names))
        spool.stage("queued")
        with self._cond:
            self._jobs[job.id] = job
            for old in list(self._jobs.values())[:-MAX_JOBS_KEPT]:
                if old.finished:
                    del self._jobs[old.id]
        thread = threading.Thread(
            target=self._run, args=(job, spool), name=f"lifelog-{job.id}", daemon=True
        )
        thread.start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._cond:
            return self._jobs.get(job_id)

    def snapshot(self, job: Job) -> dict[str, Any]:
        """The job as JSON, consistent with its ``version`` and ``status``."""
        with self._cond:
            return job.as_json()

    def snapshots(self) -> list[dict[str, Any]]:
        """Every job as JSON, newest first."""
        with self._cond:
            newest = sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)
            return [j.as_json() for j in newest]

    def wait(self, job: Job, version: int, timeout: float) -> None:
        """Block until ``job`` moves past ``version`` (or ``timeout`` seconds)."""
        with self._cond:
            self._cond.wait_for(lambda: job.version != version, timeout=timeout)

    def update(self, job: Job, *, add_bytes: int = 0, add_items: int = 0, **fields: Any) -> None:
        """Change ``job`` and move it to its next version, in one step under the lock."""
        with self._cond:
            for name, value in fields.items():
                setattr(job, name, value)
            job.done_bytes += add_bytes
            job.items += add_items
            job.version += 1
            self._cond.notify_all()

    def _plan(
        self, spool: Spool, folder: Path
    ) -> tuple[list[Path], dict[str, str], dict[str, str]]:
        """What to import for ``spool``: the paths, the labels of the uploads (see the
        module docstring) and the uploads known as files imported before (name -> path)."""
        folder = folder.resolve()
        known: dict[str, str] = {}
        labels: dict[str, str] = {str(folder): "upload"}
        for n, name in enumerate(spool.names):
            original = imported_copy(self.memory, *spool.digest(n))
            if original is not None:
                known[name] = str(original)
                (folder / name).unlink()  # read from the original instead
            else:
                labels[str(folder / name)] = f"{UPLOAD}{name}"
        paths = [Path(p) for p in known.values()]
        if len(known) < len(spool.names):
            paths.insert(0, folder)
        return paths, labels, known

    def _run(self, job: Job, spool: Spool) -> None:
        def update(**fields: Any) -> None:
            self.update(job, **fields)

        outcome: dict[str, Any] = {}
        try:
            with self._run_lock:
                update(status="running", started=time.time())
                spool.stage("running")
                with spool.plaintext() as folder:
                    paths, labels, known = self._plan(spool, folder)
                    report = self.memory.ingest(
                        *paths,
                        progress=_Sink(update),
                        embed_progress=_EmbedSink(update),
                        # a file imported before is read again, to report it unchanged
                        force=bool(known),
                        labels=labels,
                    )
                outcome["report"] = report_json(report, known)
                outcome["status"] = "done" if report.status == "done" else "failed"
                if report.status != "done":
                    outcome["error"] = f"the import ended as {report.status!r}"
        except Exception as error:  # reported on the job; the server goes on
            log.warning("ingest %s failed: %s", job.id, error)
            outcome.update(status="failed", error=str(error) or type(error).__name__)
        finally:
            spool.remove()
            if "status" not in outcome:  # not an Exception (KeyboardInterrupt, SystemExit)
                outcome.update(status="failed", error="the import was interrupted")
            update(ended=time.time(), **outcome)
