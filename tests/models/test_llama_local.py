"""The embedded backend: the real SmolLM2-135M GGUF through llama-cpp-python."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lifelog.models.llm import LLM, Completion, ContextOverflowError, Delta, complete

QUESTION = [
    {"role": "system", "content": "Answer in one short sentence."},
    {"role": "user", "content": "What colour is the sky on a clear day?"},
]


def test_it_streams_pieces_then_one_completion(smollm2: Any) -> None:
    assert isinstance(smollm2, LLM)
    pieces = list(smollm2.stream(QUESTION, max_tokens=24))
    deltas, final = pieces[:-1], pieces[-1]
    assert isinstance(final, Completion)
    assert all(isinstance(p, Delta) for p in deltas) and len(deltas) > 3
    assert "".join(p.text for p in deltas if p.kind == "content").strip() == final.content
    assert final.content and final.completion_tokens <= 24
    assert final.first_token_s is not None and final.first_token_s < final.seconds


def test_the_first_token_comes_quickly_and_is_streamed(smollm2: Any) -> None:
    seen: list[float] = []
    start = time.perf_counter()
    result = complete(
        smollm2, QUESTION, max_tokens=40, on_delta=lambda d: seen.append(time.perf_counter())
    )
    assert seen and seen[0] - start < 10
    assert seen[-1] > seen[0]  # pieces arrived one after another, not all at the end
    rate = result.tokens_per_s
    print(f"\nSmolLM2 local: first token {result.first_token_s:.2f} s, {rate or 0:.0f} tokens/s")


def test_it_counts_tokens_with_the_models_tokenizer(smollm2: Any) -> None:
    assert smollm2.count_tokens("") == 0
    assert smollm2.count_tokens("hello world") == 2
    long = "camping at the beach with the kids " * 50
    assert 300 <= smollm2.count_tokens(long) <= 400
    assert smollm2.context_window == 512


def test_a_prompt_past_the_window_raises_overflow_not_a_crash(smollm2: Any) -> None:
    huge = [{"role": "user", "content": "camping " * 2000}]
    with pytest.raises(ContextOverflowError) as caught:
        list(smollm2.stream(huge, max_tokens=8))
    assert caught.value.limit == 512
    # and the model is still usable afterwards
    assert complete(smollm2, QUESTION, max_tokens=4).content


def test_a_missing_model_file_is_a_model_error(tmp_path: Any) -> None:
    from lifelog.errors import ModelError
    from lifelog.models.llama_local import LlamaLocal
    from lifelog.models.llm import LLMSettings

    with pytest.raises(ModelError, match="no model file"):
        LlamaLocal(LLMSettings(model_path=str(tmp_path / "absent.gguf")))
