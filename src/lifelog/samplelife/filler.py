"""The filler engine: templates filled from word banks with one seeded RNG.

Generating hundreds of megabytes one sentence at a time would be slow, so each
generator first fills *pools* of sentences (their size grows with the scale,
then levels off) and composes messages by drawing from them. Draws index with
``random()`` directly, which is several times faster than ``Random.choice``.
Everything goes through one ``random.Random``, so a seed and a scale always
give the same text.

A template may start with an era tag: ``@boston`` (before the move), ``@lisbon``
(after it) or ``@miso`` (after the cat arrived). :class:`EraPools` keeps one
pool per era and hands out the right one for a moment; in Lisbon, ``{place}``
is filled from the Lisbon places.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from math import gcd
from typing import TypeVar

from .facts import MISO_UTC, MOVE_UTC
from .words import BANKS

__all__ = ["EraPools", "Filler", "Pool", "pool_size"]

_SLOT = re.compile(r"\{(\w+)\}")
T = TypeVar("T")

#: era name -> (tags allowed, bank overrides)
_ERAS: dict[str, tuple[frozenset[str], dict[str, str]]] = {
    "boston": (frozenset({"boston"}), {}),
    "lisbon": (frozenset({"lisbon"}), {"place": "lisbon_place"}),
    "miso": (frozenset({"lisbon", "miso"}), {"place": "lisbon_place"}),
}


def pool_size(scale: float, base: int, per_scale: int, cap: int) -> int:
    """How many sentences a pool draws at ``scale`` (grows, then levels off; duplicates
    are dropped, so a pool of few templates ends up smaller)."""
    return max(8, min(cap, int(base + per_scale * scale)))


def era_of(utc: int) -> str:
    if utc < MOVE_UTC:
        return "boston"
    return "lisbon" if utc < MISO_UTC else "miso"


class Filler:
    """Fills templates and draws sentences, all from one RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return low + int(self.random() * (high - low + 1))

    def fill(self, template: str, overrides: dict[str, str] | None = None) -> str:
        if "{" not in template:
            return template
        rnd = self.random

        def slot(match: re.Match[str]) -> str:
            name = match.group(1)
            bank = BANKS[overrides.get(name, name) if overrides else name]
            return bank[int(rnd() * len(bank))]

        return _SLOT.sub(slot, template)

    def pool(self, templates: Sequence[str], size: int, era: str | None = None) -> Pool:
        """About ``size`` filled sentences, grouped by template; with ``era``, only
        untagged templates and that era's."""
        allowed, overrides = _ERAS[era] if era else (frozenset(), {})
        usable = []
        for template in templates:
            if template.startswith("@"):
                tag, _, rest = template.partition(" ")
                if tag[1:] not in allowed:
                    continue
                template = rest
            usable.append(template)
        per_template = max(1, size // len(usable))
        groups: list[tuple[str, ...]] = []
        for template in usable:
            if "{" not in template:
                groups.append((template,))
                continue
            filled = (self.fill(template, overrides) for _ in range(per_template))
            groups.append(tuple(dict.fromkeys(filled)))  # unique, in first-seen order
        return Pool(self, tuple(groups))

    def paragraphs(self, pool: Pool, sentences: int, per_paragraph: int = 3) -> str:
        """``sentences`` drawn from ``pool``, grouped into blank-line separated paragraphs."""
        drawn = pool.draw(sentences)
        paras = [
            " ".join(drawn[i : i + per_paragraph]) for i in range(0, len(drawn), per_paragraph)
        ]
        return "\n\n".join(paras)


class Pool:
    """Filled sentences grouped by template.

    A draw takes each sentence from a different template, so one message never
    says the same thing twice with different words in the slots.
    """

    def __init__(self, filler: Filler, groups: tuple[tuple[str, ...], ...]) -> None:
        self.rng = filler.rng
        self.random = filler.random
        self.groups = groups
        self.strides = [s for s in range(1, len(groups)) if gcd(s, len(groups)) == 1] or [1]

    def __len__(self) -> int:
        return sum(len(group) for group in self.groups)

    def pick(self) -> str:
        rnd, groups = self.random, self.groups
        group = groups[int(rnd() * len(groups))]
        return group[int(rnd() * len(group))]

    def draw(self, count: int) -> list[str]:
        """``count`` sentences from different templates (fewer if there are fewer templates).

        The templates are walked from a random start with a random stride coprime
        with their number, which visits each at most once and costs two draws.
        """
        rnd, groups, size = self.random, self.groups, len(self.groups)
        start = int(rnd() * size)
        stride = self.strides[int(rnd() * len(self.strides))]
        return [
            (group := groups[(start + j * stride) % size])[int(rnd() * len(group))]
            for j in range(min(count, size))
        ]


class EraPools:
    """One pool per era for the same templates."""

    def __init__(self, filler: Filler, templates: Sequence[str], size: int) -> None:
        self.pools = {era: filler.pool(templates, size, era) for era in _ERAS}

    def at(self, utc: int) -> Pool:
        return self.pools[era_of(utc)]
