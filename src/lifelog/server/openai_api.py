"""The OpenAI-compatible API: ``POST /v1/chat/completions`` (streaming and not), ``GET
/v1/models``.

The last user message is the question and earlier turns are the conversation;
``reasoning_effort`` (``none``/``minimal`` → off, ``low``, ``medium``, ``high``)
picks the answer's reasoning. The reply's text carries ``[n]`` citations and ends
with a "Sources:" list; the structured citations (item id, date, source,
snippet) sit at ``choices[0].message.citations`` and at the top level, or, when
streaming, on the final chunk.

Streaming sends nothing unchecked (:mod:`lifelog.answer.release`): while the model
writes, the client gets reasoning, the agent's steps and a "writing the answer" line
as ``reasoning_content`` (then SSE comments, which keep the connection alive); the
content deltas are the checked answer and its "Sources:", so the client's transcript
is exactly the message a request without ``stream`` gets. All of it is inert
(:mod:`lifelog.answer.inert`): no image, link target or HTML a renderer would fetch.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..answer.inert import inert
from ..errors import NotFoundError, UserError
from ..models.llm import estimate_tokens
from ..records import Answer
from .errors import error_body, message_for, status_for
from .serialize import FOOTNOTES_MARK, answer_json, citation_json, footnotes
from .state import FilterBody, state_of
from .streaming import iterate_in_thread, sse

__all__ = ["MODELS", "router"]

router = APIRouter(prefix="/v1", tags=["openai"])

#: model ids this API lists: the configured model, and extractive answers only
MODELS = {"lifelog": None, "lifelog-extractive": "none"}
_EFFORT = {
    None: "off",
    "none": "off",
    "off": "off",
    "minimal": "off",
    "low": "low",
    "medium": "medium",
    "high": "high",
}


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "\n".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    """OpenAI's chat completion request; unknown fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = "lifelog"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    reasoning_effort: str | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stream_options: StreamOptions | None = None
    #: lifelog's own: search filters for the answer's evidence
    filters: FilterBody | None = None


def _conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question and the earlier (question, answer) turns."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user" or not turns[-1].text().strip():
        raise UserError("the last message must be the user's question")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for message in turns[:-1]:
        if message.role == "user":
            pending = message.text()
        elif pending is not None:
            history.append((pending, message.text().split(FOOTNOTES_MARK)[0]))
            pending = None
    return turns[-1].text().strip(), history


def _level(effort: str | None) -> str:
    key = effort.lower().strip() if effort else None
    if key not in _EFFORT:
        raise UserError("reasoning_effort must be none, minimal, low, medium or high")
    return _EFFORT[key]


def _usage(question: str, text: str) -> dict[str, int]:
    prompt, completion = estimate_tokens(question), estimate_tokens(text)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "lifelog"}


@router.get("/models", summary="The models this API answers with")
def list_models() -> dict[str, Any]:
    return {"object": "list", "data": [_model(name) for name in MODELS]}


@router.get("/models/{model_id}", summary="One model")
def get_model(model_id: str) -> dict[str, Any]:
    if model_id not in MODELS:
        raise NotFoundError(f"no model {model_id!r}: use one of {', '.join(MODELS)}")
    return _model(model_id)


@router.post("/chat/completions", summary="Answer from the memory, with citations")
async def chat_completions(body: ChatRequest, request: Request) -> Any:
    question, history = _conversation(body.messages)
    reasoning = _level(body.reasoning_effort)
    model_name = body.model if body.model in MODELS else "lifelog"
    kwargs: dict[str, Any] = {
        "filters": body.filters.filters() if body.filters else None,
        "reasoning": reasoning,
        "model": MODELS[model_name],
        "history": history,
        "max_tokens": body.max_completion_tokens or body.max_tokens,
    }
    memory = state_of(request).memory
    ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        answer: Answer | None = None
        async for event in iterate_in_thread(lambda: memory.ask_stream(question, **kwargs)):
            if event.answer is not None:
                answer = event.answer
        if answer is None:
            raise UserError("no answer was produced")
        return JSONResponse(_completion(ident, created, model_name, answer))
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    stream = _chunks(ident, created, model_name, question, kwargs, request, include_usage)
    return StreamingResponse(stream, media_type="text/event-stream")


def _sources(answer: Answer) -> str:
    """The "Sources:" footnotes, inert: they quote items and name their authors."""
    return inert(footnotes(answer))


def _completion(ident: str, created: int, model: str, answer: Answer) -> dict[str, Any]:
    citations = [citation_json(c) for c in answer.citations]
    text = answer.text + _sources(answer)
    message: dict[str, Any] = {"role": "assistant", "content": text, "citations": citations}
    if answer.reasoning:
        message["reasoning_content"] = answer.reasoning
    return {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": _usage(answer.question, text),
        "citations": citations,
        "lifelog": _extra(answer),
    }


def _extra(answer: Answer) -> dict[str, Any]:
    data = answer_json(answer)
    return {k: data[k] for k in ("text", "found", "mode", "notes")}


async def _chunks(
    ident: str,
    created: int,
    model: str,
    question: str,
    kwargs: dict[str, Any],
    request: Request,
    include_usage: bool,
) -> AsyncIterator[bytes]:
    memory = state_of(request).memory

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        body = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return sse(body)

    yield chunk({"role": "assistant", "content": ""})
    # only the checked answer's pieces come as tokens (lifelog.answer.release)
    sent: list[str] = []
    answer: Answer | None = None
    told = False
    try:
        async for event in iterate_in_thread(lambda: memory.ask_stream(question, **kwargs)):
            if event.kind == "token" and event.text:
                sent.append(event.text)
                yield chunk({"content": event.text})
            elif event.kind == "reasoning" and event.text:
                yield chunk({"reasoning_content": event.text})
            elif event.kind == "step" and event.text:
                yield chunk({"reasoning_content": f"· {event.text}\n"})
            elif event.kind == "progress" and event.text:
                if not told:
                    told = True
                    yield chunk({"reasoning_content": f"· {event.text}\n"})
                else:  # a comment: clients skip it, proxies see the connection alive
                    yield f": {' '.join(event.text.split())}\n\n".encode()
            elif event.answer is not None:
                answer = event.answer
    except Exception as error:  # reported in the stream: the status line is already sent
        status, kind = status_for(error)
        yield sse(error_body(kind, message_for(error)))
        yield b"data: [DONE]\n\n"
        return
    if answer is None:
        yield sse(error_body("server_error", "no answer was produced"))
        yield b"data: [DONE]\n\n"
        return
    rest = _sources(answer)
    if rest:
        yield chunk({"content": rest})
    citations = [citation_json(c) for c in answer.citations]
    finish: Literal["stop"] = "stop"
    yield chunk({}, finish, citations=citations, lifelog=_extra(answer))
    if include_usage:
        text = "".join(sent) + rest
        yield sse(
            {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": _usage(question, text),
            }
        )
    yield b"data: [DONE]\n\n"
