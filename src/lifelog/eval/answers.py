"""The answer figures of ``lifelog eval locomo --answers``: how good the answers were,
how often the model's own answer was kept, and how long they took.

Definitions (percentages 0–100 rounded to 2 decimals; times in seconds, rounded
to the millisecond):

- ``f1``: the mean token F1 (:func:`~lifelog.eval.metrics.token_f1`, which strips
  citations ``[n]``) of the answers to categories 1–4 against the gold answer;
  ``f1_by_category``: the same for each category.
- ``contains``: the share of the answers to categories 1–4 whose normalised text
  (:func:`~lifelog.eval.metrics.normalize_answer`) contains the normalised gold
  answer as whole words (:func:`~lifelog.eval.metrics.answer_contains`; a gold
  answer that is a number in the file is compared as its text);
  ``contains_by_category``: the same for each category.
- ``abstention``: the share of the answers to category 5 (adversarial: the memory
  does not hold the answer) that abstain, i.e. whose ``Answer.found`` is false.
- ``kept_generative``: the share of all the answers asked (every category) whose
  ``Answer.mode`` is ``generative`` with ``found`` true: the model's own answer,
  kept after its citations and support were checked. The rest are the model saying
  it found nothing (``generative``, not found), quotes that replaced an unsupported
  answer (``extractive-fallback``), or quotes where the model failed or had no
  evidence to read (``extractive``). ``None`` when no model answered (``--model
  none``, or a model that could not be loaded).
- ``latency_p50``, ``latency_p95``: nearest-rank percentiles
  (:func:`~lifelog.eval.metrics.percentile`) of the wall time of one
  ``Memory.ask`` (its retrieval included; loading the model is not: that happens
  before a conversation's first question is timed).
- ``first_token_p50``: the median time from asking to the first words of the
  answer, which leave only once checked.
- ``evidence_shown``: the share of the evidence turns of the questions of categories
  1–4 that were among the excerpts the answering model was given (the prompt of its
  answer; ``--packing`` measures it without generating); ``evidence_shown_by_category``: the same
  for each category. Retrieval recall counts the first ten hits; this counts what
  the answer could rest on.
- ``gold_shown``, ``gold_held``: the share of the questions of categories 1–4 whose
  gold answer occurs word for word (as ``contains`` tests it) in the excerpts the
  model was shown, and anywhere in the memory's items: the ceiling of ``contains``
  for an answer made of the sources' own words (a date LoCoMo's annotators worked
  out, "The week before 9 June 2023", or a list gathered from several turns, is in
  neither); ``gold_shown_by_category``: the first for each category.
- ``modes``: how many answers had each ``Answer.mode``; ``questions``: how many
  questions were answered; ``model``: the model's name, ``"none"`` when no model
  answered.

A figure with no answer to average is ``None``; a category with none is left out
of the ``*_by_category`` objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .metrics import mean, percentile, recall_at_k

if TYPE_CHECKING:
    from .locomo import QuestionResult

__all__ = [
    "ANSWERABLE",
    "abstention",
    "answers_markdown",
    "answers_summary",
    "contains",
    "f1",
    "gold_share",
    "kept_generative",
    "question_rows",
]

#: the LoCoMo categories with a gold answer (5, adversarial, has none)
ANSWERABLE = (1, 2, 3, 4)


def _answered(results: Iterable[QuestionResult], categories: Iterable[int]) -> list[QuestionResult]:
    wanted = set(categories)
    return [r for r in results if r.answer is not None and r.qa.category in wanted]


def _share(flags: Sequence[bool]) -> float | None:
    return 100 * mean(1.0 if flag else 0.0 for flag in flags) if flags else None


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def f1(results: Iterable[QuestionResult], categories: Iterable[int] = ANSWERABLE) -> float | None:
    """Mean token F1 (0–100) of the answers in ``categories`` (1–4 only)."""
    scores = [s for r in _answered(results, categories) if (s := r.f1) is not None]
    return 100 * mean(scores) if scores else None


def contains(
    results: Iterable[QuestionResult], categories: Iterable[int] = ANSWERABLE
) -> float | None:
    """Share (0–100) of the answers in ``categories`` (1–4 only) holding the gold one."""
    return _share([c for r in _answered(results, categories) if (c := r.contains) is not None])


def abstention(results: Iterable[QuestionResult]) -> float | None:
    """Share (0–100) of the category-5 answers that say the memory does not hold it."""
    return _share([not r.found for r in _answered(results, [5])])


def kept_generative(results: Iterable[QuestionResult], model: str | None) -> float | None:
    """Share (0–100) of all answers that are the model's, found and checked; ``None``
    when no model answered (``model`` is ``None``)."""
    if model is None:
        return None
    answered = [r for r in results if r.answer is not None]
    return _share([r.mode == "generative" and bool(r.found) for r in answered])


def shown_recall(results: Iterable[QuestionResult], categories: Iterable[int]) -> float | None:
    """Share (0–100) of the evidence turns that were among the excerpts the answerer was
    given (``shown``), over answered questions of ``categories`` that have evidence."""
    wanted = set(categories)
    scores = [
        recall_at_k(tuple(dia for _n, dia, _a, _b in r.shown), r.qa.evidence, len(r.shown))
        for r in results
        if r.qa.category in wanted and r.qa.evidence and r.shown
    ]
    return 100 * mean(scores) if scores else None


def gold_share(
    results: Iterable[QuestionResult], where: str, categories: Iterable[int] = ANSWERABLE
) -> float | None:
    """Share (0–100) of the answered questions in ``categories`` whose gold answer occurs
    word for word in what the model was shown (``where`` "shown") or in the memory
    ("held")."""
    flags = [
        flag
        for r in _answered(results, categories)
        if (flag := r.gold_shown if where == "shown" else r.gold_held) is not None
    ]
    return _share(flags)


def answers_summary(results: Sequence[QuestionResult], model: str | None) -> dict[str, Any]:
    """The ``"answers"`` object of the JSON report; see the module docstring."""
    answered = [r for r in results if r.answer is not None]
    categories = sorted({r.qa.category for r in answered})
    f1_by_category: dict[str, float | None] = {}
    contains_by_category: dict[str, float | None] = {}
    shown_by_category: dict[str, float | None] = {}
    gold_by_category: dict[str, float | None] = {}
    for category in categories:
        if category in ANSWERABLE:
            f1_by_category[str(category)] = _round(f1(answered, [category]))
            contains_by_category[str(category)] = _round(contains(answered, [category]))
            shown_by_category[str(category)] = _round(shown_recall(answered, [category]))
            gold_by_category[str(category)] = _round(gold_share(answered, "shown", [category]))
    latencies = [r.latency_s for r in answered if r.latency_s is not None]
    first_tokens = [r.first_token_s for r in answered if r.first_token_s is not None]
    return {
        "f1": _round(f1(answered)),
        "contains": _round(contains(answered)),
        "f1_by_category": f1_by_category,
        "contains_by_category": contains_by_category,
        "evidence_shown": _round(shown_recall(answered, ANSWERABLE)),
        "evidence_shown_by_category": shown_by_category,
        "gold_shown": _round(gold_share(answered, "shown")),
        "gold_held": _round(gold_share(answered, "held")),
        "gold_shown_by_category": gold_by_category,
        "abstention": _round(abstention(answered)),
        "kept_generative": _round(kept_generative(answered, model)),
        "latency_p50": _round(percentile(latencies, 0.5), 3),
        "latency_p95": _round(percentile(latencies, 0.95), 3),
        "first_token_p50": _round(percentile(first_tokens, 0.5), 3),
        "modes": dict(sorted(Counter(r.mode or "?" for r in answered).items())),
        "questions": len(answered),
        "model": model or "none",
    }


def answers_markdown(results: Sequence[QuestionResult], model: str | None) -> list[str]:
    """The answers table of the report (lines, none when no answer was asked)."""
    summary = answers_summary(results, model)
    if not summary["questions"]:
        return []

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f}"

    def secs(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f} s"

    who = f"by {model}" if model is not None else "extractive (no model)"
    return [
        f"Answers {who}, {summary['questions']} question(s): F1 and contains on categories"
        " 1–4, abstention on 5, kept: the model's own answer, found and checked.",
        "",
        "| F1 | contains | abstention | kept | latency p50 | latency p95 | first token p50 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        "| {} | {} | {} | {} | {} | {} | {} |".format(
            pct(summary["f1"]),
            pct(summary["contains"]),
            pct(summary["abstention"]),
            pct(summary["kept_generative"]),
            secs(summary["latency_p50"]),
            secs(summary["latency_p95"]),
            secs(summary["first_token_p50"]),
        ),
        "",
        f"The gold answer occurs word for word in the excerpts shown to the model for"
        f" {pct(summary['gold_shown'])}% of the questions of categories 1–4, and in the"
        f' memory for {pct(summary["gold_held"])}%: the ceiling of "contains" for an'
        " answer in the sources' own words.",
    ]


def question_rows(results: Iterable[QuestionResult], ks: Iterable[int]) -> list[dict[str, Any]]:
    """One object a question for the JSON report, to tell why a figure is what it is."""
    rows = []
    for r in results:
        score = r.f1
        rows.append(
            {
                "sample_id": r.qa.sample_id,
                "category": r.qa.category,
                "question": r.qa.question,
                "gold": r.qa.answer,
                "answer": r.answer,
                "draft": r.draft,
                "notes": list(r.notes),
                "shown": [list(s) for s in r.shown],
                "mode": r.mode,
                "found": r.found,
                "f1": None if score is None else round(100 * score, 2),
                "contains": r.contains,
                "gold_shown": r.gold_shown,
                "gold_held": r.gold_held,
                "latency": _round(r.latency_s, 3),
                "first_token": _round(r.first_token_s, 3),
                "recall": {str(k): round(100 * r.recall(k), 2) for k in ks}
                if r.qa.evidence
                else None,
            }
        )
    return rows
