"""Reddit data export: posts.csv, comments.csv, messages.csv, chat_history.csv with the
headers Reddit writes (see data/reddit/), recognised by header; damage."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.errors import SourceError
from lifelog.records import Skip
from lifelog.sources import detect
from lifelog.sources.social.reddit import RedditSource

SOURCE = RedditSource()
DATA = Path(__file__).parent / "data" / "reddit"


def test_posts_title_text_and_link() -> None:
    path = DATA / "posts.csv"
    found = detect(path)
    assert found is not None and found.name == "reddit"
    items, skips = split_records(SOURCE, path)
    assert skips == []
    assert (
        items[0].text
        == "부산 여행 추천해 주세요\n\n해운대 말고 조용한 바닷가가 있을까요?\n3월에 갑니다."
    )
    assert items[0].timestamp == datetime(2023, 1, 15, 12, 34, 56, tzinfo=UTC)
    assert items[0].title == "부산 여행 추천해 주세요" and items[0].thread == "reddit:10abcd"
    assert "url" not in items[0].metadata and "ip" not in items[0].metadata
    assert items[1].text == "Фото с дачи\n\nhttps://i.example.org/dacha.jpg"


def test_comments_threaded_under_their_post_and_deleted_counted() -> None:
    items, skips = split_records(SOURCE, DATA / "comments.csv")  # with a UTF-8 BOM
    assert [i.key for i in items] == ["comment/j5xyz1", "comment/j5xyz2"]
    assert items[0].text == "الشاي بالنعناع هو الأفضل" and items[0].thread == "reddit:10zzzz"
    assert items[1].text == "上野公園の桜はもう満開です。\n北京的樱花也很美"
    assert items[1].metadata["parent"] == "t1_j5aaaa" and items[1].title == "r/japan"
    (left,) = skips
    assert left.reason == "1 comments removed or deleted left out"


def test_messages_and_chats() -> None:
    (message,) = SOURCE.parse(DATA / "messages.csv")
    assert message.author == "minjun_k" and message.title == "Встреча"  # type: ignore[union-attr]
    assert message.participants == ("minjun_k", "me_account")  # type: ignore[union-attr]
    (chat,) = SOURCE.parse(DATA / "chat_history.csv")
    assert chat.text == "明日は雨らしいよ" and chat.author == "yuki_t"  # type: ignore[union-attr]


def test_other_csv_files_are_not_claimed(tmp_path: Path) -> None:
    votes = tmp_path / "post_votes.csv"
    votes.write_text("id,permalink,direction\nabc,https://x,up\n", encoding="utf-8")
    youtube = tmp_path / "comments.csv"
    youtube.write_text("Comment ID,Channel ID,Comment Text\n1,2,hi\n", encoding="utf-8")
    assert detect(votes) is None or detect(votes).name != "reddit"  # type: ignore[union-attr]
    assert detect(youtube) is None or detect(youtube).name != "reddit"  # type: ignore[union-attr]
    with pytest.raises(SourceError, match="post_votes.csv"):
        list(SOURCE.parse(votes))


def test_a_field_over_the_csv_limit_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    good = (DATA / "comments.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    huge = 'j5huge,p,2023-01-01 00:00:00 UTC,,s,0,0,0,l,t3_x,"' + "ы" * 300_000 + '",\n'
    path.write_bytes(
        (good[0] + huge + good[1] + ",,,,,,,,,,no id,\n" + "\xff\n").encode("utf-8", "replace")
        + b"j5bad,p,not a date,,s,0,0,0,l,t3_x,\xff\xfe broken bytes,\n"
    )
    items, skips = split_records(SOURCE, path)
    assert [i.key for i in items] == ["comment/j5xyz1", "comment/j5bad"]
    assert items[1].timestamp is None and "\ufffd" in items[1].text
    assert "field larger than field limit" in skips[0].reason and skips[0].position == "line 2"
    assert any("without an id" in s.reason for s in skips)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2000), st.binary(max_size=300))
def test_mutated_files_never_crash(cut: int, junk: bytes) -> None:
    good = (DATA / "comments.csv").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "comments.csv"
        path.write_bytes(good[: cut % (len(good) + 1)] + junk)
        records = assert_parses_or_names_file(SOURCE, path)
        assert all(not isinstance(r, Skip) or r.file == str(path) for r in records)
