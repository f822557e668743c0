"""`lifelog ask` and `lifelog chat` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from answer_life import LIFE
from typer.testing import CliRunner

from lifelog import Memory
from lifelog.cli import app


@pytest.fixture
def home(tmp_path: Path) -> Path:
    with Memory.init(tmp_path / "memory") as memory:
        memory.store.upsert(LIFE, origin=None, run_id=None)
    return tmp_path / "memory"


def test_ask_with_generation_off_says_so(home: Path) -> None:
    result = CliRunner().invoke(
        app, ["--memory", str(home), "ask", "How much did the tent cost?", "--model", "none"]
    )
    assert result.exit_code == 0, result.output
    assert "120 euros" in result.output and "no generative model" in result.output
    assert "[1]" in result.output


def test_ask_with_the_embedded_model(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("llama_cpp")
    monkeypatch.setenv("LIFELOG_LLM_MODEL", "local")
    result = CliRunner().invoke(
        app, ["--memory", str(home), "ask", "How much did the tent cost?", "--show-reasoning"]
    )
    assert result.exit_code == 0, result.output
    assert "120" in result.output


def test_ask_rejects_a_server_model_without_a_server(home: Path) -> None:
    result = CliRunner().invoke(app, ["--memory", str(home), "ask", "tent", "--model", "qwen3:8b"])
    assert result.exit_code != 0
    assert "LIFELOG_LLM_BASE_URL" in str(result.exception or result.output)


def test_chat_holds_a_conversation_with_follow_ups(home: Path) -> None:
    lines = "\n".join(
        [
            "How much did the tent cost?",
            "/sources",
            "/reasoning high",
            "/show-reasoning",
            "/help",
            "and the dentist?",
            "/new",
            "/quit",
        ]
    )
    result = CliRunner().invoke(
        app, ["--memory", str(home), "chat", "--model", "none"], input=lines + "\n"
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "120 euros" in out
    assert "reasoning: high" in out and "show reasoning: on" in out
    assert "/new" in out  # the help text
    assert "Elm Street" in out
    assert "a new conversation" in out


def test_an_answer_that_finds_nothing_shows_the_nearest_items(home: Path) -> None:
    result = CliRunner().invoke(
        app, ["--memory", str(home), "ask", "What is the tent's colour code?", "--model", "none"]
    )
    assert result.exit_code == 1, result.output  # nothing found: a non-zero exit, for scripts
    assert "I don't find this in your memory." in result.output
    assert "the nearest items:" in result.output and "tent" in result.output.lower()
