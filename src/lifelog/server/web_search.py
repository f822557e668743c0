"""The web UI's search page: by words and by meaning (hybrid, as questions are
answered: :meth:`lifelog.Memory.retrieve`), with facets, why each hit matched, and
filters as people type them ("March 2023", "last summer").

A filter that cannot be read shows the form again with the message; a search that
finds nothing says which filter leaves nothing (an unknown source or person, a
range with no item: :mod:`lifelog.retrieval.explain`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ..errors import UserError
from ..narrate import hit_reasons
from ..records import Hit, Item
from ..retrieval.explain import why_nothing
from ..retrieval.filters import DATE_EXAMPLES, Filters
from .queries import POOL, faceted
from .state import FilterQuery, state_of
from .web import link, page

__all__ = ["router"]

router: APIRouter = APIRouter(include_in_schema=False)
Filtered = Annotated[FilterQuery, Depends()]
Mode = Literal["hybrid", "words"]


def by_words(hit: Hit) -> bool:
    """Whether ``hit`` holds the words searched for (not only their meaning)."""
    return any(reason.startswith("words #") for reason in hit.why)


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    where: Filtered,
    q: str = "",
    mode: Mode = "hybrid",
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
) -> HTMLResponse:
    memory = state_of(request).memory
    year = where.period[:4] if where.period else None
    current: dict[str, Any] = {"q": q, "source": where.sources, "person": where.people}
    current.update({"year": year, "kind": where.kinds, "since": where.since})
    current.update({"until": where.until, "mode": None if mode == "hybrid" else mode})
    context: dict[str, Any] = {
        "active": "search",
        "q": q,
        "mode": mode,
        "hits": [],
        "items": [],
        "facets": {},
        "total": 0,
        "worded": 0,
        "current": current,
        "toggle": _toggler(current),
        "reasons": hit_reasons,
        "link": link,
        "nothing": [],
        "error": None,
        "date_examples": DATE_EXAMPLES,
    }
    try:
        filters = where.filters()
    except UserError as error:  # the form again, with what is wrong and what is accepted
        context["error"] = str(error)
        return page(request, "search.html", status=400, **context)

    def find(words: str, within: Filters) -> list[Hit]:
        if mode == "words":
            return memory.search(words, within, limit=POOL)
        return memory.retrieve(words, filters=within, limit=POOL, mode="hybrid")

    hits: list[Hit] = []
    items: list[Item] = []
    if q.strip():
        pool = find(q, filters)
        hits, total = pool[:limit], len(pool)
        context["worded"] = sum(1 for hit in pool if by_words(hit))
    else:  # browsing: the newest items first
        items = memory.newest(filters, limit=limit)
        total = memory.count(filters)
    context.update(hits=hits, items=items, total=total)
    context["facets"] = faceted(memory, q, where.filters, find)
    if not hits and not items and not filters.empty:
        context["nothing"] = why_nothing(memory, filters)
    return page(request, "search.html", **context)


def _toggler(current: dict[str, Any]) -> Any:
    """``toggle(name, value)``: the search URL with that facet value added or removed."""

    def toggle(name: str, value: str | None) -> str:
        params = {k: (list(v) if isinstance(v, list) else v) for k, v in current.items()}
        if name in ("year", "mode"):
            params[name] = None if params.get(name) == value else value
        else:
            values = list(params.get(name) or [])
            params[name] = (
                [v for v in values if v != value] if value in values else [*values, value]
            )
        return link("/search", **params)

    return toggle
