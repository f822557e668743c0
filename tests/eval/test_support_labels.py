"""The support check on a labelled set: the labelling rules on a tiny LoCoMo file the
test writes, and the real figures on the set kept in tests/eval/data (replayed against
the shared LoCoMo file, skipped where it is absent)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lifelog.answer.verify import Verifier
from lifelog.errors import UserError
from lifelog.eval.support import (
    carry_hand,
    fit_threshold,
    label,
    measure,
    read_labels,
    with_verifier,
)
from lifelog.eval.support import judge as judge_draft

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


def test_a_hand_label_holds_for_the_text_it_judged(tmp_path: Path) -> None:
    """The rules call "From the city of port wine" wrong (token F1 0 against "Porto"); a
    hand says right, and measure takes the hand while the draft reads as it was judged."""
    locomo = tmp_path / "tiny.json"
    locomo.write_text(json.dumps([TINY]), encoding="utf-8")
    draft = "From the city of port wine [1]."
    report = {"model": "m", "per_question": [row("Where did Ana buy her bike?", 4, "Porto", draft)]}
    (ruled,) = label([report], [TINY])
    assert not ruled.right and ruled.hand is None
    by_hand = replace(ruled, hand="right", judged=draft)
    figures = measure([by_hand], locomo)
    assert (figures.right, figures.wrong, figures.by_hand) == (1, 0, 1)
    # judged as another text (its dates resolved otherwise, say): the rules again
    stale = replace(ruled, hand="right", judged="From Porto [1].")
    assert measure([stale], locomo).summary()["wrong"] == 1
    # unclear by hand: left out, as the rules leave out what they cannot settle
    unclear = measure([replace(ruled, hand="unclear", judged=draft)], locomo)
    assert (unclear.right, unclear.wrong) == (0, 0)
    # kept through a file, carried over when the reports are labelled again
    path = tmp_path / "labels.json"
    path.write_text(json.dumps([by_hand.json()]), encoding="utf-8")
    assert read_labels(path) == [by_hand]
    assert carry_hand(label([report], [TINY]), read_labels(path)) == [by_hand]
    path.write_text(json.dumps([{**by_hand.json(), "hand": "maybe"}]), encoding="utf-8")
    with pytest.raises(UserError, match="maybe"):
        read_labels(path)


@pytest.mark.skipif(not LOCOMO.is_file() or not LABELS.is_file(), reason="no LoCoMo file here")
def test_the_support_check_on_real_models_answers() -> None:
    """286 drafts of Qwen2.5-Coder-1.5B and 0.5B on LoCoMo questions: 193 on the
    120-question sample, on which the check was tuned, and 93 added in the seventh session
    from 120 multi-hop and temporal questions it had not seen. Since the ninth session the
    234 of categories 1–4 carry a judgement by hand (two judges who saw neither the rule
    labels nor the check's verdicts, each text as it reads once its relative dates are
    resolved; 60 of the 61 drafts both judged agreed, the other is unclear): 116 right,
    112 wrong, 6 unclear; the 52 of category 5 are wrong by rule. Measured then: 14.7% of
    right answers rejected (17 of 116), 31.1% of wrong ones accepted (51 of 164); by the
    rules alone 14.0% (15 of 107) and 32.4% (57 of 176), so the rules' errors did not hide
    a better check. After the ninth session's checks: 13.8% (16 of 116) and 30.5% (50 of
    164). The rules' history (right rejected / wrong accepted): 15.5% / 32.8% in
    the seventh session; on the first 193 alone 8.2% / 29.8%, on the 93 new ones 26.2% /
    40.8% (the check does not hold the issue's 10% on questions it was not tuned on);
    27.0% / 27.1% before topic words left out the verbs a question is put in. After the
    eleventh session: 12.9% / 31.1%; after the twelfth: 9.1% / 25.8% (11 of 121, 41 of
    159; some drafts read otherwise once lifelog re-derived their dates, so the counts
    of right and wrong moved). The issue's targets are 10% and 5%. The bounds keep the
    check from getting worse."""
    labelled = read_labels(LABELS)
    assert len(labelled) >= 280 and len({e.model for e in labelled}) >= 2
    figures = measure(labelled, LOCOMO)
    print(f"\nsupport check: {figures.summary()}")
    assert figures.by_hand >= 220, figures.summary()
    assert figures.false_reject <= 10.0, figures.summary()
    assert figures.false_accept <= 26.0, figures.summary()


class Judge:
    """Says yes to an answer naming Porto, no to anything else; keeps what it scored."""

    name = "judge"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def first_token_logprobs(self, messages: Any, choices: Any) -> dict[str, float]:
        last = str(messages[-1]["content"])
        self.asked.append(last)
        p_yes = 0.9 if "Proposed answer: In Porto" in last else 0.2
        return {"yes": math.log(p_yes), "no": math.log(1 - p_yes)}


def tiny_report() -> dict[str, Any]:
    return {
        "model": "m",
        "per_question": [
            row("Where did Ana buy her bike?", 4, "Porto", "In Porto [1]."),
            # the right item's words, the wrong fact: the word-level checks keep it
            row("Where did Ana buy her bike?", 4, "Porto", "A red bike [1]."),
            row("What did Ana buy?", 4, "a red bike", "A red bike [1]."),
        ],
    }


def test_the_verifier_scores_what_the_checks_keep_and_a_threshold_is_fitted(
    tmp_path: Path,
) -> None:
    locomo = tmp_path / "tiny.json"
    locomo.write_text(json.dumps([TINY]), encoding="utf-8")
    labelled = label([tiny_report()], [TINY])
    assert [e.right for e in labelled] == [True, False, True]
    judge = Judge()
    figures = measure(labelled, locomo, verifier=Verifier(judge, threshold=0.99))
    assert (figures.right, figures.wrong, figures.wrong_accepted) == (2, 1, 1)
    # the threshold is ignored: kept is the checks' word, and each answer they keep is
    # scored ("A red bike" for "What did Ana buy?": the item's "bought" is "buy")
    assert [r.kept for r in figures.scored] == [True, True, True]
    assert [r.score and round(r.score, 2) for r in figures.scored] == [0.9, 0.2, 0.2]
    assert len(judge.asked) == 3 and "Question: Where did Ana buy her bike?" in judge.asked[0]
    at_half = with_verifier(figures.scored, 0.5)
    assert (at_half.wrong_accepted, at_half.right_rejected) == (0, 1)
    assert with_verifier(figures.scored, 0.0).summary() == figures.summary()
    # between the scores, with the fewest false rejects + false accepts (in percent)
    assert fit_threshold(figures.scored) == pytest.approx(0.55)
    assert fit_threshold(figures.scored, ["conv-t"]) == pytest.approx(0.55)
    assert fit_threshold(figures.scored, ["elsewhere"]) == 0.0
    assert with_verifier(figures.scored, 0.5, ["elsewhere"]).right == 0


def test_the_eval_command_reports_the_verifier_fitted_on_other_conversations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from lifelog.cli import app
    from lifelog.commands import eval as eval_command

    locomo = tmp_path / "tiny.json"
    other = json.loads(json.dumps(TINY)) | {"sample_id": "conv-u"}
    locomo.write_text(json.dumps([TINY, other]), encoding="utf-8")
    rows = tiny_report()["per_question"]
    report = {"model": "m", "per_question": [*rows, *({**r, "sample_id": "conv-u"} for r in rows)]}
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps([e.json() for e in label([report], [TINY, other])]))
    monkeypatch.setattr(eval_command, "_verifier", lambda model: Verifier(Judge()))
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        app,
        [
            "eval", "support", str(locomo), str(labels), "--verifier", "judge",
            "--fit-on", "conv-t", "--threshold", "0.5", "--json", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert written["checks"]["wrong_accepted"] == 2
    verified = written["verifier"]
    assert verified["scored"] == 6 and verified["threshold"] == 0.5
    assert verified["all"]["wrong_accepted"] == 0 and verified["all"]["right_rejected"] == 2
    fitted = verified["fitted"]
    assert fitted["fit_on"] == ["conv-t"] and fitted["reported_on"] == ["conv-u"]
    assert fitted["threshold"] == pytest.approx(0.55)
    assert fitted["checks_only"]["wrong_accepted"] == 1
    assert fitted["with_verifier"]["wrong_accepted"] == 0
    assert fitted["with_verifier"]["right_rejected"] == 1
    assert len(written["scored"]) == 6


def test_a_draft_with_another_date_than_the_gold_answer_is_wrong() -> None:
    """Words in common do not make a date right; the month "may" is told from the verb."""
    assert (
        judge_draft("The week before 21 May 2023 [3].", "The week before October 13th, 2023.")
        is False
    )
    assert judge_draft("21 May 2022", "May 2023") is False
    assert judge_draft("The week before 9 June 2023 [1].", "The week before 9 June 2023") is True
    assert judge_draft("7 May 2023 [1].", "May, 2023") is True
    assert judge_draft("She may come to the concert in Oslo", "May, 2023") is not True


def test_a_draft_that_only_repeats_the_question_is_wrong() -> None:
    """An answer naming nothing the question does not answers nothing, where the gold
    answer does; a choice between two things the question names is still an answer."""
    asked = "Whose birthday did Melanie celebrate recently?"
    assert judge_draft("Melanie [4].", "Melanie's daughter", asked) is False
    assert judge_draft("Her daughter's [4].", "Melanie's daughter", asked) is True
    assert judge_draft("Melanie [4].", "Melanie's daughter") is True  # no question given
    choice = "Would Tim enjoy reading books by C. S. Lewis or John Greene?"
    assert judge_draft("C. S. Lewis [3].", "C. S. Lewis", choice) is True
