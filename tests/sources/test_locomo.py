"""LoCoMo files read as chat history, never their answers or summaries."""

from __future__ import annotations

import json
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import assert_parses_or_names_file, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources.assistants.chatgpt import ChatGPTSource
from lifelog.sources.base import read_head
from lifelog.sources.chat.locomo import LocomoSource, parse_session_date

SOURCE = LocomoSource()
REPO = Path(__file__).resolve().parents[2]
LOCOMO_DEV = REPO.parent / "shared" / "benchmarks" / "locomo" / "locomo_dev.json"
FORBIDDEN = "FORBIDDEN-ANSWER-7731"


def sample(sample_id: str = "conv-1") -> dict[str, Any]:
    # the answers and summaries come first, as in the real file
    return {
        "qa": [
            {"question": "When?", "answer": FORBIDDEN, "evidence": ["D1:1"], "category": 2},
            {"question": "Who?", "adversarial_answer": FORBIDDEN, "evidence": [], "category": 5},
        ],
        "conversation": {
            "speaker_a": "Caroline",
            "speaker_b": "Melanie",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "Caroline", "dia_id": "D1:1", "text": "Hey Mel!"},
                {
                    "speaker": "Melanie",
                    "dia_id": "D1:2",
                    "text": "Look at this.",
                    "img_url": ["https://example.org/x.jpg"],
                    "blip_caption": "a photo of a sunset over a lake",
                    "query": "painting sunrise",
                },
                "not a turn",
                {"speaker": "Caroline", "dia_id": "D1:4", "text": "Lovely"},
            ],
            "session_2_date_time": "12:06 am on 11 November, 2023",
            "session_2": [{"speaker": "Melanie", "dia_id": "D2:1", "text": "Back from camping!"}],
            "session_3_date_time": "10:00 am on 1 December, 2023",  # a date without a session
            "session_10_date_time": "sometime",
            "session_10": [{"speaker": "Caroline", "dia_id": "D10:1", "text": "Later."}],
        },
        "event_summary": {"events_session_1": [FORBIDDEN]},
        "observation": {"session_1_observation": FORBIDDEN},
        "session_summary": {"session_1_summary": FORBIDDEN},
        "sample_id": sample_id,
    }


def write(tmp_path: Path, data: Any, name: str = "locomo.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def test_turns_become_messages(tmp_path: Path) -> None:
    path = write(tmp_path, [sample()])
    assert SOURCE.sniff(path, read_head(path))
    items, skips = parse(path)
    assert [i.key for i in items] == [
        "conv-1/D1:1",
        "conv-1/D1:2",
        "conv-1/D1:4",
        "conv-1/D2:1",
        "conv-1/D10:1",
    ]
    first, photo, lovely, camping, later = items
    assert first.author == "Caroline" and first.participants == ("Caroline", "Melanie")
    assert first.timestamp == datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert photo.timestamp == datetime(2023, 5, 8, 13, 56, 1, tzinfo=UTC)
    assert lovely.timestamp == datetime(2023, 5, 8, 13, 56, 3, tzinfo=UTC)
    assert photo.text == "Look at this.\n[shared a photo: a photo of a sunset over a lake]"
    assert camping.timestamp == datetime(2023, 11, 11, 0, 6, tzinfo=UTC)
    assert camping.thread == "locomo:conv-1:session_2"
    assert camping.metadata == {"dia_id": "D2:1", "session": 2, "sample_id": "conv-1"}
    assert later.timestamp is None and later.metadata["session"] == 10
    assert [s.position for s in skips] == [
        "sample conv-1 / session 1 / turn 3",
        "sample conv-1 / session 10",
    ]
    assert all(i.kind == "message" and i.source == "locomo" for i in items)


def test_answers_and_summaries_are_never_read(tmp_path: Path) -> None:
    items, skips = parse(write(tmp_path, [sample()]))
    everything = json.dumps([[i.text, i.title, dict(i.metadata)] for i in items])
    everything += " ".join(str(s) for s in skips)
    assert FORBIDDEN not in everything


def test_ids_stable_and_location_free(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    one, _ = parse(write(tmp_path, [sample()]))
    two, _ = parse(write(tmp_path / "a", [sample()], name="copy.json"))
    assert [i.id for i in one] == [i.id for i in two]


def test_broken_samples_are_skipped(tmp_path: Path) -> None:
    items, skips = parse(write(tmp_path, [{"sample_id": "x"}, 3, sample("conv-2")]))
    assert {i.metadata["sample_id"] for i in items} == {"conv-2"}
    assert [s.position for s in skips][:2] == ["sample 1", "sample 2"]


def test_truncated_json_raises(tmp_path: Path) -> None:
    path = tmp_path / "locomo.json"
    path.write_text(json.dumps([sample()])[:300])
    with pytest.raises(SourceError, match=r"locomo.json: invalid JSON at line 1 column"):
        list(SOURCE.parse(path))
    with pytest.raises(SourceError, match="missing.json"):
        list(SOURCE.parse(tmp_path / "missing.json"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1:56 pm on 8 May, 2023", datetime(2023, 5, 8, 13, 56, tzinfo=UTC)),
        ("12:06 am on 11 November, 2022", datetime(2022, 11, 11, 0, 6, tzinfo=UTC)),
        ("12:09 pm on 13 Sept, 2023", datetime(2023, 9, 13, 12, 9, tzinfo=UTC)),
        ("2023-05-08 13:56", datetime(2023, 5, 8, 13, 56, tzinfo=UTC)),
        ("nonsense", None),
        ("1:56 pm on 31 February, 2023", None),
    ],
)
def test_session_dates(text: str, expected: datetime | None) -> None:
    assert parse_session_date(text) == expected


def test_sniff_tells_locomo_from_chatgpt(tmp_path: Path) -> None:
    locomo = write(tmp_path, [sample()])
    chat = write(
        tmp_path,
        [{"title": "t", "mapping": {}, "conversation_id": "c", "current_node": None}],
        name="conversations.json",
    )
    assert SOURCE.sniff(locomo, read_head(locomo))
    assert not SOURCE.sniff(chat, read_head(chat))
    assert not ChatGPTSource().sniff(locomo, read_head(locomo))
    from lifelog.sources import detect

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = detect(locomo)
    assert found is not None and found.name == "locomo"


def test_real_dev_file() -> None:
    if not LOCOMO_DEV.is_file():
        pytest.skip("../shared/benchmarks/locomo is absent")
    assert SOURCE.sniff(LOCOMO_DEV, read_head(LOCOMO_DEV))
    data = json.loads(LOCOMO_DEV.read_text(encoding="utf-8"))
    turns = sum(len(v) for s in data for k, v in s["conversation"].items() if isinstance(v, list))
    items, skips = parse(LOCOMO_DEV)
    assert skips == [] and len(items) == turns
    assert all(i.timestamp is not None for i in items)
    assert len({i.id for i in items}) == len(items)


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    turns=st.lists(
        st.one_of(
            st.dictionaries(
                st.sampled_from(["speaker", "dia_id", "text", "img_url", "blip_caption"]),
                st.one_of(st.text(max_size=20), st.integers(), st.none(), st.lists(st.text())),
            ),
            st.text(max_size=5),
        ),
        max_size=6,
    ),
    date=st.one_of(
        st.text(max_size=40),
        st.sampled_from(["0001-01-01T00:00+01:00", "9:99 pm on 40 Foo, 0", "May 9999999"]),
    ),
    raw=st.binary(max_size=100),
)
def test_arbitrary_input_never_raises(turns: list[Any], date: str, raw: bytes) -> None:
    data = [{"sample_id": "s", "conversation": {"session_1": turns, "session_1_date_time": date}}]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "locomo.json"
        for payload in (json.dumps(data).encode(), raw):
            path.write_bytes(payload)
            assert_parses_or_names_file(SOURCE, path, naming=str(path))
