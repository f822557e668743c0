"""The REST API for conversations: a message's thread (``/api/threads/<item id>``) and the
saved chats (``/api/conversations``: list, create, read, rename, delete). ``POST /api/ask``
with ``conversation`` saves its turn there (see :class:`SavedChat`).

Its routes join :mod:`lifelog.server.rest`'s router.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..errors import NotFoundError
from ..store.conversations import Conversations
from .serialize import answer_json, item_json
from .state import state_of

if TYPE_CHECKING:
    from ..memory import Memory
    from ..records import Answer

__all__ = ["SavedChat", "router"]

router = APIRouter()
#: earlier turns a saved conversation gives the model as history
HISTORY = 6


class SavedChat:
    """Where ``POST /api/ask`` keeps its turn: the conversation ``name`` (an id), or a new
    one (``"new"``), made when the first answer is saved, titled by its question."""

    def __init__(self, memory: Memory, name: str) -> None:
        self.chats = Conversations(memory.store)
        self.id: str | None = None if name == "new" else self.chats.get(name).id

    def history(self) -> list[tuple[str, str]]:
        if self.id is None:
            return []
        return [(t.question, t.text) for t in self.chats.turns(self.id, limit=HISTORY)]

    def save(self, question: str, answer: Answer) -> dict[str, Any]:
        """Keep the turn; the conversation as JSON (its id, title, number of turns)."""
        if self.id is None:
            self.id = self.chats.create().id
        self.chats.add_turn(self.id, question, answer_json(answer))
        return self.chats.get(self.id).as_json()


@router.get("/threads/{item_id}", summary="A message in its thread: the items around it")
def thread(
    request: Request,
    item_id: str,
    before: Annotated[int, Query(ge=0, le=500)] = 25,
    after: Annotated[int, Query(ge=0, le=500)] = 25,
) -> dict[str, Any]:
    """Up to ``before`` items of the item's thread before it and ``after`` after it, in
    time order (the item among them); ``earlier``/``later`` say whether the thread goes
    on, and paging continues from the first or last item."""
    memory = state_of(request).memory
    item = memory.get(item_id)
    window = memory.thread_window(item.id, before=before, after=after)
    return {
        "thread": window.thread or None,
        "item_id": item.id,
        "total": window.total,
        "earlier": window.earlier,
        "later": window.later,
        "items": [item_json(i) for i in window.items],
    }


@router.get("/conversations", summary="The saved chats, the one last continued first")
def list_conversations(
    request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    chats = Conversations(state_of(request).memory.store)
    return {"conversations": [c.as_json() for c in chats.recent(limit)]}


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(default="", max_length=500)


@router.post("/conversations", status_code=201, summary="Start a saved chat")
def create_conversation(request: Request, body: NewConversation) -> JSONResponse:
    made = Conversations(state_of(request).memory.store).create(body.title)
    return JSONResponse(
        made.as_json(), status_code=201, headers={"location": f"/api/conversations/{made.id}"}
    )


@router.get("/conversations/{chat_id}", summary="A saved chat with its questions and answers")
def get_conversation(request: Request, chat_id: str) -> dict[str, Any]:
    chats = Conversations(state_of(request).memory.store)
    found = chats.get(chat_id)
    return {**found.as_json(), "turns": [t.as_json() for t in chats.turns(found.id)]}


class ConversationChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=500)


@router.patch("/conversations/{chat_id}", summary="Rename a saved chat")
def rename_conversation(request: Request, chat_id: str, body: ConversationChange) -> dict[str, Any]:
    chats = Conversations(state_of(request).memory.store)
    return chats.rename(chat_id, body.title).as_json()


@router.delete("/conversations/{chat_id}", summary="Delete a saved chat")
def delete_conversation(request: Request, chat_id: str) -> dict[str, Any]:
    if not Conversations(state_of(request).memory.store).delete(chat_id):
        raise NotFoundError(f"no conversation {chat_id!r}")
    return {"deleted": chat_id}
