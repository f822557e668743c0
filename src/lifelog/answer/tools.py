"""The agent's read-only tools over a memory, and the ledger of what it has seen.

Tools: ``search`` (with filters), ``read`` (a whole item), ``timeline`` (a
period's items in time order), ``count`` (matching items) and ``date`` (days
between two dates, a date plus days, a weekday). None writes, none reaches
outside the memory. Every item a tool shows enters the :class:`Ledger` under a
stable number: the only numbers an answer may cite. Tool results wrap items in
the same untrusted-data delimiters as the plain prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..errors import LifelogError
from ..index.text import make_snippet
from ..records import Hit, Item
from ..retrieval.filters import Filters, parse_when
from .injection import evidence_text
from .prompts import Source, excerpt_span, render_source
from .support import date_terms, terms_of

__all__ = [
    "ALLOWED_TOOLS",
    "TOOL_SPECS",
    "Ledger",
    "MemoryLike",
    "ToolContext",
    "item_header",
    "item_hit",
    "allowed",
    "openai_tools",
    "refused",
    "retrieve",
    "run_tool",
]


class MemoryLike(Protocol):
    """The read-only part of :class:`lifelog.Memory` the answer layer uses."""

    def search(
        self, query: str, filters: Filters | None = None, *, limit: int = 10
    ) -> list[Hit]: ...

    def get(self, item_id: str) -> Item: ...

    def timeline(
        self, filters: Filters | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[Item]: ...


def retrieve(
    memory: MemoryLike,
    question: str,
    *,
    filters: Filters | None = None,
    now: datetime | None = None,
    limit: int = 20,
) -> list[Hit]:
    """Hybrid retrieval (``Memory.retrieve``) where the memory has it, else lexical search."""
    hybrid = getattr(memory, "retrieve", None)
    if callable(hybrid):
        return list(hybrid(question, filters=filters, now=now, limit=limit))
    return memory.search(question, filters, limit=limit)


@dataclass
class Ledger:
    """Every item shown to the model, numbered in order of first sight."""

    sources: dict[int, Source] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    #: terms a tool computed (counts, dates) that an answer may state without a source
    derived: set[str] = field(default_factory=set)

    def add(self, hit: Hit, max_chars: int) -> Source:
        """Number ``hit``'s item (once) and render it; a longer view replaces a shorter."""
        number = self.numbers.get(hit.item.id) or len(self.numbers) + 1
        self.numbers[hit.item.id] = number
        start, end = excerpt_span(hit.item.text, hit.start, hit.end, max_chars)
        source = Source(number, hit, start, end, render_source(number, hit, start, end))
        known = self.sources.get(number)
        if known is None or (end - start) > (known.end - known.start):
            self.sources[number] = source
        return source

    def hits(self) -> list[Hit]:
        return [s.hit for s in self.sources.values()]

    def evidence_terms(self) -> dict[int, set[str]]:
        return {n: source_terms(s) for n, s in self.sources.items()}


def item_header(item: Item) -> str:
    """What an item says besides its text: where it came from, who, its title."""
    return " ".join(
        [item.source, item.kind, item.author or "", " ".join(item.participants), item.title or ""]
    )


def source_terms(source: Source) -> set[str]:
    item = source.hit.item
    said = evidence_text(source.excerpt)  # an instruction to a model is no evidence
    return terms_of(said + " " + item_header(item)) | date_terms(item.timestamp)


@dataclass
class ToolContext:
    memory: MemoryLike
    ledger: Ledger
    filters: Filters
    now: datetime
    #: characters of an item shown by search / timeline / read
    search_chars: int = 360
    read_chars: int = 1600
    count_items: Callable[[Filters, str | None], int] | None = None


def _param(kind: str, text: str) -> dict[str, str]:
    return {"type": kind, "description": text}


_DATE = "YYYY, YYYY-MM or YYYY-MM-DD"
_FILTERS: dict[str, dict[str, str]] = {
    "since": _param("string", f"only items from this date on ({_DATE})"),
    "until": _param("string", f"only items up to the end of this date ({_DATE})"),
    "person": _param("string", "only items by or with this person"),
    "source": _param("string", "only items from this source (mbox, whatsapp, notes …)"),
}
TOOL_SPECS: dict[str, tuple[str, dict[str, dict[str, str]], tuple[str, ...]]] = {
    "search": (
        "Search the memory by meaning and words; returns numbered items.",
        {"query": _param("string", "what to look for"), **_FILTERS},
        ("query",),
    ),
    "read": (
        "Read the whole of an item already listed, by its number.",
        {"source": _param("integer", "the item's number, as in [3]")},
        ("source",),
    ),
    "timeline": (
        "List the items of a period in time order.",
        dict(_FILTERS),
        (),
    ),
    "count": (
        "Count the items that contain all the words of query (or all items) in the filters.",
        {"query": _param("string", "words every counted item contains (optional)"), **_FILTERS},
        (),
    ),
    "date": (
        "Date arithmetic: days between from and to, or from plus add_days; gives weekdays.",
        {
            "from": _param("string", "a date, YYYY-MM-DD"),
            "to": _param("string", "another date, YYYY-MM-DD (optional)"),
            "add_days": _param("integer", "days to add to from, may be negative (optional)"),
        },
        ("from",),
    ),
}


#: the only tools the agent may run: all read the memory, none writes or reaches out.
#: A tool added to TOOL_SPECS must be added here too, on purpose (a test pins the set).
ALLOWED_TOOLS: frozenset[str] = frozenset({"search", "read", "timeline", "count", "date"})
if set(TOOL_SPECS) != ALLOWED_TOOLS:  # pragma: no cover - a programming error, at import
    raise RuntimeError(f"tool specs {sorted(TOOL_SPECS)} differ from the allowed tools")


def allowed(name: str) -> bool:
    """Whether the model's tool ``name`` is one the agent may run."""
    return name.strip().lower() in ALLOWED_TOOLS


def openai_tools() -> list[dict[str, Any]]:
    """The tools in the OpenAI ``tools`` shape."""
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": description,
                "parameters": {"type": "object", "properties": props, "required": list(required)},
            },
        }
        for name, (description, props, required) in TOOL_SPECS.items()
    ]


def _text(args: Mapping[str, Any], key: str) -> str | None:
    value = args.get(key)
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _filters(ctx: ToolContext, args: Mapping[str, Any]) -> Filters:
    """The user's own filters narrowed by the tool's: a tool can never widen them."""
    base = ctx.filters
    since = parse_when(s) if (s := _text(args, "since")) else None
    until = parse_when(u, end=True) if (u := _text(args, "until")) else None
    if base.since and (since is None or since < base.since):
        since = base.since
    if base.until and (until is None or until > base.until):
        until = base.until
    person = _text(args, "person")
    source = _text(args, "source")
    return base.with_changes(
        since=since,
        until=until,
        people=base.people + ((person,) if person else ()),
        sources=base.sources or ((source,) if source else ()),
    )


def _show(ctx: ToolContext, hits: Sequence[Hit], chars: int) -> str:
    if not hits:
        return "no items"
    return "<sources>\n" + "\n".join(ctx.ledger.add(h, chars).block for h in hits) + "\n</sources>"


def item_hit(item: Item) -> Hit:
    """A whole item as a hit (timeline and read results)."""
    snippet, marks, _ = make_snippet(item.text, [])
    return Hit(item, 0.0, 0, len(item.text), snippet, 0, marks)


def run_tool(name: str, args: Mapping[str, Any], ctx: ToolContext) -> tuple[str, str]:
    """Run one tool: ``(short description for the user, result text for the model)``.
    A name outside :data:`ALLOWED_TOOLS` is refused: nothing runs."""
    if not allowed(name):
        return refused(name)
    try:
        return _run(name.strip().lower(), args, ctx)
    except (LifelogError, ValueError, TypeError, OverflowError) as error:
        return f"{name}: error", f"error: {error}"


def refused(name: str) -> tuple[str, str]:
    """The answer to a tool call outside :data:`ALLOWED_TOOLS`: refused, and said so."""
    shown = " ".join(str(name).split())[:40]
    return (
        f"refused tool {shown!r}: not one of lifelog's read-only tools",
        f"error: unknown tool {shown!r}; the only tools are {', '.join(sorted(ALLOWED_TOOLS))}",
    )


def _run(name: str, args: Mapping[str, Any], ctx: ToolContext) -> tuple[str, str]:
    if name == "search":
        query = _text(args, "query") or _text(args, "q") or ""
        if not query:
            return "search: no query", "error: search needs a query"
        hits = retrieve(ctx.memory, query, filters=_filters(ctx, args), now=ctx.now, limit=5)
        return f"search “{query}”: {len(hits)} items", _show(ctx, hits, ctx.search_chars)
    if name == "read":
        wanted = _text(args, "source") or _text(args, "id") or _text(args, "item") or ""
        number = int(wanted.strip("[]#")) if wanted.strip("[]#").isdigit() else None
        source = ctx.ledger.sources.get(number) if number is not None else None
        if source is None:
            return (
                f"read {wanted}: unknown",
                f"error: no listed item {wanted!r}; read takes a number",
            )
        item = source.hit.item
        return f"read [{number}]", _show(ctx, [item_hit(item)], ctx.read_chars)
    if name == "timeline":
        filters = _filters(ctx, args)
        if filters.since is None and filters.until is None:
            return "timeline: no period", "error: timeline needs since and/or until"
        items = ctx.memory.timeline(filters, limit=12)
        return f"timeline: {len(items)} items", _show(
            ctx, [item_hit(i) for i in items], ctx.search_chars // 2
        )
    if name == "count":
        filters = _filters(ctx, args)
        words = _text(args, "query")
        if ctx.count_items is not None:
            total = ctx.count_items(filters, words)
        else:
            total = (
                len(ctx.memory.search(words, filters, limit=10_000))
                if words
                else len(ctx.memory.timeline(filters, limit=100_000))
            )
        ctx.ledger.derived.add(str(total))
        what = f" containing “{words}”" if words else ""
        return f"count{what}: {total}", f"{total} items{what} in that range"
    if name == "date":
        return _date(args, ctx)
    return refused(name)


def _day(text: str) -> datetime:
    moment = parse_when(text)
    return moment.astimezone(UTC)


def _date(args: Mapping[str, Any], ctx: ToolContext) -> tuple[str, str]:
    start_text = _text(args, "from") or _text(args, "date")
    if not start_text:
        return "date: no date", "error: date needs from"
    start = _day(start_text)
    lines = [f"{start:%Y-%m-%d} is a {start:%A}"]
    derived = {start.strftime("%A").lower()}
    if (end_text := _text(args, "to")) is not None:
        end = _day(end_text)
        days = (end.date() - start.date()).days
        lines.append(f"{end:%Y-%m-%d} is a {end:%A}")
        lines.append(
            f"from {start:%Y-%m-%d} to {end:%Y-%m-%d}: {days} days ({abs(days) / 7:.1f} weeks)"
        )
        derived |= {str(abs(days)), end.strftime("%A").lower(), str(round(abs(days) / 7))}
    if (add := args.get("add_days")) not in (None, ""):
        moved = start + timedelta(days=int(add))
        lines.append(f"{start:%Y-%m-%d} plus {int(add)} days is {moved:%Y-%m-%d} ({moved:%A})")
        derived |= {
            str(moved.year),
            str(moved.month),
            str(moved.day),
            moved.strftime("%B").lower(),
            moved.strftime("%A").lower(),
        }
    ctx.ledger.derived |= derived
    return "date: " + lines[-1], "\n".join(lines)
