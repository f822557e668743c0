"""One document file as one item: what the Word and OpenDocument readers share.

Both read a body, its headings and the file's properties; the item they make is the
same shape (text capped at :data:`~lifelog.sources.base.MAX_ITEM_TEXT`, dated by the
properties or else the file's time, titled by the properties, the first top heading
or the file's name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...records import Item
from ..base import MAX_ITEM_TEXT, file_uri

__all__ = ["document_item"]


def document_item(
    source: str,
    path: Path,
    text: str,
    *,
    metadata: Mapping[str, Any],
    headings: Sequence[tuple[int, str]],
    details: Mapping[str, Any],
    timestamp: datetime | None,
    author: str | None,
    title: str | None,
) -> Item:
    """The item of the document at ``path``: ``metadata`` first (format, file …), then
    its ``headings`` and ``details`` (the properties kept); ``timestamp`` falls back to
    the file's time and ``title`` to the first top heading, then the file's name."""
    kept: dict[str, Any] = dict(metadata)
    if headings:
        kept["headings"] = [[level, heading] for level, heading in headings]
    kept.update(details)
    if len(text) > MAX_ITEM_TEXT:
        text = text[:MAX_ITEM_TEXT]
        kept["truncated"] = True
    if timestamp is None:
        try:
            timestamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            timestamp = None
    first_heading = next((h for level, h in headings if level <= 1), None)
    return Item(
        source=source,
        key=path.name,
        kind="document",
        text=text,
        timestamp=timestamp,
        author=author,
        title=title or first_heading or path.stem,
        uri=file_uri(path),
        locator=path.name,
        metadata=kept,
    )
