"""Writes the jCal (RFC 7265) form of this folder's calendars with the icalendar library.

``icalendar_all_components.ics`` (icalendar's own test calendar) and
``journal_icalendar.ics`` become ``*.jcal.json``: ``Calendar.to_jcal()``, indented as
CalDAV servers often serve it. Run from this folder with the project's Python.
"""

import json
from pathlib import Path

import icalendar

for name in ("icalendar_all_components", "journal_icalendar"):
    calendar = icalendar.Calendar.from_ical(Path(f"{name}.ics").read_bytes())
    text = json.dumps(calendar.to_jcal(), indent=1, ensure_ascii=False) + "\n"
    Path(f"{name}.jcal.json").write_text(text, encoding="utf-8")
