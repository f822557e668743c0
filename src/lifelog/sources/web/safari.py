"""Safari history (``~/Library/Safari/History.db``), read from a copy like the other browsers.

Safari keeps its history in SQLite: ``history_items`` (one row per address: ``url``,
``visit_count``) and ``history_visits`` (one row per visit: ``history_item``,
``visit_time`` in seconds since 2001-01-01 UTC, the Core Data epoch, and the page
``title`` at that visit). Visits are grouped per page per day into items of kind
``visit`` exactly as Chrome's and Firefox's are (see :mod:`.browser`): same text, same
key (address and day), so a page visited in two browsers on one day is two items of
different sources. Visits Safari made on the person's behalf are left out: loads that
failed (``load_successful = 0``) and the source of a redirect (``redirect_destination``
set: only the page it led to is kept). The file is recognised by its two tables,
whatever it is called; macOS protects it (grant the terminal Full Disk Access, or copy
it first).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from ..sqlitecopy import table_columns
from .browser import _HistorySource

__all__ = ["SafariHistorySource", "core_data_time"]

CORE_DATA_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def core_data_time(value: Any) -> datetime | None:
    """Seconds since 2001-01-01 UTC (Apple's Core Data epoch) as aware UTC, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        moment = CORE_DATA_EPOCH + timedelta(seconds=value)
    except (OverflowError, ValueError):  # beyond datetime's range, or NaN
        return None
    return moment if _EARLIEST <= moment < _LATEST else None


class SafariHistorySource(_HistorySource):
    name = "safari"
    description = "Safari browser history (History.db), read from a copy"
    browser = "Safari"
    file_names = ("History.db",)
    tables = ("history_items", "history_visits")

    def _time(self, value: Any) -> datetime | None:
        return core_data_time(value)

    def _query(self, connection: sqlite3.Connection) -> str:
        visits = table_columns(connection, "history_visits")
        wanted = []
        if "load_successful" in visits:
            wanted.append("coalesce(v.load_successful, 1) != 0")
        if "redirect_destination" in visits:
            wanted.append("v.redirect_destination IS NULL")
        where = f" WHERE {' AND '.join(wanted)}" if wanted else ""
        title = "v.title" if "title" in visits else "NULL"
        return (
            f"SELECT v.id, v.history_item, i.url, {title}, v.visit_time, NULL, i.visit_count,"
            " NULL, '' FROM history_visits v JOIN history_items i ON i.id = v.history_item"
            f"{where} ORDER BY v.history_item, v.visit_time, v.id"
        )
