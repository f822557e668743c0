"""Benchmark metrics: token F1 and evidence recall@k."""

from __future__ import annotations

import pytest

from lifelog.eval.metrics import (
    answer_contains,
    mean,
    normalize_answer,
    percentile,
    recall_at_k,
    token_f1,
)


def test_normalize_answer() -> None:
    assert normalize_answer("The Beach, and a tent! [1]") == "beach tent"
    assert normalize_answer("  7 May,  2023. ") == "7 may 2023"
    assert normalize_answer("") == ""


def test_token_f1() -> None:
    assert token_f1("the beach", "Beach") == 1.0
    # "camping at beach" against "beach": precision 1/3, recall 1
    assert token_f1("camping at the beach", "the beach") == pytest.approx(0.5)
    assert token_f1("painting", "painted") == 1.0  # light stemming, as LoCoMo's Porter
    assert token_f1("mountains", "beach") == 0.0
    assert token_f1("", "") == 1.0
    assert token_f1("something", "") == 0.0
    assert token_f1("a b b", "b b c") == pytest.approx(0.8)  # "a" is an article: gone


def test_recall_at_k() -> None:
    retrieved = ["D1:1", "D1:2", "D2:5", "D3:1"]
    assert recall_at_k(retrieved, ["D2:5"], 1) == 0.0
    assert recall_at_k(retrieved, ["D2:5"], 3) == 1.0
    assert recall_at_k(retrieved, ["D2:5", "D9:9"], 10) == 0.5
    assert recall_at_k(retrieved, [], 5) == 1.0
    assert recall_at_k([], ["D1:1"], 5) == 0.0


def test_mean() -> None:
    assert mean([1.0, 2.0]) == 1.5
    assert mean([]) == 0.0


def test_answer_contains() -> None:
    assert answer_contains("On 7 May, 2023 [1].", "7 May 2023")
    assert not answer_contains("It was 17 [1].", "7")  # whole words only
    assert answer_contains("Она купила красный велосипед [1]", "Красный велосипед")
    assert answer_contains("부산에서 샀어요 [2]", "부산에서")
    assert not answer_contains("the beach", "")
    assert not answer_contains("May 2023", "7 May 2023")


def test_dates_spelt_one_way() -> None:
    # LoCoMo's gold answers type a day glued to its month, ordinals and month-first dates
    assert answer_contains("The week before 15 April 2022 [1].", "The week before 15April, 2022.")
    assert answer_contains("On 15 August 2023 [2].", "August 15, 2023")
    assert answer_contains("The week before 13 October 2023.", "Week before October 13th, 2023")
    assert normalize_answer("Aug. 15th") == "15 august"
    # not a date: a number glued to another word, a time after the month
    assert normalize_answer("a 5K charity run") == "5k charity run"
    assert normalize_answer("May 10:30") == "may 10 30"
    # a different day is still a different date
    assert not answer_contains("On 16 August 2023 [2].", "August 15, 2023")


def test_percentile() -> None:
    values = [float(v) for v in range(1, 21)]  # 1 … 20
    assert percentile(values, 0.5) == 10.0
    assert percentile(values, 0.95) == 19.0
    assert percentile(reversed(values), 1.0) == 20.0
    assert percentile([3.0], 0.95) == 3.0
    assert percentile([2.0, 1.0], 0.5) == 1.0
    assert percentile([], 0.5) is None
