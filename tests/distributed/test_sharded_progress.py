"""Per-file ingest progress on a real Ray cluster on loopback: the shards' progress is
streamed back while they ingest, and the progress the CLI draws its bar from (start,
each file, bytes and items, finish) is the embedded backend's over the same files.

Before, a distributed ingest reported no progress at all until the shards were done."""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from lifelog import Memory
from lifelog.cli import RichProgress
from lifelog.ingest import Progress
from lifelog.samplelife import generate


class Recorder(Progress):
    """Every event, files with the time they came."""

    def __init__(self, bar: Progress) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.bar = bar

    def start(self, total_bytes: int, files: int) -> None:
        self.events.append(("start", total_bytes, files))
        self.bar.start(total_bytes, files)

    def file(self, path: Path, source: str) -> None:
        self.events.append(("file", str(path), source, time.monotonic()))
        self.bar.file(path, source)

    def advance(self, nbytes: int, items: int) -> None:
        self.events.append(("advance", nbytes, items))
        self.bar.advance(nbytes, items)

    def finish(self) -> None:
        self.events.append(("finish",))
        self.bar.finish()

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [e for e in self.events if e[0] == kind]


def _bar() -> RichProgress:
    return RichProgress(Console(file=io.StringIO(), force_terminal=True, width=120))


def test_the_shards_stream_per_file_progress_as_one_machine_reports_it(
    loopback: Any, on_ray: Callable[..., Any], tmp_path: Path
) -> None:
    life = generate(tmp_path / "life", scale=0.15)
    embedded = Memory.init(tmp_path / "embedded")
    theirs = Recorder(_bar())
    expected = embedded.ingest(life.root, progress=theirs)
    ray = on_ray(tmp_path / "ray", loopback.address, shards=2)
    try:
        cluster = ray.cluster
        call, done = cluster.call, {}

        def timed(n: int, method: str, *args: Any, **options: Any) -> Any:
            found = call(n, method, *args, **options)
            if method == "ingest":  # when each shard's ingest came back to the owner
                done[n] = time.monotonic()
            return found

        cluster.call = timed
        mine = Recorder(_bar())
        report = ray.ingest(life.root, progress=mine)
        held = cluster.tell("held", [e[1] for e in mine.of("file")])
    finally:
        ray.close()
        embedded.close()
    assert report.added == expected.added
    # the same progress as one machine's: the job's bytes and files, each file once with
    # its source, every byte and item counted, one finish at the end
    assert mine.of("start") == theirs.of("start") == [("start", *mine.of("start")[0][1:])]
    total_bytes, files = mine.of("start")[0][1:]
    assert files == len(theirs.of("file")) > 20
    assert Counter(e[1:3] for e in mine.of("file")) == Counter(e[1:3] for e in theirs.of("file"))
    for recorded in (mine, theirs):
        assert sum(e[1] for e in recorded.of("advance")) == total_bytes
        assert sum(e[2] for e in recorded.of("advance")) == sum(e[2] for e in theirs.of("advance"))
        assert recorded.events[0][0] == "start" and recorded.events[-1] == ("finish",)
    # streamed while the shards ingest: each shard's files were shown before its ingest
    # came back (with its report, where a report of each shard's end would be shown)
    assert sorted(done) == sorted(n for n, paths in held.items() if paths) == [0, 1]
    for n, paths in held.items():
        shown = [e[3] for e in mine.of("file") if e[1] in paths]
        assert len(shown) == len(paths) and min(shown) < done[n], n
    # the CLI's bar, drawn from it, ends as one machine's: every byte, the same items
    assert isinstance(mine.bar, RichProgress) and isinstance(theirs.bar, RichProgress)
    mine_task, theirs_task = mine.bar.progress.tasks[0], theirs.bar.progress.tasks[0]
    assert mine_task.completed == theirs_task.completed == mine_task.total
    assert mine_task.fields["items"] == theirs_task.fields["items"] > 0
    assert mine_task.fields["label"] == theirs_task.fields["label"] == "done"
