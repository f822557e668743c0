"""Retrieval and answer metrics for benchmarks, small and pure.

- Evidence recall@k: the share of a question's evidence found among the first
  ``k`` retrieved units (as in LoCoMo, Maharana et al., ACL 2024, §5).
- Token F1: the harmonic mean of token precision and recall between a predicted
  and a gold answer after SQuAD-style normalisation (lower case, no punctuation,
  no articles; Rajpurkar et al., EMNLP 2016) as LoCoMo's scorer does it (which
  also drops "and" and stems words: here with the answerer's light suffix
  stripper in place of Porter's).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence

from ..answer.extractive import stem

__all__ = ["mean", "normalize_answer", "recall_at_k", "token_f1"]

_ARTICLES = re.compile(r"\b(a|an|the|and)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "‘’“”…–—"})
_CITATION = re.compile(r"\[\d+\]")


def normalize_answer(text: str) -> str:
    """Lower case, citations ``[n]``, punctuation and articles removed, spaces collapsed."""
    text = _CITATION.sub(" ", str(text).lower())
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
