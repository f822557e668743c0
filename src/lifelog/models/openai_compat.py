"""Any OpenAI-compatible chat server: Ollama, llama.cpp server, vLLM, LM Studio, OpenAI.

Streams content and reasoning (``reasoning_content`` / ``reasoning`` fields, or
inline ``<think>``); sends the reasoning level the way the model family takes it;
uses native tool calls when the server accepts them. The context window comes
from the settings, else from the server's model list (vLLM's ``max_model_len``,
llama.cpp's ``n_ctx``), else a conservative 4096, and is lowered when the server
reports a smaller one in an overflow error. Tokens are estimated (no tokenizer).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from ..answer.reasoning import ThinkSplitter, controls_for, split_reasoning
from ..errors import ModelError
from .llm import (
    Completion,
    ContextOverflowError,
    Delta,
    LLMSettings,
    Message,
    ToolCall,
    estimate_tokens,
)

__all__ = ["OpenAICompat"]

FALLBACK_CONTEXT = 4096
_WINDOW_KEYS = ("max_model_len", "context_length", "max_context_length", "n_ctx", "context_window")
_OVERFLOW_WORDS = (
    "context length",
    "context window",
    "maximum context",
    "too many tokens",
    "too long",
    "exceed",
    "n_ctx",
)
_NUMBER_AFTER = re.compile(
    r"(?:context (?:window|length) (?:of|is)|maximum context length is|n_ctx[ =:]+)\s*(\d+)"
)


class OpenAICompat:
    """The ``openai`` backend."""

    backend = "openai"
    #: answer length unless the settings say otherwise (reasoning tokens count too)
    default_max_tokens = 2048

    def __init__(self, settings: LLMSettings) -> None:
        try:
            from openai import OpenAI, Timeout
        except ImportError as error:
            raise ModelError(
                f"OpenAI-compatible servers need the openai package: pip install 'lifelog[llm]'"
                f" ({error})"
            ) from error
        if not settings.base_url:
            raise ModelError("the openai backend needs a base URL")
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.name = settings.model or ""
        self.max_evidence_tokens = _opt(settings.extra.get("max_evidence_tokens"))
        self._client = OpenAI(
            base_url=self.base_url,
            api_key=settings.api_key or "not-needed",
            timeout=Timeout(settings.timeout, connect=5.0),
            max_retries=1,
        )
        self._window = settings.context_window
        self._tools: bool | None = {"native": True, "json": False}.get(settings.tools)
        #: whether the server takes ``response_format`` JSON schemas (until it refuses one)
        self._schemas = True
        self._send_extra = True
        self._is_openai = (urlparse(self.base_url).hostname or "").endswith("openai.com")
        #: request fields the settings add to every call (``settings.llm.extra_body``)
        self._extra_body = dict(settings.extra.get("extra_body") or {})

    # -- what the server is ----------------------------------------------------------

    def _models(self) -> list[Any]:
        try:
            return list(self._client.models.list())
        except Exception:  # any failure here only means "unknown": the defaults apply
            return []

    @property
    def context_window(self) -> int:
        if self._window is None:
            self._window = FALLBACK_CONTEXT
            for model in self._models():
                if self.name and getattr(model, "id", None) != self.name:
                    continue
                extra = dict(getattr(model, "model_extra", None) or {})
                extra.update(extra.get("meta") or {})
                for key in _WINDOW_KEYS:
                    if isinstance(extra.get(key), int) and extra[key] > 0:
                        self._window = int(extra[key])
                        break
        return self._window

    @property
    def supports_tools(self) -> bool:
        return self._tools is not False

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def _model_name(self) -> str:
        if not self.name:
            models = self._models()
            if not models:
                raise ModelError(
                    f"no model named and none listed by {self.base_url}: set LIFELOG_LLM_MODEL"
                )
            self.name = str(models[0].id)
        return self.name

    # -- generation ------------------------------------------------------------------

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
        import openai

        model = self._model_name()
        controls = controls_for(model, reasoning)
        prepared = [dict(m) for m in messages]
        if controls.user_suffix:
            for message in reversed(prepared):
                if message.get("role") == "user":
                    message["content"] = str(message.get("content") or "") + controls.user_suffix
                    break
        extra = {**controls.extra_body, **self._extra_body} if self._send_extra else {}
        if self._is_openai:
            extra.pop("chat_template_kwargs", None)
        use_tools = bool(tools) and self._tools is not False
        request: dict[str, Any] = {
            "model": model,
            "messages": prepared,
            "max_tokens": max_tokens,
            "temperature": self.settings.temperature if temperature is None else temperature,
            "stream": True,
        }
        if use_tools:
            request["tools"] = list(tools or ())
        elif schema is not None and self._schemas:
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": dict(schema)},
            }
        started = time.perf_counter()
        try:
            try:
                response = self._client.chat.completions.create(**request, extra_body=extra)
            except openai.BadRequestError as error:
                if _is_overflow(error):
                    raise
                # a server that refuses the reasoning switch, tools or a response format:
                # retry without them (the caller reads the reply leniently)
                if not extra and not use_tools and "response_format" not in request:
                    raise
                if extra:
                    self._send_extra = False
                if use_tools:
                    self._tools = False
                    request.pop("tools", None)
                if request.pop("response_format", None) is not None:
                    self._schemas = False
                extra = {}
                response = self._client.chat.completions.create(**request)
            for piece in self._read(response, started, controls.starts_thinking):
                if (
                    isinstance(piece, Completion)
                    and piece.finish_reason is None
                    and not (piece.content or piece.reasoning or piece.tool_calls)
                ):
                    # an empty stream: some servers (llama-cpp-python's) report errors such as
                    # an overflow only to a plain request; ask once more without streaming
                    request["stream"] = False
                    whole = self._client.chat.completions.create(**request, extra_body=extra)
                    yield from self._whole(whole, started, controls.starts_thinking)
                    break
                yield piece
        except openai.BadRequestError as error:
            if _is_overflow(error):
                limit = _reported_window(str(error))
                if limit:
                    self._window = limit
                raise ContextOverflowError(f"{model}: {_message(error)}", limit) from error
            raise ModelError(
                f"{model} at {self.base_url} refused the request: {_message(error)}"
            ) from error
        except openai.AuthenticationError as error:
            raise ModelError(
                f"{self.base_url} refused the API key (set LIFELOG_LLM_API_KEY): {_message(error)}"
            ) from error
        except openai.NotFoundError as error:
            raise ModelError(
                f"{self.base_url} has no model {model!r}: {_message(error)}"
            ) from error
        except openai.APIConnectionError as error:
            raise ModelError(f"cannot reach the LLM server at {self.base_url}: {error}") from error
        except openai.APIError as error:
            raise ModelError(f"{model} at {self.base_url} failed: {_message(error)}") from error
        if use_tools and self._tools is None:
            self._tools = True

    def _whole(
        self, response: Any, started: float, starts_thinking: bool
    ) -> Iterator[Delta | Completion]:
        """A non-streamed response, as the same pieces a stream gives."""
        message = response.choices[0].message if response.choices else None
        result = Completion(finish_reason=response.choices[0].finish_reason if message else None)
        if message is not None:
            extra = getattr(message, "model_extra", None) or {}
            thought = extra.get("reasoning_content") or extra.get("reasoning") or ""
            reasoning, content = split_reasoning(
                message.content or "", starts_thinking=starts_thinking
            )
            result.reasoning = "\n".join(t for t in (str(thought), reasoning) if t).strip()
            result.content = content
            result.tool_calls = [
                _tool_call(
                    i, {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
                )
                for i, c in enumerate(message.tool_calls or ())
                if getattr(c, "function", None) is not None
            ]
        usage = getattr(response, "usage", None)
        result.prompt_tokens = getattr(usage, "prompt_tokens", None)
        result.completion_tokens = getattr(usage, "completion_tokens", None) or 0
        result.seconds = result.first_token_s = time.perf_counter() - started
        if result.reasoning:
            yield Delta("reasoning", result.reasoning)
        if result.content:
            yield Delta("content", result.content)
        yield result

    def _read(
        self, response: Any, started: float, starts_thinking: bool
    ) -> Iterator[Delta | Completion]:
        splitter = ThinkSplitter(starts_thinking=starts_thinking)
        result = Completion()
        content: list[str] = []
        thoughts: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        for chunk in response:
            usage = getattr(chunk, "usage", None)
            if usage is not None:
                result.prompt_tokens = getattr(usage, "prompt_tokens", None)
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            if choice.finish_reason:
                result.finish_reason = choice.finish_reason
            delta = choice.delta
            if delta is None:
                continue
            extra = getattr(delta, "model_extra", None) or {}
            thought = extra.get("reasoning_content") or extra.get("reasoning")
            pieces: list[tuple[str, str]] = []
            if isinstance(thought, str) and thought:
                pieces.append(("reasoning", thought))
            if delta.content:
                pieces.extend(splitter.feed(delta.content))
            for call in delta.tool_calls or ():
                slot = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                slot["id"] = call.id or slot["id"]
                if call.function is not None:
                    slot["name"] += call.function.name or ""
                    slot["arguments"] += call.function.arguments or ""
            if pieces or delta.tool_calls:
                if result.first_token_s is None:
                    result.first_token_s = time.perf_counter() - started
                result.completion_tokens += 1
            for kind, text in pieces:
                (content if kind == "content" else thoughts).append(text)
                yield Delta("content" if kind == "content" else "reasoning", text)
        for kind, text in splitter.finish():
            (content if kind == "content" else thoughts).append(text)
            yield Delta("content" if kind == "content" else "reasoning", text)
        result.content = "".join(content).strip()
        result.reasoning = "".join(thoughts).strip()
        result.tool_calls = [_tool_call(i, slot) for i, slot in sorted(calls.items())]
        result.seconds = time.perf_counter() - started
        yield result


def _tool_call(index: int, slot: Mapping[str, str]) -> ToolCall:
    try:
        arguments = json.loads(slot["arguments"] or "{}")
    except ValueError:
        arguments = {}
    if not isinstance(arguments, dict):
        arguments = {}
    return ToolCall(slot["id"] or f"call_{index}", slot["name"], arguments, slot["arguments"])


def _message(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return str(getattr(error, "message", error))


def _is_overflow(error: Any) -> bool:
    text = _message(error).lower() + " " + str(error).lower()
    return (
        any(word in text for word in _OVERFLOW_WORDS)
        and "token" in text
        or ("context" in text and ("exceed" in text or "length" in text))
    )


def _reported_window(text: str) -> int | None:
    match = _NUMBER_AFTER.search(text.lower())
    return int(match.group(1)) if match else None


def _opt(value: Any) -> int | None:
    return None if value in (None, "") else int(value)
