"""The fixed plan a small model follows with reasoning on: rewrite, search, answer.

The model is scripted (its replies are what the schema admits); the memory, its
retrieval and timeline run for real.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from answer_life import NOW, number_of

from lifelog import Hit, Item, Memory
from lifelog.answer.generate import ask_events
from lifelog.answer.plan import QUERIES_SCHEMA, fuse, period_of
from lifelog.models.llm import Message
from lifelog.models.testing import ScriptedLLM
from lifelog.records import Answer


def run(memory: Memory, question: str, llm: ScriptedLLM, level: str = "low"):  # type: ignore[no-untyped-def]
    events = list(ask_events(memory, question, llm=llm, reasoning=level, now=NOW))
    answer = events[-1].answer
    assert isinstance(answer, Answer)
    return answer, [e.text for e in events if e.kind == "step"]


def prompt(messages: Sequence[Message]) -> str:
    return "\n".join(str(m.get("content") or "") for m in messages)


def test_the_model_rewrites_lifelog_searches_and_the_answer_cites_what_was_found(
    life: Memory,
) -> None:
    def answer(messages: Sequence[Message]) -> str:
        return f"120 euros [{number_of(prompt(messages), 'It cost 120')}]."

    rewrite = json.dumps({"queries": ["tent price", "camping tent cost"]})
    llm = ScriptedLLM([rewrite, answer], follows_plan=True)
    result, steps = run(life, "What did I pay for the shelter we slept in?", llm)
    assert result.mode == "generative" and result.found, result.notes
    assert result.citations[0].item.title == "Tent"
    assert [s.split(":")[0] for s in steps] == ["search “tent price”", "search “camping tent cost”"]
    assert llm.options[0]["schema"] == QUERIES_SCHEMA  # the rewrite is constrained
    assert "Already searched: What did I pay" in prompt(llm.calls[0])
    assert result.reasoning and "search “tent price”" in result.reasoning


def test_more_reasoning_runs_more_rounds_each_shown_what_was_found(life: Memory) -> None:
    def answer(messages: Sequence[Message]) -> str:
        return f"120 euros [{number_of(prompt(messages), 'It cost 120')}]."

    first = json.dumps({"queries": ["tent"]})
    second = json.dumps({"queries": ["tent receipt euros"]})
    llm = ScriptedLLM([first, second, answer], follows_plan=True)
    result, steps = run(life, "What did I pay for the shelter?", llm, level="medium")
    assert len(steps) == 2 and result.found
    assert "Bought a new tent" in prompt(llm.calls[1])  # round 2 saw round 1's finds


def test_a_rewrite_that_says_nothing_new_still_answers(life: Memory) -> None:
    def answer(messages: Sequence[Message]) -> str:
        return f"120 euros [{number_of(prompt(messages), 'It cost 120')}]."

    llm = ScriptedLLM(["not json at all", answer], follows_plan=True)
    result, steps = run(life, "How much did the tent cost?", llm)
    assert steps == ["the model proposed no other searches"]
    assert result.found and "120" in result.text and result.reasoning


def test_a_period_question_goes_to_the_timeline(life: Memory) -> None:
    def answer(messages: Sequence[Message]) -> str:
        text = prompt(messages)
        return (
            f"You went camping at the beach [{number_of(text, 'Back from camping')}]"
            f" and bought a tent [{number_of(text, 'Bought a new tent')}]."
        )

    llm = ScriptedLLM([answer], follows_plan=True)
    result, steps = run(life, "What did I do in June 2023?", llm)
    assert steps[0].startswith("timeline 2023-06-01 to ")
    assert result.found and len(result.citations) == 2, result.notes
    assert len(llm.calls) == 1  # no rewriting: the period says where to look


def test_period_questions_are_told_from_topic_questions() -> None:
    now = datetime(2023, 7, 1, tzinfo=UTC)
    found = period_of("What did I do in June 2023?", now)
    assert found is not None and found[0] == datetime(2023, 6, 1, tzinfo=UTC)
    assert period_of("What happened last week?", now) is not None
    assert period_of("Where did we go camping in June 2023?", now) is None
    assert period_of("What did I do with the tent?", now) is None


def test_fusion_rewards_agreement_and_keeps_one_hit_per_item() -> None:
    def hit(key: str) -> Hit:
        item = Item(source="notes", key=key, kind="note", text=key)
        return Hit(item, 1.0, 0, len(key), key)

    a, b, c = hit("a"), hit("b"), hit("c")
    assert [h.item.key for h in fuse([[a, b], [b, c], [b, a, a]], 10)] == ["b", "a", "c"]
    assert len(fuse([[a, b, c]], 2)) == 2
