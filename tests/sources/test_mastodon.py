"""Mastodon archive: outbox.json, likes.json, bookmarks.json in the archive's own shape
(see data/mastodon/make_mastodon_archive.py), and damage."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.records import Skip
from lifelog.sources import detect
from lifelog.sources.social.mastodon import MastodonSource

SOURCE = MastodonSource()
DATA = Path(__file__).parent / "data" / "mastodon"


def test_posts_boosts_and_what_is_left_out() -> None:
    path = DATA / "outbox.json"
    found = detect(path)
    assert found is not None and found.name == "mastodon"
    items, skips = split_records(SOURCE, path)
    assert [i.kind for i in items] == ["post", "post", "post", "post", "boost"]
    first = items[0]
    assert first.text == "오늘은 부산에서 바다를 봤어요.\n\nhttps://example.org/busan-sea"
    assert first.timestamp == datetime(2022, 11, 8, 3, 7, 14, tzinfo=UTC)
    assert first.metadata["visibility"] == "public" and first.author == "Me"
    assert items[1].text == "@mcg Спасибо за рецепт борща!"
    assert "@mcg@social.lol" in items[1].participants
    assert items[1].metadata["reply_to"].endswith("109308078398027392")
    assert items[2].text == '"#caterday قطتي تنام على الأريكة"\n\n[image: 白い猫がソファで寝ている]'
    assert items[2].metadata["tags"] == ["#caterday"]
    assert items[3].text == "CW: 私信\n\n这是只给你看的消息。"
    assert items[3].metadata["visibility"] == "direct"
    assert items[4].text.startswith("Boosted: https://tilde.zone/")
    (left,) = skips
    assert left.reason == "1 Delete activities left out"


def test_likes_and_bookmarks_are_addresses() -> None:
    likes, skips = split_records(SOURCE, DATA / "likes.json")
    assert skips == [] and [i.kind for i in likes] == ["like", "like"]
    assert likes[0].metadata["url"].endswith("100532741303956178")
    (mark,) = [r for r in SOURCE.parse(DATA / "bookmarks.json")]
    assert mark.kind == "bookmark"  # type: ignore[union-attr]


def test_same_ids_from_a_renamed_copy(tmp_path: Path) -> None:
    copy = tmp_path / "mastodon-archive-2022.json"
    copy.write_bytes((DATA / "outbox.json").read_bytes())
    assert detect(copy) is not None
    a = [r.id for r in SOURCE.parse(DATA / "outbox.json") if not isinstance(r, Skip)]
    b = [r.id for r in SOURCE.parse(copy) if not isinstance(r, Skip)]
    assert a == b


def test_cut_and_odd_activities(tmp_path: Path) -> None:
    data = (DATA / "outbox.json").read_text(encoding="utf-8")
    cut = tmp_path / "outbox.json"
    cut.write_text(data[: data.index("109333840388857217") + 50], encoding="utf-8")
    items, skips = split_records(SOURCE, cut)
    assert len(items) == 2 and "rest is not read" in skips[-1].reason
    odd = tmp_path / "odd" / "outbox.json"
    odd.parent.mkdir()
    odd.write_text(
        '{"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection",'
        ' "orderedItems": [5, {"type": "Create", "object": {"type": "Note"}},'
        ' {"type": "Create", "object": {"type": "Note", "id": "x", "content": "<p></p>"}},'
        ' {"type": "Announce"}, {"type": "Create", "object": {"type": "Note", "id": "y",'
        ' "content": "<p>ok</p>", "published": "not a date"}}]}',
        encoding="utf-8",
    )
    items, skips = split_records(SOURCE, odd)
    assert [i.text for i in items] == ["ok"] and items[0].timestamp is None
    assert [s.position for s in skips] == ["item 1", "item 2", "item 3", "item 4"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 8000), st.binary(max_size=200))
def test_mutated_files_never_crash(cut: int, junk: bytes) -> None:
    good = (DATA / "outbox.json").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "outbox.json"
        path.write_bytes(good[: cut % (len(good) + 1)] + junk)
        records = assert_parses_or_names_file(SOURCE, path)
        assert all(not isinstance(r, Skip) or r.file == str(path) for r in records)
