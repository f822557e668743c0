"""Retrieval and answer metrics for benchmarks, small and pure.

- Evidence recall@k: the share of a question's evidence found among the first
  ``k`` retrieved units (as in LoCoMo, Maharana et al., ACL 2024, §5).
- Token F1: the harmonic mean of token precision and recall between a predicted
  and a gold answer after SQuAD-style normalisation (lower case, no punctuation,
  no articles; Rajpurkar et al., EMNLP 2016) as LoCoMo's scorer does it (which
  also drops "and" and stems words: here with the answerer's light suffix
  stripper in place of Porter's).
- Containment: whether the normalised gold answer occurs, as whole words, in the
  normalised prediction (lenient where a long answer holds the right one).

Normalising also spells dates one way, in gold and prediction alike: a day glued to its
month is parted ("15April" → "15 april": nineteen of LoCoMo's dev answers are typed so),
ordinal days lose their suffix ("October 13th" → "october 13") and a month before its
day comes after it ("August 15, 2023" → "15 august 2023"), so that the same date in two
spellings is the same words.
- Percentiles by the nearest-rank method.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence

from ..index.sentences import stem
from ..retrieval.dates import MONTH_NAMES, MONTHS

__all__ = [
    "answer_contains",
    "mean",
    "normalize_answer",
    "percentile",
    "recall_at_k",
    "token_f1",
]

_ARTICLES = re.compile(r"\b(a|an|the|and)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "‘’“”…–—"})
_CITATION = re.compile(r"\[\d+\]")
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_GLUED = re.compile(rf"\b(\d{{1,2}})({_MONTH})\b")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.? (\d{{1,2}})\b(?!:)")


def _spell_dates(text: str) -> str:
    """Dates in one spelling (lower-case text): see the module docstring."""
    text = _GLUED.sub(r"\1 \2", text)
    text = _ORDINAL.sub(r"\1", text)
    return _MONTH_DAY.sub(lambda m: f"{m[2]} {MONTH_NAMES[MONTHS[m[1]] - 1]}", text)


def normalize_answer(text: str) -> str:
    """Lower case, citations ``[n]``, punctuation and articles removed, dates spelt one
    way, spaces collapsed."""
    text = _spell_dates(_CITATION.sub(" ", str(text).lower()))
    text = text.translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    """Token F1 in [0, 1]; two empty answers agree (1.0), one empty one scores 0."""
    predicted = [stem(w) for w in normalize_answer(prediction).split()]
    truth = [stem(w) for w in normalize_answer(gold).split()]
    if not predicted or not truth:
        return float(predicted == truth)
    common = Counter(predicted) & Counter(truth)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(predicted)
    recall = same / len(truth)
    return 2 * precision * recall / (precision + recall)


def answer_contains(prediction: str, gold: str) -> bool:
    """Whether normalised ``gold`` occurs in normalised ``prediction`` as whole words
    ("7 May 2023" in "on 7 May 2023 [1]"; "7" not in "17"). An empty gold is never
    contained."""
    truth = normalize_answer(str(gold))
    return bool(truth) and f" {truth} " in f" {normalize_answer(str(prediction))} "


def recall_at_k(retrieved: Sequence[str], evidence: Iterable[str], k: int) -> float:
    """Share of ``evidence`` among the first ``k`` of ``retrieved`` (1.0 when there is
    no evidence to find)."""
    wanted = set(evidence)
    if not wanted:
        return 1.0
    return len(wanted & set(retrieved[:k])) / len(wanted)


def mean(values: Iterable[float]) -> float:
    numbers = list(values)
    return sum(numbers) / len(numbers) if numbers else 0.0


def percentile(values: Iterable[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in [0, 1]): the smallest value with at
    least ``share`` of the values at or below it; ``None`` when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(round(share * len(ordered), 9)))  # 0.95 * 20 is 19, not 19.000…1
    return ordered[min(rank, len(ordered)) - 1]
