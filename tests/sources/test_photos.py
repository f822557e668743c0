"""Photos: EXIF time (with its offset, the GPS clock, or the file's mtime), GPS in decimal
degrees, camera; HEIC metadata without a decoder; OCR through tesseract when it is installed;
damaged, truncated and decompression-bomb files end as a Skip, never a crash."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageDraw, ImageFont
from PIL.TiffImagePlugin import IFDRational

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.photos import photos
from lifelog.sources.photos.photos import PhotoSource, gps_position

HAS_TESSERACT = shutil.which("tesseract") is not None
needs_tesseract = pytest.mark.skipif(not HAS_TESSERACT, reason="tesseract is not installed")


def camera_exif(
    *,
    taken: str | None = "2023:06:19 14:03:21",
    offset: str | None = "+02:00",
    gps: bool = True,
    gps_clock: tuple[str, tuple[float, float, float]] | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 12 Pro"
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.Base.ImageDescription] = "Camping at the dunes"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    sub[ExifTags.Base.LensModel] = "iPhone 12 Pro back camera 4.2mm f/1.6"
    if gps or gps_clock:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        info[ExifTags.GPS.GPSLatitudeRef] = "S"
        info[ExifTags.GPS.GPSLatitude] = (
            IFDRational(33, 1),
            IFDRational(51, 1),
            IFDRational(3360, 100),
        )
        info[ExifTags.GPS.GPSLongitudeRef] = "E"
        info[ExifTags.GPS.GPSLongitude] = (151.0, 12.0, 54.0)
        info[ExifTags.GPS.GPSAltitudeRef] = b"\x00"
        info[ExifTags.GPS.GPSAltitude] = IFDRational(125, 2)
    if gps_clock:
        info[ExifTags.GPS.GPSDateStamp] = gps_clock[0]
        info[ExifTags.GPS.GPSTimeStamp] = gps_clock[1]
    return exif


def jpeg(path: Path, exif: Image.Exif | None = None, size: tuple[int, int] = (320, 240)) -> Path:
    image = Image.new("RGB", size, (40, 120, 200))
    ImageDraw.Draw(image).ellipse((20, 20, 120, 120), fill=(250, 200, 0))
    if exif is None:
        image.save(path, "JPEG", quality=85)
    else:
        image.save(path, "JPEG", quality=85, exif=exif.tobytes())
    return path


def png_header(width: int, height: int) -> bytes:
    """A PNG signature, IHDR and IEND with valid CRCs: claims any size, holds no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def heic(path: Path, exif: Image.Exif, size: tuple[int, int] = (4032, 3024)) -> Path:
    """A HEIF container laid out as ISO/IEC 23008-12 says (and iPhones write): ``ftyp``,
    ``meta`` (``hdlr``, ``pitm``, ``iinf`` with an ``Exif`` item, ``iloc``, ``iprp/ipco/ispe``)
    and ``mdat`` holding the EXIF payload (a 4-byte offset, then the TIFF header)."""
    tiff = exif.tobytes()[6:]  # without the "Exif\0\0" APP1 prefix
    payload = struct.pack(">I", 0) + tiff
    ftyp = box(b"ftyp", b"heic" + struct.pack(">I", 0) + b"mif1heic")
    hdlr = full_box(b"hdlr", 0, b"\0" * 4 + b"pict" + b"\0" * 12 + b"\0")
    pitm = full_box(b"pitm", 0, struct.pack(">H", 1))
    infe_image = full_box(b"infe", 2, struct.pack(">HH", 1, 0) + b"hvc1" + b"\0")
    infe_exif = full_box(b"infe", 2, struct.pack(">HH", 2, 0) + b"Exif" + b"\0")
    iinf = full_box(b"iinf", 0, struct.pack(">H", 2) + infe_image + infe_exif)
    ispe_thumb = full_box(b"ispe", 0, struct.pack(">II", 320, 240))
    ispe = full_box(b"ispe", 0, struct.pack(">II", *size))
    iprp = box(b"iprp", box(b"ipco", ispe_thumb + ispe))

    def iloc(exif_offset: int) -> bytes:
        # version 0: 4-byte offsets and lengths, no base offset; per item: id, data
        # reference index, extent count, then (offset, length) per extent
        entries = struct.pack(">H", 2)
        entries += struct.pack(">HHHII", 1, 0, 1, 0, 0)  # the image (its data is not needed)
        entries += struct.pack(">HHHII", 2, 0, 1, exif_offset, len(payload))
        return full_box(b"iloc", 0, bytes([0x44, 0x00]) + entries)

    def meta(exif_offset: int) -> bytes:
        return full_box(b"meta", 0, hdlr + pitm + iinf + iloc(exif_offset) + iprp)

    head = ftyp + meta(0)
    offset = len(head) + 8  # the payload starts right after the mdat header
    data = ftyp + meta(offset) + box(b"mdat", payload)
    path.write_bytes(data)
    return path


def parse(path: Path, source: PhotoSource | None = None) -> list[Item | Skip]:
    return list((source or PhotoSource()).parse(path))


def only_item(path: Path, source: PhotoSource | None = None) -> Item:
    found = [r for r in parse(path, source) if isinstance(r, Item)]
    assert len(found) == 1
    return found[0]


@pytest.fixture(autouse=True)
def _no_ocr_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFELOG_PHOTO_OCR", "off")


def test_exif_time_place_and_camera(tmp_path: Path) -> None:
    folder = tmp_path / "Camping 2023"
    folder.mkdir()
    path = jpeg(folder / "IMG_2041.JPG", camera_exif())
    item = only_item(path)
    assert item.kind == "photo" and item.source == "photos" and item.title == "IMG_2041.JPG"
    assert item.timestamp == datetime(2023, 6, 19, 12, 3, 21, tzinfo=UTC)
    meta = item.metadata
    assert meta["time_source"] == "exif"
    lat = -(33 + 51 / 60 + 33.6 / 3600)
    lon = 151 + 12 / 60 + 54 / 3600
    assert meta["latitude"] == pytest.approx(lat, abs=1e-6)
    assert meta["longitude"] == pytest.approx(lon, abs=1e-6)
    assert meta["altitude"] == 62.5
    assert meta["camera"] == "Apple iPhone 12 Pro"
    assert (meta["width"], meta["height"]) == (320, 240)
    assert meta["ocr"] == "off"
    assert item.text.startswith(
        "Photo IMG_2041.JPG in “Camping 2023”, taken 2023-06-19 14:03 (UTC+02:00),"
        " at -33.859333, 151.215000 (altitude 62 m), with Apple iPhone 12 Pro"
    )
    assert "Description: Camping at the dunes" in item.text
    assert item.uri == path.resolve().as_uri()


def test_the_same_photo_twice_is_one_item(tmp_path: Path) -> None:
    first = jpeg(tmp_path / "a.jpg", camera_exif())
    second = tmp_path / "copy of a.jpg"
    second.write_bytes(first.read_bytes())
    assert only_item(first).id == only_item(second).id
    other = jpeg(tmp_path / "b.jpg", camera_exif(taken="2023:06:20 08:00:00"))
    assert only_item(other).id != only_item(first).id


def test_without_offset_the_gps_clock_gives_utc(tmp_path: Path) -> None:
    exif = camera_exif(offset=None, gps_clock=("2023:06:19", (12.0, 3.0, 21.0)))
    item = only_item(jpeg(tmp_path / "gps.jpg", exif))
    assert item.timestamp == datetime(2023, 6, 19, 12, 3, 21, tzinfo=UTC)
    assert item.metadata["time_source"] == "exif + gps clock"
    assert item.metadata["local_time"] == "2023-06-19 14:03:21"


def test_without_offset_or_gps_the_wall_clock_is_taken_as_utc(tmp_path: Path) -> None:
    item = only_item(jpeg(tmp_path / "plain.jpg", camera_exif(offset=None, gps=False)))
    assert item.timestamp == datetime(2023, 6, 19, 14, 3, 21, tzinfo=UTC)
    assert item.metadata["time_source"].startswith("exif (no time zone")
    assert "latitude" not in item.metadata


def test_no_exif_uses_the_file_mtime_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.new("RGB", (50, 40), "white").save(path)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    item = only_item(path)
    assert item.timestamp == datetime.fromtimestamp(1_700_000_000, UTC)
    assert item.metadata["time_source"] == "file mtime"
    assert "date unknown (file modified 2023-11-14 22:13 UTC)" in item.text
    assert item.metadata["format"] == "PNG"


def test_broken_exif_values_are_ignored(tmp_path: Path) -> None:
    exif = camera_exif(taken="0000:00:00 00:00:00", offset="+99:99", gps=False)
    info = exif.get_ifd(ExifTags.IFD.GPSInfo)
    info[ExifTags.GPS.GPSLatitudeRef] = "N"
    info[ExifTags.GPS.GPSLatitude] = (IFDRational(1, 0), 0.0, 0.0)  # division by zero
    info[ExifTags.GPS.GPSLongitudeRef] = "E"
    info[ExifTags.GPS.GPSLongitude] = (500.0, 0.0, 0.0)
    item = only_item(jpeg(tmp_path / "odd.jpg", exif))
    assert item.metadata["time_source"] == "file mtime"
    assert "latitude" not in item.metadata
    assert gps_position({}) is None


def test_heic_metadata_is_read_without_a_decoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(photos, "HEIF_DECODER", False)
    path = heic(tmp_path / "IMG_0001.HEIC", camera_exif())
    assert detect(path) is not None and detect(path).name == "photos"  # type: ignore[union-attr]
    item = only_item(path)
    assert item.timestamp == datetime(2023, 6, 19, 12, 3, 21, tzinfo=UTC)
    assert item.metadata["camera"] == "Apple iPhone 12 Pro"
    assert (item.metadata["width"], item.metadata["height"]) == (4032, 3024)
    assert item.metadata["latitude"] == pytest.approx(-33.859333, abs=1e-6)
    assert item.metadata["ocr"].startswith("not possible")
    cut = tmp_path / "cut.heic"
    cut.write_bytes(path.read_bytes()[:60])
    (skip,) = parse(cut)
    assert isinstance(skip, Skip) and "HEIC" in skip.reason


def test_truncated_and_corrupt_files(tmp_path: Path) -> None:
    whole = jpeg(tmp_path / "whole.jpg", camera_exif(), size=(640, 480)).read_bytes()
    stub = tmp_path / "stub.jpg"
    stub.write_bytes(whole[:100])  # cut inside the EXIF segment
    (skip,) = parse(stub)
    assert isinstance(skip, Skip) and skip.file == str(stub) and "image" in skip.reason
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
    (skip,) = parse(garbage)
    assert isinstance(skip, Skip)


@needs_tesseract
def test_truncated_pixels_are_flagged_when_decoded_for_ocr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFELOG_PHOTO_OCR", "all")
    whole = jpeg(tmp_path / "whole.jpg", camera_exif(), size=(640, 480)).read_bytes()
    half = tmp_path / "half.jpg"
    half.write_bytes(whole[: len(whole) // 2])
    item = only_item(half)
    assert item.metadata["camera"] == "Apple iPhone 12 Pro"  # the header is intact
    assert "truncated" in item.metadata["damaged"] and item.metadata["ocr"] == "failed"


def test_decompression_bombs_are_skipped(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header(100_000, 100_000))
    started = time.monotonic()
    (skip,) = parse(bomb)
    assert isinstance(skip, Skip) and "too large" in skip.reason
    assert time.monotonic() - started < 2
    # between Pillow's limit and twice it: kept (a real medium-format photo), never decoded
    big = tmp_path / "big.png"
    big.write_bytes(png_header(10_000, 10_000))
    item = only_item(big)
    assert (item.metadata["width"], item.metadata["height"]) == (10_000, 10_000)


def test_detection(tmp_path: Path) -> None:
    photo = jpeg(tmp_path / "no-suffix", camera_exif())
    png = tmp_path / "shot.png"
    Image.new("RGB", (10, 10)).save(png)
    tiff = tmp_path / "scan.tiff"
    Image.new("RGB", (10, 10)).save(tiff)
    webp = tmp_path / "pic.webp"
    Image.new("RGB", (10, 10)).save(webp)
    for path in (photo, png, tiff, webp):
        found = detect(path)
        assert found is not None and found.name == "photos", path
    note = tmp_path / "photo.jpg.txt"
    note.write_text("a note about a photo\n")
    assert detect(note) is None or detect(note).name != "photos"  # type: ignore[union-attr]


def test_without_tesseract_it_is_said_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFELOG_PHOTO_OCR", "all")
    monkeypatch.setattr(photos, "tesseract", lambda: None)
    source = PhotoSource()
    records = [r for n in range(3) for r in parse(jpeg(tmp_path / f"{n}.jpg"), source)]
    skips = [r for r in records if isinstance(r, Skip)]
    found = [r for r in records if isinstance(r, Item)]
    assert len(found) == 3 and all(i.metadata["ocr"] == "unavailable" for i in found)
    assert len(skips) == 1 and "tesseract is not installed" in skips[0].reason


def text_image(path: Path, lines: list[str]) -> Path:
    image = Image.new("RGB", (1200, 120 + 90 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=56)
    for index, line in enumerate(lines):
        draw.text((60, 60 + 90 * index), line, fill="black", font=font)
    image.save(path)
    return path


@needs_tesseract
def test_ocr_reads_the_text_in_a_screenshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFELOG_PHOTO_OCR", "all")
    path = text_image(tmp_path / "Screenshot.png", ["WIFI PASSWORD", "Blue Falcon 42"])
    item = only_item(path)
    assert item.metadata["ocr"] == "tesseract"
    assert "Text in the image:" in item.text
    words = item.text.split("Text in the image:")[1].lower()
    assert "password" in words and "falcon" in words
    # a picture without text yields no invented words
    blank = jpeg(tmp_path / "sky.jpg", camera_exif())
    sky = only_item(blank)
    assert sky.metadata["ocr"] == "tesseract (no text found)"
    assert "Text in the image" not in sky.text


@needs_tesseract
def test_ocr_reads_rotated_phone_photos_upright(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFELOG_PHOTO_OCR", "all")
    upright = text_image(tmp_path / "upright.png", ["RECEIPT TOTAL", "Harbour Bakery"])
    turned = Image.open(upright).rotate(90, expand=True)  # stored sideways ...
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # ... and EXIF says: turn 90° clockwise to view
    path = tmp_path / "receipt.jpg"
    turned.convert("RGB").save(path, "JPEG", quality=95, exif=exif.tobytes())
    item = only_item(path)
    assert "harbour" in item.text.lower() and "bakery" in item.text.lower()


@settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(
    magic=st.sampled_from(
        [b"\xff\xd8\xff\xe1", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"RIFF\0\0\0\0WEBP"]
        + [b"\0\0\0\x18ftypheic"]
    ),
    body=st.binary(max_size=3000),
)
def test_arbitrary_bytes_never_crash(magic: bytes, body: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.tiff"
        path.write_bytes(magic + body)
        started = time.monotonic()
        try:
            records = parse(path)
        except SourceError:
            records = []
        assert time.monotonic() - started < 5
        assert all(isinstance(r, Item | Skip) for r in records)


def test_auto_ocr_leaves_ordinary_camera_photos_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIFELOG_PHOTO_OCR")
    assert photos.ocr_mode() == "auto"
    item = only_item(jpeg(tmp_path / "IMG_2041.jpg", camera_exif()))
    assert item.metadata["ocr"].startswith("skipped (camera photo")
    monkeypatch.setenv("LIFELOG_PHOTO_OCR", "nonsense")
    assert photos.ocr_mode() == "auto"
    monkeypatch.setenv("LIFELOG_PHOTO_OCR", "OFF")
    assert photos.ocr_mode() == "off"


@needs_tesseract
def test_auto_ocr_reads_screenshots_and_photos_named_like_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIFELOG_PHOTO_OCR")
    shot = only_item(text_image(tmp_path / "IMG_0042.png", ["Gate B32 Boarding"]))
    assert shot.metadata["ocr"] == "tesseract" and "boarding" in shot.text.lower()
    lines = ["TOTAL 12.40 EUR", "Harbour Bakery"]
    named = text_image(tmp_path / "receipt-bakery.png", lines)
    photo = tmp_path / "Receipt 2023-06-19.jpg"
    Image.open(named).convert("RGB").save(photo, "JPEG", quality=95, exif=camera_exif().tobytes())
    item = only_item(photo)
    assert item.metadata["camera"] and "bakery" in item.text.lower()


@settings(max_examples=80, deadline=5000, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(["heic", "jpeg"]),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 10_000) | st.none(),
)
def test_mutated_real_files_never_crash(
    kind: str, flips: list[tuple[int, int]], cut: int | None
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        made = Path(folder) / f"made.{kind}"
        (heic if kind == "heic" else jpeg)(made, camera_exif())
        data = bytearray(made.read_bytes())
        for at, value in flips:
            data[at % len(data)] = value
        made.write_bytes(bytes(data[:cut] if cut is not None else data))
        try:
            records = parse(made)
        except SourceError:
            records = []
        assert all(isinstance(r, Item | Skip) for r in records)


@pytest.mark.bench
def test_photo_parse_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """200 camera JPEGs (1600x1200, EXIF with GPS) read without OCR, then 5 with OCR."""
    sample = tmp_path / "sample.jpg"
    jpeg(sample, camera_exif(), size=(1600, 1200))
    data = sample.read_bytes()
    folder = tmp_path / "photos"
    folder.mkdir()
    for n in range(200):
        (folder / f"IMG_{n:04d}.jpg").write_bytes(data + n.to_bytes(4, "big"))  # distinct keys
    source = PhotoSource()
    started = time.perf_counter()
    count = sum(isinstance(r, Item) for p in sorted(folder.iterdir()) for r in parse(p, source))
    seconds = time.perf_counter() - started
    line = f"\nphotos: {count} JPEGs without OCR in {seconds:.2f} s ({count / seconds:,.0f}/s)"
    if HAS_TESSERACT:
        monkeypatch.setenv("LIFELOG_PHOTO_OCR", "all")
        shots = [text_image(tmp_path / f"shot{n}.png", ["Line one of text"] * 8) for n in range(5)]
        started = time.perf_counter()
        for shot in shots:
            only_item(shot, source)
        per = (time.perf_counter() - started) / len(shots)
        line += f"; OCR of a 1200x840 screenshot {per:.2f} s each"
    print(line)
    assert count == 200


def test_a_heif_box_that_would_loop_forever_is_refused(tmp_path: Path) -> None:
    infe = full_box(b"infe", 2, struct.pack(">HH", 2, 0) + b"Exif\0")
    iinf = full_box(b"iinf", 0, struct.pack(">H", 1) + infe)
    # iloc version 1 with zero-width offsets and lengths: 65535 items x 65535 extents
    entries = (struct.pack(">HHH", 1, 0, 0) + struct.pack(">H", 65535)) * 3
    iloc = full_box(b"iloc", 1, bytes([0, 0]) + struct.pack(">H", 65535) + entries)
    path = tmp_path / "loop.heic"
    path.write_bytes(box(b"ftyp", b"heic\0\0\0\0mif1") + full_box(b"meta", 0, iinf + iloc))
    started = time.monotonic()
    (skip,) = parse(path)
    assert isinstance(skip, Skip) and "too many item locations" in skip.reason
    assert time.monotonic() - started < 2


def test_photos_inside_an_archive_are_read_in_memory(tmp_path: Path) -> None:
    import zipfile

    from lifelog.sources import all_sources

    archive_source = next((s for s in all_sources() if s.name == "archive"), None)
    if archive_source is None:
        pytest.skip("the archive source is not available")
    photo = jpeg(tmp_path / "IMG_0007.jpg", camera_exif())
    takeout = tmp_path / "takeout-2024.zip"
    with zipfile.ZipFile(takeout, "w") as archive:
        archive.write(photo, "Takeout/Google Photos/Photos from 2023/IMG_0007.jpg")
        archive.writestr("Takeout/Google Photos/Photos from 2023/IMG_0007.jpg.json", "{}")
    found = [r for r in archive_source.parse(takeout) if isinstance(r, Item)]
    (item,) = [i for i in found if i.source == "photos"]
    assert item.id == only_item(photo).id  # the same photo, whether zipped or not
    assert "in “Photos from 2023”" in item.text
    assert item.timestamp == datetime(2023, 6, 19, 12, 3, 21, tzinfo=UTC)
    assert item.uri is not None and item.uri.startswith(takeout.resolve().as_uri() + "/")


def test_an_oversized_archive_member_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(photos, "MAX_STREAM_BYTES", 1000)
    stream = io.BytesIO(b"\xff\xd8\xff\xe0" + b"\0" * 5000)
    (skip,) = PhotoSource().parse_stream("/x/a.zip/big.jpg", stream, "file:///x/a.zip/big.jpg")
    assert isinstance(skip, Skip) and "extract it" in skip.reason
    no_date = Image.new("RGB", (20, 20))
    buffer = io.BytesIO()
    no_date.save(buffer, "PNG")
    buffer.seek(0)
    (item,) = PhotoSource().parse_stream(
        "/x/a.zip/pics/p.png", buffer, "file:///x/a.zip/pics/p.png"
    )
    assert isinstance(item, Item) and item.timestamp is None
    assert item.metadata["time_source"] == "unknown" and "date unknown" in item.text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_20230619_140321.jpg", datetime(2023, 6, 19, 14, 3, 21, tzinfo=UTC)),
        ("PXL_20230619_120321123.jpg", datetime(2023, 6, 19, 12, 3, 21, tzinfo=UTC)),
        ("Screenshot_2024-05-02-10-15-00.png", datetime(2024, 5, 2, 10, 15, tzinfo=UTC)),
        ("Screenshot 2024-05-02 at 10.15.00.png", datetime(2024, 5, 2, 10, 15, tzinfo=UTC)),
        ("IMG-20191231-WA0001.jpg", datetime(2019, 12, 31, tzinfo=UTC)),
        ("IMG_2041.JPG", None),
        ("20230231_101010.jpg", None),  # 31 February
        ("1234567890123.jpg", None),
    ],
)
def test_dates_in_file_names(name: str, expected: datetime | None) -> None:
    assert photos.name_time(name) == expected


def test_a_date_in_the_name_comes_before_the_file_mtime(tmp_path: Path) -> None:
    path = tmp_path / "Screenshot_2024-05-02-10-15-00.png"
    Image.new("RGB", (30, 20), "white").save(path)
    item = only_item(path)
    assert item.timestamp == datetime(2024, 5, 2, 10, 15, tzinfo=UTC)
    assert item.metadata["time_source"] == "file name (taken as UTC)"
    assert "taken 2024-05-02 10:15 (date from the file name)" in item.text
