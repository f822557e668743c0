"""The agent (reasoning low/medium/high): tools, protocol, step budget, degradation.

The model is scripted; the memory and its tools run for real.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from answer_life import NOW, number_of

from lifelog import Memory
from lifelog.answer.agent import Action, parse_action
from lifelog.answer.generate import ask_events
from lifelog.answer.tools import Ledger, ToolContext, run_tool
from lifelog.models.llm import Completion, Message, ToolCall
from lifelog.models.testing import ScriptedLLM
from lifelog.records import Answer
from lifelog.retrieval.filters import Filters


def run(memory: Memory, question: str, llm: ScriptedLLM, level: str = "low", **kw: object):  # type: ignore[no-untyped-def]
    events = list(
        ask_events(
            memory, question, llm=llm, reasoning=level, now=NOW, count_items=memory.count, **kw
        )  # type: ignore[arg-type]
    )
    answer = events[-1].answer
    assert isinstance(answer, Answer)
    return answer, events


def last_prompt(messages: Sequence[Message]) -> str:
    return "\n".join(str(m.get("content") or "") for m in messages)


def test_json_protocol_search_read_answer(life: Memory) -> None:
    def answer(messages: Sequence[Message]) -> str:
        n = number_of(last_prompt(messages), "It cost 120")
        return f'{{"answer": "The new tent cost 120 euros [{n}]."}}'

    def read(messages: Sequence[Message]) -> str:
        return f'{{"tool": "read", "source": {number_of(last_prompt(messages), "It cost 120")}}}'

    llm = ScriptedLLM(['Let me look. {"tool": "search", "query": "tent price"}', read, answer])
    result, events = run(life, "What did I pay for the shelter we slept in?", llm)
    assert result.mode == "generative", result.notes
    assert result.text == f"The new tent cost 120 euros [{result.citations[0].number}]."
    assert result.citations[0].item.title == "Tent"
    steps = [e.text for e in events if e.kind == "step"]
    assert steps[0].startswith("search “tent price”") and steps[1].startswith("read [")
    assert result.reasoning and "step 1: search" in result.reasoning
    assert "Result of search" in str(llm.calls[1][-1]["content"])  # observations fed back


def test_native_tool_calls_when_the_server_takes_them(life: Memory) -> None:
    def final(messages: Sequence[Message]) -> str:
        assert messages[-1]["role"] == "tool" and messages[-2]["tool_calls"]
        return (
            f"Melanie was back on 19 June 2023 [{number_of(last_prompt(messages), 'Back from')}]."
        )

    llm = ScriptedLLM(
        [[ToolCall("c1", "search", {"query": "back from camping", "person": "Melanie"})], final],
        supports_tools=True,
    )
    result, _ = run(life, "When was Melanie back?", llm, level="medium")
    assert result.mode == "generative", result.notes
    assert [t["function"]["name"] for t in llm.options[0]["tools"]] == [
        "search",
        "read",
        "timeline",
        "count",
        "date",
    ]
    assert llm.options[0]["reasoning"] == "medium"


def test_a_model_that_ignores_the_protocol_degrades_to_one_retrieval(life: Memory) -> None:
    def plain(messages: Sequence[Message]) -> str:
        return f"The tent cost 120 euros [{number_of(str(messages[-1]['content']), 'It cost')}]."

    llm = ScriptedLLM(["Sure! I am a helpful assistant and I love camping.", plain])
    result, _ = run(life, "How much did the tent cost?", llm, level="high")
    assert result.mode == "generative" and "120 euros" in result.text
    assert any("did not follow the tool protocol" in note for note in result.notes)
    assert "Tools" not in str(llm.calls[1][0]["content"])  # the plain prompt, not the agent's


def test_the_level_bounds_the_number_of_tool_calls(life: Memory) -> None:
    def cited(messages: Sequence[Message]) -> str:
        n = number_of(last_prompt(messages), "It cost")
        return f'{{"answer": "The tent cost 120 euros [{n}]."}}'

    search = '{"tool": "search", "query": "tent"}'
    llm = ScriptedLLM([search, '{"tool": "count", "query": "camping"}', cited])
    result, events = run(life, "How much did the tent cost?", llm, level="low")
    assert len([e for e in events if e.kind == "step"]) == 2
    assert "No tools left" in str(llm.calls[2][-1]["content"])
    assert result.found


def test_a_counted_number_is_supported_by_the_tool(life: Memory) -> None:
    def answer(messages: Sequence[Message]) -> str:
        n = number_of(last_prompt(messages), "Back from camping")
        return f'{{"answer": "There are 4 camping items, the last from Melanie [{n}]."}}'

    llm = ScriptedLLM(['{"tool": "count", "query": "camping"}', answer])
    result, events = run(life, "How many things mention camping?", llm)
    assert [e.text for e in events if e.kind == "step"] == ["count containing “camping”: 4"]
    assert result.mode == "generative", result.notes


def test_repeating_a_call_is_refused_and_running_out_answers_from_the_gathered(
    life: Memory,
) -> None:
    same = '{"tool": "search", "query": "dunes"}'

    def plain(messages: Sequence[Message]) -> str:
        return f"The kids loved the dunes [{number_of(str(messages[-1]['content']), 'dunes')}]."

    llm = ScriptedLLM([same, same, "no idea", plain])
    result, events = run(life, "What did the kids love?", llm, level="low")
    assert [e.text for e in events if e.kind == "step"][1] == "search: repeated"
    assert result.mode == "generative" and "dunes" in result.text
    assert any("items the agent gathered" in note for note in result.notes)


def test_tools_never_widen_the_users_filters(life: Memory) -> None:
    since = datetime(2023, 6, 1, tzinfo=UTC)
    ctx = ToolContext(life, Ledger(), Filters(since=since), NOW)
    _, shown = run_tool("search", {"query": "camping", "since": "2020"}, ctx)
    dates = [s.hit.item.timestamp for s in ctx.ledger.sources.values()]
    assert dates and all(d is not None and d >= since for d in dates)
    assert "2023-05-25" not in shown
    _, total = run_tool("count", {}, ctx)
    assert total.startswith("3 items")


def test_date_tool_and_bad_arguments() -> None:
    ctx = ToolContext(None, Ledger(), Filters(), NOW)  # type: ignore[arg-type]
    summary, text = run_tool("date", {"from": "2023-05-25", "to": "2023-06-19"}, ctx)
    assert "25 days" in text and "Thursday" in text and "25" in ctx.ledger.derived
    _, text = run_tool("date", {"from": "2023-06-19", "add_days": -14}, ctx)
    assert "2023-06-05" in text
    _, text = run_tool("date", {"from": "next tuesday"}, ctx)
    assert text.startswith("error: invalid date")
    _, text = run_tool("delete_everything", {}, ctx)
    assert text.startswith("error: unknown tool")


def test_parse_action_is_lenient_but_not_credulous() -> None:
    def parse(text: str) -> Action:
        return parse_action(Completion(content=text), native=False, step=0)

    assert parse('<tool_call>{"name": "search", "arguments": {"query": "x"}}</tool_call>').calls[
        0
    ].arguments == {"query": "x"}
    assert parse('{"action": "timeline", "args": {"since": "2023"}}').calls[0].name == "timeline"
    assert parse('{"answer": "In June [1]."}').text == "In June [1]."
    assert parse("In June [1].").kind == "answer"
    assert parse("I like turtles.").kind == "invalid"
    assert parse('{"answer": "the answer, citing items like [1]"}').kind == "invalid"
    assert parse('{"tool": "rm -rf"}').kind == "invalid"
