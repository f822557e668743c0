"""End to end: a folder holding a Chrome History file, a Firefox places.sqlite and photos is
ingested into a real memory; pages are found by their titles, photos by camera and folder,
screenshots by the words in them (when tesseract is installed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image
from test_browser_history import make_chrome, make_firefox
from test_photos import camera_exif, jpeg, text_image

from lifelog import Memory


def test_ingest_history_and_photos_then_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFELOG_EMBED_MODEL", "none")  # words only: fast, no model
    life = tmp_path / "life"
    (life / "Chrome" / "Default").mkdir(parents=True)
    (life / "firefox-profile").mkdir()
    (life / "Photos" / "Camping 2023").mkdir(parents=True)
    make_chrome(life / "Chrome" / "Default" / "History")
    make_firefox(life / "firefox-profile" / "places.sqlite")
    jpeg(life / "Photos" / "Camping 2023" / "IMG_2041.JPG", camera_exif())
    no_exif = life / "Photos" / "plain.png"
    Image.new("RGB", (40, 30), "green").save(no_exif)
    ocr = shutil.which("tesseract") is not None
    if ocr:
        text_image(life / "Photos" / "Screenshot 2024-05-02.png", ["Dentist Thursday 3pm"])

    with Memory.init(tmp_path / "memory") as memory:
        report = memory.ingest(life)
        # without tesseract, the one note saying so; nothing else is skipped
        assert all("tesseract is not installed" in s.reason for s in report.skipped)
        assert report.skipped_count == (0 if ocr else 1), report.skipped[:5]
        assert report.by_source["chrome"].added == 4
        assert report.by_source["firefox"].added == 2
        assert report.by_source["photos"].added == (3 if ocr else 2)

        hits = memory.search("grow tomatoes")
        assert hits and hits[0].item.title == "How to grow tomatoes"
        assert hits[0].item.source == "chrome" and hits[0].item.kind == "visit"

        hits = memory.search("Frank Herbert")  # Firefox's page description
        assert hits and hits[0].item.title == "Dune (novel) - Wikipedia"

        hits = memory.search("iPhone camping")
        assert hits and hits[0].item.title == "IMG_2041.JPG"
        assert hits[0].item.metadata["latitude"] == pytest.approx(-33.859333, abs=1e-6)

        if ocr:
            hits = memory.search("dentist")
            assert hits and hits[0].item.title == "Screenshot 2024-05-02.png"

        again = memory.ingest(life, force=True)
        assert (again.added, again.updated) == (0, 0)  # stable keys: nothing duplicated
