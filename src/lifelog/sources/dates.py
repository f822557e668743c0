"""Dates written by people: front matter, headers and metadata fields of several families.

Shared by notes, documents, web pages, contacts and e-book highlights, so it lives
beside :mod:`lifelog.sources.base` rather than inside one family.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser

from .base import to_utc

__all__ = ["parse_note_date"]

_ZONE = re.compile(r"\s*\[(?P<zone>[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)*)\]\s*$")


def parse_note_date(value: str) -> datetime | None:
    """A front-matter date in most formats -> aware UTC datetime, or None."""
    text = value.strip().strip("\"'")[:100]
    zone = None
    found = _ZONE.search(text)
    if found:
        text = text[: found.start()]
        try:
            zone = ZoneInfo(found["zone"])
        except (ZoneInfoNotFoundError, ValueError, OSError):
            zone = None
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = dateparser.parse(text, default=datetime(2000, 1, 1))
        except (ValueError, OverflowError):
            return None
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    try:
        return to_utc(moment)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00
        return None
