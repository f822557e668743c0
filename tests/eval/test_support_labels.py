"""The support check on a labelled set: the labelling rules on a tiny LoCoMo file the
test writes, and the real figures on the set kept in tests/eval/data (replayed against
the shared LoCoMo file, skipped where it is absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lifelog.eval.support import label, measure, read_labels

LOCOMO = (
    Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "locomo" / "locomo_dev.json"
)
LABELS = Path(__file__).parent / "data" / "support_labels.json"

TINY = {
    "sample_id": "conv-t",
    "conversation": {
        "speaker_a": "Ana",
        "speaker_b": "Ben",
        "session_1_date_time": "2:00 pm on 3 March, 2024",
        "session_1": [
            {"speaker": "Ana", "dia_id": "D1:1", "text": "I bought a red bike in Porto."},
            {"speaker": "Ben", "dia_id": "D1:2", "text": "Моя сестра живёт в Казани."},
        ],
    },
    "qa": [
        {
            "question": "Where did Ana buy her bike?",
            "answer": "Porto",
            "evidence": ["D1:1"],
            "category": 4,
        },
        {
            "question": "What colour is Ben's bike?",
            "adversarial_answer": "red",
            "evidence": [],
            "category": 5,
        },
        {
            "question": "What did Ana buy?",
            "answer": "a red bike",
            "evidence": ["D1:1"],
            "category": 4,
        },
    ],
}


def row(question: str, category: int, gold: str, draft: str) -> dict[str, Any]:
    return {
        "sample_id": "conv-t",
        "category": category,
        "question": question,
        "gold": gold,
        "draft": draft,
        "shown": [[1, "D1:1", 0, 29], [2, "D1:2", 0, 26]],
    }


def test_drafts_are_labelled_by_the_written_rules(tmp_path: Path) -> None:
    report = {
        "model": "m",
        "per_question": [
            row("Where did Ana buy her bike?", 4, "Porto", "In Porto [1]."),
            row("What colour is Ben's bike?", 5, "red", "Red [1]."),
            row("What colour is Ben's bike?", 5, "red", "I don't find this in your memory."),
            row("What did Ana buy?", 4, "a red bike", "A bike [1]."),  # F1 0.8: right
            row("Where did Ana buy her bike?", 4, "Porto", "In Lisbon, in a big shop [1]."),
        ],
    }
    labelled = label([report], [TINY])
    assert [(e.index, e.right) for e in labelled] == [(0, True), (1, False), (2, True), (0, False)]
    path = tmp_path / "labels.json"
    path.write_text(json.dumps([e.json() for e in labelled]))
    assert read_labels(path) == labelled


def test_replaying_the_tiny_set_counts_what_the_check_keeps(tmp_path: Path) -> None:
    locomo = tmp_path / "tiny.json"
    locomo.write_text(json.dumps([TINY]), encoding="utf-8")
    report = {
        "model": "m",
        "per_question": [
            row("Where did Ana buy her bike?", 4, "Porto", "In Porto [1]."),
            row("What colour is Ben's bike?", 5, "red", "Ben's bike is red [1]."),
        ],
    }
    figures = measure(label([report], [TINY]), locomo)
    assert (figures.right, figures.wrong) == (1, 1)
    assert figures.right_rejected == 0  # Porto is in the cited turn
    assert figures.wrong_accepted == 0  # the red bike is Ana's, in Ana's words


@pytest.mark.skipif(not LOCOMO.is_file() or not LABELS.is_file(), reason="no LoCoMo file here")
def test_the_support_check_on_real_models_answers() -> None:
    """193 drafts of Qwen2.5-Coder-1.5B and 0.5B on 120 LoCoMo questions, labelled by the
    rules of lifelog.eval.support, each judged as it reads once its relative dates are
    resolved ("next month [3]" in an April message is "May 2023"). Measured: 17.5% of
    right answers rejected, 28.7% of wrong ones accepted (27.0% and 27.1% before topic
    words left out the verbs a question is put in); the issue's targets are 10% and 5%,
    not reached. The bounds below keep the check from getting worse while it
    is improved."""
    labelled = read_labels(LABELS)
    assert len(labelled) >= 150 and len({e.model for e in labelled}) >= 2
    figures = measure(labelled, LOCOMO)
    print(f"\nsupport check: {figures.summary()}")
    assert figures.false_reject <= 18.0, figures.summary()
    assert figures.false_accept <= 29.0, figures.summary()
