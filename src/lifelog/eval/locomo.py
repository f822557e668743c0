"""``lifelog eval locomo``: evidence recall and answer F1 on LoCoMo conversations.

LoCoMo (Maharana et al., "Evaluating Very Long-Term Conversational Memory of LLM
Agents", ACL 2024) holds long two-person chats with questions whose evidence is
a list of turns (``D3:5`` = session 3, turn 5). Each conversation is ingested
on its own, as a person's chat history, into a fresh temporary memory through
the ordinary ``locomo`` source: only ``sample_id`` and ``conversation`` are
written to the file it reads, so the system under test never sees the
questions, answers or summaries. Each question is then asked as of the day
after the conversation's last session.

Measured: evidence recall@k (k = 1, 5, 10, 20) of the retrieved turns and,
when answers are asked, their token F1 and containment of the gold answer for
categories 1–4, for category 5 (unanswerable) the share of answers that say the
memory does not hold it, how often the model's own answer was kept, and how long
answers took: the definitions are in :mod:`lifelog.eval.answers`.

Which questions: those of the chosen conversations in the chosen categories
(1–5 unless told), or a sample of ``sample`` of them drawn with
``random.Random(seed)`` over their order in the file, so that the same sample
size and seed pick the same questions on any machine (:func:`select_questions`).
A conversation none of whose questions was picked is not ingested.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..answer.extractive import NOT_FOUND, extractive_answer
from ..errors import ModelError, UserError
from ..models.llm import LLM, Completion, Message
from ..records import Answer
from ..sources.chat.locomo import parse_session_date
from .answers import ANSWERABLE, answers_markdown, answers_summary, question_rows
from .answers import abstention as abstention_share
from .answers import contains as contains_share
from .answers import f1 as f1_mean
from .metrics import answer_contains, mean, percentile, recall_at_k, token_f1

if TYPE_CHECKING:
    from ..memory import Memory

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
    "select_questions",
]

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
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
    #: ``Answer.mode`` ("generative", "extractive", "extractive-fallback" …)
    mode: str | None = None
    #: wall seconds of ``Memory.ask``, and to its first generated token (``None``: none came)
    latency_s: float | None = None
    first_token_s: float | None = None
    #: the model's own answer before lifelog's checks, and what it was shown:
    #: (number, dialogue id, start, end) of each excerpt (for the support check's labels)
    draft: str | None = None
    shown: tuple[tuple[int, str, int, int], ...] = ()
    #: the answer's notes: what lifelog changed, and why an answer was withheld
    notes: tuple[str, ...] = ()
    #: whether the gold answer occurs, word for word, in the excerpts the model was shown
    #: and anywhere in the memory's items (the ceiling of an answer in the sources' words)
    gold_shown: bool | None = None
    gold_held: bool | None = None

    def recall(self, k: int) -> float:
        return recall_at_k(self.retrieved, self.qa.evidence, k)

    @property
    def f1(self) -> float | None:
        if self.answer is None or self.qa.category not in ANSWERABLE:
            return None
        return token_f1(self.answer, self.qa.answer)

    @property
    def contains(self) -> bool | None:
        if self.answer is None or self.qa.category not in ANSWERABLE:
            return None
        return answer_contains(self.answer, self.qa.answer)


@dataclass(frozen=True, slots=True)
class LocomoReport:
    mode: str
    results: tuple[QuestionResult, ...]
    conversations: tuple[str, ...]
    answers: str | None = None  # how answers were made ("extractive", a model), None = not asked
    timings: Mapping[str, float] = field(default_factory=dict)
    #: the name of the model that answered; ``None``: extractive answers or none asked
    model: str | None = None
    #: how the questions were chosen: ``sample`` (``None``: all), ``seed``, ``categories``
    selection: Mapping[str, Any] = field(default_factory=dict)

    def _of(self, categories: Iterable[int]) -> list[QuestionResult]:
        wanted = set(categories)
        return [r for r in self.results if r.qa.category in wanted and r.qa.evidence]

    def recall(self, k: int, categories: Iterable[int] = ANSWERABLE) -> float:
        return 100 * mean(r.recall(k) for r in self._of(categories))

    def f1(self, categories: Iterable[int] = ANSWERABLE) -> float | None:
        return f1_mean(self.results, categories)

    def contains(self, categories: Iterable[int] = ANSWERABLE) -> float | None:
        return contains_share(self.results, categories)

    def abstention(self) -> float | None:
        return abstention_share(self.results)

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
            "answers": (
                answers_summary(self.results, self.model) if self.answers is not None else None
            ),
            "answered_by": self.answers,
            "selection": dict(self.selection),
            "conversations": list(self.conversations),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "per_question": question_rows(self.results, KS),
        }

    def markdown(self) -> str:
        header = "| category | questions | R@1 | R@5 | R@10 | R@20 | F1 | contains |"
        lines = [
            f"LoCoMo, {len(self.conversations)} conversation(s), retrieval `{self.mode}`,"
            f" answers: {self.answers or 'not asked'}",
            "",
            header,
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]

        def row(label: str, categories: Sequence[int]) -> str:
            recalls = " | ".join(f"{self.recall(k, categories):.1f}" for k in KS)
            scores = [self.f1(categories), self.contains(categories)]
            answers = " | ".join(f"{s:.1f}" if s is not None else "–" for s in scores)
            return f"| {label} | {len(self._of(categories))} | {recalls} | {answers} |"

        for category in self.categories():
            if self._of([category]):
                lines.append(row(f"{category} {CATEGORIES.get(category, '?')}", [category]))
        lines.append(row("**1–4**", ANSWERABLE))
        abstention = self.abstention()
        if abstention is not None:
            total = sum(1 for r in self.results if r.qa.category == 5)
            lines += ["", f"Abstention on category 5 (adversarial): {abstention:.1f}% of {total}."]
        if self.answers is not None and (table := answers_markdown(self.results, self.model)):
            lines += ["", *table]
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
        answer = qa.get("answer")
        if answer is None:
            answer = qa.get("adversarial_answer", "")
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


def select_questions(
    questions: Sequence[QA],
    *,
    sample: int | None = None,
    seed: int = 0,
    categories: Collection[int] = tuple(CATEGORIES),
) -> list[QA]:
    """The ``questions`` in ``categories``, or ``sample`` of them drawn with
    ``random.Random(seed)``; either way in their order (the file's)."""
    wanted = set(categories)
    pool = [qa for qa in questions if qa.category in wanted]
    if sample is None or sample >= len(pool):
        return pool
    picked = random.Random(seed).sample(range(len(pool)), max(0, sample))
    return [pool[i] for i in sorted(picked)]


def _load_model(memory: Memory, model: str | None, note: Callable[[str], None]) -> str | None:
    """Load the answering model before any answer is timed; its name (``None``: none)."""
    try:
        llm = memory.llm(model)
    except ModelError as error:
        note(f"no generative model ({error}): the answers are extractive")
        return None
    return None if llm is None else llm.name


class _Packer:
    """A model's window and tokenizer that generates nothing of its own: the prompt is
    packed as for the model, and the answer is ``reply`` (by default: nothing found)."""

    def __init__(self, llm: LLM, reply: str = NOT_FOUND) -> None:
        self.llm = llm
        self.reply = reply
        self.backend, self.name = llm.backend, llm.name
        self.max_evidence_tokens = getattr(llm, "max_evidence_tokens", None)
        self.max_source_chars = getattr(llm, "max_source_chars", 1600)

    @property
    def context_window(self) -> int:
        return self.llm.context_window

    @property
    def supports_tools(self) -> bool:
        return False

    def count_tokens(self, text: str) -> int:
        return self.llm.count_tokens(text)

    def stream(self, messages: Sequence[Message], **_options: Any) -> Iterator[Completion]:
        yield Completion(content=self.reply)


def _pack(
    memory: Memory, qa: QA, now: datetime | None, model: str | None, draft: str = NOT_FOUND
) -> tuple[Answer, float, float | None]:
    """What the answering model would be shown for ``qa`` (reasoning off), timed; the
    answer is ``draft`` as the model's, checked as lifelog checks it now."""
    from ..answer.generate import ask_events

    started = time.perf_counter()
    llm = memory.llm(model)
    answer: Answer | None = None
    packer = _Packer(llm, draft) if llm is not None else None
    for event in ask_events(memory, qa.question, llm=packer, now=now):
        if event.answer is not None:
            answer = event.answer
    if answer is None:
        answer = extractive_answer(qa.question, [])
    return answer, time.perf_counter() - started, None


def _ask(
    memory: Memory, qa: QA, now: datetime | None, model: str | None, reasoning: str = "off"
) -> tuple[Answer, float, float | None]:
    """``Memory.ask`` as its stream of events, timed: the answer, and seconds in all and
    to its first words (answers are released only once checked, so these are the
    checked answer's first words, not the model's first token)."""
    started = time.perf_counter()
    first: float | None = None
    answer: Answer | None = None
    for event in memory.ask_stream(qa.question, now=now, model=model, reasoning=reasoning):
        if event.kind == "token" and first is None:
            first = time.perf_counter() - started
        elif event.answer is not None:
            answer = event.answer
    elapsed = time.perf_counter() - started
    if answer is None:  # as Memory.ask
        answer = extractive_answer(qa.question, [])
    return answer, elapsed, first


def run_locomo(
    path: Path,
    *,
    mode: str = "hybrid",
    limit_conversations: int | None = None,
    conversations: Sequence[str] = (),
    model: str | None = "none",
    answers: bool = True,
    encryption: str = "none",
    sample: int | None = None,
    seed: int = 0,
    categories: Collection[int] = tuple(CATEGORIES),
    llm_settings: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    reasoning: str = "off",
    packing: bool = False,
    replay: Mapping[tuple[str, str], str] | None = None,
) -> LocomoReport:
    """Run the benchmark on the LoCoMo file at ``path``; see the module docstring.

    ``packing``: each question's prompt is packed for the model but nothing is
    generated (the answers say nothing was found); the report's ``evidence_shown`` is
    then what the model would have been given, in seconds instead of hours.
    ``replay`` maps (sample id, question) to a model's recorded draft (the ``draft``
    of an earlier report's rows): each is checked again by today's checks, on the
    same prompt, without generating; valid while the prompt has not changed.

    ``model`` is passed to ``Memory.ask`` (``"none"``: extractive answers; ``None``:
    the configured model). ``answers=False`` measures retrieval only. ``sample``,
    ``seed`` and ``categories`` choose the questions (:func:`select_questions`).
    ``llm_settings`` is each temporary memory's ``settings["llm"]`` (as in
    ``memory.json``: a backend, a context window …).
    """
    from ..memory import Memory

    if mode not in MODES:
        raise UserError(f"unknown retrieval mode {mode!r}: use {', '.join(MODES)}")
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        raise UserError(f"unknown LoCoMo categories {unknown}: use 1–5")
    if sample is not None and sample < 0:
        raise UserError("the sample size must not be negative")
    samples = load_samples(path)
    chosen: list[tuple[str, dict[str, Any]]] = []
    for number, entry in enumerate(samples, start=1):
        sample_id = str(entry.get("sample_id") or f"sample-{number}")
        if conversations and sample_id not in conversations:
            continue
        chosen.append((sample_id, entry))
    if limit_conversations is not None:
        chosen = chosen[: max(0, limit_conversations)]
    picked = select_questions(
        [qa for sample_id, entry in chosen for qa in questions_of(entry, sample_id)],
        sample=sample,
        seed=seed,
        categories=categories,
    )
    by_conversation: dict[str, list[QA]] = {}
    for qa in picked:
        by_conversation.setdefault(qa.sample_id, []).append(qa)
    chosen = [(sample_id, entry) for sample_id, entry in chosen if sample_id in by_conversation]

    def note(line: str) -> None:
        if progress is not None:
            progress(line)

    results: list[QuestionResult] = []
    ingest_s = embed_s = 0.0
    latencies: list[float] = []
    model_name: str | None = None
    for sample_id, entry in chosen:
        conversation = entry["conversation"]
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
                if llm_settings is not None:
                    memory.config.settings["llm"] = dict(llm_settings)
                memory.ingest(chat, embed=False)
                ingest_s += time.perf_counter() - started
                if mode != "lexical":
                    started = time.perf_counter()
                    memory.embed_pending()
                    embed_s += time.perf_counter() - started
                if answers:
                    model_name = _load_model(memory, model, note) or model_name
                    held = " ".join(i.text for i in memory.timeline(limit=1_000_000))
                for qa in by_conversation[sample_id]:
                    started = time.perf_counter()
                    hits = memory.retrieve(qa.question, now=now, limit=max(KS), mode=mode)
                    elapsed = (time.perf_counter() - started) * 1000
                    latencies.append(elapsed)
                    retrieved = tuple(
                        d for h in hits for d in dialogue_ids(h.item.metadata.get("dia_id", ""))
                    )
                    result = QuestionResult(qa, retrieved, retrieve_ms=elapsed)
                    if answers:
                        recorded = (replay or {}).get((sample_id, qa.question))
                        if recorded is not None:
                            reply, seconds, first = _pack(memory, qa, now, model, recorded)
                        elif packing or replay is not None:
                            reply, seconds, first = _pack(memory, qa, now, model)
                        else:
                            reply, seconds, first = _ask(memory, qa, now, model, reasoning)
                        result = replace(
                            result,
                            answer=reply.text,
                            found=reply.found,
                            mode=reply.mode,
                            latency_s=seconds,
                            first_token_s=first,
                            draft=reply.draft,
                            notes=tuple(reply.notes),
                            shown=tuple(
                                (c.number, str(c.item.metadata.get("dia_id", "")), c.start, c.end)
                                for c in reply.shown
                            ),
                        )
                        if qa.category in ANSWERABLE:
                            seen = " ".join(c.snippet for c in reply.shown)
                            result = replace(
                                result,
                                gold_shown=answer_contains(seen, qa.answer),
                                gold_held=answer_contains(held, qa.answer),
                            )
                        note(_progress_line(result, len(results) + 1, len(picked)))
                    results.append(result)
        note(f"{sample_id}: {len(by_conversation[sample_id])} questions")
    timings = {
        "ingest_s": ingest_s,
        "embed_s": embed_s,
        "retrieve_p50_ms": percentile(latencies, 0.5) or 0.0,
        "retrieve_p95_ms": percentile(latencies, 0.95) or 0.0,
    }
    how = None
    if answers:
        how = model_name or "extractive"
        if model_name and reasoning != "off":
            how += f", reasoning {reasoning}"
    selection = {
        "sample": sample,
        "seed": seed,
        "categories": sorted(set(categories)),
        "reasoning": reasoning,
    }
    return LocomoReport(
        mode,
        tuple(results),
        tuple(s for s, _ in chosen),
        how,
        timings,
        model=model_name if answers else None,
        selection=selection,
    )


def _progress_line(result: QuestionResult, number: int, total: int) -> str:
    score = result.f1
    outcome = (
        f"F1 {100 * score:.1f}"
        if score is not None
        else ("abstained" if not result.found else "answered")
    )
    first = "" if result.first_token_s is None else f", first token {result.first_token_s:.2f} s"
    return (
        f"[{number}/{total}] {result.qa.sample_id} category {result.qa.category}:"
        f" {result.latency_s or 0.0:.2f} s{first}, {result.mode}, {outcome}"
    )
