"""Subtitles (.srt, .vtt) as transcripts: real files from webvtt-py, passages, damage."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import parse_bytes_or_names_file, split_records

from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.media import subtitles
from lifelog.sources.media.subtitles import MAX_PASSAGE_SECONDS, SubtitlesSource, parse_timing

SOURCE = SubtitlesSource()
DATA = Path(__file__).parent / "data" / "subtitles"


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def test_youtube_automatic_captions_are_read_once_each() -> None:
    items, skips = parse(DATA / "youtube_dl.vtt")
    assert [i.text for i in items] == ["yeah\nwhat\nthis will happen is I'm telling"]
    item = items[0]
    assert item.kind == "transcript"
    assert item.locator == "00:04:46.070-00:05:05.069"
    assert item.metadata["start_seconds"] == 286.07
    assert [s.reason for s in skips] == ["2 repeated caption lines left out"]


def test_hourless_timings_and_inline_timestamps() -> None:
    items, skips = parse(DATA / "cue_tags.vtt")
    assert items[0].text == "When the moon hits your eye\nLike a big-a pizza pie\nThat's amore"
    assert items[0].locator == "00:00:16.500-00:00:21.500"
    assert not skips


def test_subrip_without_a_final_newline() -> None:
    items, skips = parse(DATA / "sample.srt")
    assert items[0].text.splitlines() == [f"Caption text #{n}" for n in range(1, 6)]
    assert items[0].metadata["cues"] == 5
    assert not skips


def test_netflix_notes_are_left_out_and_italics_removed() -> None:
    items, skips = parse(DATA / "netflix_chicas_del_cable_excerpt.vtt")
    text = "\n".join(i.text for i in items)
    assert text.startswith("[Alba] En 1928,\nlas mujeres éramos")
    assert "- Tú no te metas. ¡No te metas!" in text
    assert "Segment" not in text and "<i>" not in text
    # a silence of more than 8 seconds (16.4 s -> 59.6 s) starts a new passage
    assert [i.locator for i in items] == [
        "00:00:07.960-00:00:16.440",
        "00:00:59.640-00:01:06.600",
    ]
    assert [s.reason for s in skips] == ["2 notes and styles left out"]


def test_detected_by_content_through_the_registry(tmp_path: Path) -> None:
    for name in ("youtube_dl.vtt", "sample.srt"):
        found = detect(DATA / name)
        assert found is not None and found.name == "subtitles"
    other = tmp_path / "notes.vtt"
    other.write_text("just words\n")
    assert not SOURCE.sniff(other, other.read_bytes())


def test_a_long_talk_is_cut_into_passages_of_about_a_minute(tmp_path: Path) -> None:
    path = tmp_path / "talk.srt"
    cues = []
    for n in range(600):  # ten minutes, one cue a second
        start, end = n, n + 1
        cues.append(
            f"{n + 1}\n00:{start // 60:02d}:{start % 60:02d},000 --> "
            f"00:{end // 60:02d}:{end % 60:02d},000\n<v Ada Lovelace>Sentence number {n}.\n"
        )
    path.write_text("\n".join(cues), encoding="utf-8")
    items, skips = parse(path)
    assert not skips
    assert 9 <= len(items) <= 12
    for item in items:
        span = item.metadata["end_seconds"] - item.metadata["start_seconds"]
        assert span <= MAX_PASSAGE_SECONDS
        assert item.author == "Ada Lovelace" and item.participants == ("Ada Lovelace",)
    said = "\n".join(i.text for i in items)
    assert said.count("Ada Lovelace: Sentence number") == 600
    assert len({i.key for i in items}) == len(items)


def test_a_bad_timing_is_skipped_with_its_line_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "broken.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nfirst\n\n"
        "2\n00:00:xx,000 --> 00:00:03,000\nlost\n\n"
        "3\n00:00:04,000 --> 00:00:05,000\nthird\n\n"
        "stray words\n\n"
        "4\n00:00:06,000 --> 00:00:0",  # cut in the middle of a timing
        encoding="utf-8",
    )
    items, skips = parse(path)
    assert "first" in items[0].text and "third" in items[0].text and "lost" not in items[0].text
    assert [s.position for s in skips] == ["line 6", "line 13", "line 16"]
    assert "not understood" in skips[0].reason
    assert skips[1].reason == "text without a cue timing"


def test_an_endless_line_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "huge.vtt"
    path.write_text("WEBVTT\n\n00:01.000 --> 00:02.000\n" + "x" * 3_000_000 + "\nend\n")
    items, _ = parse(path)
    assert items[0].text.endswith("\nend") and len(items[0].text) < 20_000


def test_timing_parser() -> None:
    assert parse_timing("01:02:03,456 --> 01:02:04.5 align:start") == (3723.456, 3724.5)
    assert parse_timing("00:05.000 --> 00:06.000") == (5.0, 6.0)
    assert parse_timing("not a timing") is None


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(
        st.one_of(
            st.sampled_from(
                ["WEBVTT\n", "\n", "1\n", "00:00:01,000 --> 00:00:02,000\n", "NOTE x\n", "-->"]
            ),
            st.text(max_size=12),
        ),
        max_size=40,
    ),
    raw=st.binary(max_size=200),
)
def test_arbitrary_input_never_crashes(pieces: list[str], raw: bytes) -> None:
    for data in ("".join(pieces).encode("utf-8", "surrogatepass"), raw):
        parse_bytes_or_names_file(SOURCE, "x.srt", data)


def test_reading_stops_at_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subtitles, "MAX_BYTES", 200)
    path = tmp_path / "long.srt"
    path.write_text(
        "".join(f"{n}\n00:00:{n:02d},000 --> 00:00:{n:02d},500\nline {n}\n\n" for n in range(50))
    )
    items, skips = parse(path)
    assert items and "line 49" not in items[-1].text
    assert "the rest is not read" in skips[-1].reason
