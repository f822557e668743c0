"""Google Takeout Location History: raw ``Records.json`` and Semantic Location History.

- ``Records.json`` (``{"locations": [{"latitudeE7", "longitudeE7", "accuracy",
  "timestamp" | "timestampMs", "activity", ...}]}``) holds one entry per GPS fix,
  often millions. They are summarised per day (UTC): one item of kind
  ``location_day`` with the number of fixes, the first and last time, the
  distance covered (between consecutive fixes better than 1 km accuracy), the
  area (bounding box) and the places where most fixes fell (cells of about 1 km,
  0.01°), with the activities recorded. Memory holds one summary per day (at
  most ``MAX_DAYS`` days, ``MAX_CELLS`` places each), never the fixes.
- ``Semantic Location History/YYYY/YYYY_MONTH.json`` (``{"timelineObjects":
  [{"placeVisit": ...} | {"activitySegment": ...}]}``): each place visit is an
  item of kind ``place_visit`` (name, address, times, coordinates, place id)
  and each activity segment one of kind ``trip`` (mode, distance, start and end,
  transit line and stops).

Keys: ``day:YYYY-MM-DD``; ``visit:<place id or coordinates>|<start>``;
``trip:<start>|<end>``; a newer export therefore updates a day that gained
fixes and adds the new days and visits. Coordinates are kept as numbers; no
place names are looked up (nothing leaves the machine).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any, BinaryIO, ClassVar

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, clean_text
from ..jsonstream import JsonStream, JsonStreamError, ValueSkipped, epoch_time, iso_time
from .takeout import TakeoutSource, json_head, locate, text_of

__all__ = ["LocationSource"]

#: days summarised at most (about 270 years); fixes on further days are counted, not kept
MAX_DAYS = 100_000
#: places (0.01° cells) tracked per day; fixes elsewhere count as "elsewhere"
MAX_CELLS = 48
#: places listed in a day's text
SHOWN_CELLS = 8
#: fixes less accurate than this (metres) do not count towards the distance
DISTANCE_ACCURACY = 1000
#: a jump faster than this (km/h) between two fixes is not counted as distance
MAX_SPEED = 1200
CELL = 0.01
EARTH_KM = 6371.0088

_MODES = {
    "IN_PASSENGER_VEHICLE": "by car",
    "IN_VEHICLE": "by car",
    "IN_ROAD_VEHICLE": "by road",
    "DRIVING": "by car",
    "WALKING": "on foot",
    "ON_FOOT": "on foot",
    "RUNNING": "running",
    "CYCLING": "by bike",
    "ON_BICYCLE": "by bike",
    "IN_BUS": "by bus",
    "IN_TRAIN": "by train",
    "IN_SUBWAY": "by subway",
    "IN_TRAM": "by tram",
    "IN_FERRY": "by ferry",
    "FLYING": "by plane",
    "MOTORCYCLING": "by motorcycle",
    "SAILING": "by boat",
    "SKIING": "skiing",
}


def _coordinate(value: Any, limit: float) -> float | None:
    """An ``E7`` integer as degrees; old exports' overflowed values are folded back."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value):
        return None
    if value > limit * 1e7:
        value -= 2**32
    degrees = value / 1e7
    return degrees if -limit <= degrees <= limit else None


def _point(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, dict):
        return None
    lat = _coordinate(value.get("latitudeE7"), 90)
    lon = _coordinate(value.get("longitudeE7"), 180)
    return None if lat is None or lon is None else (lat, lon)


def _when(value: Any, iso_key: str, ms_key: str) -> datetime | None:
    if not isinstance(value, dict):
        return None
    return iso_time(value.get(iso_key)) or epoch_time(value.get(ms_key), 1000)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def _hm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _fmt(lat: float, lon: float) -> str:
    return f"{lat:.4f}, {lon:.4f}"


@dataclass(slots=True)
class _Cell:
    count: int
    first: datetime
    last: datetime


@dataclass(slots=True)
class _Day:
    """What is kept of one day's fixes."""

    first: datetime
    last: datetime
    count: int = 0
    south: float = 90.0
    north: float = -90.0
    west: float = 180.0
    east: float = -180.0
    km: float = 0.0
    previous: tuple[datetime, tuple[float, float]] | None = None
    cells: dict[tuple[int, int], _Cell] = field(default_factory=dict)
    elsewhere: int = 0
    activities: dict[str, int] = field(default_factory=dict)

    def add(self, moment: datetime, where: tuple[float, float], accuracy: Any, fix: Any) -> None:
        self.count += 1
        self.first = min(self.first, moment)
        self.last = max(self.last, moment)
        lat, lon = where
        self.south, self.north = min(self.south, lat), max(self.north, lat)
        self.west, self.east = min(self.west, lon), max(self.east, lon)
        cell = (math.floor(lat / CELL), math.floor(lon / CELL))
        known = self.cells.get(cell)
        if known is not None:
            known.count += 1
            known.first = min(known.first, moment)
            known.last = max(known.last, moment)
        elif len(self.cells) < MAX_CELLS:
            self.cells[cell] = _Cell(1, moment, moment)
        else:
            self.elsewhere += 1
        precise = isinstance(accuracy, int | float) and 0 <= accuracy <= DISTANCE_ACCURACY
        if precise:
            if self.previous is not None and moment > self.previous[0]:
                step = _km(self.previous[1], where)
                hours = (moment - self.previous[0]).total_seconds() / 3600
                if step <= MAX_SPEED * hours:
                    self.km += step
            self.previous = (moment, where)
        for kind in _activity_types(fix):
            if kind in self.activities or len(self.activities) < 20:
                self.activities[kind] = self.activities.get(kind, 0) + 1


def _activity_types(fix: Any) -> list[str]:
    """The most likely activity of each ``activity`` entry of a fix (not ``STILL``/``UNKNOWN``)."""
    found: list[str] = []
    entries = fix.get("activity") if isinstance(fix, dict) else None
    for entry in entries[:5] if isinstance(entries, list) else []:
        options = entry.get("activity") if isinstance(entry, dict) else None
        if not isinstance(options, list) or not options:
            continue
        best = options[0]
        kind = best.get("type") if isinstance(best, dict) else None
        if isinstance(kind, str) and kind not in ("STILL", "UNKNOWN", "TILTING"):
            found.append(kind[:40])
    return found


class LocationSource(TakeoutSource):
    name: ClassVar[str] = "takeout_location"
    description: ClassVar[str] = (
        "Google Location History from Takeout (Records.json per day; semantic visits and trips)"
    )
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff_stream(self, name: str, head: bytes) -> bool:
        if PurePosixPath(name).suffix.lower() != ".json" or not json_head(head).startswith(b"{"):
            return False
        start = head[:4096]
        if b'"timelineObjects"' in start:
            return True
        return b'"locations"' in start and (b'"latitudeE7"' in head or b'"timestampMs"' in head)

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        reader = JsonStream(text_of(stream))
        if reader.peek() != "{":
            raise SourceError(f"{name}: not a Location History file (expected a JSON object)")
        days: dict[date, _Day] = {}
        problems = {"fixes": 0, "days": 0}
        try:
            for key in reader.members():
                if reader.peek() != "[":
                    continue
                if key == "locations":
                    yield from self._fixes(reader, name, days, problems)
                elif key == "timelineObjects":
                    yield from self._timeline(reader, name, origin_uri)
        except JsonStreamError as error:
            yield error.skip(name)
        if problems["fixes"]:
            yield Skip(
                name,
                "locations",
                f"{problems['fixes']} location fixes without a readable time or position",
            )
        if problems["days"]:
            yield Skip(
                name, "locations", f"fixes on {problems['days']} days past {MAX_DAYS} not kept"
            )
        for day in sorted(days):
            yield self._day_item(day, days[day], origin_uri)

    # -- Records.json -----------------------------------------------------------------

    def _fixes(
        self, reader: JsonStream, name: str, days: dict[date, _Day], problems: dict[str, int]
    ) -> Iterator[Parsed]:
        for index in reader.items():
            try:
                fix = reader.value()
            except ValueSkipped as error:
                yield Skip(name, f"location {index + 1}", str(error))
                continue
            where = _point(fix)
            moment = _when(fix, "timestamp", "timestampMs")
            if where is None or moment is None:
                problems["fixes"] += 1
                continue
            day_key = moment.date()
            day = days.get(day_key)
            if day is None:
                if len(days) >= MAX_DAYS:
                    problems["days"] += 1
                    continue
                day = days[day_key] = _Day(moment, moment)
            day.add(moment, where, fix.get("accuracy"), fix)

    def _day_item(self, day: date, summary: _Day, origin_uri: str) -> Item:
        iso = day.isoformat()
        places = sorted(summary.cells.items(), key=lambda kv: (-kv[1].count, kv[1].first))
        lines = [
            f"Location history for {iso} (UTC): {summary.count} location fixes from"
            f" {_hm(summary.first)} to {_hm(summary.last)}.",
        ]
        if summary.km >= 0.05:
            lines.append(f"Moved about {summary.km:.1f} km.")
        lines.append(
            f"Area: {_fmt(summary.south, summary.west)} to {_fmt(summary.north, summary.east)}."
        )
        shown = []
        for (y, x), cell in places[:SHOWN_CELLS]:
            lat, lon = (y + 0.5) * CELL, (x + 0.5) * CELL
            shown.append(
                f"- near {lat:.3f}, {lon:.3f}: {_hm(cell.first)}–{_hm(cell.last)}"
                f" ({cell.count} fixes)"
            )
        if shown:
            lines.append("Places (about 1 km):")
            lines.extend(shown)
        activities = sorted(summary.activities.items(), key=lambda kv: -kv[1])
        if activities:
            lines.append(
                "Activities: "
                + ", ".join(
                    f"{_MODES.get(k, k.lower().replace('_', ' '))} ({n})" for k, n in activities
                )
            )
        metadata: dict[str, Any] = {
            "date": iso,
            "fixes": summary.count,
            "first": summary.first.isoformat(),
            "last": summary.last.isoformat(),
            "km": round(summary.km, 2),
            "bbox": [
                round(summary.south, 6),
                round(summary.west, 6),
                round(summary.north, 6),
                round(summary.east, 6),
            ],
            "places": [
                {
                    "lat": round((y + 0.5) * CELL, 3),
                    "lon": round((x + 0.5) * CELL, 3),
                    "fixes": cell.count,
                    "first": cell.first.isoformat(),
                    "last": cell.last.isoformat(),
                }
                for (y, x), cell in places[:SHOWN_CELLS]
            ],
        }
        if summary.elsewhere:
            metadata["elsewhere"] = summary.elsewhere
        if activities:
            metadata["activities"] = dict(activities)
        locator = f"day {iso}"
        return Item(
            source=self.name,
            key=f"day:{iso}",
            kind="location_day",
            text="\n".join(lines),
            timestamp=summary.first,
            title=f"Location history {iso}",
            uri=locate(origin_uri, locator),
            locator=locator,
            metadata=metadata,
        )

    # -- Semantic Location History ------------------------------------------------------

    def _timeline(self, reader: JsonStream, name: str, origin_uri: str) -> Iterator[Parsed]:
        for index in reader.items():
            position = f"timeline object {index + 1}"
            try:
                value = reader.value()
            except ValueSkipped as error:
                yield Skip(name, position, str(error))
                continue
            if not isinstance(value, dict):
                yield Skip(name, position, "not a JSON object")
            elif isinstance(value.get("placeVisit"), dict):
                yield self._visit(value["placeVisit"], name, position, origin_uri)
            elif isinstance(value.get("activitySegment"), dict):
                yield self._trip(value["activitySegment"], name, position, origin_uri)
            else:
                yield Skip(name, position, "neither a placeVisit nor an activitySegment")

    def _visit(self, visit: dict[str, Any], name: str, position: str, origin_uri: str) -> Parsed:
        place = visit.get("location")
        place = place if isinstance(place, dict) else {}
        start = _when(visit.get("duration"), "startTimestamp", "startTimestampMs")
        end = _when(visit.get("duration"), "endTimestamp", "endTimestampMs")
        if start is None:
            return Skip(name, position, "place visit without a readable start time")
        where = _point(place)
        place_name = _text(place.get("name"))
        address = _text(place.get("address"))
        place_id = _text(place.get("placeId"))
        label = place_name or address.split("\n")[0] or (_fmt(*where) if where else "a place")
        span = f"{start:%Y-%m-%d %H:%M}" + (f" to {end:%Y-%m-%d %H:%M}" if end else "") + " UTC"
        lines = [f"Visited {label}, {span}."]
        if address and address != label:
            lines.append(f"Address: {address}")
        if where:
            lines.append(f"Coordinates: {_fmt(*where)}")
        metadata: dict[str, Any] = {}
        for key, value in (
            ("place", place_name),
            ("address", address),
            ("place_id", place_id),
            ("semantic_type", _text(place.get("semanticType"))),
            ("confidence", _text(visit.get("placeConfidence"))),
        ):
            if value:
                metadata[key] = value
        if where:
            metadata["lat"], metadata["lon"] = round(where[0], 7), round(where[1], 7)
        if end:
            metadata["end"] = end.isoformat()
        stamp = start.isoformat().replace("+00:00", "Z")
        anchor = place_id or (_fmt(*where) if where else label)
        locator = f"placeVisit at {stamp}"
        return Item(
            source=self.name,
            key=f"visit:{anchor}|{stamp}",
            kind="place_visit",
            text=clean_text("\n".join(lines)),
            timestamp=start,
            title=label[:200],
            uri=locate(origin_uri, locator),
            locator=locator,
            metadata=metadata,
        )

    def _trip(self, segment: dict[str, Any], name: str, position: str, origin_uri: str) -> Parsed:
        start = _when(segment.get("duration"), "startTimestamp", "startTimestampMs")
        end = _when(segment.get("duration"), "endTimestamp", "endTimestampMs")
        if start is None:
            return Skip(name, position, "activity segment without a readable start time")
        mode = _text(segment.get("activityType")) or "UNKNOWN_ACTIVITY_TYPE"
        words = _MODES.get(mode, mode.lower().replace("_", " "))
        distance = segment.get("distance")
        metres = float(distance) if isinstance(distance, int | float) and distance >= 0 else None
        origin, target = _point(segment.get("startLocation")), _point(segment.get("endLocation"))
        head = f"Travelled {words}"
        if metres is not None and math.isfinite(metres):
            head = f"Travelled {metres / 1000:.1f} km {words}"
        if origin:
            head += f" from {_fmt(*origin)}"
        if target:
            head += f" to {_fmt(*target)}"
        span = f"{start:%Y-%m-%d %H:%M}" + (f" to {end:%H:%M}" if end else "") + " UTC"
        lines = [f"{head}, {span}."]
        metadata: dict[str, Any] = {"mode": mode[:40]}
        transit = segment.get("transitPath")
        if isinstance(transit, dict):
            line_name = _text(transit.get("name"))
            listed = transit.get("transitStops")
            stops = [
                text
                for stop in (listed[:50] if isinstance(listed, list) else [])
                if isinstance(stop, dict) and (text := _text(stop.get("name")))
            ]
            if line_name:
                lines.append(f"Line: {line_name}")
                metadata["line"] = line_name
            if stops:
                lines.append("Stops: " + ", ".join(stops))
                metadata["stops"] = stops
        if metres is not None and math.isfinite(metres):
            metadata["metres"] = round(metres)
        if end:
            metadata["end"] = end.isoformat()
        for key, point in (("start", origin), ("to", target)):
            if point:
                metadata[f"{key}_lat"], metadata[f"{key}_lon"] = (
                    round(point[0], 7),
                    round(point[1], 7),
                )
        stamp = start.isoformat().replace("+00:00", "Z")
        locator = f"activitySegment at {stamp}"
        return Item(
            source=self.name,
            key=f"trip:{stamp}|{end.isoformat() if end else ''}",
            kind="trip",
            text=clean_text("\n".join(lines)),
            timestamp=start,
            title=f"Trip {words}",
            uri=locate(origin_uri, locator),
            locator=locator,
            metadata=metadata,
        )


def _text(value: Any) -> str:
    return clean_text(value).strip()[:1000] if isinstance(value, str) else ""
