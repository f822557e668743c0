"""A scripted language model for tests of the answer layer (like pydantic-ai's TestModel).

Each call to :meth:`ScriptedLLM.stream` plays the next entry of the script:

- a ``str``: streamed as content in small pieces (inline ``<think>`` is separated);
- a list of :class:`~lifelog.models.llm.ToolCall`: returned as native tool calls;
- a callable ``(messages) -> str``: its result, computed from the prompt;
- an exception instance: raised (e.g. :class:`ContextOverflowError`).

Every prompt is kept in :attr:`ScriptedLLM.calls`. Use it only at the model
boundary: the memory, the store and the indexes are always the real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..answer.reasoning import ThinkSplitter
from ..errors import ModelError
from .llm import Completion, Delta, Message, ToolCall, estimate_tokens

__all__ = ["ScriptedLLM"]

Step = str | list[ToolCall] | Callable[[Sequence[Message]], str] | BaseException


class ScriptedLLM:
    """The ``test`` backend: plays a script, records prompts."""

    backend = "test"

    def __init__(
        self,
        script: Sequence[Step] = (),
        *,
        name: str = "scripted",
        context_window: int = 4096,
        supports_tools: bool = False,
        chunk_size: int = 4,
        follows_plan: bool = False,
    ) -> None:
        self.script = list(script)
        self.name = name
        self._window = context_window
        self._tools = supports_tools
        self.chunk_size = chunk_size
        #: like a small local model: reasoning runs lifelog's fixed plan, not the agent
        self.follows_plan = follows_plan
        self.calls: list[list[Message]] = []
        self.options: list[dict[str, Any]] = []

    @property
    def context_window(self) -> int:
        return self._window

    @property
    def supports_tools(self) -> bool:
        return self._tools

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return sum(self.count_tokens(str(m.get("content") or "")) + 4 for m in messages)

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
        self.calls.append([dict(m) for m in messages])
        self.options.append(
            {
                "max_tokens": max_tokens,
                "temperature": temperature,
                "reasoning": reasoning,
                "tools": list(tools or ()),
                "schema": schema,
            }
        )
        if self.prompt_tokens(messages) + max_tokens > self._window:
            from .llm import ContextOverflowError

            raise ContextOverflowError(
                f"prompt of {self.prompt_tokens(messages)} tokens + {max_tokens} exceeds"
                f" context window of {self._window}",
                self._window,
            )
        if not self.script:
            raise ModelError("the scripted model has no more answers")
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        result = Completion()
        if isinstance(step, list):
            result.tool_calls = list(step)
            result.finish_reason = "tool_calls"
            yield result
            return
        text = step(messages) if callable(step) else step
        splitter = ThinkSplitter()
        content: list[str] = []
        thoughts: list[str] = []
        pieces: list[tuple[str, str]] = []
        for start in range(0, len(text), self.chunk_size):
            pieces.extend(splitter.feed(text[start : start + self.chunk_size]))
        pieces.extend(splitter.finish())
        for kind, piece in pieces:
            (content if kind == "content" else thoughts).append(piece)
            result.completion_tokens += 1
            yield Delta("content" if kind == "content" else "reasoning", piece)
        result.content = "".join(content).strip()
        result.reasoning = "".join(thoughts).strip()
        result.finish_reason = "stop"
        yield result
