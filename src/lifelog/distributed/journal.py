"""The import journal of a sharded memory: one run per ingest, as on one machine.

Each shard keeps its own journal (its runs, the files it finished, the records it
skipped), which its ingest reads to resume. The owner's own store records the job:
one row of ``runs`` per ``RayMemory.ingest`` (paths, status, the merged counts), and,
in its ``counts``, the run each shard made for it. So ``lifelog runs``, the REST API
and the web's recent imports list jobs as one machine lists runs, and a job's skipped
records are read from the shards that logged them (:func:`run_errors`): what a shard's
forgetting drops from its journal is gone from the listing too. ``forget_file`` also
scrubs the owner's rows (:meth:`lifelog.store.Store.forget` with ``files``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..ingest import IngestReport, Progress, end_run
from ..records import storable
from ..store import Store
from .plan import merge_reports
from .progress import follow_ingest

if TYPE_CHECKING:
    from .cluster import Cluster

__all__ = ["fail_job", "finish_job", "run_errors", "shard_runs", "start_job"]


def start_job(store: Store, paths: Sequence[str]) -> int:
    """A new run in the owner's journal (a run left ``running`` was interrupted)."""
    with store.writing():
        store.conn.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
        cursor = store.conn.execute(
            "INSERT INTO runs (started_at, paths) VALUES (?, ?)",
            (time.time(), json.dumps([storable(p) for p in paths], ensure_ascii=False)),
        )
        return int(cursor.lastrowid or 0)


def finish_job(
    store: Store, job: int, report: IngestReport, reports: Mapping[int, IngestReport]
) -> None:
    """The job's counts, status and each shard's run (``reports``: shard -> its report)."""
    counts = {
        "shards": {str(n): r.run_id for n, r in sorted(reports.items())},
        "sources": {
            name: {"files": c.files, "added": c.added, "skipped": c.skipped}
            for name, c in sorted(report.by_source.items())
        },
    }
    with store.writing():
        end_run(store.conn, job, report, counts)


def fail_job(store: Store, job: int) -> None:
    """A job that raised (a shard that did not come back): interrupted, as one machine's."""
    with store.writing():
        store.conn.execute(
            "UPDATE runs SET ended_at = ?, status = 'interrupted' WHERE id = ?", (time.time(), job)
        )


def run_job(
    store: Store,
    cluster: Cluster,
    progress: Progress | None,
    paths: Sequence[str],
    sizes: dict[str, int],
    placed: dict[int, list[str]],
    work: Callable[[str], Mapping[int, IngestReport]],
    *,
    named: Sequence[str],
    unrecognised: Sequence[str] = (),
) -> IngestReport:
    """One ingest over the shards, journaled in the owner's store: ``work(token)`` asks
    the shards (``placed``: shard -> its paths, of ``sizes`` bytes) and returns each
    one's report, while their progress is shown on ``progress``; a job that raises is
    marked interrupted. Returns the job's report, merged, naming the paths as given
    (``named``; the journal keeps ``paths``)."""
    job = start_job(store, list(paths))
    token = f"{job}-{uuid.uuid4().hex}"
    stop = follow_ingest(cluster, progress, token, sizes, placed)
    try:
        reports = work(token)
    except BaseException:
        fail_job(store, job)
        raise
    finally:
        stop()
    report = merge_reports(list(reports.values()), list(named))
    report.run_id = job
    report.unrecognised.extend(unrecognised)
    finish_job(store, job, report, reports)
    return report


def shard_runs(store: Store, job: int) -> dict[int, int]:
    """Shard -> the run it made for the owner's run ``job`` (none: unknown or unfinished)."""
    with store.lock:
        row = store.conn.execute("SELECT counts FROM runs WHERE id = ?", (job,)).fetchone()
    if row is None:
        return {}
    try:
        shards = json.loads(row[0] or "{}").get("shards") or {}
    except (ValueError, AttributeError):
        return {}
    return {int(n): int(run) for n, run in shards.items()}


def run_errors(
    store: Store, job: int, ask: Callable[[int, int], Sequence[tuple[str, str, str]]]
) -> list[tuple[str, str, str]]:
    """The records the job skipped, from each shard's journal (``ask(shard, run)``)."""
    found: list[tuple[str, str, str]] = []
    for shard, run in sorted(shard_runs(store, job).items()):
        found.extend(ask(shard, run))
    return found
