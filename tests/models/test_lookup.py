"""Prompt lookup decoding: guesses from the prompt, and the real model's text unchanged."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lifelog.models.lookup import guess

SOURCE = (
    "<sources>\n[1] Sat 8 July 2023, chat message from Caroline: I've got lots of kids'"
    " books - classics, stories from different cultures, educational books, all of that."
    "\n</sources>\n\nQuestion: What kind of books does Caroline have in her library?"
)
COPY = [
    {"role": "system", "content": "Answer by copying the words of the source, and cite it."},
    {"role": "user", "content": SOURCE},
]


def ids(*values: int) -> np.ndarray[Any, np.dtype[np.intc]]:
    return np.array(values, dtype=np.intc)


def test_it_guesses_what_followed_the_last_words_where_they_stood_before() -> None:
    # "… 5 6 7 8 9 …" then the answer so far ends "5 6": what followed is guessed
    assert guess(ids(1, 5, 6, 7, 8, 9, 2, 5, 6), tokens=3).tolist() == [7, 8, 9]


def test_the_latest_and_longest_match_wins() -> None:
    # "3 4" stood twice: the later one's continuation; "9 3 4" beats the bare "3 4"
    assert guess(ids(3, 4, 1, 3, 4, 2, 0, 3, 4), tokens=1).tolist() == [2]
    assert guess(ids(9, 3, 4, 7, 3, 4, 2, 9, 3, 4), tokens=1).tolist() == [7]


def test_no_guess_when_the_last_words_stand_nowhere_else() -> None:
    assert guess(ids(1, 2, 3, 4, 5)).size == 0
    assert guess(ids(7)).size == 0
    # one token alone is too weak a clue
    assert guess(ids(1, 2, 3, 9, 2)).size == 0


def test_a_guess_stops_at_the_end_of_what_was_written() -> None:
    assert guess(ids(5, 6, 7, 5, 6), tokens=8).tolist() == [7, 5, 6]


def test_the_real_model_writes_the_same_text_in_fewer_passes(smollm2: Any) -> None:
    model = smollm2._model
    assert model.draft_model is not None  # the answering context guesses by default
    passes: list[int] = []
    evaluate = model.eval

    def counted(tokens: Any) -> None:
        passes.append(len(tokens))
        evaluate(tokens)

    model.eval = counted
    try:
        guessed = list(smollm2.stream(COPY, max_tokens=48))[-1]
        with_guesses = len(passes)
        passes.clear()
        smollm2.prompt_lookup = False
        plain = list(smollm2.stream(COPY, max_tokens=48))[-1]
    finally:
        smollm2.prompt_lookup = True
        model.eval = evaluate
    assert guessed.content == plain.content and len(plain.content) > 20
    # without guesses one pass per token after the prompt; with them, fewer
    assert len(passes) >= plain.completion_tokens
    assert with_guesses < len(passes)


@pytest.mark.parametrize("schema", [{"type": "object", "properties": {"a": {"type": "string"}}}])
def test_nothing_is_guessed_under_a_grammar(smollm2: Any, schema: dict[str, Any]) -> None:
    model = smollm2._model
    seen: list[object] = []
    evaluate = model.eval

    def watched(tokens: Any) -> None:
        seen.append(model.draft_model)
        evaluate(tokens)

    model.eval = watched
    try:
        list(smollm2.stream(COPY, max_tokens=16, schema=schema))
    finally:
        model.eval = evaluate
    assert seen and all(draft is None for draft in seen)
