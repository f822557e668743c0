"""The timeline's cards: a list of items made readable.

- A chat's messages on one day are one card (the chat, how many messages, the first few
  with their authors, a link to the whole conversation), not one card per message.
- A message alone is titled by its author, not by its chat's name.
- A recurring calendar event's occurrences are one card: "weekly, 530 times".
- Everything else is one card per item.

Cards keep the order of their first item. Pure, apart from :func:`series_sizes`' count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..records import Item

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = ["Card", "cards_for", "item_heading", "recurrence_words"]

#: kinds whose items of one thread and day are shown together
CONVERSATIONAL = frozenset({"message", "chat", "sms", "comment"})
#: messages shown in a conversation's card (the rest behind "open the conversation")
PREVIEW = 4


@dataclass(slots=True)
class Card:
    #: "item", "thread" (a chat's messages of a day) or "series" (a recurring event)
    kind: str
    items: list[Item] = field(default_factory=list)
    #: "weekly, 530 times" for a series
    repeats: str = ""
    #: how many items the first item's thread holds (when counted): a thread of one
    #: is not offered as a conversation
    thread_size: int = 0

    @property
    def first(self) -> Item:
        return self.items[0]

    @property
    def last(self) -> Item:
        return self.items[-1]

    @property
    def preview(self) -> list[Item]:
        return self.items[:PREVIEW]

    @property
    def hidden(self) -> int:
        return max(0, len(self.items) - PREVIEW)

    @property
    def title(self) -> str:
        if self.kind == "thread":
            return thread_name(self.first)
        return item_heading(self.first)

    @property
    def people(self) -> list[str]:
        """The authors of a conversation's messages, the most active first."""
        counts: dict[str, int] = {}
        for item in self.items:
            if item.author:
                counts[item.author] = counts.get(item.author, 0) + 1
        return sorted(counts, key=lambda name: -counts[name])


def item_heading(item: Item) -> str:
    """What a card of one item is called: a message by its author, else its title."""
    if item.kind in CONVERSATIONAL and item.author:
        return item.author
    return item.title or item.author or item.kind


def thread_name(item: Item) -> str:
    """A conversation's name: its title (a chat's name, a mail's subject), else its thread
    without the source's prefix."""
    if item.title:
        return item.title
    thread = item.thread or ""
    return thread.split(":", 1)[1] if ":" in thread else thread or item.kind


_FREQ = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_ADVERB = {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}


def recurrence_words(rule: str, count: int) -> str:
    """``FREQ=WEEKLY;BYDAY=MO`` and 530 → "weekly, 530 times"."""
    parts = dict(p.split("=", 1) for p in rule.upper().replace(" ", "").split(";") if "=" in p)
    unit = _FREQ.get(parts.get("FREQ", ""))
    interval = int(parts["INTERVAL"]) if parts.get("INTERVAL", "").isdigit() else 1
    if unit is None:
        how = "repeating"
    elif interval == 1:
        how = _ADVERB[unit]
    else:
        how = f"every {interval} {unit}s"
    times = "once" if count == 1 else "twice" if count == 2 else f"{count:,} times"
    return f"{how}, {times}"


def _rule(item: Item) -> str | None:
    rule = item.metadata.get("rrule") if isinstance(item.metadata, Mapping) else None
    if isinstance(rule, str) and rule:
        return rule
    return None


def series_sizes(memory: Memory, items: Sequence[Item]) -> dict[str, int]:
    """How many items each thread among ``items`` holds in the memory (a recurring
    event's occurrences, a conversation's messages)."""
    return memory.thread_sizes({i.thread for i in items if i.thread})  # where the items are


def cards_for(items: Sequence[Item], sizes: Mapping[str, int] | None = None) -> list[Card]:
    """``items`` (in time order) as cards; ``sizes`` counts the items of each thread in
    the whole memory (else a series counts those among ``items``)."""
    cards: list[Card] = []
    open_threads: dict[tuple[str, str], Card] = {}
    series: dict[str, Card] = {}
    for item in items:
        rule = _rule(item)
        if rule and item.thread:
            card = series.get(item.thread)
            if card is None:
                card = series[item.thread] = Card("series")
                cards.append(card)
            card.items.append(item)
            continue
        if item.kind in CONVERSATIONAL and item.thread:
            day = f"{item.timestamp:%Y-%m-%d}" if item.timestamp else ""
            key = (item.thread, day)
            card = open_threads.get(key)
            if card is None:
                card = open_threads[key] = Card("thread")
                cards.append(card)
            card.items.append(item)
            continue
        cards.append(Card("item", [item]))
    for card in cards:
        card.thread_size = (sizes or {}).get(card.first.thread or "", 0)
        if card.kind == "thread" and len(card.items) == 1:
            card.kind = "item"
        elif card.kind == "series":
            thread = card.first.thread or ""
            count = (sizes or {}).get(thread, len(card.items))
            card.repeats = recurrence_words(_rule(card.first) or "", count)
    return cards
