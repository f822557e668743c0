"""Splitting an item's text into indexed spans.

Chunks are contiguous, non-overlapping spans that cover the whole text, about
``target`` characters long (≈200 words), cut at a paragraph, line or sentence
boundary when one is near. Short items (most messages) are a single chunk.
"""

from __future__ import annotations

import re

__all__ = ["TARGET_CHARS", "chunk_spans"]

TARGET_CHARS = 1200
_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?]\s"), re.compile(r"\s"))


def chunk_spans(text: str, target: int = TARGET_CHARS) -> list[tuple[int, int]]:
    """``(start, end)`` spans covering ``text``; empty text yields one empty span."""
    n = len(text)
    if n <= target * 1.5:
        return [(0, n)]
    spans: list[tuple[int, int]] = []
    start = 0
    while start < n:
        if n - start <= target * 1.5:
            spans.append((start, n))
            break
        lo, hi = start + target // 2, min(n, start + target + target // 4)
        cut = -1
        window = text[lo:hi]
        for pattern in _BREAKS:
            ends = [match.end() for match in pattern.finditer(window)]
            if ends:
                cut = lo + ends[-1]
                break
        if cut <= start:
            cut = start + target
        spans.append((start, cut))
        start = cut
    return spans
