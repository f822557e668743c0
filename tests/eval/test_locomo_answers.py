"""``lifelog eval locomo --answers``: the sample of questions, and the answers' figures
(F1, containment, abstention, kept, latency) on a tiny LoCoMo file the test writes, in
English, Korean and Russian, answered by the real memory extractively and by a
scripted model (the only double)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lifelog.cli import app
from lifelog.errors import UserError
from lifelog.eval.answers import answers_summary
from lifelog.eval.locomo import QA, QuestionResult, questions_of, run_locomo, select_questions
from lifelog.eval.metrics import mean
from lifelog.models.llm import BUILTIN_BACKENDS, Completion, Delta, LLMSettings, Message
from lifelog.models.testing import ScriptedLLM


def turn(speaker: str, dia_id: str, text: str) -> dict[str, str]:
    return {"speaker": speaker, "dia_id": dia_id, "text": text}


def qa(question: str, answer: Any, evidence: list[str], category: int) -> dict[str, Any]:
    key = "adversarial_answer" if category == 5 else "answer"
    return {"question": question, key: answer, "evidence": evidence, "category": category}


KOREAN = {
    "sample_id": "conv-ko",
    "conversation": {
        "speaker_a": "Jiwoo",
        "speaker_b": "Anna",
        "session_1_date_time": "2:00 pm on 3 March, 2024",
        "session_1": [
            turn("Jiwoo", "D1:1", "저는 지난주에 부산에서 자전거를 샀어요."),
            turn("Anna", "D1:2", "Nice! I adopted a grey cat named Pixel."),
            turn("Jiwoo", "D1:3", "제 여동생은 서울에서 피아노를 가르쳐요."),
        ],
        "session_2_date_time": "11:00 am on 20 April, 2024",
        "session_2": [turn("Anna", "D2:1", "I ran the Berlin marathon in 4 hours.")],
    },
    "qa": [
        qa("지우는 어디에서 자전거를 샀어요?", "부산에서", ["D1:1"], 4),
        qa("What is the name of Anna's grey cat?", "Pixel", ["D1:2"], 4),
        qa("How many hours did Anna's Berlin marathon take?", 4, ["D2:1"], 1),
        qa("What is Anna's favourite opera?", "Carmen", [], 5),
    ],
}

RUSSIAN = {
    "sample_id": "conv-ru",
    "conversation": {
        "speaker_a": "Olga",
        "speaker_b": "Tom",
        "session_1_date_time": "9:30 am on 5 January, 2024",
        "session_1": [
            turn("Olga", "D1:1", "Я купила красный велосипед в Казани."),
            turn("Tom", "D1:2", "My brother moved to Lisbon in December."),
        ],
    },
    "qa": [
        qa("Что Ольга купила в Казани?", "красный велосипед", ["D1:1"], 4),
        qa("When did Tom's brother move to Lisbon?", "December 2023", ["D1:2"], 2),
    ],
}


@pytest.fixture
def locomo_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")
    for name in ("LIFELOG_LLM_BASE_URL", "LIFELOG_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "multilingual_locomo.json"
    path.write_text(json.dumps([KOREAN, RUSSIAN], ensure_ascii=False), encoding="utf-8")
    return path


def all_questions() -> list[QA]:
    return questions_of(KOREAN, "conv-ko") + questions_of(RUSSIAN, "conv-ru")


# -- which questions ----------------------------------------------------------------


def test_a_sample_is_the_same_for_the_same_size_and_seed() -> None:
    questions = all_questions()
    first = select_questions(questions, sample=3, seed=1)
    assert first == select_questions(questions, sample=3, seed=1)
    # pinned: random.Random(seed).sample over the file's order, kept in that order
    expected = sorted(random.Random(1).sample(range(6), 3))
    assert [questions.index(q) for q in first] == expected == [0, 1, 4]
    assert len({tuple(select_questions(questions, sample=3, seed=s)) for s in range(8)}) > 1
    assert select_questions(questions, sample=99, seed=1) == questions
    assert select_questions(questions, sample=0, seed=1) == []
    assert select_questions(questions) == questions


def test_a_sample_respects_the_categories() -> None:
    questions = all_questions()
    only = select_questions(questions, categories=[4])
    assert [q.category for q in only] == [4, 4, 4]
    picked = select_questions(questions, sample=2, seed=5, categories=[1, 5])
    assert sorted(q.category for q in picked) == [1, 5]
    assert select_questions(questions, sample=1, seed=3, categories=[2])[0].sample_id == "conv-ru"


# -- the figures, on answers made by hand ---------------------------------------------


def result(
    category: int,
    gold: str,
    answer: str,
    *,
    found: bool = True,
    mode: str = "generative",
    latency: float = 1.0,
    first: float | None = None,
) -> QuestionResult:
    return QuestionResult(
        QA("c", "?", gold, ("D1:1",), category),
        ("D1:1",),
        answer=answer,
        found=found,
        mode=mode,
        latency_s=latency,
        first_token_s=first,
    )


def test_the_answer_figures_follow_their_definitions() -> None:
    results = [
        result(4, "Pixel", "Her cat is Pixel [1].", latency=0.5, first=0.1),
        result(4, "7", "It was 17 [2].", mode="extractive-fallback", latency=2.0, first=0.3),
        result(2, "December 2023", "December, 2023 [3]", latency=1.0, first=0.2),
        result(5, "Carmen", "I don't find this.", found=False, latency=4.0),
        result(5, "Carmen", "Anna likes Carmen.", mode="extractive", latency=3.0),
    ]
    summary = answers_summary(results, "scripted")
    assert summary["contains"] == pytest.approx(100 * 2 / 3, abs=0.01)  # "7" is not in "17"
    assert summary["contains_by_category"] == {"2": 100.0, "4": 50.0}
    assert summary["f1_by_category"]["2"] == 100.0
    # "her cat is pixel" against "pixel": precision 1/4, recall 1, F1 0.4; "17" against "7": 0
    assert summary["f1"] == pytest.approx((40 + 0 + 100) / 3, abs=0.01)
    assert summary["abstention"] == 50.0
    # generative and found: the first and the third of five (a generative "not found" is not)
    assert summary["kept_generative"] == 40.0
    assert summary["latency_p50"] == 2.0 and summary["latency_p95"] == 4.0
    assert summary["first_token_p50"] == 0.2
    assert summary["modes"] == {"extractive": 1, "extractive-fallback": 1, "generative": 3}
    assert summary["questions"] == 5 and summary["model"] == "scripted"
    extractive = answers_summary(results, None)
    assert extractive["kept_generative"] is None and extractive["model"] == "none"
    only_five = answers_summary(results[3:], None)
    assert only_five["f1"] is None and only_five["contains"] is None
    assert only_five["f1_by_category"] == {}


# -- through the real memory ----------------------------------------------------------


def by_question(report_rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["question"]: row for row in report_rows}


def test_extractive_answers_in_three_languages(locomo_file: Path) -> None:
    lines: list[str] = []
    report = run_locomo(locomo_file, mode="lexical", model="none", progress=lines.append)
    summary = report.summary()
    rows = by_question(summary["per_question"])
    assert len(rows) == 6
    assert all(row["mode"] == "extractive" for row in rows.values())
    # answers leave only once checked, extractive ones too: their first words come with them
    assert all(0 <= row["first_token"] <= row["latency"] for row in rows.values())
    # the quoted turn holds the gold answer, whatever its language or type (4, a number)
    assert rows["Что Ольга купила в Казани?"]["contains"] is True
    assert rows["How many hours did Anna's Berlin marathon take?"]["contains"] is True
    assert rows["What is the name of Anna's grey cat?"]["contains"] is True
    # ... but "December", not "December 2023"
    assert rows["When did Tom's brother move to Lisbon?"]["contains"] is False
    # the ceiling of an answer in the items' own words: the date is worked out, not said
    assert rows["When did Tom's brother move to Lisbon?"]["gold_held"] is False
    assert rows["What is the name of Anna's grey cat?"]["gold_held"] is True
    held = [row["gold_held"] for row in rows.values() if row["category"] != 5]
    assert summary["answers"]["gold_held"] == round(100 * mean(held), 2)
    assert rows["What is Anna's favourite opera?"]["gold_held"] is None  # category 5
    answers = summary["answers"]
    answerable = [row for row in rows.values() if row["category"] != 5]
    assert answers["contains"] == round(100 * mean(row["contains"] for row in answerable), 2)
    assert answers["contains_by_category"]["1"] == 100.0
    assert answers["contains_by_category"]["2"] == 0.0
    assert answers["kept_generative"] is None and answers["model"] == "none"
    assert answers["first_token_p50"] <= answers["latency_p50"]
    opera = rows["What is Anna's favourite opera?"]
    assert answers["abstention"] == (0.0 if opera["found"] else 100.0)
    assert answers["questions"] == 6 and answers["modes"] == {"extractive": 6}
    assert summary["f1"] == answers["f1"]
    assert sum(line.startswith("[") for line in lines) == 6  # a line a question
    assert "Answers extractive (no model), 6 question(s)" in report.markdown()


def test_a_korean_question_finds_its_korean_turn(locomo_file: Path) -> None:
    report = run_locomo(locomo_file, mode="lexical", model="none", categories=[4])
    rows = by_question(report.summary()["per_question"])
    korean = rows["지우는 어디에서 자전거를 샀어요?"]
    assert korean["recall"]["1"] == 100.0
    assert korean["found"] is True and korean["contains"] is True


def test_a_conversation_with_no_question_picked_is_not_ingested(locomo_file: Path) -> None:
    report = run_locomo(locomo_file, mode="lexical", categories=[5], answers=False)
    assert report.conversations == ("conv-ko",)
    assert [r.qa.category for r in report.results] == [5]
    assert report.summary()["answers"] is None
    sampled = run_locomo(locomo_file, mode="lexical", sample=2, seed=1, answers=False)
    picked = select_questions(all_questions(), sample=2, seed=1)
    assert [r.qa for r in sampled.results] == picked
    assert sampled.conversations == tuple(dict.fromkeys(q.sample_id for q in picked))
    with pytest.raises(UserError):
        run_locomo(locomo_file, categories=[6])


class AnsweringLLM(ScriptedLLM):
    """Quotes its first source with [1]; says it finds nothing about an opera; and
    makes up where Tom's brother went (an answer the support check must reject)."""

    def __init__(self) -> None:
        super().__init__(name="answering", chunk_size=5)

    @staticmethod
    def reply(messages: Sequence[Message]) -> str:
        prompt = str(messages[-1]["content"])
        if "opera" in prompt:
            return "I don't find this in your memory."
        if "Lisbon?" in prompt:
            return "Tom's brother sailed to Antarctica with seventeen penguins [1]."
        for line in prompt.splitlines():
            if line.startswith("[1] "):
                body = line.split('": ', 1)[1] if '": ' in line else line.split(": ", 1)[1]
                return body.strip(' "…') + " [1]"
        return "I don't find this in your memory."

    def stream(self, messages: Sequence[Message], **options: Any) -> Iterator[Delta | Completion]:
        self.script = [self.reply]
        return super().stream(messages, **options)


@pytest.fixture
def models(monkeypatch: pytest.MonkeyPatch) -> list[AnsweringLLM]:
    """The ``test`` model backend, answering with :class:`AnsweringLLM`: each model it
    made, in order (one per memory)."""
    made: list[AnsweringLLM] = []

    def factory(settings: LLMSettings) -> AnsweringLLM:
        made.append(AnsweringLLM())
        return made[-1]

    monkeypatch.setitem(BUILTIN_BACKENDS, "test", factory)
    return made


def test_answers_by_a_model(locomo_file: Path, models: list[AnsweringLLM]) -> None:
    report = run_locomo(locomo_file, mode="lexical", model=None, llm_settings={"backend": "test"})
    assert len(models) == 2  # one memory a conversation, its model loaded once
    rows = by_question(report.summary()["per_question"])
    opera = rows["What is Anna's favourite opera?"]
    assert opera["mode"] == "generative" and opera["found"] is False
    lisbon = rows["When did Tom's brother move to Lisbon?"]
    assert lisbon["mode"] == "extractive-fallback" and "Antarctica" not in lisbon["answer"]
    russian = rows["Что Ольга купила в Казани?"]
    assert russian["mode"] == "generative" and russian["contains"] is True
    cat = rows["What is the name of Anna's grey cat?"]
    assert cat["mode"] == "generative" and cat["found"] and cat["contains"] is True
    kept = [row for row in rows.values() if row["mode"] == "generative" and row["found"]]
    assert len(kept) >= 3
    generated = [row for row in rows.values() if row["mode"] != "extractive"]
    assert len(generated) >= 5
    assert all(row["first_token"] is not None for row in generated)
    assert all(0 < row["first_token"] <= row["latency"] for row in generated)
    answers = report.summary()["answers"]
    assert answers["model"] == "answering" and report.answers == "answering"
    assert answers["kept_generative"] == round(100 * len(kept) / 6, 2)
    assert answers["abstention"] == 100.0
    assert answers["modes"]["extractive-fallback"] == 1
    assert answers["first_token_p50"] is not None
    assert "| F1 | contains | abstention | kept |" in report.markdown()


def test_packing_reports_the_evidence_a_model_would_be_shown(
    locomo_file: Path, models: list[AnsweringLLM]
) -> None:
    settings = {"backend": "test"}
    asked = run_locomo(locomo_file, mode="lexical", model=None, llm_settings=settings)
    calls = sum(len(m.calls) for m in models)
    packed = run_locomo(
        locomo_file, mode="lexical", model=None, llm_settings=settings, packing=True
    )
    assert sum(len(m.calls) for m in models) == calls  # nothing generated
    # the same excerpts as the model was given when it answered
    assert [r.shown for r in packed.results] == [r.shown for r in asked.results]
    shown = packed.summary()["answers"]
    assert shown["evidence_shown"] == asked.summary()["answers"]["evidence_shown"]
    assert shown["evidence_shown"] is not None and 0 < shown["evidence_shown"] <= 100
    assert set(shown["evidence_shown_by_category"]) <= {"1", "2", "3", "4"}


def test_recorded_drafts_are_checked_again_without_generating(
    locomo_file: Path, models: list[AnsweringLLM]
) -> None:
    settings = {"backend": "test"}
    asked = run_locomo(locomo_file, mode="lexical", model=None, llm_settings=settings)
    rows = asked.summary()["per_question"]
    drafts = {(r["sample_id"], r["question"]): r["draft"] for r in rows if r["draft"]}
    calls = sum(len(m.calls) for m in models)
    again = run_locomo(
        locomo_file, mode="lexical", model=None, llm_settings=settings, replay=drafts
    )
    assert sum(len(m.calls) for m in models) == calls  # nothing generated
    assert [r["answer"] for r in again.summary()["per_question"]] == [r["answer"] for r in rows]
    # a draft changed by hand is checked as the model's: an invention is not kept
    lisbon = next(k for k in drafts if k[1] == "When did Tom's brother move to Lisbon?")
    changed = run_locomo(
        locomo_file,
        mode="lexical",
        model=None,
        llm_settings=settings,
        replay={**drafts, lisbon: "He sailed to Antarctica [1]."},
    )
    row = by_question(changed.summary()["per_question"])[lisbon[1]]
    assert "Antarctica" not in row["answer"] and row["draft"] == "He sailed to Antarctica [1]."


def test_the_command_samples_answers_and_reports(locomo_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["eval", "locomo", str(locomo_file), "--mode", "lexical", "--json", str(out)]
    chosen = ["--sample", "3", "--seed", "2", "--category", "4", "--category", "5"]
    result = CliRunner().invoke(app, [*args, *chosen, "--answers"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["selection"] == {
        "sample": 3,
        "seed": 2,
        "categories": [4, 5],
        "reasoning": "off",
    }
    rows = report["per_question"]
    expected = select_questions(all_questions(), sample=3, seed=2, categories=[4, 5])
    assert [row["question"] for row in rows] == [q.question for q in expected]
    assert report["answers"]["questions"] == 3
    assert set(report["answers"]) >= {
        "f1",
        "contains",
        "f1_by_category",
        "contains_by_category",
        "abstention",
        "kept_generative",
        "latency_p50",
        "latency_p95",
        "first_token_p50",
        "questions",
        "model",
    }
    assert "[3/3]" in result.stderr and "| F1 | contains |" in result.stdout
    quiet = CliRunner().invoke(app, [*args, *chosen, "--no-answers"])
    assert quiet.exit_code == 0, quiet.output
    assert "[1/3]" not in quiet.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["answers"] is None
    wrong = CliRunner().invoke(app, [*args, "--category", "6"])
    assert wrong.exit_code != 0
