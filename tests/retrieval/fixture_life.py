"""A small chat history and a few notes: the fixture corpus of the golden rankings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lifelog import Item, Memory

NOW = datetime(2023, 10, 23, 12, tzinfo=UTC)


def chat(thread: str, start: datetime, turns: list[tuple[str, str]]) -> list[Item]:
    return [
        Item(
            source="whatsapp",
            key=f"{thread}/{n}",
            kind="message",
            author=author,
            participants=("Alice Moreau", "Bob"),
            thread=thread,
            text=text,
            timestamp=start + timedelta(minutes=n),
            metadata={"turn": f"{thread}:{n}"},
        )
        for n, (author, text) in enumerate(turns, start=1)
    ]


LIFE = [
    *chat(
        "s1",
        datetime(2023, 5, 8, 18, tzinfo=UTC),
        [
            ("Bob", "Hey Alice! How was the concert yesterday?"),
            ("Alice Moreau", "Amazing! The band played for three hours and I danced all night."),
            ("Bob", "So jealous. I stayed home and painted the fence."),
            ("Alice Moreau", "Ha, next time you come with me."),
        ],
    ),
    *chat(
        "s2",
        datetime(2023, 8, 14, 9, tzinfo=UTC),
        [
            ("Alice Moreau", "Hi Bob, what genre is the book you are writing?"),
            ("Bob", "A mix of mystery and romance, set in Lisbon."),
            ("Alice Moreau", "Last week I went camping by the lake with my sister."),
            ("Bob", "Lovely. Did you see the concert posters in town?"),
        ],
    ),
    *chat(
        "s3",
        datetime(2022, 3, 10, 20, tzinfo=UTC),
        [
            ("Bob", "Alice, I went to a jazz concert tonight, what a band."),
            ("Alice Moreau", "Nice! I was painting all evening."),
        ],
    ),
    Item(
        source="notes",
        key="fence.md",
        kind="note",
        title="Fence",
        text="Painted the fence green. Two coats needed.",
        timestamp=datetime(2023, 5, 7, 10, tzinfo=UTC),
    ),
    Item(
        source="notes",
        key="march.md",
        kind="note",
        title="Garden",
        text="Planted tomatoes in the garden.",
        timestamp=datetime(2023, 3, 12, 10, tzinfo=UTC),
    ),
    Item(
        source="notes",
        key="march-old.md",
        kind="note",
        title="Garden",
        text="Planted tomatoes and basil in the garden.",
        timestamp=datetime(2021, 3, 12, 10, tzinfo=UTC),
    ),
]


@contextmanager
def stored(path: Path, items: Sequence[Item]) -> Iterator[Memory]:
    """A new memory at ``path`` holding ``items``."""
    with Memory.init(path) as memory:
        memory.store.upsert(items, origin=None, run_id=None)
        yield memory
