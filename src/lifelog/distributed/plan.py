"""The small pure parts of the distributed backend: which shard a file goes to, and how
the shards' answers become one (no Ray here, so they are tested on their own).

**Placement.** A file goes whole to one shard, so that everything one export holds (a
chat's messages, a mailbox's threads) lies together and the embedded retrieval's
conversation steps (replies, thread strength) see it as they do on one machine. A file
a shard already holds (in its import journal) stays where it is, so importing a folder
again never puts a file into a second shard; new files go, largest first, to the shard
holding the fewest bytes (longest-processing-time-first, Graham 1969), so shards fill
evenly and work on a job ends at about the same time. Each shard reads its files in
the order they were given, as one machine would.

**Merging.** Each shard answers with its own best hits; they are merged by score, one
hit per item (an item held twice, from two overlapping exports placed on two shards,
is shown once). Equal scores keep each shard's own order (the shard's tie-break), shard
by shard, so that the order never depends on which shard answered first and a memory
of one shard ranks exactly as the embedded backend does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from ..ingest import IngestReport, SourceCounts
from ..records import Hit, Item

__all__ = [
    "Partial",
    "ShardFile",
    "merge_hits",
    "merge_items",
    "merge_reports",
    "place_files",
]


@dataclass(frozen=True, slots=True)
class ShardFile:
    path: str
    size: int


def place_files(
    files: Sequence[ShardFile],
    shards: int,
    held: Mapping[str, int] | None = None,
    loads: Sequence[int] | None = None,
) -> dict[int, list[str]]:
    """Shard -> the paths it ingests. ``held``: path -> the shard already holding it;
    ``loads``: the bytes each shard holds already."""
    if shards < 1:
        raise ValueError("a distributed memory needs at least one shard")
    held = held or {}
    load = list(loads) if loads is not None else [0] * shards
    placed: dict[int, list[str]] = {n: [] for n in range(shards)}
    fresh: list[ShardFile] = []
    for file in files:
        home = held.get(file.path)
        if home is not None and 0 <= home < shards:
            placed[home].append(file.path)
            load[home] += file.size
        else:
            fresh.append(file)
    for file in sorted(fresh, key=lambda f: (-f.size, f.path)):
        target = min(range(shards), key=lambda n: (load[n], n))
        placed[target].append(file.path)
        load[target] += file.size
    # each shard reads its files in the order given (a folder's walk order), as one
    # machine would: the order items are stored in breaks ties between equal scores
    order = {file.path: i for i, file in enumerate(files)}
    return {n: sorted(paths, key=order.__getitem__) for n, paths in placed.items() if paths}


def merge_hits(per_shard: Mapping[int, Sequence[Hit]], limit: int) -> list[Hit]:
    """The best ``limit`` hits of all shards (shard -> its hits, best first), one per item."""
    everything = sorted(
        (-hit.score, shard, rank, hit)
        for shard, hits in per_shard.items()
        for rank, hit in enumerate(hits)
    )
    merged: list[Hit] = []
    seen: set[str] = set()
    for *_key, hit in everything:
        if hit.item.id in seen:
            continue
        seen.add(hit.item.id)
        merged.append(hit)
        if len(merged) >= limit:
            break
    return merged


def _when(item: Item) -> datetime:
    assert item.timestamp is not None
    return item.timestamp


def merge_items(
    per_shard: Iterable[Sequence[Item]], limit: int, offset: int = 0, *, newest: bool = False
) -> list[Item]:
    """A timeline: the shards' items in time order (each shard's list already is), the
    newest first with ``newest``."""
    seen: set[str] = set()
    items: list[Item] = []
    for item in sorted(
        (i for batch in per_shard for i in batch if i.timestamp is not None),
        key=lambda i: (_when(i), i.id),
        reverse=newest,
    ):
        if item.id not in seen:
            seen.add(item.id)
            items.append(item)
    return items[offset : offset + limit]


def merge_reports(reports: Sequence[IngestReport], paths: list[str]) -> IngestReport:
    """One report for a job from the reports of its shards."""
    merged = IngestReport(run_id=0, paths=paths)
    merged.status = "done"
    for report in reports:
        merged.added += report.added
        merged.updated += report.updated
        merged.unchanged += report.unchanged
        merged.skipped.extend(report.skipped)
        merged.skipped_count += report.skipped_count
        merged.files_done += report.files_done
        merged.files_resumed_past += report.files_resumed_past
        merged.unrecognised.extend(report.unrecognised)
        merged.bytes += report.bytes
        merged.seconds = max(merged.seconds, report.seconds)
        merged.forgotten += report.forgotten
        merged.include_forgotten = merged.include_forgotten or report.include_forgotten
        if report.status != "done":
            merged.status = report.status
        for source, counts in report.by_source.items():
            mine = merged.by_source.setdefault(source, SourceCounts())
            for name in (f.name for f in fields(SourceCounts)):
                setattr(mine, name, getattr(mine, name) + getattr(counts, name))
    return merged


@dataclass(frozen=True, slots=True)
class Partial:
    """Which shards did not answer a fan-out in time (empty: a complete answer)."""

    shards: int
    missing: tuple[int, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.missing

    def notice(self) -> str:
        if self.complete:
            return ""
        which = ", ".join(str(n) for n in self.missing)
        why = f" ({'; '.join(self.reasons)})" if self.reasons else ""
        return (
            f"partial result: {len(self.missing)} of {self.shards} shards did not answer"
            f" (shard {which}){why}; items they hold are missing from these results"
        )
