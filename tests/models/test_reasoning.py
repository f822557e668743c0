"""The reasoning switch: levels, each family's control, and <think> separation (pure logic)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifelog.answer.reasoning import (
    ThinkSplitter,
    agent_steps,
    check_level,
    controls_for,
    split_reasoning,
)


def play(text: str, sizes: list[int], **kwargs: bool) -> tuple[str, str]:
    splitter = ThinkSplitter(**kwargs)
    pieces: list[tuple[str, str]] = []
    position = 0
    for size in sizes:
        pieces += splitter.feed(text[position : position + size])
        position += size
    pieces += splitter.feed(text[position:]) + splitter.finish()
    reasoning = "".join(t for k, t in pieces if k == "reasoning")
    content = "".join(t for k, t in pieces if k == "content")
    return reasoning, content


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 100])
def test_think_block_is_separated_whatever_the_chunking(size: int) -> None:
    text = "<think>The user asks about camping; [2] says June.</think>In June 2023 [2]."
    reasoning, content = play(text, [size] * len(text))
    assert reasoning == "The user asks about camping; [2] says June."
    assert content == "In June 2023 [2]."


@given(st.lists(st.integers(min_value=1, max_value=9), max_size=60))
def test_any_chunking_gives_the_same_split(sizes: list[int]) -> None:
    text = "Before <think>a < b but </thin is not a tag</think> after <thinking>x</thinking>!"
    assert play(text, sizes) == ("a < b but </thin is not a tagx", "Before  after !")


def test_a_template_that_opened_the_block_itself() -> None:
    assert split_reasoning("Let me see.\n</think>\n\nIn June [1].") == (
        "Let me see.",
        "In June [1].",
    )
    reasoning, content = play("still thinking</think>Answer", [3] * 10, starts_thinking=True)
    assert (reasoning, content) == ("still thinking", "Answer")


def test_an_unclosed_block_stays_reasoning() -> None:
    assert split_reasoning("<think>I ran out of tokens") == ("I ran out of tokens", "")


def test_gpt_oss_harmony_channels() -> None:
    text = (
        "<|channel|>analysis<|message|>Need the date.<|end|>"
        "<|start|>assistant<|channel|>final<|message|>On 2023-06-19 [1].<|return|>"
    )
    for size in (1, 4, 1000):
        assert play(text, [size] * len(text)) == ("Need the date.", "On 2023-06-19 [1].")


def test_plain_text_passes_through_untouched() -> None:
    text = "No tags here, just an answer with a < sign and </b> html [1]."
    assert play(text, [2] * 40) == ("", text)


def test_levels_and_depth() -> None:
    assert [agent_steps(level) for level in ("off", "low", "medium", "high")] == [0, 2, 4, 8]
    assert check_level(" HIGH ") == "high"
    with pytest.raises(ValueError, match="off, low, medium, high"):
        check_level("max")


def test_level_maps_to_each_family_control() -> None:
    oss = controls_for("gpt-oss:20b", "high")
    assert oss.extra_body == {"reasoning_effort": "high"}
    assert controls_for("openai/gpt-oss-120b", "off").extra_body == {"reasoning_effort": "low"}
    assert "Reasoning: medium" in controls_for("gpt-oss-20b", "medium").system_suffix
    qwen_on = controls_for("Qwen3-8B-GGUF", "low")
    assert qwen_on.extra_body == {"chat_template_kwargs": {"enable_thinking": True}}
    assert qwen_on.user_suffix == " /think"
    qwen_off = controls_for("qwen3:4b", "off")
    assert qwen_off.extra_body == {"chat_template_kwargs": {"enable_thinking": False}}
    assert qwen_off.user_suffix == " /no_think"
    assert controls_for("SmolLM2-135M-Instruct", "high").extra_body == {}
