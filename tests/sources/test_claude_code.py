"""Claude Code sessions (.jsonl): real records from claude-code-log (MIT), noise, damage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import parse_bytes_or_names_file, split_records

from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.assistants import claude_code
from lifelog.sources.assistants.claude_code import ClaudeCodeSource

SOURCE = ClaudeCodeSource()
RECORDS = Path(__file__).parent / "data" / "claude_code" / "records.jsonl"


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def test_what_the_person_and_claude_said_is_kept_and_the_noise_counted() -> None:
    items, skips = parse(RECORDS)
    assert [(i.author, i.text.splitlines()[0]) for i in items] == [
        ("Me", "/model"),
        ("Me", "Oh, I just found out that this is not supported by Chrome :(\\"),
        (
            "Claude",
            "I'll help you rewrite this to use proper HTML ruby elements, which have"
            " better browser support than the CSS `ruby-base` and `ruby-text` display values.",
        ),
        ("Me", '$ uv run pytest -m "not (tui or browser)" -v'),
    ]
    claude = items[2]
    assert claude.kind == "message" and claude.metadata["model"] == "claude-opus-4-1-20250805"
    assert claude.thread == "claude_code:b25638d7-b104-4f06-a797-70ac33d069ed"
    assert claude.title == "Claude Code: danieldemmel.me-next"
    assert claude.timestamp == datetime(2025, 9, 29, 17, 7, 50, 508000, tzinfo=UTC)
    assert claude.metadata["git_branch"] == "main"
    assert claude.key == "b25638d7-b104-4f06-a797-70ac33d069ed/6610c2dd-f12c-4fc1-b1d4-fa78c1612692"
    assert [s.position for s in skips] == ["left out (tool noise)"]
    reason = skips[0].reason
    for counted in (
        "1 command outputs",
        "1 file snapshots",
        "1 meta messages",
        "1 queue records",
        "2 sub-agent messages",
        "1 session summaries",
        "1 system notices",
        "1 thinking blocks",
        "1 tool calls",
        "1 tool results",
    ):
        assert counted in reason


def test_detected_by_content(tmp_path: Path) -> None:
    found = detect(RECORDS)
    assert found is not None and found.name == "claude_code"
    other = tmp_path / "events.jsonl"
    other.write_text('{"event": "click", "at": 1}\n')
    found = detect(other)
    assert found is None or found.name != "claude_code"


def _line(**fields: object) -> str:
    record = {"sessionId": "s1", "timestamp": "2025-06-01T10:00:00Z", **fields}
    return json.dumps(record) + "\n"


def test_reminders_images_and_a_damaged_line(tmp_path: Path) -> None:
    path = tmp_path / "s1.jsonl"
    path.write_text(
        _line(
            type="user",
            uuid="u1",
            message={
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>ctx</system-reminder>Fix the login"},
                    {"type": "image", "source": {"type": "base64", "data": "AAAA"}},
                ],
            },
        )
        + '{"type": "assistant", "sessionId": "s1", "uuid": "a1", "message": {"content": [\n'
        + _line(type="assistant", uuid="a2", message={"content": "Done: the cookie was stale."})
        + '{"type": "user", "sessionId": "s1", "uuid": "u2", "message": "oops"}\n'
        + _line(type="user", uuid="u3", message={"content": "and the lo"})[:40],  # cut short
        encoding="utf-8",
    )
    items, skips = parse(path)
    assert [i.text for i in items] == ["Fix the login\n[image]", "Done: the cookie was stale."]
    assert items[0].metadata["attachments"] == ["image"]
    assert [(s.position, s.reason.split(":")[0]) for s in skips] == [
        ("line 2", "not a JSON record"),
        ("line 4", "user record without a message"),
        ("line 5", "not a JSON record"),
    ]


def test_an_enormous_line_is_skipped_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claude_code, "MAX_LINE", 1000)
    path = tmp_path / "big.jsonl"
    path.write_text(
        _line(type="user", uuid="u1", message={"content": "x" * 5000})
        + _line(type="user", uuid="u2", message={"content": "after"})
    )
    items, skips = parse(path)
    assert [i.text for i in items] == ["after"]
    assert skips[0].position == "line 1" and "longer than" in skips[0].reason


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    '{"sessionId": "s", "type": "user", "message": {"content": ',
                    '"hi"}}\n',
                    '[{"type": "text", "text": "x"}]}}\n',
                    '{"type": "assistant", "message": {"content": [null, {"type": "tool_use"}]}}',
                    "\n",
                ]
            ),
            st.text(max_size=12),
        ),
        max_size=30,
    ),
    raw=st.binary(max_size=200),
)
def test_arbitrary_input_never_crashes(pieces: list[str], raw: bytes) -> None:
    for data in ("".join(pieces).encode("utf-8", "surrogatepass"), raw):
        parse_bytes_or_names_file(SOURCE, "session.jsonl", data)
