"""The action schema: what a constrained small model may say to the agent."""

from __future__ import annotations

from lifelog.answer.tools import openai_tools
from lifelog.models.actions import action_schema


def test_each_tool_and_the_answer_is_one_choice_with_its_required_keys() -> None:
    schema = action_schema(openai_tools())
    choices = schema["oneOf"]
    names = [c["properties"]["tool"]["enum"][0] for c in choices[:-1]]
    assert names == ["search", "read", "timeline", "count", "date"]
    search = choices[0]
    assert search["required"] == ["tool", "query"] and not search["additionalProperties"]
    assert search["properties"]["query"] == {"type": "string"}
    assert choices[1]["properties"]["source"] == {"type": "integer"}
    assert choices[-1]["required"] == ["answer"]


def test_a_tool_without_a_name_is_left_out() -> None:
    schema = action_schema([{"type": "function", "function": {"parameters": {}}}])
    assert len(schema["oneOf"]) == 1  # the answer alone
