"""``lifelog eval locomo`` on a tiny LoCoMo file the test writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lifelog.cli import app
from lifelog.errors import UserError
from lifelog.eval.locomo import dialogue_ids, load_samples, question_date, run_locomo

FORBIDDEN = "FORBIDDEN-SUMMARY-5521"


def conversation(sample_id: str) -> dict[str, Any]:
    return {
        "sample_id": sample_id,
        "conversation": {
            "speaker_a": "Caroline",
            "speaker_b": "Melanie",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {
                    "speaker": "Caroline",
                    "dia_id": "D1:1",
                    "text": "I went to the LGBTQ support group yesterday.",
                },
                {
                    "speaker": "Melanie",
                    "dia_id": "D1:2",
                    "text": "Wonderful! I painted a sunset with my kids.",
                },
                {
                    "speaker": "Caroline",
                    "dia_id": "D1:3",
                    "text": "I am studying psychology at college now.",
                },
            ],
            "session_2_date_time": "10:00 am on 20 June, 2023",
            "session_2": [
                {
                    "speaker": "Melanie",
                    "dia_id": "D2:1",
                    "text": "We went camping at the beach last week.",
                    "blip_caption": "a photo of a tent on the sand",
                },
                {"speaker": "Caroline", "dia_id": "D2:2", "text": "Sounds fun!"},
            ],
            "session_3_date_time": "9:00 am on 1 July, 2023",
        },
        "qa": [
            {
                "question": "When did Caroline go to the support group?",
                "answer": "7 May 2023",
                "evidence": ["D1:1"],
                "category": 2,
            },
            {
                "question": "What did Melanie paint?",
                "answer": "a sunset",
                "evidence": ["D1:2"],
                "category": 4,
            },
            {
                "question": "What is Caroline studying?",
                "answer": "psychology",
                "evidence": ["D1:3"],
                "category": 4,
            },
            {
                "question": "Where did Melanie go camping?",
                "answer": "the beach",
                "evidence": ["D2:1; D1:2"],
                "category": 1,
            },
            {
                "question": "What did Caroline buy?",
                "answer": "nothing",
                "evidence": ["D9:9"],
                "category": 3,
            },
            {
                "question": "What is Caroline's favourite car?",
                "adversarial_answer": "a red one",
                "evidence": [],
                "category": 5,
            },
        ],
        "session_summary": {"session_1_summary": FORBIDDEN},
    }


@pytest.fixture
def locomo_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")
    path = tmp_path / "tiny_locomo.json"
    path.write_text(json.dumps([conversation("conv-a"), conversation("conv-b")]))
    return path


def test_the_command_writes_the_json_report(locomo_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "locomo",
            str(locomo_file),
            "--mode",
            "lexical",
            "--json",
            str(out),
            "--limit-conversations",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "| **1–4** |" in result.output
    report = json.loads(out.read_text())
    assert set(report) >= {
        "recall",
        "recall_by_category",
        "f1_by_category",
        "abstention",
        "questions",
    }
    assert set(report["recall"]) == {"1", "5", "10", "20"}
    assert report["questions"] == 5
    assert report["conversations"] == ["conv-a"]
    # every answerable question finds its evidence first, but for the one pointing at a
    # turn that does not exist (0) and the multi-hop one with two turns: its second one,
    # Melanie's, shares only her name with the question and comes later (1/2 at k=1)
    assert report["recall"]["1"] == pytest.approx(100 * 3.5 / 5)
    assert report["recall"]["5"] == pytest.approx(100 * 4 / 5)
    assert report["recall_by_category"]["1"] == {"1": 50.0, "5": 100.0, "10": 100.0, "20": 100.0}
    assert report["recall_by_category"]["2"] == {"1": 100.0, "5": 100.0, "10": 100.0, "20": 100.0}
    assert report["recall_by_category"]["3"]["20"] == 0.0
    assert set(report["f1_by_category"]) == {"1", "2", "3", "4"}
    assert all(0.0 <= v <= 100.0 for v in report["f1_by_category"].values())
    assert report["abstention"] in (0.0, 100.0)
    assert report["mode"] == "lexical" and report["answered_by"] == "extractive"
    assert report["answers"]["model"] == "none" and report["answers"]["questions"] == 6
    assert report["answers"]["f1"] == report["f1"]
    assert report["answers"]["kept_generative"] is None  # no model answered
    assert report["selection"] == {
        "sample": None,
        "seed": 0,
        "categories": [1, 2, 3, 4, 5],
        "reasoning": "off",
    }
    assert len(report["per_question"]) == 6


def test_run_locomo_selects_conversations_and_can_skip_answers(locomo_file: Path) -> None:
    report = run_locomo(locomo_file, mode="lexical", conversations=["conv-b"], answers=False)
    assert report.conversations == ("conv-b",)
    assert all(r.answer is None for r in report.results)
    assert report.summary()["f1_by_category"] == {}
    assert report.summary()["abstention"] is None
    # no retrieved turn is ever a summary: the memory held the chat only
    assert all(d.startswith("D") for r in report.results for d in r.retrieved)
    both = run_locomo(locomo_file, mode="lexical", answers=False)
    assert both.conversations == ("conv-a", "conv-b")
    assert len(both.results) == 12
    with pytest.raises(UserError):
        run_locomo(locomo_file, mode="semantic")


def test_helpers() -> None:
    assert dialogue_ids(["D8:6; D9:17", "d1:03"]) == ("D8:6", "D9:17", "D1:3")
    assert dialogue_ids("nothing") == ()
    assert question_date(conversation("x")["conversation"]).isoformat() == (
        "2023-06-21T00:00:00+00:00"
    )  # the day after the last session that has turns
    assert question_date({}) is None


def test_a_file_that_is_not_locomo_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "locomo"}')
    with pytest.raises(UserError):
        load_samples(bad)
    bad.write_text("[1, 2")
    with pytest.raises(UserError):
        load_samples(bad)
    with pytest.raises(UserError):
        load_samples(tmp_path / "missing.json")


def test_llm_settings_are_read_as_json_else_as_text(locomo_file: Path) -> None:
    from lifelog.commands.eval import _settings

    assert _settings(["prompt_lookup=false", "context_window=4096", "model=qwen 2.5"]) == {
        "prompt_lookup": False,
        "context_window": 4096,
        "model": "qwen 2.5",
    }
    result = CliRunner().invoke(
        app, ["eval", "locomo", str(locomo_file), "--mode", "lexical", "--llm-setting", "oops"]
    )
    # refused before any conversation is read (the CLI prints a UserError as one line)
    assert isinstance(result.exception, UserError) and "KEY=VALUE" in str(result.exception)
