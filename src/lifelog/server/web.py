"""The web UI: server-rendered pages (Jinja2) with a little vanilla JavaScript.

Chat (streaming, reasoning on demand, citations that open the item), search
with facets, a timeline that zooms from months to days, the item viewer,
ingestion with live progress, people and model settings. Every page works as
plain HTML; ``static/app.js`` adds streaming, the citation dialog, drag and
drop and keyboard shortcuts. Nothing is loaded from outside the server.
"""

from __future__ import annotations

import calendar
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from ..errors import LifelogError
from ..records import Item
from ..store.conversations import Conversations
from ..watch import save_watched, watched
from .auth import TOKEN_FILE, login_response, safe_next
from .cards import Card, cards_for, series_sizes
from .errors import error_response, status_for
from .queries import people_directory, period_counts
from .rest import ingest as api_ingest
from .serialize import answer_json, origin_of, plain
from .settings import FIELDS, ConfirmationNeeded, backends, read_settings, write_settings
from .state import AppState, FilterQuery, state_of
from .web_answers import answer_html, distinct_citations

__all__ = ["login_page", "router", "templates"]

HERE = Path(__file__).parent
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
router = APIRouter(include_in_schema=False)
Filtered = Annotated[FilterQuery, Depends()]
NAV = (
    ("chat", "/", "Chat"),
    ("search", "/search", "Search"),
    ("timeline", "/timeline", "Timeline"),
    ("people", "/people", "People"),
    ("ingest", "/ingest", "Ingest"),
    ("settings", "/settings", "Settings"),
)


def when(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.strftime(fmt) if moment else "undated"


def highlight(text: str, marks: Any = ()) -> Markup:
    """``text`` escaped, the ``(start, end)`` spans in ``<mark>``."""
    out: list[str] = []
    at = 0
    for start, end in sorted(marks or ()):
        if start < at:
            continue
        out.append(str(escape(text[at:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))


templates.filters["when"] = when
templates.filters["highlight"] = highlight
templates.globals["nav"] = NAV


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    state = state_of(request)
    html = templates.get_template(name).render(
        request=request,
        base_url=state.base_url,
        memory_name=state.memory.home.name,
        **context,
    )
    return HTMLResponse(html, status_code=status)


def login_page(next_path: str, message: str | None, nonce: str) -> str:
    css = (HERE / "static" / "app.css").read_text(encoding="utf-8")
    return templates.get_template("login.html").render(
        next_path=safe_next(next_path),
        message=message,
        nonce=nonce,
        css=Markup(css),
    )


def link(path: str, **params: Any) -> str:
    """``path`` with the non-empty ``params`` (lists repeat) as its query string."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        for v in value if isinstance(value, list | tuple) else [value]:
            if v not in (None, ""):
                pairs.append((key, str(v)))
    return path + ("?" + urlencode(pairs) if pairs else "")


templates.globals["link"] = link


@router.get("/favicon.ico")
def favicon() -> Response:
    icon = (HERE / "static" / "favicon.svg").read_bytes()
    return Response(icon, media_type="image/svg+xml", headers={"cache-control": "max-age=86400"})


@router.get("/", response_class=HTMLResponse)
def chat(
    request: Request,
    q: Annotated[str, Query(max_length=20_000)] = "",
    reasoning: str = "off",
    c: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The chat; ``?c=`` reopens a saved conversation. ``?q=`` only fills the form in: a
    GET never answers (a page elsewhere could make the browser send it, with the cookie
    and no Origin)."""
    return _chat_page(request, q, reasoning, c)


@router.post("/", response_class=HTMLResponse)
async def chat_answer(
    request: Request,
    q: Annotated[str, Form(max_length=20_000)] = "",
    reasoning: Annotated[str, Form()] = "off",
    conversation: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """The chat's answer without JavaScript (not streamed): a POST, so the guard has
    checked its Origin (the page's script asks ``POST /api/ask`` instead). The turn is
    saved in the conversation (a new one when none is named)."""
    chat_id = conversation or None
    if not q.strip():
        return _chat_page(request, q, reasoning, chat_id)
    memory = state_of(request).memory
    chats = Conversations(memory.store)
    level = reasoning if reasoning in ("off", "low", "medium", "high") else "off"
    earlier = chats.turns(chats.get(chat_id).id, limit=6) if chat_id else []
    history = [(t.question, t.text) for t in earlier]
    answer = await run_in_threadpool(lambda: memory.ask(q, reasoning=level, history=history))

    def save() -> str:
        target = chat_id or chats.create().id
        chats.add_turn(target, q, answer_json(answer))
        return target

    return _chat_page(request, "", reasoning, await run_in_threadpool(save))


def _chat_page(request: Request, q: str, reasoning: str, chat_id: str | None) -> HTMLResponse:
    """The chat, with the saved conversations beside it and ``chat_id``'s turns in it."""
    chats = Conversations(state_of(request).memory.store)
    current = None
    turns: list[dict[str, Any]] = []
    if chat_id:
        try:
            current = chats.get(chat_id)
        except LifelogError as error:
            status, _kind = status_for(error)
            return page(request, "error.html", status=status, message=str(error))
        turns = [_turn_view(t.question, dict(t.answer)) for t in chats.turns(current.id)]
    return page(
        request,
        "chat.html",
        active="chat",
        question=q,
        reasoning=reasoning,
        turns=turns,
        conversation=current,
        conversations=chats.recent(100),
    )


def _turn_view(question: str, answer: dict[str, Any]) -> dict[str, Any]:
    """A saved turn as the chat page shows it: safe Markdown, each ``[n]`` a link to its
    item with a card, each quote once (:mod:`lifelog.server.web_answers`)."""
    citations = [c for c in answer.get("citations") or () if isinstance(c, dict)]
    return {
        "question": question,
        "answer": answer,
        "citations": distinct_citations(citations),
        "html": answer_html(str(answer.get("text") or ""), citations),
    }


@router.get("/timeline", response_class=HTMLResponse)
def timeline(
    request: Request,
    where: Filtered,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
) -> HTMLResponse:
    memory = state_of(request).memory
    extra = {"source": where.sources, "person": where.people, "kind": where.kinds}
    context: dict[str, Any] = {"active": "timeline", "extra": extra, "month": month, "day": day}
    if day:
        where.period = day
        context["cards"] = _cards(memory, memory.timeline(where.filters(), limit=500))
        context["level"] = "day"
    elif month:
        where.period = month
        per_day = {b.period: b.count for b in period_counts(memory, where.filters(), "day")}
        year, number = int(month[:4]), int(month[5:])
        days = calendar.monthrange(year, number)[1]
        context["days"] = [
            (f"{month}-{d:02d}", d, per_day.get(f"{month}-{d:02d}", 0)) for d in range(1, days + 1)
        ]
        context["peak"] = max(per_day.values(), default=0)
        context["cards"] = _cards(memory, memory.timeline(where.filters(), limit=200))
        context["month_name"] = f"{calendar.month_name[number]} {year}"
        context["level"] = "month"
    else:
        counts = {b.period: b.count for b in period_counts(memory, where.filters(), "month")}
        years = sorted({p[:4] for p in counts}, reverse=True)
        context["years"] = [
            (
                y,
                [
                    (f"{y}-{m:02d}", calendar.month_abbr[m], counts.get(f"{y}-{m:02d}", 0))
                    for m in range(1, 13)
                ],
                sum(counts.get(f"{y}-{m:02d}", 0) for m in range(1, 13)),
            )
            for y in years
        ]
        context["peak"] = max(counts.values(), default=0)
        context["level"] = "all"
    return page(request, "timeline.html", **context)


def _cards(memory: Any, items: list[Item]) -> list[Card]:
    """A chat's messages of a day as one card, a recurring event's occurrences as one."""
    return cards_for(items, series_sizes(memory, items))


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: str, fragment: bool = False) -> HTMLResponse:
    memory = state_of(request).memory
    try:
        item = memory.get(item_id)
    except LifelogError as error:
        status, _kind = status_for(error)
        if fragment:
            return HTMLResponse(f"<p>{escape(str(error))}</p>", status_code=status)
        return page(request, "error.html", status=status, message=str(error))
    metadata = {k: v for k, v in plain(dict(item.metadata)).items() if not k.startswith("_")}
    metadata.pop("origin", None)
    context: dict[str, Any] = {
        "item": item,
        "metadata": metadata,
        "origin": origin_of(item),
        "active": None,
    }
    if fragment:
        html = templates.get_template("item_body.html").render(fragment=True, **context)
        return HTMLResponse(html)
    return page(request, "item.html", **context)


@router.post("/items/{item_id}/forget")
def forget_item(request: Request, item_id: str) -> Response:
    memory = state_of(request).memory
    item = memory.get(item_id)
    memory.forget([item.id])
    return RedirectResponse(link("/search", forgotten=item.id), status_code=303)


@router.get("/people", response_class=HTMLResponse)
def people(request: Request, q: str = "") -> HTMLResponse:
    found = people_directory(state_of(request).memory, q, 300)
    return page(request, "people.html", active="people", people=found, q=q)


@router.get("/ingest", response_class=HTMLResponse)
def ingest_page(request: Request, job: str | None = None) -> HTMLResponse:
    state = state_of(request)
    current = state.jobs.get(job) if job else None
    return page(
        request,
        "ingest.html",
        active="ingest",
        job=state.jobs.snapshot(current) if current else None,
        jobs=state.jobs.snapshots()[:10],
        runs=state.memory.runs(10),
        stamp=lambda t: datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M") if t else "",
    )


@router.post("/ingest")
async def ingest_form(request: Request) -> Response:
    """The form's upload (without JavaScript, field ``files``): start the job, show its
    page. Streamed into the encrypted spool like ``POST /api/ingest``."""
    response = await api_ingest(request)
    job_id = response.headers["location"].rsplit("/", 1)[-1]
    return RedirectResponse(link("/ingest", job=job_id), status_code=303)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, saved: bool = False, error: str = "") -> HTMLResponse:
    return _settings_page(request, saved=saved, error=error)


def _settings_page(
    request: Request,
    *,
    saved: bool = False,
    error: str = "",
    confirm: dict[str, Any] | None = None,
) -> HTMLResponse:
    state = state_of(request)
    return page(
        request,
        "settings.html",
        active="settings",
        settings=read_settings(state.memory),
        backends=backends(),
        saved=saved,
        error=error,
        confirm=confirm,
        token_hint=state.access.token[-4:],
        token_file=_token_file(state),
        stats=state.memory.stats(),
        watched=watched(state.memory),
        watching=state.watch.status() if state.watch is not None else None,
    )


@router.post("/settings")
async def settings_form(request: Request) -> Response:
    """Save the form; a model server off this machine is first shown for confirmation."""
    form = await request.form()
    values = {name: form.get(name) for name in FIELDS if name in form}
    strings = {k: v for k, v in values.items() if isinstance(v, str)}
    confirm_host = form.get("confirm_host")
    memory = state_of(request).memory
    try:
        write_settings(
            memory,
            strings,
            confirm_host=confirm_host if isinstance(confirm_host, str) else None,
        )
    except ConfirmationNeeded as needed:
        return _settings_page(request, confirm={"host": needed.host, "values": strings})
    except LifelogError as error:
        return RedirectResponse(link("/settings", error=str(error)), status_code=303)
    return RedirectResponse("/settings?saved=1", status_code=303)


@router.post("/settings/watch")
async def watch_form(request: Request) -> Response:
    """Save the watched folders, one path a line (this server and ``lifelog watch``
    import them as they change)."""
    form = await request.form()
    text = form.get("paths")
    lines = text.splitlines() if isinstance(text, str) else []
    try:
        save_watched(state_of(request).memory, lines)
    except LifelogError as error:
        return RedirectResponse(link("/settings", error=str(error)), status_code=303)
    return RedirectResponse("/settings?saved=1", status_code=303)


def _token_file(state: AppState) -> str | None:
    """The file the person reads the token from (the page never shows it); ``None`` when
    it is ``LIFELOG_TOKEN``."""
    if os.environ.get("LIFELOG_TOKEN", "").strip() == state.access.token:
        return None
    return str(state.memory.home / TOKEN_FILE)


@router.get("/login")
def login_again(next: str = "/") -> Response:
    """Already signed in (the guard answers everyone else): go on."""
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    access = state_of(request).access
    target = safe_next(next)
    if not access.token_ok(token.strip()):
        if "text/html" not in request.headers.get("accept", ""):
            return error_response(401, "unauthorized", "wrong token")
        return login_response(login_page, target, "wrong token")
    response = RedirectResponse(target, status_code=303)
    response.headers["set-cookie"] = access.session_cookie()
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    response.headers["set-cookie"] = state_of(request).access.session_cookie(clear=True)
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page of the UI (for a browser), not as JSON: what went wrong and
    where to go on. :mod:`lifelog.server.errors` calls it for requests of pages."""
    return page(request, "error.html", status=status, message=message, status_code=status)


# the search page lives in its own module; its routes join this router
from . import web_search  # noqa: E402  # web_search imports page and link from here

router.include_router(web_search.router)

# a message in its conversation, and the saved chats' forms: their own module
from . import web_threads  # noqa: E402  # web_threads imports page and link from here

router.include_router(web_threads.router)
