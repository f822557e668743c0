"""Google Photos' JSON sidecars: what Google knows about each photo of a Takeout.

A Google Photos Takeout holds, beside each photo or video, a JSON file Google wrote
(``IMG_0007.jpg.json``; since 2024 ``IMG_0007.jpg.supplemental-metadata.json``, its name
cut to 51 characters: ``...jpg.supplemental-metad.json``; a duplicate ``IMG_0007(1).jpg``
has ``IMG_0007.jpg(1).json``; an ``-edited`` copy shares its original's)::

    {"title": "IMG_0007.jpg", "description": "Picnic by the river", "imageViews": "5",
     "creationTime": {"timestamp": "1687183401", "formatted": "..."},
     "photoTakenTime": {"timestamp": "1687176201", "formatted": "19 Jun 2023, ..."},
     "geoData": {"latitude": 48.85, "longitude": 2.35, "altitude": 35.0, ...},
     "geoDataExif": {...}, "people": [{"name": "Alice"}],
     "url": "https://photos.google.com/photo/AF1Qip...",
     "googlePhotosOrigin": {"mobileUpload": {"deviceType": "ANDROID_PHONE"}}}

Google strips nothing from the photo, but many photos have no EXIF date (screenshots,
pictures saved from chats) and a Takeout's files are all dated the day of the export.
So:

* the photo reader (:mod:`.photos`), reading a photo from disk, takes the time it was
  taken and the place from its sidecar when the photo's EXIF has none, and the
  description and the people named in it into the photo's item;
* this reader (source ``google_photos``) reads a sidecar whose photo is not beside it
  (inside an archive, where members are read one at a time, or a sidecar copied alone)
  as its own item (kind ``photo``): the file name, the description, the people, the time
  taken and the place, keyed by the photo's Google Photos address (else its title and
  time). A sidecar whose photo is beside it is counted as read with its photo. A
  sidecar with no description and no people adds nothing its photo's item lacks in
  an archive but time and place: it is kept all the same, so the time is known.

Latitude and longitude of exactly 0.0 are Google's "no place". A sidecar larger than
``MAX_SIDECAR_BYTES`` or not a JSON object is one ``Skip``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, left_out_skip
from ..jsonstream import epoch_time, iso_time, record_uri

__all__ = ["GooglePhotosSource", "Sidecar", "read_sidecar", "sidecar_for"]

#: a sidecar larger than this is not read (real ones are about 1 KB)
MAX_SIDECAR_BYTES = 1 << 20
_SUPPLEMENTAL = "supplemental-metadata"
_MAX_NAME = 51  # Google cuts a sidecar's file name to this many characters
_PHOTO_KEYS = (b'"photoTakenTime"', b'"creationTime"')


@dataclass(frozen=True, slots=True)
class Sidecar:
    """What a sidecar says about its photo."""

    title: str
    description: str
    taken: datetime | None
    latitude: float | None
    longitude: float | None
    altitude: float | None
    people: tuple[str, ...]
    url: str


def _time(value: Any) -> datetime | None:
    if isinstance(value, dict):
        stamp = value.get("timestamp", value.get("timestampSeconds"))
        found = epoch_time(stamp)
        return found if found is not None else iso_time(value.get("formatted"))
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def read_sidecar(data: Any) -> Sidecar | None:
    """The sidecar in a decoded JSON value, or None when it is not one."""
    if not isinstance(data, dict) or not ("photoTakenTime" in data or "creationTime" in data):
        return None
    taken = _time(data.get("photoTakenTime")) or _time(data.get("creationTime"))
    latitude = longitude = altitude = None
    for field in ("geoData", "geoDataExif"):
        geo = data.get(field)
        if isinstance(geo, dict):
            lat, lon = _number(geo.get("latitude")), _number(geo.get("longitude"))
            if lat is not None and lon is not None and (lat, lon) != (0.0, 0.0):
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    latitude, longitude, altitude = lat, lon, _number(geo.get("altitude"))
                    break
    people = tuple(
        clean_text(p["name"]).strip()[:200]
        for p in data.get("people") or []
        if isinstance(p, dict) and isinstance(p.get("name"), str) and p["name"].strip()
    )[:100]
    title = data.get("title")
    description = data.get("description")
    url = data.get("url")
    return Sidecar(
        title=clean_text(title)[:500] if isinstance(title, str) else "",
        description=clean_text(description).strip() if isinstance(description, str) else "",
        taken=taken,
        latitude=latitude,
        longitude=longitude,
        altitude=altitude,
        people=people,
        url=url[:2000] if isinstance(url, str) else "",
    )


def _candidates(name: str) -> list[str]:
    """The names Google gives the sidecar of a photo called ``name``."""
    found = [f"{name}.json"]
    full = f"{name}.{_SUPPLEMENTAL}.json"
    found.append(full)
    if len(full) > _MAX_NAME:
        keep = _MAX_NAME - len(".json")
        found.append(full[:keep] + ".json")
        found.extend(f"{name}.{_SUPPLEMENTAL[:n]}.json" for n in range(len(_SUPPLEMENTAL), 0, -1))
    stem, dot, suffix = name.rpartition(".")
    if dot and stem.endswith(")") and "(" in stem:  # IMG(1).jpg -> IMG.jpg(1).json
        base, _, number = stem[:-1].rpartition("(")
        if number.isdigit():
            found.append(f"{base}.{suffix}({number}).json")
            found.append(f"{base}.{suffix}.{_SUPPLEMENTAL}({number}).json")
    if dot and stem.endswith("-edited"):
        found.extend(_candidates(f"{stem.removesuffix('-edited')}.{suffix}"))
    if dot:
        found.append(f"{stem}.json")  # old Takeouts: IMG_0007.json
    return list(dict.fromkeys(n for n in found if len(n) <= 255))


def sidecar_for(photo: Path) -> Sidecar | None:
    """The sidecar beside ``photo`` on disk, read, or None."""
    for name in _candidates(photo.name):
        candidate = photo.with_name(name)
        try:
            if not candidate.is_file() or candidate.stat().st_size > MAX_SIDECAR_BYTES:
                continue
            data = json.loads(candidate.read_bytes())
        except (OSError, ValueError, RecursionError):
            continue
        found = read_sidecar(data)
        if found is not None:
            return found
    return None


def _photo_beside(path: Path, title: str) -> bool:
    """Whether the photo this sidecar describes is a file beside it."""
    names = [title] if title else []
    stem = path.name.removesuffix(".json")
    for marker in (f".{_SUPPLEMENTAL[:n]}" for n in range(len(_SUPPLEMENTAL), 0, -1)):
        if stem.endswith(marker):
            stem = stem.removesuffix(marker)
            break
    names.append(stem)
    for name in names:
        if "/" in name or not name:
            continue
        try:
            if path.with_name(name).is_file():
                return True
        except (OSError, ValueError):
            continue
    return False


class GooglePhotosSource(Source):
    name = "google_photos"
    description = "Google Photos Takeout sidecars (*.json): time, place, description, people"
    extensions = (".json",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".json" or not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(
            b"{"
        ):
            return False
        return any(key in head for key in _PHOTO_KEYS) and (
            b'"title"' in head or b'"geoData"' in head
        )

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        try:
            size = path.stat().st_size
            if size > MAX_SIDECAR_BYTES:
                yield Skip(file, "sidecar", f"{size:,} bytes: not a Google Photos sidecar")
                return
            data = json.loads(path.read_bytes())
        except OSError as error:
            raise SourceError(f"{file}: cannot read: {error}") from error
        except (ValueError, RecursionError) as error:
            yield Skip(file, "sidecar", f"not readable JSON: {error}"[:300])
            return
        sidecar = read_sidecar(data)
        if sidecar is None:
            yield Skip(file, "sidecar", "not a Google Photos sidecar (no photoTakenTime)")
            return
        if _photo_beside(path, sidecar.title):
            yield left_out_skip(file, "read with its photo", [(1, "sidecar read with its photo")])
            return
        yield self._item(path, sidecar)

    def _item(self, path: Path, sidecar: Sidecar) -> Item:
        title = sidecar.title or path.name.removesuffix(".json")
        folder = path.parent.name
        sentence = f"Photo {title}" + (f" in “{folder}”" if folder else "")
        metadata: dict[str, Any] = {"google_photos": True, "time_source": "Google Photos"}
        if sidecar.taken is not None:
            sentence += f", taken {sidecar.taken:%Y-%m-%d %H:%M} UTC"
        if sidecar.latitude is not None and sidecar.longitude is not None:
            metadata.update(latitude=sidecar.latitude, longitude=sidecar.longitude)
            sentence += f", at {sidecar.latitude:.6f}, {sidecar.longitude:.6f}"
            if sidecar.altitude is not None:
                metadata["altitude"] = sidecar.altitude
        lines = [sentence + "."]
        if sidecar.description:
            metadata["description"] = sidecar.description[:10_000]
            lines.append(f"Description: {sidecar.description}")
        if sidecar.people:
            metadata["people"] = list(sidecar.people)
            lines.append("People: " + ", ".join(sidecar.people))
        if sidecar.url:
            metadata["url"] = sidecar.url
        stamp = sidecar.taken.isoformat() if sidecar.taken else ""
        key = sidecar.url or f"{title}/{stamp}"
        return Item(
            source=self.name,
            key=f"google-photos/{key}",
            kind="photo",
            text="\n".join(lines)[:1_000_000],
            timestamp=sidecar.taken,
            participants=sidecar.people,
            title=title,
            uri=record_uri(path, "sidecar"),
            locator="sidecar",
            metadata=metadata,
        )
