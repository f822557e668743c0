"""``lifelog eval locomo``: evidence recall and answer F1 on LoCoMo conversations.

LoCoMo (Maharana et al., "Evaluating Very Long-Term Conversational Memory of LLM
Agents", ACL 2024) holds long two-person chats with questions whose evidence is
a list of turns (``D3:5`` = session 3, turn 5). Each conversation is ingested
on its own, as a person's chat history, into a fresh temporary memory through
the ordinary ``locomo`` source: only ``sample_id`` and ``conversation`` are
written to the file it reads, so the system under test never sees the
questions, answers or summaries. Each question is then asked as of the day
after the conversation's last session.

Measured: evidence recall@k (k = 1, 5, 10, 20) of the retrieved turns, token
F1 of the answers for categories 1–4, and for category 5 (unanswerable) the
share of answers that say the memory does not hold it.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..sources.locomo import parse_session_date
from .metrics import mean, recall_at_k, token_f1

__all__ = [
    "CATEGORIES",
    "KS",
    "QA",
    "LocomoReport",
    "QuestionResult",
    "load_samples",
    "question_date",
    "questions_of",
    "run_locomo",
]

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
ANSWERABLE = (1, 2, 3, 4)
KS = (1, 5, 10, 20)
MODES = ("lexical", "vector", "hybrid")

_DIA = re.compile(r"D(\d+)\s*:\s*(\d+)", re.I)
_SESSION_DATE = re.compile(r"session_(\d+)_date_time")


@dataclass(frozen=True, slots=True)
class QA:
    sample_id: str
    question: str
    answer: str
    evidence: tuple[str, ...]
    category: int


@dataclass(frozen=True, slots=True)
class QuestionResult:
    qa: QA
    #: dialogue ids of the retrieved turns, best first
    retrieved: tuple[str, ...]
    answer: str | None = None
    found: bool | None = None
    retrieve_ms: float = 0.0

    def recall(self, k: int) -> float:
        return recall_at_k(self.retrieved, self.qa.evidence, k)

    @property
    def f1(self) -> float | None:
        if self.answer is None or self.qa.category not in ANSWERABLE:
            return None
        return token_f1(self.answer, self.qa.answer)


@dataclass(frozen=True, slots=True)
class LocomoReport:
    mode: str
    results: tuple[QuestionResult, ...]
    conversations: tuple[str, ...]
    answers: str | None = None  # how answers were made ("extractive", a model), None = not asked
    timings: Mapping[str, float] = field(default_factory=dict)

    def _of(self, categories: Iterable[int]) -> list[QuestionResult]:
        wanted = set(categories)
        return [r for r in self.results if r.qa.category in wanted and r.qa.evidence]

    def recall(self, k: int, categories: Iterable[int] = ANSWERABLE) -> float:
        return 100 * mean(r.recall(k) for r in self._of(categories))

    def f1(self, categories: Iterable[int] = ANSWERABLE) -> float | None:
        scores = [
            f for r in self.results if r.qa.category in set(categories) if (f := r.f1) is not None
        ]
        return 100 * mean(scores) if scores else None

    def abstention(self) -> float | None:
        adversarial = [r for r in self.results if r.qa.category == 5 and r.found is not None]
        if not adversarial:
            return None
        return 100 * mean(0.0 if r.found else 1.0 for r in adversarial)

    def categories(self) -> list[int]:
        return sorted({r.qa.category for r in self.results})

    def summary(self) -> dict[str, Any]:
        """The JSON report: percentages; categories 1–4 where none is named."""
        scored = self._of(ANSWERABLE)
        by_category: dict[str, dict[str, float]] = {}
        f1_by_category: dict[str, float] = {}
        counts: dict[str, int] = {}
        for category in self.categories():
            name = str(category)
            counts[name] = sum(1 for r in self.results if r.qa.category == category)
            if self._of([category]):
                by_category[name] = {str(k): round(self.recall(k, [category]), 2) for k in KS}
            f1 = self.f1([category]) if category in ANSWERABLE else None
            if f1 is not None:
                f1_by_category[name] = round(f1, 2)
        f1_all = self.f1()
        abstention = self.abstention()
        return {
            "recall": {str(k): round(self.recall(k), 2) for k in KS},
            "recall_by_category": by_category,
            "f1": round(f1_all, 2) if f1_all is not None else None,
            "f1_by_category": f1_by_category,
            "abstention": round(abstention, 2) if abstention is not None else None,
            "questions": len(scored),
            "questions_by_category": counts,
            "mode": self.mode,
            "answers": self.answers,
            "conversations": list(self.conversations),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def markdown(self) -> str:
        header = "| category | questions | R@1 | R@5 | R@10 | R@20 | F1 |"
        lines = [
            f"LoCoMo, {len(self.conversations)} conversation(s), retrieval `{self.mode}`,"
            f" answers: {self.answers or 'not asked'}",
            "",
            header,
            "|---|---:|---:|---:|---:|---:|---:|",
        ]

        def row(label: str, categories: Sequence[int]) -> str:
            recalls = " | ".join(f"{self.recall(k, categories):.1f}" for k in KS)
            f1 = self.f1(categories)
            f1_text = f"{f1:.1f}" if f1 is not None else "–"
            return f"| {label} | {len(self._of(categories))} | {recalls} | {f1_text} |"

        for category in self.categories():
            if self._of([category]):
                lines.append(row(f"{category} {CATEGORIES.get(category, '?')}", [category]))
        lines.append(row("**1–4**", ANSWERABLE))
        abstention = self.abstention()
        if abstention is not None:
            total = sum(1 for r in self.results if r.qa.category == 5)
            lines += ["", f"Abstention on category 5 (adversarial): {abstention:.1f}% of {total}."]
        timings = self.timings
        if timings:
            lines += [
                "",
                "Ingest {:.1f} s, embed {:.1f} s; retrieval p50 {:.1f} ms, p95 {:.1f} ms.".format(
                    timings.get("ingest_s", 0.0),
                    timings.get("embed_s", 0.0),
                    timings.get("retrieve_p50_ms", 0.0),
                    timings.get("retrieve_p95_ms", 0.0),
                ),
            ]
        return "\n".join(lines)


def load_samples(path: Path) -> list[dict[str, Any]]:
    """The samples of a LoCoMo file (a JSON list); a clear error when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path} is not a LoCoMo file: invalid JSON ({error})") from error
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(
        isinstance(s, dict) and isinstance(s.get("conversation"), dict) for s in data
    ):
        raise UserError(f"{path} is not a LoCoMo file: expected a list of samples")
    return data


def dialogue_ids(value: Any) -> tuple[str, ...]:
    """``D3:5`` ids in any evidence value (some list several in one string)."""
    texts = value if isinstance(value, list) else [value]
    found: list[str] = []
    for text in texts:
        for match in _DIA.finditer(str(text)):
            found.append(f"D{int(match[1])}:{int(match[2])}")
    return tuple(dict.fromkeys(found))


def questions_of(sample: Mapping[str, Any], sample_id: str) -> list[QA]:
    questions: list[QA] = []
    for qa in sample.get("qa") or []:
        if not isinstance(qa, dict) or not isinstance(qa.get("question"), str):
            continue
        try:
            category = int(qa.get("category", 0))
        except (TypeError, ValueError):
            continue
        answer = qa.get("answer", qa.get("adversarial_answer", ""))
        questions.append(
            QA(sample_id, qa["question"], str(answer), dialogue_ids(qa.get("evidence")), category)
        )
    return questions


def question_date(conversation: Mapping[str, Any]) -> datetime | None:
    """The day after the conversation's last session (midnight, UTC)."""
    dates = [
        moment
        for key, value in conversation.items()
        if _SESSION_DATE.fullmatch(key)
        and isinstance(value, str)
        and isinstance(conversation.get(key.removesuffix("_date_time")), list)
        and (moment := parse_session_date(value)) is not None
    ]
    if not dates:
        return None
    last = max(dates)
    return last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_locomo(
    path: Path,
    *,
    mode: str = "hybrid",
    limit_conversations: int | None = None,
    conversations: Sequence[str] = (),
    model: str | None = "none",
    answers: bool = True,
    encryption: str = "none",
    progress: Callable[[str], None] | None = None,
) -> LocomoReport:
    """Run the benchmark on the LoCoMo file at ``path``; see the module docstring.

    ``model`` is passed to ``Memory.ask`` (``"none"``: extractive answers; ``None``:
    the configured model). ``answers=False`` measures retrieval only.
    """
    from ..memory import Memory

    if mode not in MODES:
        raise UserError(f"unknown retrieval mode {mode!r}: use {', '.join(MODES)}")
    samples = load_samples(path)
    chosen: list[tuple[str, dict[str, Any]]] = []
    for number, sample in enumerate(samples, start=1):
        sample_id = str(sample.get("sample_id") or f"sample-{number}")
        if conversations and sample_id not in conversations:
            continue
        chosen.append((sample_id, sample))
    if limit_conversations is not None:
        chosen = chosen[: max(0, limit_conversations)]
    results: list[QuestionResult] = []
    ingest_s = embed_s = 0.0
    latencies: list[float] = []
    for sample_id, sample in chosen:
        conversation = sample["conversation"]
        now = question_date(conversation)
        with tempfile.TemporaryDirectory(prefix="lifelog-locomo-") as tmp:
            chat = Path(tmp) / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', sample_id)}.json"
            # the chat only: the questions, answers and summaries stay out of the memory
            chat.write_text(
                json.dumps([{"sample_id": sample_id, "conversation": conversation}]),
                encoding="utf-8",
            )
            started = time.perf_counter()
            with Memory.init(Path(tmp) / "memory", encryption=encryption) as memory:
                memory.ingest(chat, embed=False)
                ingest_s += time.perf_counter() - started
                if mode != "lexical":
                    started = time.perf_counter()
                    memory.embed_pending()
                    embed_s += time.perf_counter() - started
                for qa in questions_of(sample, sample_id):
                    started = time.perf_counter()
                    hits = memory.retrieve(qa.question, now=now, limit=max(KS), mode=mode)
                    elapsed = (time.perf_counter() - started) * 1000
                    latencies.append(elapsed)
                    retrieved = tuple(
                        d for h in hits for d in dialogue_ids(h.item.metadata.get("dia_id", ""))
                    )
                    text = found = None
                    if answers:
                        reply = memory.ask(qa.question, now=now, model=model)
                        text, found = reply.text, reply.found
                    results.append(QuestionResult(qa, retrieved, text, found, elapsed))
        if progress is not None:
            done = [r for r in results if r.qa.sample_id == sample_id]
            progress(f"{sample_id}: {len(done)} questions")
    timings = {
        "ingest_s": ingest_s,
        "embed_s": embed_s,
        "retrieve_p50_ms": _percentile(latencies, 0.5),
        "retrieve_p95_ms": _percentile(latencies, 0.95),
    }
    how = None
    if answers:
        how = "extractive" if model == "none" else (model or "the configured model")
    return LocomoReport(mode, tuple(results), tuple(s for s, _ in chosen), how, timings)
