"""Reading EXIF the way a personal archive needs it: every value may be missing or wrong.

When a photo was taken (``DateTimeOriginal`` with its ``OffsetTimeOriginal``; else
the GPS clock, which is UTC; else wall-clock time taken as UTC), where (GPS
degrees/minutes/seconds to signed decimal degrees), and its text tags (ASCII,
Windows' UTF-16 ``XP*`` tags, ``UserComment`` with its 8-byte charset header).
Impossible values (``0000:00:00`` dates, zero denominators, latitudes past 90°,
the ``0, 0`` of an unset GPS) give None rather than a guess.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from PIL import ExifTags, Image

from ..base import clean_text

__all__ = ["exif_ifds", "exif_text", "exif_time", "gps_position", "number"]


def number(value: Any) -> float | None:
    """A finite float from an EXIF number or rational (``1/0`` gives NaN in Pillow), or None."""
    try:
        result = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def exif_text(value: Any) -> str:
    """An EXIF text value: ASCII, UTF-16LE bytes (Windows XP* tags) or a UserComment."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes):
        if value[:8] in (
            b"ASCII\x00\x00\x00",
            b"UNICODE\x00",
            b"\x00" * 8,
            b"JIS\x00\x00\x00\x00\x00",
        ):
            head, value = value[:8], value[8:]
            text = value.decode("utf-16" if head == b"UNICODE\x00" else "utf-8", errors="replace")
        elif len(value) % 2 == 0 and b"\x00" in value[1::2]:
            text = value.decode("utf-16-le", errors="replace")
        else:
            text = value.decode("utf-8", errors="replace")
    elif isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        return exif_text(bytes(v & 0xFF for v in value))
    else:
        return ""
    return clean_text(text.replace("\x00", " ")).strip()[:2000]


def _parse_when(value: Any) -> datetime | None:
    text = exif_text(value)[:19]
    try:
        moment = datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        try:
            moment = datetime.strptime(text[:10], "%Y:%m:%d")
        except ValueError:
            return None
    return moment if 1826 <= moment.year <= 2200 else None


def _parse_offset(value: Any) -> timezone | None:
    text = exif_text(value)
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _gps_time(gps: Mapping[int, Any]) -> datetime | None:
    stamp = gps.get(ExifTags.GPS.GPSDateStamp)
    clock = gps.get(ExifTags.GPS.GPSTimeStamp)
    if stamp is None or not isinstance(clock, tuple) or len(clock) != 3:
        return None
    try:
        day = datetime.strptime(exif_text(stamp)[:10], "%Y:%m:%d")
    except ValueError:
        return None
    parts = [number(v) for v in clock]
    if any(p is None or p < 0 for p in parts):
        return None
    hours, minutes, seconds = (p or 0.0 for p in parts)
    if hours >= 24 or minutes >= 60 or seconds >= 61:
        return None
    return day.replace(tzinfo=UTC) + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def exif_time(
    exif: Mapping[int, Any], sub: Mapping[int, Any], gps: Mapping[int, Any]
) -> tuple[datetime | None, str, str | None]:
    """``(UTC time, how it was found, local wall-clock time as text)`` from the EXIF IFDs."""
    for when_tag, offset_tag, where in (
        (ExifTags.Base.DateTimeOriginal, ExifTags.Base.OffsetTimeOriginal, sub),
        (ExifTags.Base.DateTimeDigitized, ExifTags.Base.OffsetTimeDigitized, sub),
        (ExifTags.Base.DateTime, ExifTags.Base.OffsetTime, exif),
    ):
        local = _parse_when(where.get(when_tag))
        if local is None:
            continue
        offset = _parse_offset(sub.get(offset_tag)) or _parse_offset(
            sub.get(ExifTags.Base.OffsetTime)
        )
        shown = local.strftime("%Y-%m-%d %H:%M:%S")
        if offset is not None:
            aware = local.replace(tzinfo=offset)
            return aware.astimezone(UTC), "exif", aware.isoformat(sep=" ")
        satellite = _gps_time(gps)
        if satellite is not None and abs(satellite - local.replace(tzinfo=UTC)) <= timedelta(
            hours=15
        ):
            return satellite, "exif + gps clock", shown
        return local.replace(tzinfo=UTC), "exif (no time zone; taken as UTC)", shown
    satellite = _gps_time(gps)
    if satellite is not None:
        return satellite, "gps clock", None
    return None, "", None


def _degrees(value: Any, reference: Any, negative: str) -> float | None:
    if not isinstance(value, tuple) or not 1 <= len(value) <= 3:
        return None
    parts = [number(v) for v in value]
    if any(p is None for p in parts):
        return None
    whole = [p or 0.0 for p in parts]
    degrees = (
        whole[0]
        + (whole[1] / 60 if len(whole) > 1 else 0)
        + (whole[2] / 3600 if len(whole) > 2 else 0)
    )
    if exif_text(reference).upper().startswith(negative):
        degrees = -degrees
    return degrees


def gps_position(gps: Mapping[int, Any]) -> tuple[float, float, float | None] | None:
    """``(latitude, longitude, altitude in metres or None)`` in decimal degrees, or None."""
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:  # an unset position, not a photo taken off the coast of Ghana
        return None
    altitude = number(gps.get(ExifTags.GPS.GPSAltitude))
    if altitude is not None and gps.get(ExifTags.GPS.GPSAltitudeRef) in (1, b"\x01"):
        altitude = -altitude
    return round(lat, 7), round(lon, 7), round(altitude, 1) if altitude is not None else None


def exif_ifds(exif: Image.Exif) -> tuple[dict[int, Any], dict[int, Any], dict[int, Any]]:
    """IFD0, the Exif IFD and the GPS IFD; an unreadable one is empty (and not warned about:
    Pillow warns "Corrupt EXIF data" on every broken file, which says nothing to the user)."""

    def safe(ifd: ExifTags.IFD) -> dict[int, Any]:
        try:
            return dict(exif.get_ifd(ifd))
        except Exception:  # broad on purpose: Pillow raises many types on broken IFDs
            return {}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dict(exif), safe(ExifTags.IFD.Exif), safe(ExifTags.IFD.GPSInfo)
