"""A GGUF model run in-process by llama-cpp-python: a packaged model (see
:mod:`lifelog.models.packaged`: Qwen2.5-Coder-1.5B, then 0.5B, then SmolLM2-135M, the
first installed) unless the settings name another by name or by path.

Loaded models are shared by the process (keyed by file, window and threads) and
used under a lock: llama.cpp contexts are not thread-safe. A packaged model's sha256
is checked each time it is loaded. Nothing is downloaded.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..answer.reasoning import ThinkSplitter, controls_for
from ..errors import ConfigError, ModelError
from . import packaged
from .actions import action_schema
from .llm import Completion, ContextOverflowError, Delta, LLMSettings, Message

__all__ = ["DEFAULT_CONTEXT", "LlamaLocal", "default_model_path"]

#: the window used when the settings name none (prompt evaluation on a CPU is the cost)
DEFAULT_CONTEXT = 2048
#: evidence cap for local models: on 2 cores a 1.5B model reads ~80 prompt tokens a
#: second, so every 80 tokens of evidence is a second before the answer starts
DEFAULT_EVIDENCE_TOKENS = 450
#: the longest excerpt of one item (centred on the sentence that answers)
DEFAULT_SOURCE_CHARS = 700

_CACHE: dict[tuple[str, int, int, str], tuple[Any, threading.Lock]] = {}
_CACHE_LOCK = threading.Lock()
_OVERFLOW = re.compile(r"exceed context window of (\d+)")


def default_model_path() -> Path:
    """The default packaged model's GGUF, assembled if need be and checked by sha256."""
    return packaged.ensure(packaged.default_model())


def _packaged(name: str | None) -> tuple[packaged.PackagedModel, Path]:
    """The packaged model ``name`` names (the default when ``None``) and its file."""
    model = packaged.default_model() if name is None else packaged.find(name)
    if model is None:
        known = ", ".join(m.name for m in packaged.MODELS)
        raise ConfigError(
            f"no packaged model {name!r} (known: {known}; or set model_path to a .gguf)"
        )
    path = packaged.model_file(model)
    if path is None:
        raise ModelError(f"{model.name} is not installed: `lifelog models` lists those that are")
    return model, path


def _load(
    path: Path,
    n_ctx: int,
    n_threads: int,
    package: packaged.PackagedModel | None = None,
    role: str = "answer",
) -> tuple[Any, threading.Lock]:
    """The model loaded once per process for each ``role``: a role is a context of its
    own (its own KV cache) over the same weights, mapped from the file once."""
    key = (str(path), n_ctx, n_threads, role)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ModelError(
                f"local models need llama-cpp-python: pip install 'lifelog[llm]' ({error})"
            ) from error
        if package is not None:
            path = packaged.ensure(package)  # assembled if need be, sha256 checked
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
    #: answer length unless the settings say otherwise: answers are a few words and their
    #: citations, and a small model that rambles past this is not answering
    default_max_tokens = 120
    max_source_chars = DEFAULT_SOURCE_CHARS
    #: with reasoning on, lifelog's fixed plan (rewrite, search, answer) rather than a
    #: free agent loop, which small local models cannot drive (``agent: true`` in the
    #: settings hands a large local model the agent)
    follows_plan: bool

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        chosen: packaged.PackagedModel | None = None
        if settings.model_path:
            self.path = Path(settings.model_path).expanduser()
            self.name = settings.model or self.path.stem
        else:
            chosen, self.path = _packaged(settings.model)
            self.name = self.path.stem
        self.follows_plan = not bool(settings.extra.get("agent"))
        n_ctx = settings.context_window or DEFAULT_CONTEXT
        self._model, self._lock = _load(self.path, n_ctx, settings.n_threads or 2, chosen)
        self._package = chosen
        self._judge: tuple[Any, threading.Lock] | None = None
        self.max_evidence_tokens: int | None = int(
            settings.extra.get("max_evidence_tokens") or DEFAULT_EVIDENCE_TOKENS
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
        schema: Mapping[str, Any] | None = None,
    ) -> Iterator[Delta | Completion]:
        # no native tool calls: the JSON action protocol in text, constrained by a grammar
        # so that every turn is one well-formed action (see lifelog.models.actions)
        if schema is None and tools:
            schema = action_schema(tools)
        grammar = _grammar(schema) if schema is not None else None
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
                    grammar=grammar,
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

    def first_token_logprobs(
        self, messages: Sequence[Message], choices: Sequence[str]
    ) -> dict[str, float]:
        """The log-probability, over the whole vocabulary, that the reply to ``messages``
        starts with each of ``choices``' first token: a constrained judgement ("yes" or
        "no") read from one forward pass, no token sampled.

        Judgements run in a context of their own over the same weights (mapped once:
        about 60 MB more for its KV cache), so that the answer prompts' cached prefix
        and the judgements' stay in the cache both: each request reads only what
        follows the prefix it shares with the previous one of its kind."""
        import numpy as np
        from llama_cpp import LogitsProcessorList

        seen: list[Any] = []

        def capture(_ids: Any, logits: Any) -> Any:
            if not seen:  # the logits before sampling: the whole vocabulary, in id order
                seen.append(np.array(logits, dtype=np.float64, copy=True))
            return logits

        prepared = _apply_controls(messages, "", "")
        if self._judge is None:
            n_ctx = self.settings.context_window or DEFAULT_CONTEXT
            threads = self.settings.n_threads or 2
            self._judge = _load(self.path, n_ctx, threads, self._package, role="judge")
        model, lock = self._judge
        with lock:
            ids = {
                choice: model.tokenize(choice.encode("utf-8"), add_bos=False)[0]
                for choice in choices
            }
            try:
                model.create_chat_completion(
                    messages=prepared,
                    max_tokens=1,
                    temperature=0.0,
                    logits_processor=LogitsProcessorList([capture]),
                )
            except ValueError as error:
                match = _OVERFLOW.search(str(error))
                if match:
                    raise ContextOverflowError(str(error), int(match.group(1))) from error
                raise ModelError(f"{self.name} failed: {error}") from error
            except RuntimeError as error:
                raise ModelError(f"{self.name} failed: {error}") from error
        if not seen:
            raise ModelError(f"{self.name} gave no logits")
        logits = seen[0]
        top = float(logits.max())
        norm = top + float(np.log(np.exp(logits - top).sum()))
        return {choice: float(logits[token]) - norm for choice, token in ids.items()}


_GRAMMARS: dict[str, Any] = {}


def _grammar(schema: Mapping[str, Any]) -> Any:
    """The llama.cpp grammar of a JSON schema, compiled once per schema."""
    key = json.dumps(schema, sort_keys=True)
    with _CACHE_LOCK:
        if key not in _GRAMMARS:
            from llama_cpp.llama_grammar import LlamaGrammar

            _GRAMMARS[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return _GRAMMARS[key]


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
