"""Org-mode: headlines, planning, drawers, tags and keywords; real samples; broken files."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import records_of, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.notes.org import OrgSource, parse_org_timestamp

SOURCE = OrgSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def write(directory: Path, text: str | bytes, name: str = "notes.org") -> Path:
    path = directory / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- the real samples ------------------------------------------------------------------


def test_sample_headlines_drawers_keywords(samples: Path) -> None:
    path = samples / "org" / "headlines_drawers_keywords.org"
    assert isinstance(detect(path), OrgSource)
    items, skips = parse(path)
    assert skips == []
    by_title = {i.title: i for i in items}
    assert items[0].title == "Simple Headline"  # the cookie [1/2] is not part of the title
    assert items[0].text.startswith("* Simple Headline [1/2]\n- [X] checked")
    todo = by_title["Headline with todo status & priority"]
    assert (todo.metadata["todo"], todo.metadata["priority"]) == ("TODO", "B")
    done = by_title["Headline with TODO status"]
    assert done.key == "headlines_drawers_keywords.org/this-will-be-the-id-of-the-headline"
    assert done.metadata["properties"]["note"].startswith("property drawers")
    tagged = by_title["Headline with tags & priority"]
    assert tagged.metadata["tags"] == ["foo", "bar"]
    assert tagged.metadata["drawers"] == ["DRAWERNAME"]
    assert "This is inside the drawer" in tagged.text
    assert by_title["commented headline"].metadata["commented"] is True
    assert "properties" not in by_title["malformed property drawer"].metadata
    deep = "level limit for headlines to be included in the table of contents"
    assert f"{deep} / headline 2 not in toc / headline 3 not in toc" in by_title
    assert by_title[f"{deep} / headline 2 not in toc"].metadata["level"] == 2
    # "#+SETUPFILE" / "#+OPTIONS" only: no preamble item
    assert not any(i.key.endswith("#preamble") for i in items)


def test_sample_planning_and_ranges(samples: Path) -> None:
    items, _ = parse(samples / "org" / "scheduled_deadline_clock_ranges.org")
    first, plain, second, ranged, nodate = items
    assert first.timestamp == at(2010, 8, 8, 18, 0)  # CLOSED wins
    assert first.metadata["scheduled"] == "2010-08-06T00:00:00+00:00"
    assert first.metadata["deadline"] == "2010-08-10T00:00:00+00:00"
    assert first.metadata["properties"] == {"Effort": "1:10"}
    assert "CLOCK: [2010-08-08 Sun 17:40]" in first.text
    assert (first.key, second.key) == (
        "scheduled_deadline_clock_ranges.org/A node with a lot of attributes",
        "scheduled_deadline_clock_ranges.org/A node with a lot of attributes #2",
    )
    assert ranged.timestamp == at(2019, 9, 6, 10, 0)  # DEADLINE with a time range
    assert "deadline" not in plain.metadata and "deadline" not in nodate.metadata


def test_sample_repeated_task_and_unicode_tags(samples: Path) -> None:
    (task,), _ = parse(samples / "org" / "repeated_task_state_log.org")
    assert task.timestamp == at(2005, 10, 1) and task.metadata["todo"] == "TODO"
    assert 'State "DONE"  from "TODO"  [2005-09-01 Thu 16:10]' in task.text
    items, _ = parse(samples / "org" / "tags_unicode_aligned.org")
    tags = {i.title: i.metadata.get("tags") for i in items}
    assert tags["unicode"] == ["ёж", "tag", "háček"]
    assert tags["Node 5"] == ["@_"]
    assert tags["Heading: :with:colon:"] == ["tag"]


# -- made-up files ---------------------------------------------------------------------


def test_keywords_inheritance_blocks_and_dates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "#+TITLE: Journal\n#+AUTHOR: Me\n#+DATE: <2023-01-01 Sun>\n#+FILETAGS: :life:\n"
        "#+TODO: NEXT WAIT | DONE CANCELLED\n"
        "Some words before any headline.\n"
        "* Trips :travel:\n"
        "** NEXT Book camping [#A]\n"
        ":PROPERTIES:\n:ID: 1234-abcd\n:CREATED: [2023-05-02 Tue 08:00]\n:END:\n"
        "#+BEGIN_SRC python\n* not a headline\n#+END_SRC\n"
        "** Beach with Melanie\n"
        "We went to the beach <2023-06-19 Mon 14:00> and swam.\n"
        "*bold* is not a headline either\n",
    )
    items, skips = parse(path)
    assert skips == []
    preamble, trips, book, beach = items
    assert preamble.title == "Journal" and preamble.key == "notes.org/#preamble"
    assert preamble.timestamp == at(2023, 1, 1) and preamble.author == "Me"
    assert trips.metadata["tags"] == ["travel", "life"]
    assert book.key == "notes.org/1234-abcd"
    assert book.metadata["todo"] == "NEXT" and book.title == "Trips / Book camping [#A]"
    assert book.metadata["tags"] == ["travel", "life"]
    assert book.timestamp == at(2023, 5, 2, 8, 0)  # the CREATED property
    assert "* not a headline" in book.text
    assert beach.timestamp == at(2023, 6, 19, 14, 0)
    assert beach.text.endswith("*bold* is not a headline either")
    assert beach.locator == "line 16" and beach.uri and beach.uri.endswith("#line 16")


def test_broken_files(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        b"* caf\xe9 latin-1\n#+BEGIN_QUOTE\nnever closed\n* inside the block\n"
        + b"x" * 100
        + b"\x00\n",
    )
    items, skips = parse(path)
    assert len(items) == 1
    assert items[0].metadata["encoding_errors"] is True and "caf\ufffd" in items[0].title
    assert "\x00" not in items[0].text
    assert skips[0].position == "line 1" and "never ends" in skips[0].reason
    with pytest.raises(SourceError, match="gone.org"):
        list(SOURCE.parse(tmp_path / "gone.org"))
    assert parse(write(tmp_path, "", "empty.org")) == ([], [])


def test_timestamps() -> None:
    assert parse_org_timestamp("<2010-08-06 Fri>") == (at(2010, 8, 6), True)
    assert parse_org_timestamp("[2010-08-08 Sun 18:00]") == (at(2010, 8, 8, 18), False)
    assert parse_org_timestamp("<2005-10-01 Sat 09:30 +1m -3d>") == (at(2005, 10, 1, 9, 30), True)
    assert parse_org_timestamp("<2019-08-10 Sa. 16:30-17:30>") == (at(2019, 8, 10, 16, 30), True)
    assert parse_org_timestamp("<2021-02-30 Tue>") is None
    assert parse_org_timestamp("no date") is None


def test_keys_do_not_depend_on_the_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = parse(write(tmp_path / "a", "* Same\n"))[0][0]
    two = parse(write(tmp_path / "b", "* Same\n"))[0][0]
    assert one.id == two.id


LINES = st.sampled_from(
    [
        "* h",
        "** TODO [#A] x :t:",
        "*",
        "SCHEDULED: <2020-01-01 Wed>",
        ":PROPERTIES:",
        ":END:",
        ":ID: x",
        ":LOGBOOK:",
        "#+BEGIN_SRC",
        "#+END_SRC",
        "#+TITLE: t",
        "#+TODO: A | B",
        "CLOSED: [2020-13-40 Xyz 25:99]",
        "<2020-02-30>",
        "#+FILETAGS: :a:b:",
        "text",
    ]
)


@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(LINES, st.text(max_size=40)), max_size=40))
def test_arbitrary_files_never_crash(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.org"
        path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        records_of(SOURCE, path)
