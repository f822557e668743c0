"""Photos and screenshots: when, where and with what they were taken, and the text in them.

Reads JPEG, PNG, TIFF, WebP and HEIC/HEIF files (one ``Item`` of kind ``photo``
per file; a folder of photos is walked by the ingest pipeline). From EXIF:
the time taken (``DateTimeOriginal`` with ``OffsetTimeOriginal``; without an
offset, the GPS clock, which is UTC; else the wall-clock time taken as UTC),
GPS latitude/longitude/altitude in decimal degrees, camera make, model and lens,
and any description the person wrote (``ImageDescription``, Windows ``XP*``
tags, ``UserComment``). A photo without any EXIF date is dated by a date in its
file name (``IMG_20230619_140321.jpg``, ``Screenshot_2024-05-02-…``), else by its
file's modification time, flagged ``metadata["time_source"] = "file mtime"``.
Images inside a zip or tar archive (a Google Photos Takeout) are read from the
stream into memory (``parse_stream``), never extracted to disk. A photo on disk with a
Google Photos sidecar beside it (``IMG_0007.jpg.json``, see :mod:`.google_photos`) takes
from it the time taken and the place when its EXIF has none, and the description and
the people named in Google Photos.

Text in the image (a screenshot, a receipt, a sign, a whiteboard) is read with
OCR when the ``tesseract`` program is installed; lifelog runs it as a
subprocess with a timeout on a grey, upright (EXIF orientation applied) copy of
the image no larger than ``OCR_MAX_EDGE`` pixels, fed through a pipe (no temp
file), keeps only words tesseract is confident about, and drops results with no
real words (tesseract "reads" noise in scenery). Without tesseract the photo is
still kept; its metadata says ``ocr: "unavailable"`` and the import reports it
once. By default (``LIFELOG_PHOTO_OCR=auto``) ordinary camera photos are not
OCR'd, only screenshots, scans and images named like documents: see
:func:`ocr_mode` for why; ``all`` reads every image, ``off`` none.
``LIFELOG_OCR_LANG`` picks tesseract's languages (default ``eng``).

HEIC needs the optional ``pillow-heif`` plugin to decode; without it, time,
place, camera and size are still read from the container
(:mod:`.photos_heif`), only OCR is not possible.

The item key is a hash of the file's bytes, so the same photo found in two
places (a phone backup and a Takeout archive) is stored once. Hostile files:
images larger than twice Pillow's ``MAX_IMAGE_PIXELS`` (decompression bombs)
and files Pillow cannot identify are a ``Skip``; a file whose pixels turn out
damaged while reading for OCR is kept, flagged ``metadata["damaged"]``.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import logging
import os
import re
import shutil
import struct
import subprocess
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, file_uri
from .exif import exif_ifds, exif_text, exif_time, gps_position, number
from .google_photos import Sidecar, sidecar_for
from .heif import HeifError, heif_metadata, is_heif

__all__ = [
    "PhotoSource",
    "exif_time",
    "gps_position",
    "name_time",
    "ocr_mode",
    "ocr_text",
    "tesseract",
]

log = logging.getLogger(__name__)

#: seconds one tesseract run may take
OCR_TIMEOUT = 60
#: longest edge of the image handed to tesseract (larger images are scaled down)
OCR_MAX_EDGE = 2400
#: words tesseract is less confident about than this (0-100) are dropped
OCR_MIN_CONFIDENCE = 60.0
#: images (after JPEG's reduced-scale decoding) with more pixels than this are not OCR'd
OCR_MAX_PIXELS = 50_000_000
#: OCR text kept per photo at most
OCR_MAX_CHARS = 20_000
#: bytes hashed in full for the key; larger files hash their size, head and tail
HASH_FULL_BYTES = 256 * 1024 * 1024
#: an image inside an archive is read into memory up to this size (larger: a Skip)
MAX_STREAM_BYTES = 128 * 1024 * 1024

_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_TIFF = (b"II*\x00", b"MM\x00*")
_TIFF_SUFFIXES = (".tif", ".tiff", ".dng", "")

try:  # optional: decodes HEIC when installed (imported by name: it ships no type hints)
    importlib.import_module("pillow_heif").register_heif_opener()
    HEIF_DECODER = True
except ImportError:
    HEIF_DECODER = False

#: file names that say an image holds text: read by OCR even when a camera took it
_TEXTY_NAME = re.compile(
    r"(?<![a-z])(?:screen[ _-]?shot|scan|scanned|receipt|invoice|document|doc|whiteboard|"
    r"ticket|note|menu|boarding|letter|recipe|slide)s?(?![a-z])",
    re.IGNORECASE,
)
_IFD0_TEXT = {
    ExifTags.Base.ImageDescription: "description",
    ExifTags.Base.XPTitle: "title",
    ExifTags.Base.XPSubject: "subject",
    ExifTags.Base.XPComment: "comment",
    ExifTags.Base.XPKeywords: "keywords",
    ExifTags.Base.Artist: "artist",
}
_JUNK_DESCRIPTIONS = {"", "default", "image", "picture", "photo", "none", "ocr", "sony dsc"}


#: a date (and time) in a file name: IMG_20230619_140321.jpg, Screenshot_2024-05-02-10-15-00,
#: "Screenshot 2024-05-02 at 10.15.00.png", IMG-20191231-WA0001.jpg, PXL_20230619_120321123
_NAME_TIME = re.compile(
    r"(?<!\d)(19[89]\d|20\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])"
    r"(?:(?:[ _T-]|\ at\ )([01]\d|2[0-3])[-_.:]?([0-5]\d)[-_.:]?([0-5]\d)(?:\d{3})?)?(?!\d)"
)


def name_time(name: str) -> datetime | None:
    """The date (and time, when there) a phone or app wrote into a file name, as UTC.

    Taken as UTC like EXIF times without an offset: the zone is not in the name. Used
    before the file's mtime, which copying and syncing change.
    """
    found = _NAME_TIME.search(name)
    if found is None:
        return None
    year, month, day, hour, minute, second = (int(p) if p else 0 for p in found.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:  # 31 February
        return None


def ocr_mode() -> str:
    """``LIFELOG_PHOTO_OCR``: ``auto`` (the default), ``all`` or ``off``.

    ``auto`` reads images without a camera make or model (screenshots, scans, saved
    pictures) and any image whose name says it holds text (``Screenshot``, ``scan``,
    ``receipt`` ...), but not ordinary camera photos: tesseract takes 1-3 s per image
    on one core, hours for a phone's photo library, and finds nothing in most of them.
    """
    value = os.environ.get("LIFELOG_PHOTO_OCR", "auto").strip().lower()
    if value in ("off", "0", "no", "false", "none"):
        return "off"
    if value in ("all", "on", "1", "yes", "true", "always"):
        return "all"
    return "auto"


def tesseract() -> str | None:
    """Path of the tesseract binary, if installed."""
    return shutil.which("tesseract")


# -- OCR ------------------------------------------------------------------------


def _confident_text(tsv: str) -> str:
    """Lines of the words tesseract is confident about, from its TSV output."""
    lines: dict[tuple[str, str, str], list[str]] = {}
    for row in tsv.splitlines()[1:]:
        fields = row.split("\t")
        if len(fields) != 12 or fields[0] != "5":
            continue
        confidence = number(fields[10])
        word = fields[11].strip()
        if confidence is None or confidence < OCR_MIN_CONFIDENCE or not word:
            continue
        lines.setdefault((fields[2], fields[3], fields[4]), []).append(word)
    kept: list[str] = []
    for words in lines.values():
        if any(sum(ch.isalnum() for ch in word) >= 2 for word in words):
            kept.append(" ".join(words))
    text = "\n".join(kept)
    real_words = [w for w in text.split() if sum(ch.isalpha() for ch in w) >= 3]
    return text[:OCR_MAX_CHARS] if real_words else ""


def ocr_text(image: Image.Image, binary: str, languages: str | None = None) -> str | None:
    """Text tesseract reads in ``image`` (confident words only), or None when it fails."""
    grey = ImageOps.exif_transpose(image).convert("L")
    if max(grey.size) > OCR_MAX_EDGE:
        grey.thumbnail((OCR_MAX_EDGE, OCR_MAX_EDGE))
    buffer = io.BytesIO()
    grey.save(buffer, format="PNG")
    lang = languages or os.environ.get("LIFELOG_OCR_LANG", "eng")
    result = subprocess.run(
        [binary, "stdin", "stdout", "-l", lang, "tsv"],
        input=buffer.getvalue(),
        # one thread: tesseract's OpenMP threads fight each other (and the indexer) on a
        # busy machine; measured 1.8 s instead of 10.9 s for a phone screenshot on 2 cores
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        capture_output=True,
        timeout=OCR_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        return None
    return _confident_text(result.stdout.decode("utf-8", errors="replace"))


# -- the source -----------------------------------------------------------------


def _content_key(path: Path, size: int) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        if size <= HASH_FULL_BYTES:
            while block := handle.read(1 << 20):
                digest.update(block)
        else:
            digest.update(str(size).encode())
            digest.update(handle.read(1 << 20))
            handle.seek(-(1 << 20), os.SEEK_END)
            digest.update(handle.read(1 << 20))
    return "blake2b:" + digest.hexdigest()


@dataclass(frozen=True, slots=True)
class _Where:
    """Where one image comes from: a file, or a member of an archive read into memory."""

    label: str  # names the image in a Skip: the path, or /abs/archive.zip/member
    name: str
    folder: str
    uri: str
    key: str
    modified: datetime | None  # the file's mtime; None for an archive member
    sidecar: Sidecar | None = None  # Google Photos' JSON beside the file, if any


class PhotoSource(Source):
    name = "photos"
    description = (
        "Photos and screenshots (JPEG, PNG, TIFF, WebP, HEIC): EXIF time, place, camera; OCR"
    )
    extensions = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".heic", ".heif", ".dng")
    supports_stream = True

    def __init__(self) -> None:
        self._told_no_ocr = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return self.sniff_stream(path.name, head)

    def sniff_stream(self, name: str, head: bytes) -> bool:
        if head.startswith((_JPEG, _PNG)) or is_heif(head):
            return True
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return True
        return head.startswith(_TIFF) and PurePosixPath(name).suffix.lower() in _TIFF_SUFFIXES

    def parse(self, path: Path) -> Iterator[Parsed]:
        try:
            stat = path.stat()
            key = _content_key(path, stat.st_size)
            handle = path.open("rb")
        except OSError as error:
            raise SourceError(f"{path}: cannot read: {error}") from error
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        sidecar = sidecar_for(path)
        where = _Where(
            str(path), path.name, path.parent.name, file_uri(path), key, modified, sidecar
        )
        with handle:
            yield from self._read(where, handle)

    def parse_stream(self, name: str, stream: BinaryIO, origin_uri: str) -> Iterator[Parsed]:
        """An image inside an archive (a Google Photos Takeout): read into memory, never to disk.

        Its key is the same hash of its bytes as when the file is imported on its own.
        """
        data = stream.read(MAX_STREAM_BYTES + 1)
        if len(data) > MAX_STREAM_BYTES:
            yield Skip(
                name,
                "image",
                f"larger than {MAX_STREAM_BYTES >> 20} MB inside an archive:"
                " extract it and import it on its own",
            )
            return
        key = "blake2b:" + hashlib.blake2b(data, digest_size=16).hexdigest()
        member = PurePosixPath(name)
        where = _Where(name, member.name, member.parent.name, origin_uri, key, None)
        yield from self._read(where, io.BytesIO(data))

    def _read(self, where: _Where, handle: BinaryIO) -> Iterator[Parsed]:
        head = handle.read(16)
        handle.seek(0)
        if is_heif(head) and not HEIF_DECODER:
            yield self._heif_without_decoder(where, handle)
            return
        try:
            with warnings.catch_warnings():
                # DecompressionBombWarning (between 1x and 2x the limit: a big real photo,
                # never decoded in full here) and "Corrupt EXIF data" (said by the Skip)
                warnings.simplefilter("ignore")
                image = Image.open(handle)
        except Image.DecompressionBombError as error:
            yield Skip(
                where.label,
                "image",
                f"image too large to read safely (decompression bomb?): {error}",
            )
            return
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
            yield Skip(
                where.label, "image", f"not a readable image (damaged or cut short?): {error}"
            )
            return
        except Exception as error:  # broad on purpose: a hostile file must not end the import
            yield Skip(
                where.label, "image", f"not a readable image: {type(error).__name__}: {error}"
            )
            return
        with image:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exif = image.getexif()
                ifd0, sub, gps = exif_ifds(exif)
            except Exception as error:  # broad on purpose: Pillow raises many types on bad EXIF
                ifd0, sub, gps = {}, {}, {}
                log.debug("%s: unreadable EXIF: %s", where.label, error)
            metadata: dict[str, Any] = {"format": image.format or "", "width": image.width}
            metadata["height"] = image.height
            camera = bool(ifd0.get(ExifTags.Base.Make) or ifd0.get(ExifTags.Base.Model))
            ocr = self._ocr(where, image, metadata, camera)
            if isinstance(ocr, Skip):
                yield ocr
                ocr = None
            info = {k: v for k, v in image.info.items() if k in ("Title", "Description", "Comment")}
        yield self._item(where, ifd0, sub, gps, metadata, ocr, info)

    def _ocr(
        self, where: _Where, image: Image.Image, metadata: dict[str, Any], camera: bool
    ) -> str | Skip | None:
        mode = ocr_mode()
        if mode == "off":
            metadata["ocr"] = "off"
            return None
        if mode == "auto" and camera and not _TEXTY_NAME.search(where.name):
            metadata["ocr"] = "skipped (camera photo; LIFELOG_PHOTO_OCR=all reads these too)"
            return None
        binary = tesseract()
        if binary is None:
            metadata["ocr"] = "unavailable"
            if not self._told_no_ocr:
                self._told_no_ocr = True
                return Skip(
                    where.label,
                    "OCR",
                    "tesseract is not installed: text inside photos is not read (install it,"
                    " e.g. apt-get install tesseract-ocr, then re-import with --force)",
                )
            return None
        try:
            if image.format == "JPEG":
                image.draft("RGB", (OCR_MAX_EDGE, OCR_MAX_EDGE))  # decode at a reduced scale
            if image.width * image.height > OCR_MAX_PIXELS:
                metadata["ocr"] = "skipped (image too large)"
                return None
            image.load()
        except Exception as error:  # broad on purpose: damaged pixel data raises many types
            metadata["ocr"] = "failed"
            metadata["damaged"] = f"{type(error).__name__}: {error}"[:300]
            return None
        try:
            text = ocr_text(image, binary)
        except subprocess.TimeoutExpired:
            metadata["ocr"] = f"timed out after {OCR_TIMEOUT} s"
            return None
        except Exception as error:  # broad on purpose: odd image modes, a vanished binary ...
            metadata["ocr"] = f"failed: {type(error).__name__}: {error}"[:300]
            return None
        if text is None:
            metadata["ocr"] = "failed"
            return None
        metadata["ocr"] = "tesseract" if text else "tesseract (no text found)"
        return text

    def _heif_without_decoder(self, where: _Where, handle: BinaryIO) -> Parsed:
        metadata: dict[str, Any] = {"format": "HEIF", "ocr": "not possible (install pillow-heif)"}
        ifd0: dict[int, Any] = {}
        sub: dict[int, Any] = {}
        gps: dict[int, Any] = {}
        try:
            raw, size = heif_metadata(handle)
        except (HeifError, OSError, IndexError, ValueError, struct.error) as error:
            return Skip(where.label, "image", f"not a readable HEIC/HEIF file: {error}")
        if size is not None:
            metadata["width"], metadata["height"] = size
        if raw:
            try:
                exif = Image.Exif()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exif.load(raw)
                ifd0, sub, gps = exif_ifds(exif)
            except Exception as error:  # broad on purpose: Pillow raises many types on bad EXIF
                log.debug("%s: unreadable EXIF: %s", where.label, error)
        return self._item(where, ifd0, sub, gps, metadata, None, {})

    def _item(
        self,
        where: _Where,
        ifd0: Mapping[int, Any],
        sub: Mapping[int, Any],
        gps: Mapping[int, Any],
        metadata: dict[str, Any],
        ocr: str | None,
        info: Mapping[str, Any],
    ) -> Item:
        when, how, local = exif_time(ifd0, sub, gps)
        google = where.sidecar
        if when is None and google is not None and google.taken is not None:
            when, how = google.taken, "Google Photos"
        if when is None:
            when, how = name_time(where.name), "file name (taken as UTC)"
        if when is None:
            when = where.modified
            how = "file mtime" if when is not None else "unknown"
        metadata["time_source"] = how
        if local:
            metadata["local_time"] = local
        sentence = f"Photo {where.name}" + (f" in “{where.folder}”" if where.folder else "")
        if when is None:
            sentence += ", date unknown"
        elif how == "file mtime":
            sentence += f", date unknown (file modified {when:%Y-%m-%d %H:%M} UTC)"
        elif how.startswith("file name"):
            sentence += f", taken {when:%Y-%m-%d %H:%M} (date from the file name)"
        elif how == "Google Photos":
            sentence += f", taken {when:%Y-%m-%d %H:%M} UTC (date from Google Photos)"
        elif how == "exif" and local:
            sentence += f", taken {local[:16]} (UTC{local[19:]})"
        else:
            sentence += f", taken {when:%Y-%m-%d %H:%M} UTC"
        position = gps_position(gps)
        if position is None and google is not None and google.latitude is not None:
            assert google.longitude is not None
            position = (google.latitude, google.longitude, google.altitude)
            metadata["place_source"] = "Google Photos"
        if position is not None:
            lat, lon, alt = position
            metadata.update(latitude=lat, longitude=lon)
            sentence += f", at {lat:.6f}, {lon:.6f}"
            if alt is not None:
                metadata["altitude"] = alt
                sentence += f" (altitude {alt:.0f} m)"
        make = exif_text(ifd0.get(ExifTags.Base.Make))
        model = exif_text(ifd0.get(ExifTags.Base.Model))
        lens = exif_text(sub.get(ExifTags.Base.LensModel))
        camera = model if make and model.lower().startswith(make.lower()) else f"{make} {model}"
        camera = camera.strip()
        if camera:
            metadata["camera"] = camera
            sentence += f", with {camera}" + (f" ({lens})" if lens else "")
        if lens:
            metadata["lens"] = lens
        if metadata.get("width") and metadata.get("height"):
            sentence += f", {metadata['width']}×{metadata['height']}"
        lines = [sentence + "."]
        for tag, label in _IFD0_TEXT.items():
            text = exif_text(ifd0.get(tag))
            if text.lower() not in _JUNK_DESCRIPTIONS:
                metadata[label] = text
                lines.append(f"{label.capitalize()}: {text}")
        comment = exif_text(sub.get(ExifTags.Base.UserComment))
        if comment.lower() not in _JUNK_DESCRIPTIONS:
            metadata["user_comment"] = comment
            lines.append(f"Comment: {comment}")
        for label, value in info.items():
            text = exif_text(value)
            if text.lower() not in _JUNK_DESCRIPTIONS:
                lines.append(f"{label}: {text}")
        people: tuple[str, ...] = ()
        if google is not None:
            metadata["google_photos"] = True
            if google.description:
                metadata["description"] = google.description[:10_000]
                lines.append(f"Description: {google.description[:100_000]}")
            if google.people:
                people = google.people
                metadata["people"] = list(people)
                lines.append("People: " + ", ".join(people))
            if google.url:
                metadata["url"] = google.url
        if ocr:
            lines.append("Text in the image:\n" + clean_text(ocr))
        return Item(
            source=self.name,
            key=where.key,
            kind="photo",
            text="\n".join(lines),
            timestamp=when,
            participants=people,
            author=metadata.get("artist"),
            title=where.name,
            uri=where.uri,
            locator=None,
            metadata=metadata,
        )
