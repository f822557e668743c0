"""Soft word matching with a static model's token vectors: a cheap re-ranker.

BM25 counts a candidate's words only where they are the question's words; a
sentence vector blurs every word into one average. Between the two, each word of
the question is matched to the candidate's *closest* word: "painting" meets
"canvas", "pet" meets "guinea pig", "genre" meets "romance". The score is the
mean, over the question's tokens, of each one's best cosine among the
candidate's tokens, weighted by the token's weight in the static model (the norm
of its row, which model2vec sets from the word's frequency, so that "what" and
"the" count for little). This is late interaction (Khattab & Zaharia, ColBERT,
SIGIR 2020) with static token vectors in place of contextual ones, in the spirit
of the translation language model of Berger & Lafferty (SIGIR 1999): no model
runs at query time, only lookups in the table the static embedder already holds.

Cost: tokenising the candidates, then one product of the question's tokens with
the distinct tokens of the candidates; about 5 ms for 100 chat messages on two
cores, most of it tokenising.
On LoCoMo (``lifelog eval locomo``) it adds 0.8 points of hybrid recall@10 over
the dev set (0.8 and 0.8 on its two halves); see ``docs/benchmarks.md``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .embeddings import encode_texts

__all__ = ["DOC_TOKENS", "KEPT", "SoftMatcher", "TokenTable"]

#: tokens of a candidate compared at most (its beginning: a chunk is ~300 tokens)
DOC_TOKENS = 384
#: texts whose token ids are remembered
KEPT = 4096


class TokenTable(Protocol):
    """What a static embedder offers: its tokenizer, its weighted token table and the
    id of its unknown token."""

    tokenizer: Any
    table: NDArray[np.float32]
    unk: int | None


class SoftMatcher:
    """Scores candidates' texts against a question by soft word matching."""

    def __init__(self, model: TokenTable) -> None:
        self.tokenizer = model.tokenizer
        self.table = model.table
        self.unk = model.unk
        norms = np.linalg.norm(self.table, axis=1).astype(np.float32)
        #: a token's weight (the norm of its row) and 1 / norm to make its row a unit vector
        self.weights: NDArray[np.float32] = norms
        self.inverse: NDArray[np.float32] = np.divide(
            1.0, norms, out=np.zeros_like(norms), where=norms > 0
        )
        #: token ids by a digest of the text (a text is up to 4,000 characters: keeping
        #: the texts themselves would hold up to 64 MB)
        self._kept: OrderedDict[bytes, NDArray[np.int32]] = OrderedDict()
        self._lock = threading.Lock()

    def _ids(self, texts: Sequence[str]) -> list[NDArray[np.int32]]:
        """Each text's known token ids (at most ``DOC_TOKENS``), remembered for the last
        ``KEPT`` texts: an agent's searches, and questions about one topic, meet the
        same candidates again, and tokenising is most of the cost."""
        keys = [_digest(text) for text in texts]
        found: list[NDArray[np.int32] | None] = []
        with self._lock:
            for key in keys:
                ids = self._kept.get(key)
                if ids is not None:
                    self._kept.move_to_end(key)
                found.append(ids)
        missing = [text for text, ids in zip(texts, found, strict=True) if ids is None]
        if not missing:
            return [ids for ids in found if ids is not None]
        encodings = encode_texts(self.tokenizer, missing)
        made = iter(
            np.fromiter((i for i in e.ids[:DOC_TOKENS] if i != self.unk), dtype=np.int32)
            for e in encodings
        )
        rows = [ids if ids is not None else next(made) for ids in found]
        with self._lock:
            for key, ids in zip(keys, rows, strict=True):
                self._kept[key] = ids
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return rows

    def scores(self, question: str, texts: Sequence[str]) -> list[float]:
        """For each text, the weighted mean over the question's tokens of their best
        cosine with one of the text's tokens (0 for a text without known tokens)."""
        if not texts:
            return []
        asked = np.unique(self._ids([question])[0])
        asked = asked[self.weights[asked] > 0]
        if not len(asked):
            return [0.0] * len(texts)
        unit = self.table[asked] * self.inverse[asked][:, None]
        weights = self.weights[asked]
        rows = self._ids(texts)
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        flat = np.concatenate(rows)
        found = np.zeros(len(rows), dtype=np.float32)
        filled = lengths > 0
        if flat.size:
            # the cosine of each distinct token of the texts with each question token
            distinct, where = np.unique(flat, return_inverse=True)
            # einsum, not ``@``: a BLAS product wakes OpenBLAS's threads, which spin on
            # after it and slow a torch model that runs next in this process (MiniLM
            # embedding the next question: retrieval p95 on LoCoMo 16 -> 106 ms);
            # einsum's own loop takes ~1 ms for 5,000 distinct tokens
            products = np.einsum("dk,qk->dq", self.table[distinct], unit)
            cosines = products * self.inverse[distinct][:, None]
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[filled]
            best = np.maximum.reduceat(cosines[where], starts, axis=0)
            found[filled] = (best * weights).sum(axis=1) / float(weights.sum())
        return [float(value) for value in found]


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
