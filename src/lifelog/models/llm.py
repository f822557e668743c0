"""Language-model backends: the protocol every backend follows, its settings, a registry.

Backends (one module each, registered like third-party ones through the
``lifelog.llm`` entry-point group, see :func:`backend_factories`):

- ``local``: a GGUF file run in-process by llama-cpp-python; the first installed
  packaged model (Qwen2.5-Coder-1.5B, 0.5B, SmolLM2-135M: ``lifelog models``) is the
  embedded default, and ``--model qwen2.5-coder-0.5b`` (or ``"model"`` in the settings)
  picks one by name.
- ``openai``: any OpenAI-compatible server (Ollama, llama.cpp server, vLLM,
  LM Studio, OpenAI) by base URL, model and key.
- ``none``: no generation; answers stay extractive.

Settings come from the memory's ``memory.json`` (``settings["llm"]``: ``backend``,
``model``, ``base_url``, ``model_path``, ``context_window``, ``max_tokens``,
``temperature``, ``n_threads``, ``timeout``, ``tools``, ``api_key_env``,
``extra_body``, ``max_evidence_tokens``), then
the environment (``LIFELOG_LLM_BASE_URL``, ``LIFELOG_LLM_MODEL``,
``LIFELOG_LLM_API_KEY``), then an explicit ``model`` argument (``--model``).
A key is never stored in ``memory.json``: it comes from the environment, and only from
a variable named for the purpose (:func:`key_variable`): ``LIFELOG_LLM_API_KEY`` or
``LIFELOG_LLM_API_KEY_<NAME>`` (``api_key_env`` picks one), never another secret such as
``LIFELOG_PASSPHRASE`` that a changed setting would send to a model server.
``LIFELOG_LLM_MODEL=none`` (or ``--model none``) turns generation off.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from typing import Any, Literal, Protocol, runtime_checkable

from ..errors import ConfigError, ModelError, UserError
from .packaged import find as find_packaged

__all__ = [
    "LLM",
    "Completion",
    "ContextOverflowError",
    "Delta",
    "LLMSettings",
    "Message",
    "ToolCall",
    "backend_factories",
    "complete",
    "create_llm",
    "estimate_tokens",
    "key_variable",
    "resolve_settings",
]

Message = dict[str, Any]
"""One chat message in the OpenAI shape: ``role``, ``content`` (+ ``tool_calls`` …)."""

BUILTIN_BACKENDS = {
    "local": "lifelog.models.llama_local:LlamaLocal",
    "openai": "lifelog.models.openai_compat:OpenAICompat",
}
#: names of the default packaged model; a packaged model's own name picks that one
LOCAL_ALIASES = ("local", "embedded", "default")


class ContextOverflowError(ModelError):
    """The prompt did not fit the model's context window.

    ``limit`` is the window when the backend reported it (callers shrink the
    evidence and retry; users never see this error).
    """

    def __init__(self, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: Mapping[str, Any]
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of streamed output: answer text or reasoning text."""

    kind: Literal["content", "reasoning"]
    text: str


@dataclass(slots=True)
class Completion:
    """The whole of one generation (the last thing a backend's stream yields)."""

    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int = 0
    first_token_s: float | None = None
    seconds: float = 0.0

    @property
    def tokens_per_s(self) -> float | None:
        start = self.first_token_s or 0.0
        span = self.seconds - start
        if self.completion_tokens < 2 or span <= 0:
            return None
        return (self.completion_tokens - 1) / span


@runtime_checkable
class LLM(Protocol):
    """What the answer layer needs from a chat model."""

    #: the backend's registry name and the model's name
    backend: str
    name: str

    @property
    def context_window(self) -> int: ...

    @property
    def supports_tools(self) -> bool: ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` by the model's tokenizer, or a safe over-estimate."""
        ...

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
        """Yield :class:`Delta` pieces as they arrive, then one :class:`Completion`.

        ``temperature`` ``None`` means the settings' (0 unless configured).
        ``schema``: a JSON schema the reply must follow (constrained decoding where
        the backend has it: a llama.cpp grammar, a server's ``response_format``).

        Raises :class:`ContextOverflowError` when the prompt does not fit and
        :class:`~lifelog.errors.ModelError` when the model fails or is unreachable.
        """
        ...


def complete(
    llm: LLM,
    messages: Sequence[Message],
    *,
    max_tokens: int,
    temperature: float | None = None,
    reasoning: str = "off",
    tools: Sequence[Mapping[str, Any]] | None = None,
    on_delta: Callable[[Delta], None] | None = None,
    schema: Mapping[str, Any] | None = None,
) -> Completion:
    """Run one generation to the end, passing each piece to ``on_delta``."""
    extra: dict[str, Any] = {"schema": schema} if schema is not None else {}
    for piece in llm.stream(
        messages,
        max_tokens=max_tokens,
        temperature=temperature,
        reasoning=reasoning,
        tools=tools,
        **extra,
    ):
        if isinstance(piece, Completion):
            return piece
        if on_delta is not None:
            on_delta(piece)
    raise ModelError(f"{llm.backend} backend ended its stream without a completion")


def estimate_tokens(text: str) -> int:
    """A tokenizer-free over-estimate: ~3.5 characters of ASCII a token, one token for
    each other character (CJK, emoji), plus 15%."""
    ascii_chars = sum(1 for c in text if c < "\x80")
    other = len(text) - ascii_chars
    return int((ascii_chars / 3.5 + other) * 1.15) + 1


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Where answers are generated. ``backend`` is ``local``, ``openai``, ``none`` or a
    third-party backend's name."""

    backend: str = "local"
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    model_path: str | None = None
    context_window: int | None = None
    max_tokens: int | None = None
    temperature: float = 0.0
    n_threads: int | None = None
    timeout: float = 120.0
    #: ``auto`` (native tool calls when the server takes them), ``native`` or ``json``
    tools: str = "auto"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.backend != "none"

    def key(self) -> str:
        """Equal for equal settings (a cache key)."""
        return json.dumps(
            {
                **{f: getattr(self, f) for f in self.__dataclass_fields__ if f != "extra"},
                "extra": dict(self.extra),
            },
            sort_keys=True,
            default=str,
        )


_KNOWN = {
    "backend",
    "model",
    "base_url",
    "model_path",
    "context_window",
    "max_tokens",
    "temperature",
    "n_threads",
    "timeout",
    "tools",
    "api_key_env",
}


def resolve_settings(
    config: Mapping[str, Any] | None = None,
    *,
    model: str | None = None,
    env: Mapping[str, str] | None = None,
) -> LLMSettings:
    """Settings from ``memory.json``'s ``settings["llm"]``, the environment and ``model``."""
    env = os.environ if env is None else env
    raw = dict(config or {})
    if "api_key" in raw:
        raise ConfigError(
            "memory.json must not hold an API key: set LIFELOG_LLM_API_KEY"
            " (or name another variable with settings.llm.api_key_env)"
        )
    try:
        settings = LLMSettings(
            backend=str(raw.get("backend") or ("openai" if raw.get("base_url") else "local")),
            model=_opt_str(raw.get("model")),
            base_url=_opt_str(raw.get("base_url")),
            model_path=_opt_str(raw.get("model_path")),
            context_window=_opt_int(raw.get("context_window")),
            max_tokens=_opt_int(raw.get("max_tokens")),
            temperature=float(raw.get("temperature", 0.0)),
            n_threads=_opt_int(raw.get("n_threads")),
            timeout=float(raw.get("timeout", 120.0)),
            tools=str(raw.get("tools", "auto")),
            extra={k: v for k, v in raw.items() if k not in _KNOWN},
        )
    except (TypeError, ValueError) as error:
        raise ConfigError(f"invalid settings.llm in memory.json: {error}") from error
    key_env = key_variable(raw.get("api_key_env"), "LIFELOG_LLM_API_KEY", "settings.llm")
    settings = replace(settings, api_key=env.get(key_env) or env.get("LIFELOG_LLM_API_KEY"))
    if env.get("LIFELOG_LLM_BASE_URL"):
        settings = replace(settings, backend="openai", base_url=env["LIFELOG_LLM_BASE_URL"])
    if env.get("LIFELOG_LLM_MODEL"):
        settings = _with_model(settings, env["LIFELOG_LLM_MODEL"])
    if model:
        settings = _with_model(settings, model)
    if settings.tools not in ("auto", "native", "json"):
        raise ConfigError(
            f"settings.llm.tools must be auto, native or json, not {settings.tools!r}"
        )
    if settings.backend == "openai" and not settings.base_url:
        raise UserError(
            f"model {settings.model!r} needs an OpenAI-compatible server:"
            " set LIFELOG_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama)"
        )
    return settings


def key_variable(name: Any, default: str, where: str) -> str:
    """The environment variable an API key is read from: ``default`` or ``default_<NAME>``.

    Any other name is refused: a setting changed through the web could otherwise send
    any variable (``LIFELOG_PASSPHRASE``, a cloud credential) to the model server as a
    bearer token, and tell whether it exists.
    """
    if name in (None, ""):
        return default
    text = str(name)
    if text == default or re.fullmatch(re.escape(default) + r"_[A-Z0-9_]{1,64}", text):
        return text
    raise ConfigError(
        f"{where}.api_key_env: {text!r} is not a key variable: name {default}"
        f" or {default}_<NAME> (e.g. export {default}_OLLAMA=…)"
    )


def _with_model(settings: LLMSettings, model: str) -> LLMSettings:
    value = model.strip()
    lowered = value.lower()
    if lowered in ("none", "off", "extractive"):
        return replace(settings, backend="none")
    if lowered in LOCAL_ALIASES:
        return replace(settings, backend="local", model=None, model_path=None)
    chosen = find_packaged(lowered)
    if chosen is not None:
        return replace(settings, backend="local", model=chosen.name, model_path=None)
    if lowered.endswith(".gguf"):
        return replace(settings, backend="local", model=None, model_path=value)
    if settings.backend == "local" and not settings.base_url:
        return replace(settings, backend="openai", model=value)
    backend = settings.backend if settings.backend not in ("none", "local") else "openai"
    return replace(settings, backend=backend, model=value)


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _opt_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


Factory = Callable[[LLMSettings], LLM]


def backend_factories() -> dict[str, str | Factory]:
    """Backends by name: the built-ins, then the ``lifelog.llm`` entry points."""
    found: dict[str, str | Factory] = dict(BUILTIN_BACKENDS)
    for entry in entry_points(group="lifelog.llm"):
        found.setdefault(entry.name, entry.value)
    return found


def create_llm(settings: LLMSettings) -> LLM | None:
    """The backend ``settings`` name (``None`` when generation is off)."""
    if not settings.enabled:
        return None
    factories = backend_factories()
    target = factories.get(settings.backend)
    if target is None:
        raise ConfigError(
            f"unknown LLM backend {settings.backend!r} (known: {', '.join(sorted(factories))})"
        )
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ModelError(
                f"the {settings.backend} LLM backend needs an optional dependency:"
                f" {error} (pip install 'lifelog[llm]')"
            ) from error
        target = getattr(module, attr)
    backend: LLM = target(settings)
    return backend
