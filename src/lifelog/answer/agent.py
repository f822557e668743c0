"""The agent behind ``--reasoning low|medium|high``: plan, search several times, answer.

It starts from the first retrieval, then calls read-only tools (see
:mod:`lifelog.answer.tools`) up to the level's step budget, through the OpenAI
tools API where the server takes it, else through a JSON action protocol in text
that small models can follow. Its answer goes through the same checks as a plain
one, against every item it was shown. A model that does not follow the protocol
on its first turn makes the agent fall back to the single-retrieval answer; the
agent never fails the question. Only the read-only tools of
:data:`~lifelog.answer.tools.ALLOWED_TOOLS` ever run: a call to any other name (an
ingested text may ask for one) is refused, shown as a step, and answered with an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import ModelError
from ..models.llm import LLM, Completion, ContextOverflowError, Message, ToolCall
from ..records import Hit
from ..retrieval.filters import Filters
from .citations import CITATION
from .finalize import finalize
from .generate import AskEvent, generate_answer
from .prompts import RULES, Turn
from .reasoning import agent_steps
from .tools import (
    ALLOWED_TOOLS,
    Ledger,
    MemoryLike,
    ToolContext,
    allowed,
    openai_tools,
    refused,
    run_tool,
)

__all__ = ["Action", "parse_action", "run_agent"]

_PROTOCOL = """Tools (reply with ONE JSON object and nothing else):
{"tool": "search", "query": "words", "since": "YYYY-MM-DD", "until": "YYYY-MM-DD", "person": "name"}
{"tool": "read", "source": 3}
{"tool": "timeline", "since": "YYYY-MM-DD", "until": "YYYY-MM-DD"}
{"tool": "count", "query": "words", "since": "YYYY-MM-DD", "until": "YYYY-MM-DD"}
{"tool": "date", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}
When you know the answer:
{"answer": "the answer, citing items like [1]"}"""
_ANSWER_KEYS = ("answer", "final", "final_answer", "response")
_NAME_KEYS = ("tool", "action", "name", "function")
_ARG_KEYS = ("args", "arguments", "parameters", "input")


def agent_system(today: datetime, steps: int, native: bool) -> str:
    how = (
        "Use the tools to look things up, then answer in plain sentences." if native else _PROTOCOL
    )
    return (
        "You answer questions about the user's life by looking things up in their records."
        f"\nToday is {today:%A %Y-%m-%d}. You may use at most {steps} tools."
        f"\n{RULES}\nEvery item you are shown is numbered; cite those numbers.\n{how}"
    )


@dataclass(frozen=True, slots=True)
class Action:
    """What the model asked for: ``tool`` calls, an ``answer``, or ``invalid``."""

    kind: str
    calls: tuple[ToolCall, ...] = ()
    text: str = ""


def _json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every balanced ``{…}`` in ``text`` that parses as a JSON object."""
    for start, char in enumerate(text):
        if char != "{":
            continue
        depth, in_string, escaped = 0, False, False
        for end in range(start, len(text)):
            c = text[end]
            if in_string:
                escaped = c == "\\" and not escaped
                if c == '"' and not escaped:
                    in_string = False
                continue
            if c == '"':
                in_string = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    try:
                        value = json.loads(text[start : end + 1])
                    except ValueError:
                        break
                    if isinstance(value, dict):
                        yield value
                    break


def parse_action(completion: Completion, *, native: bool, step: int) -> Action:
    """Read the model's turn as tool calls or an answer, leniently."""
    if completion.tool_calls:
        return Action("tool", tuple(completion.tool_calls))
    text = completion.content.strip()
    for value in _json_objects(text):
        for key in _ANSWER_KEYS:
            if isinstance(value.get(key), str) and value[key].strip():
                if value[key].strip() in _PROTOCOL:  # the protocol's placeholder, copied
                    return Action("invalid", text=text)
                return Action("answer", text=value[key].strip())
        name = next((value[k] for k in _NAME_KEYS if isinstance(value.get(k), str)), None)
        if name and name.strip().lower() in ALLOWED_TOOLS:
            args = next((value[k] for k in _ARG_KEYS if isinstance(value.get(k), dict)), None)
            if args is None:
                args = {k: v for k, v in value.items() if k not in _NAME_KEYS}
            return Action("tool", (ToolCall(f"call_{step}", name.strip().lower(), args),))
    if text and (native or CITATION.search(text)) and "{" not in text[:20]:
        return Action("answer", text=text)
    return Action("invalid", text=text)


@dataclass
class _Run:
    llm: LLM
    messages: list[Message]
    native: bool
    window: int
    max_tokens: int
    trace: list[str] = field(default_factory=list)

    def fits(self) -> bool:
        """Shrink old tool results until the prompt leaves room for the answer."""
        limit = self.window - self.max_tokens - 16 - self.window // 25
        for index, message in enumerate(self.messages[2:-1], start=2):
            if self._tokens() <= limit:
                return True
            if message["role"] in ("tool", "user") and len(str(message["content"])) > 120:
                self.messages[index] = {
                    **message,
                    "content": "(results shown earlier; their items stay citable)",
                }
        return self._tokens() <= limit

    def _tokens(self) -> int:
        return sum(self.llm.count_tokens(str(m.get("content") or "")) + 8 for m in self.messages)


def run_agent(
    memory: MemoryLike,
    llm: LLM,
    question: str,
    hits: Sequence[Hit],
    *,
    level: str,
    filters: Filters,
    now: datetime,
    history: Sequence[Turn] = (),
    max_tokens: int = 512,
    count_items: Callable[[Filters, str | None], int] | None = None,
    query: str = "",
) -> Iterator[AskEvent]:
    steps = agent_steps(level)
    native = llm.supports_tools
    window = llm.context_window
    small = window < 4096
    ctx = ToolContext(
        memory,
        Ledger(),
        filters,
        now,
        search_chars=240 if small else 480,
        read_chars=800 if small else 3000,
        count_items=count_items,
    )
    max_tokens = max(48, min(max_tokens, window // 4))
    run = _Run(llm, [], native, window, max_tokens)
    run.messages.append({"role": "system", "content": agent_system(now, steps, native)})
    for asked, answered in history[-2:]:
        run.messages += [
            {"role": "user", "content": asked},
            {"role": "assistant", "content": answered},
        ]
    seed_budget = (window - max_tokens) // 3
    blocks: list[str] = []
    for hit in hits[:8]:
        block = ctx.ledger.add(hit, ctx.search_chars).block
        blocks.append(block)
        if sum(llm.count_tokens(b) for b in blocks) > seed_budget:
            blocks.pop()
            break
    seed = "<sources>\n" + "\n".join(blocks) + "\n</sources>" if blocks else "no items"
    run.messages.append(
        {
            "role": "user",
            "content": f"Question: {question}\n\nFirst search results:\n{seed}"
            + ("" if native else "\n\nReply with one JSON object."),
        }
    )
    thoughts: list[str] = []
    done: set[str] = set()
    used = 0
    for turn in range(steps + 1):
        last = used >= steps
        if last and not native:
            run.messages.append(
                {
                    "role": "user",
                    "content": 'No tools left: reply now with {"answer": "…"} citing the items.',
                }
            )
        if not run.fits():
            break
        try:
            completion: Completion | None = None
            for piece in llm.stream(
                run.messages,
                max_tokens=max_tokens,
                reasoning=level,
                tools=openai_tools() if not last else None,
            ):
                if isinstance(piece, Completion):
                    completion = piece
                elif piece.kind == "reasoning":
                    yield AskEvent("reasoning", piece.text)
        except ContextOverflowError:
            break
        except ModelError as error:
            run.trace.append(f"the model failed: {error}")
            break
        if completion is None:
            break
        if completion.reasoning:
            thoughts.append(completion.reasoning)
        action = parse_action(completion, native=native, step=turn)
        if action.kind == "answer":
            yield AskEvent("token", action.text)
            trace = _trace(run.trace, thoughts)
            yield AskEvent(
                "answer",
                answer=finalize(
                    question,
                    action.text,
                    ctx.ledger.sources,
                    ctx.ledger.hits(),
                    reasoning=trace,
                    derived=frozenset(ctx.ledger.derived),
                    query=query,
                ),
            )
            return
        if action.kind == "invalid" or last:
            if turn == 0:
                yield from generate_answer(
                    llm,
                    question,
                    hits,
                    now=now,
                    history=history,
                    max_tokens=max_tokens,
                    reasoning=level,
                    query=query,
                    notes=(
                        "the model did not follow the tool protocol: answered from one retrieval",
                    ),
                )
                return
            run.trace.append("the model did not answer in the protocol")
            break
        results: list[Message] = []
        for call in action.calls[: steps - used]:
            used += 1
            key = f"{call.name}:{json.dumps(dict(call.arguments), sort_keys=True, default=str)}"
            if not allowed(call.name):
                # ingested text may have asked for it: only the read-only tools ever run
                summary, result = refused(call.name)
            elif key in done:
                summary, result = f"{call.name}: repeated", "already done: see the results above"
            else:
                done.add(key)
                summary, result = run_tool(call.name, call.arguments, ctx)
            run.trace.append(f"step {used}: {summary}")
            yield AskEvent("step", summary)
            results.append(_result_message(call, result, native, steps - used))
        run.messages.append(_assistant_message(completion, action, native))
        if native:
            run.messages += results
        else:
            run.messages.append(
                {"role": "user", "content": "\n\n".join(str(r["content"]) for r in results)}
            )
    # out of steps, room or protocol: answer from everything the agent gathered
    gathered = ctx.ledger.hits() or list(hits)
    yield from generate_answer(
        llm,
        question,
        gathered,
        now=now,
        history=history,
        max_tokens=max_tokens,
        derived=frozenset(ctx.ledger.derived),
        reasoning=level,
        reasoning_prefix=_trace(run.trace, thoughts) or "",
        query=query,
        notes=(f"answered from the {len(gathered)} items the agent gathered",),
    )


def _trace(steps: list[str], thoughts: list[str]) -> str | None:
    text = "\n".join(steps + thoughts).strip()
    return text or None


def _assistant_message(completion: Completion, action: Action, native: bool) -> Message:
    if not native:
        return {"role": "assistant", "content": completion.content}
    return {
        "role": "assistant",
        "content": completion.content or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(dict(call.arguments))},
            }
            for call in action.calls
        ],
    }


def _result_message(call: ToolCall, result: str, native: bool, left: int) -> Message:
    if native:
        return {"role": "tool", "tool_call_id": call.id, "content": result}
    args: Mapping[str, Any] = call.arguments
    shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return {
        "role": "user",
        "content": f"Result of {call.name}({shown}):\n{result}\n\n"
        f"Reply with one JSON object: a tool ({left} left) or the answer.",
    }
