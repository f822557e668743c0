"""The import journal of a sharded memory, without a cluster: one run per ingest, listed
as one machine lists its runs, with the skipped records each shard logged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lifelog import Memory

KEPT = ("status", "paths", "added", "updated", "unchanged", "skipped", "bytes")


def _export(root: Path) -> Path:
    export = root / "export"
    export.mkdir()
    (export / "good.md").write_text("# Good\nThe import goes on.\n")
    (export / "tea.md").write_text("# Tea\nWe drank tea by the river.\n")
    (export / "conversations.json").write_text('[{"title": "x", "mapping": {')
    (export / "WhatsApp Chat with Ann.txt").write_text(
        "12/31/19, 10:15 PM - Ann: Happy new year!\n"
        "2019-31-12 25:99 - Ann: this date style is unknown\n"
        "12/31/19, 10:16 PM - Ann: See you tomorrow\n"
    )
    return export


def _runs(memory: Memory) -> list[tuple[Any, ...]]:
    return [tuple(run[k] for k in KEPT) for run in memory.runs()]


def test_the_journal_lists_each_ingest_once_with_every_shards_skips(
    tmp_path: Path, owner: Callable[..., Any], make_shards: Callable[..., Any]
) -> None:
    export = _export(tmp_path)
    shards = make_shards(tmp_path / "shards", 2, "journal")
    with Memory.init(tmp_path / "embedded") as embedded, owner(tmp_path / "owner", shards) as ray:
        theirs, mine = embedded.ingest(export), ray.ingest(export)
        assert mine.skipped_count == theirs.skipped_count >= 2
        assert all(s.memory.runs() for s in shards), "both shards ingested a part"
        (run,) = ray.runs()
        assert run["id"] == mine.run_id and run["ended_at"] >= run["started_at"]
        assert _runs(ray) == _runs(embedded)
        assert sorted(ray.run_errors(mine.run_id)) == sorted(embedded.run_errors(theirs.run_id))
        assert {Path(f).name for f, _p, _r in ray.run_errors(mine.run_id)} == {
            "conversations.json",
            "WhatsApp Chat with Ann.txt",
        }
        # again: the shards' journals pass over what they hold, as one machine's does
        embedded.ingest(export)
        ray.ingest(export)
        assert _runs(ray) == _runs(embedded) and ray.stats().runs == 2
        assert ray.run_errors(12345) == embedded.run_errors(12345) == []
        # forgetting a file takes its skipped records from the journal; forgetting the
        # folder takes its name from the runs, here (the owner's rows) as there
        for memory in (embedded, ray):
            memory.forget_file(export / "WhatsApp Chat with Ann.txt")
        assert sorted(ray.run_errors(mine.run_id)) == sorted(embedded.run_errors(theirs.run_id))
        assert len(ray.run_errors(mine.run_id)) < mine.skipped_count
        for memory in (embedded, ray):
            memory.forget_file(export)
        assert _runs(ray) == _runs(embedded)
        assert str(export) not in str(ray.runs())
