"""Saved chats: the conversations of the web chat and ``lifelog chat``, kept in the
encrypted memory (tables of migration ``m008_conversations``) so that they can be
reopened, continued, renamed and deleted.

A turn is a question and its checked answer in the API's JSON shape
(:func:`lifelog.server.serialize.answer_json`). The items an answer cites are listed
beside it: when one of them is forgotten, a trigger replaces that answer with a note in
the same transaction (see the migration), so a saved chat never keeps forgotten text.

>>> chats = Conversations(memory.store)                        # doctest: +SKIP
>>> talk = chats.create()                                      # doctest: +SKIP
>>> chats.add_turn(talk.id, "Where did we camp?", answer_json(answer))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import NotFoundError, UserError
from .store import Store

__all__ = ["Conversation", "Conversations", "Turn", "title_from"]

#: how long a title may be (longer ones are cut, with an ellipsis)
TITLE_MAX = 80


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    title: str
    created_at: float
    updated_at: float
    #: how many questions it holds
    turns: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "turns": self.turns,
        }


@dataclass(frozen=True, slots=True)
class Turn:
    ordinal: int
    question: str
    #: the checked answer as JSON (``text``, ``citations``, ``mode``, ``notes`` …)
    answer: Mapping[str, Any]
    at: float

    @property
    def text(self) -> str:
        return str(self.answer.get("text") or "")

    def as_json(self) -> dict[str, Any]:
        return {"question": self.question, "answer": dict(self.answer), "at": self.at}


def title_from(text: str) -> str:
    """A title from a question: one line, at most :data:`TITLE_MAX` characters."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1].rstrip() + "…"


_SELECT = (
    "SELECT c.id, c.title, c.created_at, c.updated_at,"
    " (SELECT count(*) FROM conversation_turns t WHERE t.conversation_id = c.id)"
    " FROM conversations c"
)


class Conversations:
    """The saved chats of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, title: str = "") -> Conversation:
        now = time.time()
        chat_id = secrets.token_hex(8)
        with self.store.writing() as conn:
            conn.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?,?,?,?)",
                (chat_id, title_from(title), now, now),
            )
        return Conversation(chat_id, title_from(title), now, now, 0)

    def recent(self, limit: int = 100) -> list[Conversation]:
        """The conversations, the one last continued first."""
        with self.store.lock:
            rows = self.store.conn.execute(
                f"{_SELECT} ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        return [Conversation(*row) for row in rows]

    def get(self, chat_id: str) -> Conversation:
        with self.store.lock:
            row = self.store.conn.execute(f"{_SELECT} WHERE c.id = ?", (chat_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no conversation {chat_id!r}")
        return Conversation(*row)

    def find(self, name: str | None = None) -> Conversation:
        """The conversation ``name`` designates: its id, a unique prefix of it, or words of
        its title (the latest such); with no name, the one last continued."""
        if not name or not name.strip():
            latest = self.recent(1)
            if not latest:
                raise NotFoundError("there is no saved conversation yet")
            return latest[0]
        wanted = name.strip()
        with self.store.lock:
            conn = self.store.conn
            exact = conn.execute(f"{_SELECT} WHERE c.id = ?", (wanted,)).fetchone()
            if exact is not None:
                return Conversation(*exact)
            prefixed = conn.execute(
                f"{_SELECT} WHERE c.id >= ? AND c.id < ? LIMIT 2", (wanted, wanted + "\uffff")
            ).fetchall()
            if len(prefixed) == 1 and len(wanted) >= 4:
                return Conversation(*prefixed[0])
            needle = "%" + wanted.lower().replace("\\", "\\\\").replace("%", "\\%") + "%"
            titled = conn.execute(
                f"{_SELECT} WHERE lower(c.title) LIKE ? ESCAPE '\\'"
                " ORDER BY c.updated_at DESC LIMIT 1",
                (needle.replace("_", "\\_"),),
            ).fetchone()
        if titled is None:
            raise NotFoundError(f"no conversation is called {wanted!r}")
        return Conversation(*titled)

    def turns(self, chat_id: str, limit: int | None = None) -> list[Turn]:
        """The turns in order; with ``limit``, only the last ones."""
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT ordinal, question, answer, at FROM conversation_turns"
                " WHERE conversation_id = ? ORDER BY ordinal DESC LIMIT ?",
                (chat_id, -1 if limit is None else limit),
            ).fetchall()
        return [Turn(o, q, _json(a), at) for o, q, a, at in reversed(rows)]

    def add_turn(self, chat_id: str, question: str, answer: Mapping[str, Any]) -> Turn:
        """Append a question and its answer; a conversation without a title takes the
        question's."""
        now = time.time()
        cited = sorted(
            {
                str(c["item_id"])
                for c in answer.get("citations") or ()
                if isinstance(c, Mapping) and c.get("item_id")
            }
        )
        with self.store.writing() as conn:
            row = conn.execute(
                "SELECT title FROM conversations WHERE id = ?", (chat_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no conversation {chat_id!r}")
            ordinal = conn.execute(
                "SELECT coalesce(max(ordinal), 0) + 1 FROM conversation_turns"
                " WHERE conversation_id = ?",
                (chat_id,),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO conversation_turns (conversation_id, ordinal, question, answer, at)"
                " VALUES (?,?,?,?,?)",
                (chat_id, ordinal, question, json.dumps(dict(answer), ensure_ascii=False), now),
            )
            conn.executemany(
                "INSERT INTO conversation_sources (conversation_id, ordinal, item_id)"
                " VALUES (?,?,?)",
                [(chat_id, ordinal, item_id) for item_id in cited],
            )
            title = row[0] or title_from(question)
            conn.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                (title, now, chat_id),
            )
        return Turn(int(ordinal), question, dict(answer), now)

    def rename(self, chat_id: str, title: str) -> Conversation:
        clean = title_from(title)
        if not clean:
            raise UserError("a conversation's name cannot be empty")
        with self.store.writing() as conn:
            changed = conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (clean, chat_id)
            ).rowcount
        if not changed:
            raise NotFoundError(f"no conversation {chat_id!r}")
        return self.get(chat_id)

    def delete(self, chat_id: str) -> bool:
        """Delete a conversation and its turns (overwritten: ``secure_delete``)."""
        with self.store.writing() as conn:
            conn.execute("DELETE FROM conversation_sources WHERE conversation_id = ?", (chat_id,))
            conn.execute("DELETE FROM conversation_turns WHERE conversation_id = ?", (chat_id,))
            removed = conn.execute("DELETE FROM conversations WHERE id = ?", (chat_id,)).rowcount
        return bool(removed)


def _json(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {"text": "", "citations": []}
    return value if isinstance(value, dict) else {"text": str(value), "citations": []}
