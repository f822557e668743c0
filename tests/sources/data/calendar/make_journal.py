"""Writes journal_icalendar.ics with the icalendar library (the one lifelog reads with)."""

from datetime import UTC, date, datetime

import icalendar

calendar = icalendar.Calendar()
calendar.add("prodid", "-//lifelog tests//journal//EN")
calendar.add("version", "2.0")
for uid, day, summary, texts in (
    (
        "journal-2025-03-14@example.org",
        date(2025, 3, 14),
        "Lisbon, first day",
        ["Walked up to the castle; the tram 28 was full.", "Dinner: grilled sardines."],
    ),
    ("journal-2025-03-15@example.org", date(2025, 3, 15), "", ["Rain all day; read in."]),
):
    entry = icalendar.Journal()
    entry.add("uid", uid)
    entry.add("dtstamp", datetime(2025, 3, 16, 9, 0, tzinfo=UTC))
    entry.add("dtstart", day)
    if summary:
        entry.add("summary", summary)
    for text in texts:
        entry.add("description", text)
    calendar.add_component(entry)
busy = icalendar.FreeBusy()
busy.add("uid", "busy-1@example.org")
busy.add("dtstamp", datetime(2025, 3, 16, 9, 0, tzinfo=UTC))
busy.add("dtstart", datetime(2025, 3, 17, 8, 0, tzinfo=UTC))
busy.add("dtend", datetime(2025, 3, 17, 18, 0, tzinfo=UTC))
calendar.add_component(busy)
with open("journal_icalendar.ics", "wb") as handle:
    handle.write(calendar.to_ical())
