"""Uploads on the distributed backend: files only the owner's node reads.

A file a browser sent to ``lifelog serve`` lies in the owner's spool, which no other
node reads. :func:`ingest_shipped` sends such an upload whole, through Ray's object
store, to one shard (the one that read it before, else the one holding the fewest
bytes); the shard writes it beside its store, reads it under the upload's labels and
deletes it (:meth:`~lifelog.distributed.shard.Shard.ingest_upload`). Like all the work
that travels between nodes it is not encrypted in transit (see docs/scale.md: a cluster
must be private to its owner, or run with Ray's TLS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError
from ..ingest import IngestReport, Progress
from .choice import mark_ingested
from .journal import run_job
from .plan import merge_reports

if TYPE_CHECKING:
    from .memory import RayMemory

__all__ = ["MAX_SHIPPED", "ingest_shipped", "ship_upload"]


def ingest_shipped(
    memory: RayMemory,
    roots: Sequence[str | Path],
    labels: Mapping[str, str],
    progress: Progress | None,
    force: bool,
    embed: bool,
    include_forgotten: bool,
) -> IngestReport:
    """The uploads ``roots`` (files or folders only this node reads), sent whole to
    the shard that read them before, else to the one that holds the fewest bytes, and
    read there under ``labels``."""
    mark_ingested(memory.home)
    cluster = memory.cluster
    parcels = [ship_upload(Path(root), labels) for root in roots]
    # an upload read before goes where it was read (its labels are in that journal)
    known = sorted({names[f] for _t, files, names in parcels for f, _d in files if f in names})
    held = {n: len(found) for n, found in cluster.tell("held", known).items() if found}
    loads = cluster.tell("bytes_held")
    target = (
        max(sorted(held), key=lambda n: held[n])
        if held
        else min(sorted(loads), key=lambda n: loads[n])
    )
    sizes = {
        str(Path(root)): sum(len(d) for _n, d in files)
        for root, (_top, files, _l) in zip(roots, parcels, strict=True)
    }

    def work(token: str) -> dict[int, IngestReport]:
        reports = [
            cluster.call(
                target,
                "ingest_upload",
                top,
                files,
                named,
                force,
                embed,
                include_forgotten,
                token,
                retry=True,
                timeout=cluster.settings.ingest_timeout,
            )
            for top, files, named in parcels
        ]
        # the journal maps each shard to its run: one shard read them all, its last run
        done = merge_reports(reports, [top for top, _f, _n in parcels])
        done.run_id = reports[-1].run_id
        return {target: done}

    shown = [str(Path(p)) for p in roots]
    return run_job(
        memory.store, cluster, progress, shown, sizes, {target: list(sizes)}, work, named=shown
    )


#: the most bytes an upload sent to a shard may hold (the server's own limit is lower)
MAX_SHIPPED = 2 * 1024**3


def ship_upload(
    root: Path, labels: Mapping[str, str]
) -> tuple[str, list[tuple[str, bytes]], dict[str, str]]:
    """An upload as it travels to a shard: its name (the folder's or file's under its
    parent folder's), its files (name relative to the parent's parent, bytes) and their
    labels by such names. The two enclosing folders go with it because a loose note's
    key holds them (:mod:`lifelog.sources.notes.notes`): the shard reads the same ids as
    the owner's node would. Links are not followed; an upload past :data:`MAX_SHIPPED`
    is refused."""
    base = root.parent.parent
    found = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    files: list[tuple[str, bytes]] = []
    size = 0
    for path in found:
        if path.is_symlink():
            continue
        size += path.stat().st_size
        if size > MAX_SHIPPED:
            raise UserError(f"{root}: an upload past {MAX_SHIPPED // 1024**3} GiB is not sent")
        files.append((path.relative_to(base).as_posix(), path.read_bytes()))
    named = {
        Path(key).relative_to(base).as_posix(): label
        for key, label in labels.items()
        if Path(key) == root or root in Path(key).parents
    }
    return root.relative_to(base).as_posix(), files, named
