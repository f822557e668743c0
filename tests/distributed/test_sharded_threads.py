"""A message in its thread and a recurring event folded, on a real Ray cluster on
loopback: the same as the embedded backend over the same files, with a chat and a
weekly event each exported twice (two halves), so that each lies on both shards.

Before, the web, REST and the CLI read the thread window and the series' sizes from
the owner's own store, which holds no items on the distributed backend."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from starlette.testclient import TestClient

from lifelog import Memory
from lifelog.commands.threads import print_thread
from lifelog.samplelife import generate
from lifelog.server.app import create_app

CHAT = "whatsapp:Priya Shah"
SERIES = "ical:standup@example.org"
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
_MESSAGE = re.compile(r"^(\d+/\d+/\d+, \d+:\d+ [AP]M) - ")


def _split_chat(text: str) -> tuple[str, str]:
    """The chat in two halves, cut where the minute changes (messages of one minute on
    two shards would be ordered by shard, not as stored: see docs/scale.md)."""
    lines = text.splitlines(keepends=True)
    previous = None
    for n in range(len(lines) // 2, len(lines)):
        found = _MESSAGE.match(lines[n])
        if found and previous is not None and found.group(1) != previous:
            return "".join(lines[:n]), "".join(lines[n:])
        if found:
            previous = found.group(1)
    raise AssertionError("no place to cut the chat")


def _calendar(start: str, description: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//lifelog tests//EN\r\n"
        "BEGIN:VEVENT\r\nUID:standup@example.org\r\n"
        f"DTSTART:{start}\r\nDURATION:PT15M\r\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=30\r\n"
        f"SUMMARY:Team standup\r\nDESCRIPTION:{description}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _exports(root: Path) -> Path:
    """Two exports of one chat (its halves) and of one weekly event (30 weeks each),
    sized so that placement (largest first, to the emptiest shard) splits both."""
    life = generate(root / "life", scale=0.15)
    name = "WhatsApp Chat with Priya Shah.txt"
    first, second = _split_chat((life.root / "whatsapp" / name).read_text())
    exports = root / "exports"
    for folder, text in (("a", first), ("b", second)):
        (exports / folder).mkdir(parents=True)
        (exports / folder / name).write_text(text)
    gap = abs(len(first.encode()) - len(second.encode()))
    notes = "Standing notes. " * (gap // 16 + 20)
    (exports / "a" / "work.ics").write_text(_calendar("20200106T090000Z", notes))
    (exports / "b" / "work.ics").write_text(_calendar("20200803T090000Z", "Moved."))
    shutil.copytree(life.root / "notes", exports / "notes")
    return exports


@pytest.fixture(scope="module")
def both(
    loopback: Any, on_ray: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Memory, Any]]:
    tmp = tmp_path_factory.mktemp("threads")
    exports = _exports(tmp)
    embedded = Memory.init(tmp / "embedded")
    embedded.ingest(exports)
    ray = on_ray(tmp / "ray", loopback.address, shards=2)
    ray.ingest(exports)
    yield embedded, ray
    ray.close()
    embedded.close()


def _thread_ids(memory: Memory, thread: str) -> list[str]:
    with memory.store.lock:
        rows = memory.store.conn.execute(
            "SELECT id FROM items WHERE thread = ? ORDER BY ts, rowid", (thread,)
        ).fetchall()
    return [r[0] for r in rows]


def test_each_thread_lies_on_both_shards(both: tuple[Memory, Any]) -> None:
    embedded, ray = both
    held = ray.item_ids()
    for thread in (CHAT, SERIES):
        ids = _thread_ids(embedded, thread)
        assert len(ids) > 40
        on = [n for n, mine in held.items() if set(mine) & set(ids)]
        assert on == [0, 1], thread
        assert sorted(i for mine in held.values() for i in mine if i in set(ids)) == sorted(ids)


def test_a_thread_window_is_one_machines(both: tuple[Memory, Any]) -> None:
    embedded, ray = both
    ids = _thread_ids(embedded, CHAT)
    held = ray.item_ids()
    first = set(next(mine for mine in held.values() if ids[0] in mine))
    cut = next(n for n, i in enumerate(ids) if i not in first)  # the second half's first
    pivots = {0, 1, 7, cut - 3, cut - 1, cut, cut + 1, cut + 4, len(ids) // 2, len(ids) - 1}
    for n in sorted(p for p in pivots if 0 <= p < len(ids)):
        for before, after in ((5, 5), (0, 50), (50, 0), (25, 25), (500, 500)):
            mine = ray.thread_window(ids[n], before=before, after=after)
            theirs = embedded.thread_window(ids[n], before=before, after=after)
            assert [i.id for i in mine.items] == [i.id for i in theirs.items], (n, before, after)
            assert (mine.thread, mine.earlier, mine.later, mine.total) == (
                theirs.thread,
                theirs.earlier,
                theirs.later,
                theirs.total,
            )
    assert ray.thread_window(ids[cut][:10], before=3, after=3).total == len(ids)  # a prefix
    alone = embedded.timeline(limit=1000)
    note = next(i for i in alone if i.thread is None)
    assert [i.id for i in ray.thread_window(note.id).items] == [note.id]


def test_surfaces_show_the_thread_and_fold_the_series(both: tuple[Memory, Any]) -> None:
    embedded, ray = both
    ids = _thread_ids(embedded, CHAT)
    assert (
        ray.thread_sizes([CHAT, SERIES, "no-such-thread"])
        == embedded.thread_sizes([CHAT, SERIES, "no-such-thread"])
        == {CHAT: len(ids), SERIES: 60}
    )
    middle = ids[len(ids) // 2]
    pages: dict[str, list[Any]] = {}
    for name, memory in (("embedded", embedded), ("ray", ray)):
        app = create_app(memory, token=TOKEN, port=8765)
        with TestClient(app, base_url="http://127.0.0.1:8765") as client:
            rest = client.get(f"/api/threads/{middle}", params={"before": 4}, headers=AUTH)
            web = client.get(f"/thread/{middle}", headers=AUTH)
            month = client.get("/timeline", params={"month": "2020-09"}, headers=AUTH)
        assert rest.status_code == web.status_code == month.status_code == 200, name
        out = io.StringIO()
        print_thread(memory, memory.get(middle), Console(file=out, width=200), before=3, after=3)
        pages[name] = [
            rest.json(),
            re.findall(r'data-item="([^"]+)"', web.text),
            month.text,
            out.getvalue(),
        ]
    assert pages["ray"][0] == pages["embedded"][0]
    assert pages["ray"][0]["total"] == len(ids) and len(pages["ray"][0]["items"]) == 30
    assert pages["ray"][1] == pages["embedded"][1] != []
    assert "weekly, 60 times" in pages["embedded"][2]
    assert "weekly, 60 times" in pages["ray"][2]
    assert pages["ray"][3] == pages["embedded"][3]
    assert f"{len(ids):,} messages" in pages["ray"][3]
