"""Twitter / X archive: data/tweets.js, direct-messages.js, like.js in the archive's own
shape (see data/twitter/make_twitter_archive.py), in an archive zip, and damage."""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.archive import ArchiveSource
from lifelog.sources.social.twitter import TwitterSource

SOURCE = TwitterSource()
DATA = Path(__file__).parent / "data" / "twitter" / "data"


def test_posts_with_entities_decoded_and_links_expanded() -> None:
    path = DATA / "tweets.js"
    found = detect(path)
    assert found is not None and found.name == "twitter"
    items, skips = split_records(SOURCE, path)
    assert skips == []
    assert [i.key for i in items] == [
        "tweet/2024773764576059625",
        "tweet/2024771320370598323",
        "tweet/2024770905415573725",
        "tweet/2024767818445504644",
    ]
    assert items[0].text == "오늘 한강에서 자전거를 탔어요. 날씨가 정말 좋았어요!"
    assert items[0].timestamp == datetime(2026, 2, 20, 9, 10, 58, tzinfo=UTC)
    assert items[0].author == "Me" and items[0].kind == "post"
    assert items[0].title == "@milahu104"  # from account.js beside it
    assert items[1].text == "Пирожки & чай на даче у бабушки https://example.org/dacha"
    assert items[2].text == "@SamaHoole > شكرا جزيلا على الوصفة"
    assert items[2].thread == "twitter:2024769507634360660"
    assert "@SamaHoole" in items[2].participants
    assert items[3].metadata["retweet"] is True and "北京的春天" in items[3].text


def test_direct_messages_name_the_account_as_me() -> None:
    items, skips = split_records(SOURCE, DATA / "direct-messages.js")
    assert skips == []
    assert [i.author for i in items] == ["2846154391", "Me", "1442698504770555906"]
    assert items[1].text == "내일 오후 세 시에 카페에서 만나요"
    assert items[0].thread == items[1].thread != items[2].thread
    assert items[2].text == "[media: https://ton.twitter.com/dm/1/photo.jpg]"
    assert items[0].timestamp == datetime(2026, 2, 9, 22, 38, 11, 458000, tzinfo=UTC)


def test_likes_and_files_not_read() -> None:
    (like,) = [r for r in SOURCE.parse(DATA / "like.js") if isinstance(r, Item)]
    assert like.kind == "like" and like.text == "我们明天去长城吧 <3" and like.timestamp is None
    assert detect(DATA / "account.js") is None


def test_long_posts_and_bookmarks() -> None:
    (note,) = [r for r in SOURCE.parse(DATA / "note-tweet.js") if isinstance(r, Item)]
    assert note.kind == "post" and note.metadata["long_post"] is True
    assert len(note.text) > 280 and "这是一篇长文。" in note.text
    assert note.timestamp == datetime(2026, 2, 18, 7, 0, tzinfo=UTC)
    (mark,) = [r for r in SOURCE.parse(DATA / "bookmark.js") if isinstance(r, Item)]
    assert mark.kind == "bookmark" and mark.text == "Рецепт борща"


def test_the_archive_zip_gives_the_same_posts(tmp_path: Path) -> None:
    archive = tmp_path / "twitter-2026-02-20-abc.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in DATA.iterdir():
            out.write(path, f"data/{path.name}")
        out.writestr("Your archive.html", "<html></html>")
    records = list(ArchiveSource().parse(archive))
    items = [r for r in records if isinstance(r, Item)]
    names = ("tweets.js", "direct-messages.js", "like.js", "note-tweet.js", "bookmark.js")
    direct = [r for n in names
              for r in SOURCE.parse(DATA / n) if isinstance(r, Item)]  # fmt: skip
    assert sorted(i.id for i in items if i.source == "twitter") == sorted(i.id for i in direct)


def test_damaged_files_keep_what_came_before(tmp_path: Path) -> None:
    data = (DATA / "tweets.js").read_text(encoding="utf-8")
    cut = tmp_path / "tweets.js"
    cut.write_text(data[: data.index("2024770905415573725") + 400], encoding="utf-8")
    items, skips = split_records(SOURCE, cut)
    assert len(items) == 2 and len(skips) == 1 and "rest is not read" in skips[0].reason
    odd = tmp_path / "odd" / "tweets.js"
    odd.parent.mkdir()
    odd.write_text(
        'window.YTD.tweets.part0 = [ {"tweet": {"full_text": "no id"}}, 5, {"tweet": 3},'
        ' {"tweet": {"id_str": "7", "full_text": "ok", "created_at": "Mon Feb 30 1:00 2026"}} ]',
        encoding="utf-8",
    )
    items, skips = split_records(SOURCE, odd)
    assert [i.key for i in items] == ["tweet/7"] and items[0].timestamp is None
    assert [s.position for s in skips] == ["tweets 1", "tweets 2", "tweets 3"]


def test_not_an_archive_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "tweets.js"
    path.write_text("var x = 1;", encoding="utf-8")
    assert detect(path) is None
    with pytest.raises(Exception, match="tweets.js"):
        list(SOURCE.parse(path))


def test_a_huge_post_and_a_nesting_bomb(tmp_path: Path) -> None:
    path = tmp_path / "tweets.js"
    shutil.copy(DATA / "tweets.js", path)
    data = path.read_text(encoding="utf-8")
    huge = '{"tweet": {"id_str": "9", "full_text": "' + "字" * 300_000 + '"}}, '
    bomb = '{"tweet": ' + "[" * 50_000 + "]" * 50_000 + "}, "
    path.write_text(data.replace("[\n", "[\n" + huge + bomb, 1), encoding="utf-8")
    items, skips = split_records(SOURCE, path)
    assert [len(i.text) for i in items][:1] == [300_000] and len(items) == 5
    assert [s.position for s in skips] == ["tweets 2"] and "deep" in skips[0].reason


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 6000), st.binary(max_size=200))
def test_mutated_files_never_crash(cut: int, junk: bytes) -> None:
    import tempfile

    good = (DATA / "direct-messages.js").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "direct-messages.js"
        path.write_bytes(good[: cut % (len(good) + 1)] + junk)
        records = assert_parses_or_names_file(SOURCE, path)
        assert all(not isinstance(r, Skip) or r.file == str(path) for r in records)
