"""The reasoning switch: levels, agent depth, each model family's own control, and
the separation of reasoning text from the answer.

Pure logic with no lifelog imports, so model backends can use it too.

- ``off``: one retrieval, one answer. ``low`` / ``medium`` / ``high``: an agent
  with read-only tools, allowed :data:`AGENT_STEPS` tool calls.
- gpt-oss takes ``reasoning_effort`` (it cannot switch reasoning off: ``off`` is
  ``low``); Qwen3 takes ``enable_thinking`` through the chat template and the
  ``/think`` / ``/no_think`` soft switch in the user turn.
- Reasoning text arrives as ``reasoning_content`` or ``reasoning`` fields (handled
  by the backends) or inline as ``<think>…</think>`` or gpt-oss's harmony
  channels, which :class:`ThinkSplitter` separates, also across stream chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AGENT_STEPS",
    "LEVELS",
    "Controls",
    "ThinkSplitter",
    "agent_steps",
    "check_level",
    "controls_for",
    "split_reasoning",
]

LEVELS = ("off", "low", "medium", "high")
#: how many tool calls the agent may make at each level
AGENT_STEPS = {"off": 0, "low": 2, "medium": 4, "high": 8}


def check_level(level: str) -> str:
    """The level, lower-cased; ``ValueError`` naming the choices when unknown."""
    value = (level or "off").strip().lower()
    if value not in LEVELS:
        raise ValueError(f"reasoning must be one of {', '.join(LEVELS)}, not {level!r}")
    return value


def agent_steps(level: str) -> int:
    return AGENT_STEPS[check_level(level)]


@dataclass(frozen=True, slots=True)
class Controls:
    """How a model family is told the reasoning level.

    ``extra_body`` goes into an OpenAI-compatible request; ``user_suffix`` is
    appended to the last user turn; ``system_suffix`` to the system prompt (for
    models run locally, where no server applies request parameters).
    """

    extra_body: dict[str, Any] = field(default_factory=dict)
    user_suffix: str = ""
    system_suffix: str = ""
    #: the model starts its output inside a reasoning block (its template opened it)
    starts_thinking: bool = False


def controls_for(model: str, level: str) -> Controls:
    """The reasoning control of the model family named by ``model``."""
    level = check_level(level)
    name = model.lower()
    if "gpt-oss" in name or "gpt_oss" in name:
        effort = "low" if level == "off" else level
        return Controls(
            extra_body={"reasoning_effort": effort},
            system_suffix=f"\nReasoning: {effort}",
        )
    if "qwen3" in name:
        thinking = level != "off"
        return Controls(
            extra_body={"chat_template_kwargs": {"enable_thinking": thinking}},
            user_suffix=" /think" if thinking else " /no_think",
        )
    return Controls()


# (opening marker, closing marker) pairs of inline reasoning
_MARKERS: tuple[tuple[str, str], ...] = (
    ("<think>", "</think>"),
    ("<thinking>", "</thinking>"),
    ("<|channel|>analysis<|message|>", "<|end|>"),
)
# harmony text around the final channel that is neither reasoning nor answer
_HARMONY_NOISE = (
    "<|start|>assistant<|channel|>final<|message|>",
    "<|channel|>final<|message|>",
    "<|start|>assistant",
    "<|return|>",
    "<|end|>",
)


class ThinkSplitter:
    """Separates inline reasoning from answer text in a stream of chunks.

    ``feed`` returns ``(kind, text)`` pieces, kind ``"reasoning"`` or
    ``"content"``; a marker split across chunks is held back until it is whole.
    ``finish`` flushes what is held. With ``starts_thinking`` the text is
    reasoning until a closing marker (templates that open ``<think>`` themselves).
    """

    def __init__(self, *, starts_thinking: bool = False) -> None:
        self._buffer = ""
        self._closing: str | None = "</think>" if starts_thinking else None
        self._saw_content = False

    def feed(self, chunk: str) -> list[tuple[str, str]]:
        self._buffer += chunk
        return self._drain(final=False)

    def finish(self) -> list[tuple[str, str]]:
        return self._drain(final=True)

    def _emit(self, out: list[tuple[str, str]], kind: str, text: str) -> None:
        if kind == "content":
            for noise in _HARMONY_NOISE:
                text = text.replace(noise, "")
            if text.strip():
                self._saw_content = True
        if text:
            out.append((kind, text))

    def _drain(self, *, final: bool) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        while self._buffer:
            if self._closing is not None:
                at = self._buffer.find(self._closing)
                if at >= 0:
                    self._emit(out, "reasoning", self._buffer[:at])
                    self._buffer = self._buffer[at + len(self._closing) :]
                    self._closing = None
                    continue
                keep = 0 if final else _partial_suffix(self._buffer, (self._closing,))
                self._emit(out, "reasoning", self._buffer[: len(self._buffer) - keep])
                self._buffer = self._buffer[len(self._buffer) - keep :]
                break
            found = [(self._buffer.find(o), o, c) for o, c in _MARKERS]
            found = [f for f in found if f[0] >= 0]
            stray = self._buffer.find("</think>")
            if stray >= 0 and (not found or stray < min(found)[0]):
                # a template opened the block in the prompt: what came before is reasoning,
                # unless answer text was already handed out (then the tag is dropped)
                kind = "content" if self._saw_content else "reasoning"
                self._emit(out, kind, self._buffer[:stray])
                self._buffer = self._buffer[stray + len("</think>") :]
                continue
            if found:
                at, opening, closing = min(found)
                self._emit(out, "content", self._buffer[:at])
                self._buffer = self._buffer[at + len(opening) :]
                self._closing = closing
                continue
            markers = [o for o, _ in _MARKERS] + ["</think>", *_HARMONY_NOISE]
            keep = 0 if final else _partial_suffix(self._buffer, markers)
            self._emit(out, "content", self._buffer[: len(self._buffer) - keep])
            self._buffer = self._buffer[len(self._buffer) - keep :]
            break
        return out


def _partial_suffix(text: str, markers: list[str] | tuple[str, ...]) -> int:
    """Length of the longest end of ``text`` that begins one of ``markers``."""
    best = 0
    for marker in markers:
        for size in range(min(len(marker) - 1, len(text)), 0, -1):
            if text.endswith(marker[:size]):
                best = max(best, size)
                break
    return best


def split_reasoning(text: str, *, starts_thinking: bool = False) -> tuple[str, str]:
    """``(reasoning, answer)`` of a whole text."""
    splitter = ThinkSplitter(starts_thinking=starts_thinking)
    pieces = splitter.feed(text) + splitter.finish()
    reasoning = "".join(t for k, t in pieces if k == "reasoning")
    content = "".join(t for k, t in pieces if k == "content")
    return reasoning.strip(), content.strip()
