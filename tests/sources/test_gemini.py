"""Gemini (Bard) conversations from Takeout's My Activity (see data/gemini/): prompts and
answers, localized headers, other activity, inside the Takeout zip; damage."""

from __future__ import annotations

import json
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.archive import ArchiveSource
from lifelog.sources.assistants.gemini import GeminiSource

SOURCE = GeminiSource()
FILE = Path(__file__).parent / "data" / "gemini" / "My Activity" / "Gemini Apps" / "MyActivity.json"


def test_prompts_and_answers_in_five_scripts() -> None:
    found = detect(FILE)
    assert found is not None and found.name == "gemini"  # not takeout_activity
    items, skips = split_records(SOURCE, FILE)
    assert skips == []
    assert [(i.author, i.kind) for i in items][:2] == [("Me", "message"), ("Gemini", "message")]
    prompt, answer = items[0], items[1]
    assert prompt.text == "제주도 여행에 무엇을 챙겨야 할까요?"
    assert prompt.timestamp == datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert answer.text.startswith("비옷과 편한 신발을 챙기세요.")
    assert "선크림" in answer.text and "https://www.visitjeju.net/en" in answer.text
    assert prompt.thread == answer.thread == "gemini:https://gemini.google.com/app/d83053a82f419e50"
    russian = items[3]
    assert "свёкла" in russian.text and "Варите 2 часа." in russian.text
    assert items[2].text == "Как сварить борщ?\n[attached: рецепт.pdf]"
    assert "الاجتماع غداً" in items[5].text and "会議は明日" in items[4].text
    gem = items[6]
    assert gem.kind == "activity" and gem.text == "Created Gem 中文老师"
    assert items[-1].text == "北京烤鸭和炸酱面。" and items[-1].author == "Gemini"  # Bard, 2023
    assert len({i.id for i in items}) == len(items) == 9


def test_the_html_form_gives_prompts_and_answers() -> None:
    html = FILE.with_suffix(".html")
    found = detect(html)
    assert found is not None and found.name == "gemini"
    items, skips = split_records(SOURCE, html)
    assert [i.author for i in items] == ["Me", "Gemini"] * 3
    assert items[0].text == "제주도 여행에 무엇을 챙겨야 할까요?"
    assert items[0].timestamp == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert items[1].text.startswith("비옷과 편한 신발을 챙기세요.") and "선크림" in items[1].text
    assert "свёкла" in items[3].text and "2 часа" in items[3].text
    assert items[2].timestamp == datetime(2024, 4, 30, 18, 30, tzinfo=UTC)  # CEST
    assert "会议在明天" in items[5].text
    (skip,) = skips  # a date that cannot be read (30 February): named, the rest goes on
    assert skip.position == "record 4" and "unreadable date" in skip.reason


def test_generic_activity_files_are_still_the_activity_readers(tmp_path: Path) -> None:
    search = tmp_path / "MyActivity.json"
    search.write_text(
        json.dumps(
            [{"header": "Search", "title": "Searched for kimchi", "time": "2024-01-01T00:00:00Z"}]
        ),
        encoding="utf-8",
    )
    found = detect(search)
    assert found is not None and found.name == "takeout_activity"


def test_inside_the_takeout_zip(tmp_path: Path) -> None:
    takeout = tmp_path / "takeout-20240502T000000Z-001.zip"
    with zipfile.ZipFile(takeout, "w") as out:
        out.write(FILE, "Takeout/My Activity/Gemini Apps/MyActivity.json")
    items = [r for r in ArchiveSource().parse(takeout) if isinstance(r, Item)]
    direct = [r for r in SOURCE.parse(FILE) if isinstance(r, Item)]
    assert [i.id for i in items] == [i.id for i in direct]
    assert {i.source for i in items} == {"gemini"}


def test_odd_records_and_a_cut_file(tmp_path: Path) -> None:
    path = tmp_path / "MyActivity.json"
    path.write_text(
        '[{"header": "Gemini Apps", "title": "Prompted hi", "time": "never"}, 7,'
        ' {"header": "Gemini Apps", "title": "Prompted x", "time": "2024-01-01T00:00:00Z",'
        ' "safeHtmlItem": [{"html": 5}, "y", {"html": "<p>ok</p>"}], "attachedFiles": [1]},'
        ' {"header": "Gemini Apps", "title": "Prompted cut',
        encoding="utf-8",
    )
    items, skips = split_records(SOURCE, path)
    assert [i.text for i in items] == ["x", "ok"]
    assert [s.position for s in skips][:2] == ["record 1", "record 2"]
    assert "rest is not read" in skips[-1].reason


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 4000), st.binary(max_size=200))
def test_mutated_files_never_crash(cut: int, junk: bytes) -> None:
    good = FILE.read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "MyActivity.json"
        path.write_bytes(good[: cut % (len(good) + 1)] + junk)
        records = assert_parses_or_names_file(SOURCE, path)
        assert all(not isinstance(r, Skip) or r.file == str(path) for r in records)
