"""Pages for conversations: a message in its thread (``/thread/<item id>``: the messages
around it, both sides, with links back and forward in time), and the forms that rename
and delete a saved chat (the chat page lists them; see :mod:`lifelog.store.conversations`).

Its routes join :mod:`lifelog.server.web`'s router.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape

from ..errors import LifelogError
from ..store.conversations import Conversations
from .cards import thread_name
from .errors import status_for
from .state import state_of
from .web import link, page, templates

__all__ = ["router"]

router: APIRouter = APIRouter(include_in_schema=False)
#: messages shown on each side of the one opened, and per step back or forward
AROUND = 25
STEP = 50


@router.get("/thread/{item_id}", response_class=HTMLResponse)
def thread_page(
    request: Request,
    item_id: str,
    before: Annotated[int, Query(ge=0, le=500)] = AROUND,
    after: Annotated[int, Query(ge=0, le=500)] = AROUND,
    focus: Annotated[str | None, Query(max_length=64)] = None,
    fragment: bool = False,
) -> HTMLResponse:
    """``item_id`` in its conversation: ``before`` messages before it, ``after`` after it;
    ``focus`` is the message to mark (the one first opened, while paging). With
    ``fragment=1`` only the list and its links, for the page's script to add in place."""
    memory = state_of(request).memory
    try:
        item = memory.get(item_id)
        window = memory.thread_window(item.id, before=before, after=after)
    except LifelogError as error:
        status, _kind = status_for(error)
        if fragment:
            return HTMLResponse(f"<p>{escape(str(error))}</p>", status_code=status)
        return page(request, "error.html", status=status, message=str(error))
    marked = focus or item.id
    people: dict[str, None] = {}
    for shown in window.items:
        for name in (shown.author, *shown.participants):
            if name:
                people.setdefault(name, None)
    first, last = window.items[0], window.items[-1]
    context: dict[str, Any] = {
        "anchor": item,
        "window": window,
        "thread_title": thread_name(item),
        "focus": marked,
        "people": list(people)[:12],
        "earlier_url": link(f"/thread/{first.id}", before=STEP, after=0, focus=marked)
        if window.earlier
        else None,
        "later_url": link(f"/thread/{last.id}", before=0, after=STEP, focus=marked)
        if window.later
        else None,
        "active": None,
    }
    if fragment:
        return HTMLResponse(templates.get_template("thread_messages.html").render(**context))
    return page(request, "thread.html", **context)


@router.post("/chats/{chat_id}/rename")
def rename_chat(
    request: Request, chat_id: str, title: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    Conversations(state_of(request).memory.store).rename(chat_id, title)
    return RedirectResponse(link("/", c=chat_id), status_code=303)


@router.post("/chats/{chat_id}/delete")
def delete_chat(request: Request, chat_id: str) -> Response:
    Conversations(state_of(request).memory.store).delete(chat_id)
    return RedirectResponse("/", status_code=303)
