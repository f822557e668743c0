"""Generative, cited answers that can be checked, and the ``ask`` pipeline's events.

``ask_events`` is the whole of ``Memory.ask``: retrieve, then either one answer
from the packed evidence (reasoning ``off``) or the agent (``low``…``high``),
then the checks of :func:`finalize`. It yields :class:`AskEvent`s as it goes
(progress, reasoning, agent steps) and ends with the checked answer, in pieces and
whole; nothing of the unchecked draft leaves (:mod:`lifelog.answer.release`), and
every answer leaves inert (:mod:`lifelog.answer.inert`).

Whatever happens (no model, a model that fails, a prompt that would overflow,
an answer its evidence does not support) the user gets an answer: the
extractive one, with a note saying why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import ModelError
from ..index.text import content_terms
from ..models.llm import LLM, Completion, ContextOverflowError, Delta, Message
from ..records import Answer, Hit, mend_text
from ..retrieval.filters import Filters
from .extractive import answers_by_date, best_evidence, person_in_order
from .finalize import (
    CLOSEST,
    REPLACED,
    WITHHELD,
    finalize,
    plainly_answers,
    quoted_answer,
    says_not_found,
    with_notes,
)
from .prompts import EXAMPLES, Source, Turn, answer_messages, pack_sources
from .reasoning import check_level
from .release import releasing
from .tools import MemoryLike, retrieve
from .verify import verifier_for

__all__ = ["DEFAULT_MAX_TOKENS", "AskEvent", "ask_events", "generate_answer"]

DEFAULT_MAX_TOKENS = 512
RETRIEVE_LIMIT = 20
#: the note on "When did I last talk to Priya?", answered by the date of her newest item
BY_DATE_NOTE = "answered by the date of the person's item itself: a model adds nothing to it"
#: the note on a question of the last time whose model answer was not kept
IN_ORDER_NOTE = "lifelog quoted the person's item the question asks for, found by its date"


@dataclass(frozen=True, slots=True)
class AskEvent:
    """One step of answering.

    ``kind``: ``token`` (answer text), ``reasoning`` (reasoning text), ``step`` (what
    the agent did), ``progress`` (the answer is being written), ``answer`` (the end:
    ``answer`` is set). Inside the pipeline ``token`` is the model's draft as it is
    generated; what :func:`ask_events` yields is :func:`~.release.released`: the
    draft withheld, and ``token`` pieces of the checked answer, whose concatenation is
    its text, just before the ``answer``.
    """

    kind: str
    text: str = ""
    answer: Answer | None = None


def _event(piece: Delta) -> AskEvent:
    return AskEvent("token" if piece.kind == "content" else "reasoning", piece.text)


def retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """A follow-up ("and her sister?") searched with the previous question's terms."""
    if not history:
        return question
    terms = content_terms(question)
    if len(terms) > 6:
        return question
    extra = [t for t in content_terms(history[-1][0]) if t not in terms]
    return f"{question} {' '.join(extra)}".strip()


@releasing
def ask_events(
    memory: MemoryLike,
    question: str,
    *,
    llm: LLM | None,
    llm_note: str | None = None,
    filters: Filters | None = None,
    reasoning: str = "off",
    now: datetime | None = None,
    history: Sequence[Turn] = (),
    max_tokens: int | None = None,
    count_items: Callable[[Filters, str | None], int] | None = None,
) -> Iterator[AskEvent]:
    """Answer ``question`` from ``memory``; see the module docstring."""
    level = check_level(reasoning)
    # text from a request may hold a lone surrogate ("\\ud83d" in JSON): no tokenizer takes it
    question = mend_text(question)
    history = [(mend_text(asked), mend_text(said)) for asked, said in history]
    now = now or datetime.now(UTC)
    filters = filters or Filters()
    query = retrieval_query(question, history)
    hits = retrieve(memory, query, filters=filters, now=now, limit=RETRIEVE_LIMIT)
    if llm is None:
        note = llm_note or "no generative model is configured"
        answer = quoted_answer(question, hits, query)
        yield AskEvent("answer", answer=with_notes(answer, f"{note}: extractive answer"))
        return
    if answers_by_date(question, hits):
        answer = quoted_answer(question, hits, query)
        yield AskEvent("answer", answer=with_notes(answer, BY_DATE_NOTE))
        return
    budget_tokens = max_tokens or int(getattr(llm, "default_max_tokens", DEFAULT_MAX_TOKENS))
    if level == "off":
        if not hits:
            yield AskEvent("answer", answer=quoted_answer(question, hits, query))
            return
        yield from generate_answer(
            llm, question, hits, now=now, history=history, max_tokens=budget_tokens, query=query
        )
        return
    from .agent import run_agent
    from .plan import run_plan

    # a small model follows lifelog's fixed plan; a capable one drives the agent
    runner = run_plan if getattr(llm, "follows_plan", False) else run_agent
    yield from runner(
        memory,
        llm,
        question,
        hits,
        level=level,
        filters=filters,
        now=now,
        history=history,
        max_tokens=budget_tokens,
        count_items=count_items,
        query=query,
    )


def _fit(llm: LLM, text: str, tokens: int) -> str:
    """``text`` cut to about ``tokens`` tokens."""
    if llm.count_tokens(text) <= tokens:
        return text
    chars = max(16, int(len(text) * tokens / max(llm.count_tokens(text), 1) * 0.9))
    return text[:chars] + "…"


def plan_prompt(
    llm: LLM,
    question: str,
    hits: Sequence[Hit],
    *,
    history: Sequence[Turn],
    max_tokens: int,
    window: int,
) -> tuple[list[Message], list[Source], int]:
    """Messages that fit ``window`` with room for the answer: earlier turns and the
    question are trimmed first if they must be, then evidence fills what is left."""
    max_tokens = max(32, min(max_tokens, window // 4))
    margin = 16 + window // 25
    history = list(history[-3:])
    question = _fit(llm, question, max(32, window // 4))
    evidence_cap = getattr(llm, "max_evidence_tokens", None)
    examples = len(EXAMPLES)
    while True:
        skeleton = answer_messages(question, [], history=history, examples=examples)
        fixed = sum(llm.count_tokens(str(m["content"])) + 8 for m in skeleton)
        budget = window - fixed - max_tokens - margin
        if budget >= min(400, window // 3) or (not history and not examples):
            break
        # a small window: the worked examples go first (one stays while it fits), then
        # the oldest earlier turns
        if examples > 1 or not history:
            examples -= 1
        else:
            history.pop(0)
    if isinstance(evidence_cap, int):
        budget = min(budget, evidence_cap)
    sources = pack_sources(
        hits,
        budget=max(budget, 0),
        count=llm.count_tokens,
        question=question,
        max_chars=int(getattr(llm, "max_source_chars", 1600)),
    )
    messages = answer_messages(question, sources, history=history, examples=examples)
    return messages, sources, max_tokens


def generate_answer(
    llm: LLM,
    question: str,
    hits: Sequence[Hit],
    *,
    now: datetime,
    history: Sequence[Turn] = (),
    max_tokens: int = DEFAULT_MAX_TOKENS,
    derived: frozenset[str] = frozenset(),
    notes: tuple[str, ...] = (),
    reasoning: str = "off",
    reasoning_prefix: str = "",
    query: str = "",
) -> Iterator[AskEvent]:
    """One generation over the packed evidence, checked by :func:`finalize` (with the
    model's own verifier where it has one: :func:`~.verify.verifier_for`).

    ``now``, the question's moment, is not shown to the model (see
    :func:`~.prompts.question_block`): relative dates are resolved by lifelog."""
    del now
    verifier = verifier_for(llm)
    window = llm.context_window
    shown = list(hits)
    second_look = False
    for _attempt in range(5):
        messages, sources, tokens = plan_prompt(
            llm, question, shown, history=history, max_tokens=max_tokens, window=window
        )
        if not sources:
            answer = quoted_answer(question, hits, query)
            yield AskEvent(
                "answer",
                answer=with_notes(
                    answer,
                    *notes,
                    f"{llm.name}'s context window ({window} tokens) left no room"
                    " for evidence: extractive answer",
                    reasoning=reasoning_prefix or None,
                ),
            )
            return
        try:
            completion: Completion | None = None
            for piece in llm.stream(messages, max_tokens=tokens, reasoning=reasoning):
                if isinstance(piece, Completion):
                    completion = piece
                else:
                    yield _event(piece)
        except ContextOverflowError as error:
            window = min(error.limit or window, window) * 3 // 4
            continue
        except ModelError as error:
            answer = quoted_answer(question, hits, query)
            yield AskEvent(
                "answer",
                answer=with_notes(
                    answer,
                    *notes,
                    f"the generative model failed ({error}): extractive answer",
                    reasoning=reasoning_prefix or None,
                ),
            )
            return
        if completion is None:
            break
        thought = "\n\n".join(t for t in (reasoning_prefix, completion.reasoning) if t)
        answer = finalize(
            question,
            completion.content,
            {s.number: s for s in sources},
            list(hits),
            reasoning=thought or None,
            derived=derived,
            notes=notes,
            query=query,
            verifier=verifier,
        )
        kept = answer.found and answer.mode == "generative"
        clear = [] if kept or second_look else _clear_hits(question, hits, shown)
        if clear:
            # the model found nothing, or its answer failed its checks, while some items
            # plainly answer: a small model misses among many items what it finds in a few
            second_look, shown = True, clear
            if says_not_found(completion.content):
                look = (
                    f"the model found no answer in {len(sources)} items; it was shown again"
                    f" the {len(clear)} that match the question best"
                )
            else:
                look = (
                    f"the model's answer was not kept ({_why(answer)}); it was shown again"
                    f" the {len(clear)} item(s) that match the question best"
                )
            notes = (*notes, look)
            continue
        if not answer.found and person_in_order(question, hits):
            # "What did Priya say last?": her newest item is the answer, quoted
            quoted = quoted_answer(question, hits, query)
            answer = with_notes(quoted, *answer.notes, IN_ORDER_NOTE, mode="extractive-fallback")
        yield AskEvent("answer", answer=answer)
        return
    answer = quoted_answer(question, hits, query)
    yield AskEvent(
        "answer",
        answer=with_notes(
            answer,
            *notes,
            "the evidence did not fit the model's context window: extractive answer",
            reasoning=reasoning_prefix or None,
        ),
    )


#: how the last note of a withheld or replaced answer opens and closes, left out of
#: the second look's note: the quotes it speaks of were never shown
_WHY_FRAME = re.compile(
    rf"^(?:{re.escape(REPLACED)}|{re.escape(WITHHELD)}): |; {re.escape(CLOSEST)}$"
)


def _why(answer: Answer) -> str:
    """Why a withheld or replaced answer went, from its last note, shortened."""
    why = _WHY_FRAME.sub("", answer.notes[-1]) if answer.notes else "not supported by its items"
    return why if len(why) <= 160 else why[:159] + "…"


#: how many items a second look shows the model (:func:`_clear_hits`)
SECOND_LOOK_ITEMS = 3


def _clear_hits(question: str, hits: Sequence[Hit], shown: Sequence[Hit]) -> list[Hit]:
    """The items whose best sentence plainly answers ``question``, at most
    :data:`SECOND_LOOK_ITEMS`, best first; none when they are all the model was
    ``shown``."""
    best = best_evidence(question, list(hits), limit=SECOND_LOOK_ITEMS)
    clear = [found.hit for found in best if plainly_answers(question, found, hits)]
    return [] if len(clear) >= len(shown) else clear
