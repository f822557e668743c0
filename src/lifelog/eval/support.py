"""The support check measured on a labelled set of real models' answers.

``lifelog eval locomo --answers --json R.json`` keeps, for each question, the model's
own answer before lifelog checked it (``draft``) and the excerpts it was shown
(``shown``: number, dialogue id, start, end). :func:`label` turns such reports, from
several models, into a labelled set by these written-down rules:

- category 5 (the conversation does not hold the answer): a draft that declines is
  left out (it is not an answer to check); any other draft is **wrong**;
- categories 1–4: a draft that declines is left out; a draft that names a month (beside
  a number) or a year, none of which the gold answer names, is **wrong** ("The week
  before 21 May 2023" for "The week before October 13th, 2023": most of their words
  are the same); a draft that names nothing the question does not ("Melanie" for
  "Whose birthday did Melanie celebrate?"), where the gold answer does, is **wrong**;
  a draft that names neither the month nor the year of a gold date is
  unclear, or wrong below F1 0.2 ("The 15th" for "August 15, 2023" shares the day
  alone); else a draft that contains the gold answer
  (:func:`~lifelog.eval.metrics.answer_contains`) or reaches token F1 ≥ 0.5 against
  it is **right**; one below F1 0.2 that does not contain it is **wrong**; anything
  between is left out as unclear. The stored labels are judged again by these rules
  when measured, each draft as it reads once lifelog has resolved its relative dates.

**Judged by hand.** The rules misjudge answers that say the gold answer in other words
("Seven years" for "Since 2016", asked in 2023; "Tilly helps Joanna stay focused" for
"stuffed animal dog named Tilly") or give another fact the conversation holds that
answers as well. A label may therefore carry a judgement by hand (``hand``: right, wrong
or unclear) of the text it was judged as (``judged``: the draft as it read once its dates
were resolved). :func:`measure` takes the hand label while the draft still reads that
way, and the rules otherwise (a change to date resolution makes a new text, which no one
has judged). The written-down rules for judging by hand are in :data:`HAND_RULES`;
category 5 stays wrong by rule.

:func:`measure` replays each labelled draft through :func:`lifelog.answer.finalize.finalize`
with the same excerpts, rebuilt from the LoCoMo file in fresh memories, and counts
right answers rejected (replaced or declined) and wrong answers accepted (kept as
the model's answer). The set holds no LoCoMo text: questions are named by sample id
and position, excerpts by dialogue id and offsets.

With a ``verifier`` (:mod:`lifelog.answer.verify`), each answer the word-level checks
keep is also scored by the model (the probability that its items state it), and
:func:`with_verifier` counts again at a threshold: an answer is kept when the checks
keep it and its score reaches the threshold. :func:`fit_threshold` chooses the threshold
on some conversations (the least false rejects plus false accepts, in percent), to be
reported on the others.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..answer.citations import check_citations, strip_citations
from ..answer.dates import resolve_relative
from ..answer.finalize import LIST_ASKED_ONLY, finalize, says_not_found
from ..answer.generate import RETRIEVE_LIMIT
from ..answer.item_dates import date_in_item_words
from ..answer.prompts import Source, render_source
from ..answer.support import terms_of
from ..answer.verify import Verifier
from ..errors import UserError
from ..index.sentences import stem
from ..index.text import content_terms
from ..records import Hit
from ..retrieval.dates import MONTHS
from .locomo import QA, load_samples, questions_of
from .metrics import answer_contains, token_f1

__all__ = [
    "Labelled",
    "HAND_LABELS",
    "HAND_RULES",
    "Scored",
    "SupportFigures",
    "carry_hand",
    "fit_threshold",
    "judge",
    "label",
    "measure",
    "read_labels",
    "with_verifier",
]

RIGHT_F1 = 0.5
WRONG_F1 = 0.2

HAND_RULES = """\
Judge the answer text only (citation markers ignored), against the question, the gold
answer, the benchmark's evidence turns and the excerpts the model was shown.
right: a reader learns a correct answer to the question as asked: the gold answer or an
  equivalent (a paraphrase, the same date said another way, "seven years" for "since
  2016" asked in 2023), or another fact the chat holds that answers as well; a list
  whose every element is correct, even if it names fewer than the gold answer.
wrong: something false, the wrong thing, person, place or date, another question
  answered, the question restated, too garbled to read an answer from, no date for a
  when-question; a list with any false element.
unclear: not decidable from the material, or half right in a way the above does not
  settle (used sparingly).
"""
HAND_LABELS = ("right", "wrong", "unclear")


@dataclass(frozen=True, slots=True)
class Labelled:
    sample_id: str
    #: the question's position in its sample's ``qa`` list
    index: int
    model: str
    draft: str
    shown: tuple[tuple[int, str, int, int], ...]
    right: bool
    #: a judgement by hand (one of :data:`HAND_LABELS`) of the text ``judged``
    hand: str | None = None
    judged: str | None = None

    def json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "sample_id": self.sample_id,
            "index": self.index,
            "model": self.model,
            "draft": self.draft,
            "shown": [list(s) for s in self.shown],
            "label": "right" if self.right else "wrong",
        }
        if self.hand is not None:
            row["hand"] = self.hand
            row["judged"] = self.judged
        return row

    def judged_by_hand(self, text: str) -> bool:
        """Whether a hand judged the draft as it reads now (``text``)."""
        return self.hand is not None and self.judged == text


def label(
    reports: Iterable[Mapping[str, Any]], samples: Sequence[Mapping[str, Any]]
) -> list[Labelled]:
    """A labelled set from eval reports (their ``per_question`` rows); see the module."""
    positions: dict[tuple[str, str], int] = {}
    for number, sample in enumerate(samples, start=1):
        sample_id = str(sample.get("sample_id") or f"sample-{number}")
        for index, qa in enumerate(questions_of(sample, sample_id)):
            positions.setdefault((sample_id, qa.question), index)
    found: list[Labelled] = []
    for report in reports:
        model = str(report.get("model") or report.get("answered_by") or "?")
        for row in report.get("per_question") or ():
            draft, shown = row.get("draft"), row.get("shown") or []
            if (
                not isinstance(draft, str)
                or not draft.strip()
                or not shown
                or says_not_found(draft)
            ):
                continue
            position = positions.get((str(row["sample_id"]), str(row["question"])))
            if position is None:
                continue
            judged = (
                False
                if int(row["category"]) == 5
                else judge(draft, str(row["gold"]), str(row["question"]))
            )
            if judged is None:
                continue
            right = judged
            found.append(
                Labelled(
                    str(row["sample_id"]),
                    position,
                    model,
                    draft,
                    tuple((int(n), str(d), int(a), int(b)) for n, d, a, b in shown),
                    right,
                )
            )
    return found


_MONTH = re.compile(
    r"\b(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def _months(text: str) -> set[str]:
    """The months ``text`` names beside a number ("21 May", "May, 2023", "October 13th"),
    not "may" the verb."""
    return {
        m.group(0)[:3].lower()
        for m in _MONTH.finditer(text)
        if re.search(r"\d", text[max(0, m.start() - 6) : m.end() + 6])
    }


def _dates_differ(answer: str, gold: str) -> bool:
    """Whether ``answer`` names a month, or a year, and none that ``gold`` names ("The
    week before 21 May 2023" for "The week before October 13th, 2023": their words
    overlap, their dates do not)."""
    for said, truth in (
        (_months(answer), _months(gold)),
        (set(_YEAR.findall(answer)), set(_YEAR.findall(gold))),
    ):
        if said and truth and not said & truth:
            return True
    return False


def _date_unsaid(answer: str, gold: str) -> bool:
    """Whether ``gold`` is a date with its month or year and ``answer`` names neither
    ("The 15th" for "August 15, 2023": a day of no month in particular)."""
    return bool(_months(gold) or _YEAR.search(gold)) and not (
        _months(answer) or _YEAR.search(answer)
    )


def _adds(text: str, question: str) -> set[str]:
    """The stemmed content words of ``text`` (its citations left out) that ``question``
    does not hold."""
    asked = {stem(t) for t in content_terms(question)}
    return {stem(t) for t in content_terms(strip_citations(text))} - asked


def judge(answer: str, gold: str, question: str = "") -> bool | None:
    """Right (``True``), wrong (``False``) or unclear (``None``) by the module's rules."""
    if _dates_differ(answer, gold):
        return False
    if question and _adds(gold, question) and not _adds(answer, question):
        return False  # "Melanie" for whose birthday Melanie celebrated: nothing answered
    score = token_f1(answer, gold)
    if _date_unsaid(answer, gold) and not answer_contains(answer, gold):
        return None if score >= WRONG_F1 else False
    if answer_contains(answer, gold) or score >= RIGHT_F1:
        return True
    if score < WRONG_F1:
        return False
    return None


@dataclass(frozen=True, slots=True)
class Scored:
    """One labelled draft as measured: its label (as judged once dates are resolved),
    whether the word-level checks kept it, and the verifier's score when it was asked."""

    sample_id: str
    right: bool
    kept: bool
    score: float | None = None
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class SupportFigures:
    right: int
    wrong: int
    right_rejected: int
    wrong_accepted: int
    #: how many of the drafts measured (right or wrong) took their label from a hand
    by_hand: int = 0
    #: (labelled, the answer lifelog gave) for each mistake, for diagnosis
    mistakes: tuple[tuple[Labelled, str], ...] = ()
    #: every draft measured, with the verifier's score where it was asked
    scored: tuple[Scored, ...] = ()

    @property
    def false_reject(self) -> float:
        return 100 * self.right_rejected / self.right if self.right else 0.0

    @property
    def false_accept(self) -> float:
        return 100 * self.wrong_accepted / self.wrong if self.wrong else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "right": self.right,
            "wrong": self.wrong,
            "right_rejected": self.right_rejected,
            "wrong_accepted": self.wrong_accepted,
            "false_reject": round(self.false_reject, 2),
            "false_accept": round(self.false_accept, 2),
            "judged_by_hand": self.by_hand,
        }


def _given(answer: Any) -> str:
    """What lifelog made of a draft, and why, for the list of mistakes."""
    return " | ".join([answer.text[:80], *answer.notes])


def read_labels(path: Path) -> list[Labelled]:
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"cannot read the labelled set {path}: {error}") from error
    return [
        Labelled(
            str(r["sample_id"]),
            int(r["index"]),
            str(r["model"]),
            str(r["draft"]),
            tuple((int(n), str(d), int(a), int(b)) for n, d, a, b in r["shown"]),
            r["label"] == "right",
            _hand(r.get("hand"), path),
            str(r["judged"]) if r.get("judged") is not None else None,
        )
        for r in rows
    ]


def carry_hand(labelled: Iterable[Labelled], before: Iterable[Labelled]) -> list[Labelled]:
    """``labelled`` with the hand labels ``before`` gave the same drafts (same question,
    model and text), so that labelling reports again keeps what was judged by hand."""
    hands = {(e.sample_id, e.index, e.model, e.draft): e for e in before if e.hand is not None}
    out = []
    for entry in labelled:
        old = hands.get((entry.sample_id, entry.index, entry.model, entry.draft))
        out.append(replace(entry, hand=old.hand, judged=old.judged) if old else entry)
    return out


def _hand(value: Any, path: Path) -> str | None:
    if value is None:
        return None
    if value in HAND_LABELS:
        return str(value)
    raise UserError(f"{path}: a hand label is one of {', '.join(HAND_LABELS)}, not {value!r}")


def measure(
    labelled: Sequence[Labelled], locomo: Path, *, verifier: Verifier | None = None
) -> SupportFigures:
    """Replay each labelled draft through lifelog's checks; see the module docstring.

    With ``verifier``, its threshold is ignored: every answer the checks keep is scored
    and kept here, and :func:`with_verifier` applies a threshold afterwards."""
    if verifier is not None:
        verifier.threshold = 0.0
    from ..memory import Memory

    samples = {str(s.get("sample_id")): s for s in load_samples(locomo)}
    right = wrong = rejected = accepted = by_hand = 0
    mistakes: list[tuple[Labelled, str]] = []
    scored: list[Scored] = []
    wanted = sorted({entry.sample_id for entry in labelled})
    with tempfile.TemporaryDirectory(prefix="lifelog-support-") as tmp:
        for sample_id in wanted:
            sample = samples.get(sample_id)
            if sample is None:
                raise UserError(f"{locomo} has no sample {sample_id!r}")
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", sample_id)
            chat = Path(tmp) / f"{safe}.json"
            chat.write_text(
                json.dumps([{"sample_id": sample_id, "conversation": sample["conversation"]}]),
                encoding="utf-8",
            )
            questions: list[QA] = questions_of(sample, sample_id)
            with Memory.init(Path(tmp) / f"memory-{safe}", encryption="none") as memory:
                memory.ingest(chat, embed=False)
                turns = {
                    str(item.metadata.get("dia_id")): item
                    for item in memory.timeline(limit=100_000)
                }
                for entry in (e for e in labelled if e.sample_id == sample_id):
                    qa = questions[entry.index]
                    sources: dict[int, Source] = {}
                    for number, dia, start, end in entry.shown:
                        item = turns.get(dia)
                        if item is None:
                            continue
                        hit = Hit(item, 1.0, start, end, item.text[start:end])
                        block = render_source(number, hit, start, end)
                        sources[number] = Source(number, hit, start, end, block)
                    hits = [s.hit for s in sources.values()]
                    asked = len(verifier.given) if verifier is not None else 0
                    # what retrieval finds for the question, beyond the items shown: the
                    # words the memory holds (live, the 20 items retrieved; here lexical)
                    found = memory.search(qa.question, limit=RETRIEVE_LIMIT)
                    known = terms_of(" ".join(h.item.text for h in [*hits, *found]))
                    answer = finalize(
                        qa.question, entry.draft, sources, hits, verifier=verifier, known=known
                    )
                    if qa.category != 5:
                        # judged as it reads once lifelog has resolved its relative dates
                        # ("next month [3]" in a message of April is "May 2023") or taken
                        # its date from the cited item's words: rewrites, not the check
                        # being measured
                        dated = {n: s.hit.item.timestamp for n, s in sources.items()}
                        resolved, changed = resolve_relative(entry.draft, dated)
                        cited = check_citations(entry.draft, set(sources)).text
                        people = {h.item.author for h in hits if h.item.author}
                        rederived = date_in_item_words(qa.question, cited, sources, people)
                        if rederived is not None:
                            resolved, changed = rederived[0], 1
                        text = resolved if changed else entry.draft
                        if answer.found and any(LIST_ASKED_ONLY in n for n in answer.notes):
                            # a list lifelog cut short reads otherwise than the draft
                            # judged: it is judged as given, by the rules
                            text = strip_citations(answer.text)
                        if entry.judged_by_hand(text):
                            judged = None if entry.hand == "unclear" else entry.hand == "right"
                            by_hand += judged is not None
                        else:
                            judged = judge(text, qa.answer, qa.question)
                        if judged is None:
                            continue
                        entry = replace(entry, right=judged)
                    kept = answer.mode == "generative" and answer.found
                    verdict = (
                        verifier.given[-1]
                        if verifier is not None and len(verifier.given) > asked
                        else None
                    )
                    scored.append(
                        Scored(
                            sample_id,
                            entry.right,
                            kept,
                            verdict.score if verdict else None,
                            verdict.seconds if verdict else None,
                        )
                    )
                    if entry.right:
                        right += 1
                        if not kept:
                            rejected += 1
                            mistakes.append((entry, _given(answer)))
                    else:
                        wrong += 1
                        if kept:
                            accepted += 1
                            mistakes.append((entry, _given(answer)))
    return SupportFigures(right, wrong, rejected, accepted, by_hand, tuple(mistakes), tuple(scored))


def _kept(row: Scored, threshold: float) -> bool:
    return row.kept and (row.score is None or row.score >= threshold)


def with_verifier(
    scored: Iterable[Scored], threshold: float, samples: Iterable[str] | None = None
) -> SupportFigures:
    """The figures when an answer is kept only if the checks keep it and its verifier
    score reaches ``threshold`` (on the conversations ``samples``, default all)."""
    wanted = set(samples) if samples is not None else None
    rows = [r for r in scored if wanted is None or r.sample_id in wanted]
    right = [r for r in rows if r.right]
    wrong = [r for r in rows if not r.right]
    return SupportFigures(
        len(right),
        len(wrong),
        sum(1 for r in right if not _kept(r, threshold)),
        sum(1 for r in wrong if _kept(r, threshold)),
    )


def fit_threshold(scored: Iterable[Scored], samples: Iterable[str] | None = None) -> float:
    """The threshold with the fewest false rejects plus false accepts (in percent) on
    ``samples``: the lowest such one among 0 and the midpoints between the scores seen
    there (a threshold on a score would rest on that one draft)."""
    rows = list(scored)
    wanted = set(samples) if samples is not None else None
    seen = sorted(
        {r.score for r in rows if r.score is not None and (wanted is None or r.sample_id in wanted)}
    )
    chosen = [0.0] + [(a + b) / 2 for a, b in zip(seen, seen[1:], strict=False)]
    if seen:
        chosen.append(min(1.0, seen[-1] + 1e-6))
    best: tuple[float, float] | None = None
    for threshold in chosen:
        figures = with_verifier(rows, threshold, samples)
        cost = figures.false_reject + figures.false_accept
        if best is None or cost < best[0]:
            best = (cost, threshold)
    return best[1] if best else 0.0
