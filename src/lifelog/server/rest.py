"""The REST API under ``/api``: search, items, timeline, people, stats, forget, ask,
ingest jobs (progress as server-sent events) and model settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..errors import NotFoundError, UserError
from ..narrate import progress_words, step_words
from ..records import Answer, Hit
from ..retrieval.filters import Filters
from ..watch import save_watched, watched
from .errors import error_body, message_for, status_for
from .jobs import ENDED, safe_name
from .queries import POOL, faceted, people_directory, period_counts
from .rest_chats import SavedChat
from .rest_chats import router as chats_router
from .serialize import answer_json, hit_json, item_json, item_summary, plain
from .settings import read_settings, write_settings
from .spool import receive_files
from .state import FilterBody, FilterQuery, state_of
from .streaming import iterate_in_thread, sse
from .web_answers import answer_html, distinct_citations

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["memory"])
Filtered = Annotated[FilterQuery, Depends()]


@router.get("/search", summary="Search the memory, with filters and facets")
def search(
    request: Request,
    where: Filtered,
    q: Annotated[str, Query(description="words to look for (empty: browse by filters)")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    mode: Annotated[
        Literal["words", "hybrid"],
        Query(description="words: items holding the words; hybrid: by meaning too"),
    ] = "words",
) -> dict[str, Any]:
    """Facets count each value under the other filters, so a chosen value keeps its
    alternatives; with words, hits and counts cover the best 200 results. With
    ``mode=hybrid`` hits are found by meaning too, as questions are, and each hit's
    ``why`` says how it matched (``words #n``, ``meaning #n`` …)."""
    memory = state_of(request).memory
    filters = where.filters()

    def find(words: str, within: Filters) -> list[Hit]:
        if mode == "hybrid":
            return memory.retrieve(words, filters=within, limit=max(limit, POOL))
        return memory.search(words, within, limit=max(limit, POOL))

    facets = faceted(memory, q, where.filters, find)
    if q.strip():
        pool = find(q, filters)
        return {
            "query": q,
            "hits": [{**hit_json(h), "why": list(h.why)} for h in pool[:limit]],
            "facets": facets,
            "total": len(pool),
        }
    items = memory.timeline(filters, limit=limit)
    return {
        "query": "",
        "hits": [
            {"item": item_summary(i), "score": 0.0, "snippet": i.text[:240], "marks": []}
            for i in items
        ],
        "facets": facets,
        "total": memory.count(filters),
    }


@router.get("/items/{item_id}", summary="One whole item: text, metadata, where it came from")
def get_item(request: Request, item_id: str) -> dict[str, Any]:
    return item_json(state_of(request).memory.get(item_id))


@router.delete("/items/{item_id}", summary="Forget one item")
def delete_item(request: Request, item_id: str) -> dict[str, Any]:
    memory = state_of(request).memory
    item = memory.get(item_id)
    return {"removed": memory.forget([item.id])}


class ForgetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(min_length=1, max_length=10_000)


@router.post("/forget", summary="Forget items: removed from the store and every index")
def forget(request: Request, body: ForgetBody) -> dict[str, Any]:
    return {"removed": state_of(request).memory.forget(body.ids)}


@router.get("/timeline", summary="Counts per year, month or day, and the items in order")
def timeline(
    request: Request,
    where: Filtered,
    granularity: Literal["year", "month", "day"] = "month",
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    memory = state_of(request).memory
    filters = where.filters()
    buckets = period_counts(memory, filters, granularity)
    items = memory.timeline(filters, limit=limit, offset=offset) if limit else []
    return {
        "granularity": granularity,
        "buckets": [b.as_json() for b in buckets],
        "total": sum(b.count for b in buckets),
        "items": [item_summary(i) for i in items],
        "offset": offset,
    }


@router.get("/people", summary="The people in the memory")
def people(
    request: Request,
    q: str = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    return {"people": people_directory(state_of(request).memory, q, limit)}


@router.get("/stats", summary="What the memory holds")
def stats(request: Request) -> dict[str, Any]:
    data: dict[str, Any] = plain(state_of(request).memory.stats())
    return data


@router.get("/runs", summary="The ingest runs, newest first")
def runs(request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> dict[str, Any]:
    return {"runs": plain(state_of(request).memory.runs(limit))}


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=20_000)
    reasoning: Literal["off", "low", "medium", "high"] = "off"
    #: earlier turns: [{"question": ..., "answer": ...}]
    history: list[dict[str, str]] = Field(default=[], max_length=20)
    filters: FilterBody | None = None
    stream: bool = True
    #: a saved chat's id to continue (its turns are the history), or "new": the turn is
    #: saved there, and a ``conversation`` event comes before the ``answer``
    conversation: str | None = Field(default=None, max_length=64)


@router.post(
    "/ask",
    summary="Ask: server-sent events step, reasoning, progress, token, then answer (or one JSON"
    " answer)",
)
async def ask(request: Request, body: AskBody) -> Any:
    """While the model writes, ``progress`` events say so; its draft is never sent.
    ``step`` and ``progress`` events also carry a ``label``, the same in plain words
    (:mod:`lifelog.narrate`). The ``token`` events are the checked answer in pieces
    (put together, the ``answer``'s text), then the ``answer`` itself: see
    :mod:`lifelog.answer.release`."""
    memory = state_of(request).memory
    history = [(t.get("question", ""), t.get("answer", "")) for t in body.history]
    saved = SavedChat(memory, body.conversation) if body.conversation else None
    if saved is not None and saved.id is not None:
        history = await run_in_threadpool(saved.history)
    kwargs: dict[str, Any] = {
        "filters": body.filters.filters() if body.filters else None,
        "reasoning": body.reasoning,
        "history": history,
    }

    def events() -> Any:
        return memory.ask_stream(body.question, **kwargs)

    if not body.stream:
        answer: Answer | None = None
        async for event in iterate_in_thread(events):
            answer = event.answer or answer
        if answer is None:
            raise UserError("no answer was produced")
        if saved is not None:
            kept = await run_in_threadpool(saved.save, body.question, answer)
            return {**answer_json(answer), "conversation": kept}
        return answer_json(answer)

    async def stream() -> AsyncIterator[bytes]:
        try:
            async for event in iterate_in_thread(events):
                if event.answer is not None:
                    if saved is not None:
                        kept = await run_in_threadpool(saved.save, body.question, event.answer)
                        yield sse(kept, "conversation")
                    yield sse(_shown(answer_json(event.answer)), "answer")
                elif event.kind in ("step", "progress") and event.text:
                    yield sse(_labelled(event.kind, event.text), event.kind)
                elif event.text:
                    yield sse({"text": event.text}, event.kind)
        except Exception as error:  # the status line is sent: report it in the stream
            _status, kind = status_for(error)
            yield sse(error_body(kind, message_for(error)), "error")

    return StreamingResponse(stream(), media_type="text/event-stream")


def _labelled(kind: str, text: str) -> dict[str, str]:
    """A step or progress event's data: its text, and a label a person reads."""
    label = step_words(text) if kind == "step" else progress_words(text)
    return {"text": text, "label": label}


_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "the export's file(s)",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/ingest",
    status_code=202,
    summary="Upload an export; imported as a background job",
    openapi_extra=_UPLOAD_SCHEMA,
)
async def ingest(request: Request) -> JSONResponse:
    """The body is read as it arrives, straight into the job's encrypted spool: no
    plaintext copy is written (see :mod:`lifelog.server.spool`)."""
    jobs = state_of(request).jobs
    spool = await run_in_threadpool(jobs.new_spool)
    try:
        names = await receive_files(request, spool, "files", safe_name)
        if not names:
            raise UserError("no file was uploaded (send them in the field 'files')")
        job = await run_in_threadpool(jobs.start, spool)
    except BaseException:  # a refused or broken upload (or a cancelled request)
        spool.remove()
        raise
    return JSONResponse(
        {"job": jobs.snapshot(job), "events": f"/api/jobs/{job.id}/events"},
        status_code=202,
        headers={"location": f"/api/jobs/{job.id}"},
    )


@router.get("/jobs", summary="Ingest jobs of this server, newest first")
def list_jobs(request: Request) -> dict[str, Any]:
    return {"jobs": state_of(request).jobs.snapshots()}


@router.get("/jobs/{job_id}", summary="One ingest job")
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    jobs = state_of(request).jobs
    job = jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id!r}")
    return jobs.snapshot(job)


@router.get("/jobs/{job_id}/events", summary="An ingest job's progress as server-sent events")
async def job_events(request: Request, job_id: str) -> StreamingResponse:
    jobs = state_of(request).jobs
    job = jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id!r}")

    async def stream() -> AsyncIterator[bytes]:
        seen = -1
        last = 0.0
        loop = asyncio.get_running_loop()
        while True:
            # one snapshot, taken under the jobs' lock, decides both what is sent and
            # whether the stream ends: its status and figures belong to one version
            snapshot = jobs.snapshot(job)
            if snapshot["version"] != seen:
                seen = snapshot["version"]
                yield sse(snapshot, "progress")
                last = loop.time()
                if snapshot["status"] in ENDED:
                    yield sse(snapshot, snapshot["status"])
                    return
            elif loop.time() - last > 15:
                yield b": keep-alive\n\n"
                last = loop.time()
            if await request.is_disconnected():
                return
            await run_in_threadpool(jobs.wait, job, seen, 0.5)

    return StreamingResponse(stream(), media_type="text/event-stream")


def _shown(answer: dict[str, Any]) -> dict[str, Any]:
    """The streamed answer, with what the web shows: ``html`` (safe Markdown, citations as
    cards) and ``sources`` (the citations, each quote once); see
    :mod:`lifelog.server.web_answers`."""
    return {
        **answer,
        "html": str(answer_html(answer["text"], answer["citations"])),
        "sources": distinct_citations(answer["citations"]),
    }


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    llm: dict[str, Any]
    #: the host of a base_url off this machine, repeated to confirm where questions go
    confirm_host: str | None = None


@router.get("/settings", summary="The model settings (never a key)")
def get_settings(request: Request) -> dict[str, Any]:
    return read_settings(state_of(request).memory)


@router.put("/settings", summary="Change the model settings")
def put_settings(request: Request, body: SettingsBody) -> dict[str, Any]:
    memory = state_of(request).memory
    write_settings(memory, body.llm, confirm_host=body.confirm_host)
    return read_settings(memory)


class WatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: full paths of folders and export files (``lifelog watch`` imports them as they change)
    paths: list[str]


@router.get("/settings/watch", summary="The watched folders")
def get_watched(request: Request) -> dict[str, Any]:
    """The saved paths, and what this server's watcher does with them (``watching``:
    the paths watched, those missing, the last import; ``null`` when not watching)."""
    state = state_of(request)
    status = state.watch.status() if state.watch is not None else None
    return {"paths": watched(state.memory), "watching": status}


@router.put("/settings/watch", summary="Change the watched folders")
def put_watched(request: Request, body: WatchBody) -> dict[str, Any]:
    return {"paths": save_watched(state_of(request).memory, body.paths)}


# threads and saved chats: their own module
router.include_router(chats_router)
