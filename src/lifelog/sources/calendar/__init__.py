"""Calendars: iCalendar ``.ics`` (``ical``), with its recurrence rules (``rrule``)
and property values (``values``).

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
