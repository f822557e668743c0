"""Markdown and text notes: front matter, tags, wikilinks, and broken files."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources.base import read_head
from lifelog.sources.notes import notes
from lifelog.sources.notes.notes import NotesSource, parse_front_matter, parse_note_date

SOURCE = NotesSource()


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def one(path: Path) -> Item:
    items, skips = parse(path)
    assert skips == [] and len(items) == 1
    return items[0]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the real samples ------------------------------------------------------------------


def test_sample_flow_list_tags(samples: Path) -> None:
    path = samples / "obsidian" / "frontmatter_flow_list_tags.md"
    assert SOURCE.sniff(path, read_head(path))
    note = one(path)
    assert note.metadata["tags"] == ["export", "no-export", "private"]
    assert note.text == "tags: [export, no-export, private]\n\nA private note\n"
    assert note.title == "frontmatter_flow_list_tags" and note.kind == "note"
    assert note.key == "samples/obsidian/frontmatter_flow_list_tags.md"


def test_sample_offset_datetimes(samples: Path) -> None:
    note = one(samples / "obsidian" / "frontmatter_offset_datetimes.md")
    assert note.title == "A Blog Post in 2020"
    # no "date" key: the first key ending in "date" (start_date, +02:00)
    assert note.timestamp == datetime(2021, 10, 1, 0, 0, tzinfo=UTC)
    assert note.metadata["properties"]["draft"] == "true"
    assert note.text.startswith("# A Blog Post in 2020\n")
    assert "tags" not in note.metadata  # `= this.x` is code, "# A Blog" a heading


def test_sample_recipe(samples: Path) -> None:
    note = one(samples / "obsidian" / "frontmatter_recipe_tasks.md")
    assert note.title == "Peanut Butter and Jelly"
    assert note.timestamp == datetime(2021, 12, 11, tzinfo=UTC)
    assert note.metadata["properties"] == {
        "cuisine": "American",
        "needsStove": "false",
        "thoughtOfDate": "2021-12-11",
    }
    assert note.text.endswith("1. Go hog wild")


def test_sample_wikilinks(samples: Path) -> None:
    note = one(samples / "obsidian" / "wikilinks_variants.md")
    # alias and #heading stripped, case-duplicates merged, code and unclosed links ignored
    assert note.metadata["links"] == [
        "pure-markdown-examples",
        "uppercased-note",
        "_underscored-note",
    ]
    assert "embeds" not in note.metadata


def test_sample_embeds(samples: Path) -> None:
    note = one(samples / "obsidian" / "embeds_variants.md")
    expected = ["note-with-frontmatter", "non-existing note", "white.png", "bulb.svg", "note.pdf"]
    assert note.metadata["embeds"] == expected and note.metadata["links"] == expected


# -- front matter ----------------------------------------------------------------------


def test_front_matter_subset(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Trip.md",
        "---\n"
        'title: "Peneda-Gerês: camping"\n'
        "created: 2023-06-19T18:30:00+01:00\n"
        "tags:\n"
        "  - travel\n"
        "  - '#family'\n"
        'aliases: [Gerês trip, "Camping, 2023"]\n'
        "id: 20230619\n"
        "nested:\n"
        "  key: value\n"
        "summary: |\n"
        "  two\n"
        "  lines\n"
        "# a comment\n"
        "---\n"
        "We camped by the lake. #summer #2023 #kids/older\n",
    )
    note = one(path)
    assert note.title == "Peneda-Gerês: camping"
    assert note.timestamp == datetime(2023, 6, 19, 17, 30, tzinfo=UTC)
    assert note.metadata["tags"] == ["travel", "family", "summer", "kids/older"]
    assert note.metadata["aliases"] == ["Gerês trip", "Camping, 2023"]
    assert note.metadata["properties"] == {"summary": "two\nlines"}
    assert note.key == "Trip.md/20230619"
    assert note.text == (
        "tags:\n  - travel\n  - '#family'\nWe camped by the lake. #summer #2023 #kids/older\n"
    )


def test_comma_string_tags_and_heading_title(tmp_path: Path) -> None:
    note = one(write(tmp_path, "n.md", "---\ntags: work, ideas\n---\n# Plans\ntext\n"))
    assert note.metadata["tags"] == ["work", "ideas"] and note.title == "Plans"


def test_unclosed_front_matter_is_body(tmp_path: Path) -> None:
    note = one(write(tmp_path, "n.md", "---\ntitle: x\nno end\n"))
    assert note.title == "n" and note.text == "---\ntitle: x\nno end\n"


def test_no_date_uses_mtime(tmp_path: Path) -> None:
    path = write(tmp_path, "plain.txt", "just text\n")
    stamp = datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC).timestamp()
    import os

    os.utime(path, (stamp, stamp))
    note = one(path)
    assert note.timestamp == datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert note.metadata["format"] == "text" and note.title == "plain"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2021-11-01T01:00:00[Europe/Paris]", datetime(2021, 11, 1, 0, 0, tzinfo=UTC)),
        ("2021-10-01T13:00:00-10:00", datetime(2021, 10, 1, 23, 0, tzinfo=UTC)),
        ("2023-01-05T10:00:00Z", datetime(2023, 1, 5, 10, 0, tzinfo=UTC)),
        ("'2023-01-05 10:00'", datetime(2023, 1, 5, 10, 0, tzinfo=UTC)),
        ("December 11, 2021", datetime(2021, 12, 11, tzinfo=UTC)),
        ("2021-01-01T01:00[America]", datetime(2021, 1, 1, 1, 0, tzinfo=UTC)),
        ("0001-01-01T00:00:00+01:00", None),
        ("not a date", None),
        ("2021-13-45", None),
    ],
)
def test_note_dates(value: str, expected: datetime | None) -> None:
    assert parse_note_date(value) == expected


def test_parse_front_matter_ignores_what_it_does_not_understand() -> None:
    parsed = parse_front_matter(["key: [a, 'b, c']", "  stray indented", "- loose", "x", ": y"])
    assert parsed == {"key": ["a", "b, c"]}


# -- body scanning ---------------------------------------------------------------------


def test_tags_not_in_code_headings_or_urls(tmp_path: Path) -> None:
    note = one(
        write(
            tmp_path,
            "t.md",
            "# Heading\n"
            "## Heading with a #heading-tag\n"
            "Real #tag and `#inline-code` and https://x.org/page#anchor and [a](#link)\n"
            "```\n#in-code\n[[in-code-link]]\n```\n"
            "~~~python\n#comment\n~~~\n"
            "issue #123 and #tag again and #Tag\n",
        )
    )
    assert note.metadata["tags"] == ["heading-tag", "tag"]
    assert "links" not in note.metadata


# -- broken files ----------------------------------------------------------------------


def test_invalid_utf8_is_kept_with_a_flag(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes(b"# Caf\xe9\nna\xefve text\n")
    note = one(path)
    assert note.metadata["encoding_errors"] is True
    assert note.title == "Caf\ufffd" and "na\ufffdve" in note.text


def test_binary_file_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "image.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    items, skips = parse(path)
    assert items == [] and len(skips) == 1
    assert skips[0].file == str(path) and "binary" in skips[0].reason


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes("hello from notepad #win".encode("utf-16"))  # with a BOM
    note = one(path)
    assert note.text == "hello from notepad #win" and note.metadata["tags"] == ["win"]


def test_long_note_is_truncated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notes, "MAX_BYTES", 100)
    note = one(write(tmp_path, "long.md", "é" * 200))
    assert note.metadata["truncated"] is True and note.text == "é" * 50
    assert "encoding_errors" not in note.metadata


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="gone.md"):
        list(SOURCE.parse(tmp_path / "gone.md"))


# -- keys and detection ----------------------------------------------------------------


def test_key_is_relative_to_an_obsidian_vault(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "a").mkdir()
    (vault / "b").mkdir()
    first = one(write(vault / "a", "index.md", "one"))
    second = one(write(vault / "b", "index.md", "two"))
    assert (first.key, second.key) == ("a/index.md", "b/index.md")
    loose = one(write(tmp_path, "index.md", "three"))
    assert loose.key == f"{tmp_path.parent.name}/{tmp_path.name}/index.md"


def test_loose_notes_of_the_same_name_in_two_folders_stay_apart(tmp_path: Path) -> None:
    (tmp_path / "2023").mkdir()
    (tmp_path / "2024").mkdir()
    first = one(write(tmp_path / "2023", "todo.md", "one"))
    second = one(write(tmp_path / "2024", "todo.md", "two"))
    assert first.key == f"{tmp_path.name}/2023/todo.md"
    assert second.key == f"{tmp_path.name}/2024/todo.md"


def test_sniff(tmp_path: Path) -> None:
    chat = write(tmp_path, "chat.txt", "31/12/2019, 22:15 - Ann: hi\n")
    text = write(tmp_path, "todo.txt", "buy milk\n")
    other = write(tmp_path, "data.csv", "a,b\n")
    assert not SOURCE.sniff(chat, read_head(chat))
    assert SOURCE.sniff(text, read_head(text))
    assert not SOURCE.sniff(other, read_head(other))


@settings(max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "---\n",
                    "tags: [a, b\n",
                    "- x\n",
                    "date: 2020-01-01\n",
                    "date: 0001-01-01T00:00:00+01:00\n",
                    "created: 2021-01-01T01:00[America]\n",
                    "#tag ",
                    "[[x|y]]",
                    "![[e]]",
                    "```\n",
                    "`",
                    "title: 'x\n",
                    "\x00",
                    "\r",
                ]
            ),
            st.text(max_size=20),
        ),
        max_size=30,
    ),
    raw=st.binary(max_size=200),
)
def test_arbitrary_input_never_raises(text: list[str], raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.md"
        for data in ("".join(text).encode("utf-8", "surrogatepass"), raw):
            path.write_bytes(data)
            records = list(SOURCE.parse(path))
            assert len(records) == 1 and isinstance(records[0], Item | Skip)
