"""Google Photos Takeout sidecars: beside their photo on disk (the photo's item takes
their time, place, description and people), alone or inside the Takeout zip (their own
item); name variants; damage."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from source_helpers import split_records

from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.archive import ArchiveSource
from lifelog.sources.photos.google_photos import GooglePhotosSource, sidecar_for
from lifelog.sources.photos.photos import PhotoSource

SOURCE = GooglePhotosSource()
DATA = Path(__file__).parent / "data" / "google_photos"
KOREAN = DATA / "2016-12-22-오전-07-59-17.jpg.json"
SCREENSHOT = DATA / "Screenshot_20240502-101500_Messages.png.supple.json"


@pytest.fixture(autouse=True)
def no_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFELOG_PHOTO_OCR", "off")


def plain_image(path: Path) -> Path:
    """An image with no EXIF at all (as a screenshot or a picture saved from a chat)."""
    Image.new("RGB", (32, 24), (200, 120, 40)).save(path)
    return path


def test_a_sidecar_alone_is_its_own_item() -> None:
    found = detect(KOREAN)
    assert found is not None and found.name == "google_photos"
    items, skips = split_records(SOURCE, KOREAN)
    assert skips == []
    (item,) = items
    assert item.timestamp == datetime(2016, 12, 21, 22, 59, 17, tzinfo=UTC)
    assert "Description: 광안리 해변에서 가족과 함께" in item.text
    assert item.participants == ("김민준", "Анна")
    assert item.metadata["latitude"] == pytest.approx(35.118436)
    assert item.title == "2016-12-22-오전-07-59-17.jpg"


def test_no_place_is_zero_zero() -> None:
    (item,) = [r for r in SOURCE.parse(SCREENSHOT) if isinstance(r, Item)]
    assert "latitude" not in item.metadata
    assert "مكان الاجتماع" in item.text and "会議の場所" in item.text
    assert item.key == "google-photos/https://photos.google.com/photo/AF1QipExampleExampleExample"


def test_beside_its_photo_the_photo_item_carries_it(tmp_path: Path) -> None:
    folder = tmp_path / "Photos from 2016"
    folder.mkdir()
    photo = plain_image(folder / "2016-12-22-오전-07-59-17.jpg")
    sidecar = folder / KOREAN.name
    shutil.copy(KOREAN, sidecar)
    (item,) = [r for r in PhotoSource().parse(photo) if isinstance(r, Item)]
    assert item.timestamp == datetime(2016, 12, 21, 22, 59, 17, tzinfo=UTC)
    assert item.metadata["time_source"] == "Google Photos"
    assert item.metadata["place_source"] == "Google Photos"
    assert "Description: 광안리 해변에서 가족과 함께" in item.text
    assert item.participants == ("김민준", "Анна")
    records = list(SOURCE.parse(sidecar))  # read with its photo: counted, not repeated
    assert not [r for r in records if isinstance(r, Item)]
    assert "read with its photo" in records[0].reason  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("photo", "sidecar"),
    [
        ("IMG_0007.jpg", "IMG_0007.jpg.json"),
        ("IMG_0007.jpg", "IMG_0007.jpg.supplemental-metadata.json"),
        ("IMG_0007(1).jpg", "IMG_0007.jpg(1).json"),
        ("IMG_0007-edited.jpg", "IMG_0007.jpg.json"),
        ("IMG_0007.jpg", "IMG_0007.json"),
        (
            "Screenshot_20240502-101500_Messages.png",
            "Screenshot_20240502-101500_Messages.png.supple.json",
        ),
    ],
)
def test_every_sidecar_name_google_writes(tmp_path: Path, photo: str, sidecar: str) -> None:
    shutil.copy(SCREENSHOT, tmp_path / sidecar)
    found = sidecar_for(tmp_path / photo)
    assert found is not None and found.taken == datetime(2024, 5, 2, 10, 15, tzinfo=UTC)


def test_inside_the_takeout_zip_sidecars_are_items_and_photos_keep_their_ids(
    tmp_path: Path,
) -> None:
    photo = plain_image(tmp_path / "2016-12-22-오전-07-59-17.jpg")
    takeout = tmp_path / "takeout-20240101T000000Z-001.zip"
    album = "Takeout/Google Photos/Photos from 2016/"
    with zipfile.ZipFile(takeout, "w") as out:
        out.write(photo, album + photo.name)
        out.write(KOREAN, album + KOREAN.name)
        out.writestr(album + "metadata.json", json.dumps({"title": "Photos from 2016"}))
    items = [r for r in ArchiveSource().parse(takeout) if isinstance(r, Item)]
    by_source = {i.source: i for i in items}
    assert set(by_source) == {"photos", "google_photos"}
    (alone,) = [r for r in SOURCE.parse(KOREAN) if isinstance(r, Item)]
    assert by_source["google_photos"].id == alone.id
    assert by_source["google_photos"].uri.startswith(takeout.resolve().as_uri() + "/Takeout/")
    (on_disk,) = [r for r in PhotoSource().parse(photo) if isinstance(r, Item)]
    assert by_source["photos"].id == on_disk.id


def test_damaged_and_hostile_sidecars(tmp_path: Path) -> None:
    cut = tmp_path / "a.jpg.json"
    cut.write_text(KOREAN.read_text(encoding="utf-8")[:200], encoding="utf-8")
    (skip,) = SOURCE.parse(cut)
    assert isinstance(skip, Skip) and skip.file == str(cut) and "JSON" in skip.reason
    odd = tmp_path / "b.jpg.json"
    odd.write_text(
        json.dumps(
            {
                "title": 5,
                "photoTakenTime": {"timestamp": "99999999999999999999"},
                "geoData": {"latitude": "NaN", "longitude": 500},
                "people": [{"name": 3}, "x", {"name": "  "}],
            }
        ),
        encoding="utf-8",
    )
    (item,) = SOURCE.parse(odd)
    assert isinstance(item, Item) and item.timestamp is None and item.participants == ()
    assert "latitude" not in item.metadata
    deep = tmp_path / "c.jpg.json"
    deep.write_text('{"photoTakenTime": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (skip,) = SOURCE.parse(deep)
    assert isinstance(skip, Skip)
    huge = tmp_path / "d.jpg.json"
    huge.write_text('{"photoTakenTime": {}, "description": "' + "x" * (2 << 20) + '"}')
    (skip,) = SOURCE.parse(huge)
    assert isinstance(skip, Skip) and "not a Google Photos sidecar" in skip.reason
