"""Records as JSON: the one place items, hits, citations and answers get their wire shape."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from ..records import Answer, Citation, Hit, Item

__all__ = [
    "answer_json",
    "citation_json",
    "footnotes",
    "hit_json",
    "item_json",
    "item_summary",
    "plain",
]


def _date(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def origin_of(item: Item) -> str | None:
    """The file the item was imported from (the store's ``origin``, else its ``uri``)."""
    origin = item.metadata.get("origin") if isinstance(item.metadata, Mapping) else None
    if isinstance(origin, str) and origin:
        return origin
    if item.uri and item.uri.startswith("file://"):
        return unquote(urlsplit(item.uri).path) or None
    return None


def item_summary(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "source": item.source,
        "kind": item.kind,
        "date": _date(item.timestamp),
        "author": item.author,
        "participants": list(item.participants),
        "title": item.title,
        "thread": item.thread,
        "url": f"/api/items/{item.id}",
    }


def item_json(item: Item) -> dict[str, Any]:
    """The whole item: its verbatim text, metadata and where it came from."""
    metadata = {k: v for k, v in dict(item.metadata).items() if not k.startswith("_")}
    metadata.pop("origin", None)
    return {
        **item_summary(item),
        "text": item.text,
        "uri": item.uri,
        "locator": item.locator,
        "origin": origin_of(item),
        "key": item.key,
        "metadata": plain(metadata),
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "item": item_summary(hit.item),
        "score": round(hit.score, 4),
        "snippet": hit.snippet,
        "marks": [list(m) for m in hit.marks],
        "start": hit.start,
        "end": hit.end,
    }


def citation_json(citation: Citation) -> dict[str, Any]:
    item = citation.item
    return {
        "number": citation.number,
        "item_id": item.id,
        "date": _date(item.timestamp),
        "source": item.source,
        "kind": item.kind,
        "author": item.author,
        "title": item.title,
        "snippet": citation.snippet,
        "start": citation.start,
        "end": citation.end,
        "url": f"/api/items/{item.id}",
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "text": answer.text,
        "found": answer.found,
        "mode": answer.mode,
        "reasoning": answer.reasoning,
        "notes": list(answer.notes),
        "citations": [citation_json(c) for c in answer.citations],
    }


FOOTNOTES_MARK = "\n\nSources:\n"


def footnotes(answer: Answer) -> str:
    """The citations as text, for chat clients that show only the message's content."""
    if not answer.citations:
        return ""
    lines = []
    for citation in answer.citations:
        item = citation.item
        when = f"{item.timestamp:%Y-%m-%d}" if item.timestamp else "undated"
        who = f", {item.author}" if item.author else ""
        snippet = " ".join(citation.snippet.split())
        if len(snippet) > 140:
            snippet = snippet[:139] + "…"
        lines.append(f"[{citation.number}] {when} {item.source}{who}: “{snippet}” ({item.id})")
    return FOOTNOTES_MARK + "\n".join(lines)


def plain(value: Any) -> Any:
    """Anything JSON can carry: dataclasses, datetimes, tuples, mappings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
