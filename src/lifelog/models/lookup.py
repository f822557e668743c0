"""Prompt lookup decoding: an answer's next words guessed from its own prompt, checked
by the model in one pass.

A small model answering from its sources mostly copies them: "Classics, stories from
different cultures, educational books [2]" is a stretch of the item it read. Where the
last words written also stand in the prompt, the words that follow them there are a
guess at what comes next (Saxena's prompt lookup decoding). llama.cpp evaluates the
written token and the guessed ones in one batch; the answer keeps the guessed tokens up
to the first one the model would not have chosen itself, then its own token there, so
the text is the model's greedy text, only written in fewer passes. On two cores one
pass over a few tokens costs little more than over one: the weights are read once.

:func:`enable` fits a loaded ``llama_cpp.Llama``: it sets :class:`PromptLookup` as its
draft model and has every short batch after the prompt (a written token and its guess)
return logits at each position, which the sampler reads (llama-cpp-python asks for the
logits of every position only when a draft model is given at construction, and then of
the prompt too: a 152,000-word vocabulary times every prompt token, and a scores buffer
the size of the whole window).
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["GUESS_TOKENS", "PromptLookup", "enable", "guess"]

#: how many tokens are guessed at once
GUESS_TOKENS = 6
#: the longest and shortest run of last tokens looked up in the prompt
MAX_NGRAM = 3
MIN_NGRAM = 2


def guess(
    ids: npt.NDArray[np.intc],
    *,
    tokens: int = GUESS_TOKENS,
    max_ngram: int = MAX_NGRAM,
    min_ngram: int = MIN_NGRAM,
) -> npt.NDArray[np.intc]:
    """The tokens that followed the latest earlier occurrence of ``ids``' last
    ``max_ngram`` … ``min_ngram`` tokens (the longest run found wins), at most
    ``tokens`` of them; none when the run stands nowhere else."""
    length = int(ids.shape[0])
    for size in range(min(max_ngram, length - 1), min_ngram - 1, -1):
        tail = ids[length - size :]
        windows = np.lib.stride_tricks.sliding_window_view(ids[: length - 1], size)
        found = np.nonzero(np.all(windows == tail, axis=1))[0]
        for start in found[::-1]:  # the latest first: the evidence, the answer so far
            after = int(start) + size
            if after < length:
                return ids[after : min(after + tokens, length)].copy()
    return np.empty(0, dtype=np.intc)


class PromptLookup:
    """A draft model for ``llama_cpp.Llama``: :func:`guess` over the tokens so far."""

    def __init__(self, tokens: int = GUESS_TOKENS) -> None:
        self.tokens = tokens

    def __call__(self, input_ids: npt.NDArray[np.intc], /, **_kwargs: Any) -> npt.NDArray[np.intc]:
        return guess(input_ids, tokens=self.tokens)


def _eval(self: Any, tokens: Sequence[int]) -> None:
    """``Llama.eval``, with logits at every position of a short batch that follows a
    prompt (a written token and its guess), at the last one only otherwise."""
    if self.draft_model is None or self.n_tokens == 0 or len(tokens) > GUESS_TOKENS + 1:
        type(self).eval(self, tokens)
        return
    self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
    batch = list(tokens)
    self._batch.set_batch(batch=batch, n_past=self.n_tokens, logits_all=True)
    self._ctx.decode(self._batch)
    self.input_ids[self.n_tokens : self.n_tokens + len(batch)] = batch
    self.n_tokens += len(batch)
    self._requires_eval = False


def enable(model: Any, draft: PromptLookup | None = None) -> None:
    """Give a loaded ``llama_cpp.Llama`` prompt lookup decoding (see the module)."""
    model.draft_model = draft or PromptLookup()
    model.eval = types.MethodType(_eval, model)
