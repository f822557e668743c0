"""The watched folders (issue 12, item 8) on the web's settings page and in the REST API:
saved in memory.json, read back by ``lifelog watch``; a path that is not there says so."""

from __future__ import annotations

from pathlib import Path

from server_helpers import AUTH, BASE
from starlette.testclient import TestClient

from lifelog import Memory
from lifelog.config import load_config


def test_the_settings_page_lists_and_saves_watched_folders(
    client: TestClient, memory: Memory, tmp_path: Path
) -> None:
    notes, downloads = tmp_path / "notes", tmp_path / "Downloads"
    notes.mkdir()
    downloads.mkdir()
    form = {"paths": f"{notes}\n\n{downloads}\n{notes}\n"}
    saved = client.post("/settings/watch", data=form, headers={**AUTH, "origin": BASE})
    assert saved.status_code == 200 and "Saved." in saved.text
    assert load_config(memory.home).settings["watch"] == [str(notes), str(downloads)]
    assert f"{notes}\n{downloads}</textarea>" in saved.text
    wrong = client.post(
        "/settings/watch",
        data={"paths": str(tmp_path / "nowhere")},
        headers={**AUTH, "origin": BASE},
    )
    assert "no such file or folder to watch" in wrong.text
    assert load_config(memory.home).settings["watch"] == [str(notes), str(downloads)]


def test_the_api_reads_and_changes_watched_folders(
    client: TestClient, memory: Memory, tmp_path: Path
) -> None:
    assert client.get("/api/settings/watch", headers=AUTH).json()["paths"] == []
    put = client.put("/api/settings/watch", json={"paths": [str(tmp_path)]}, headers=AUTH)
    assert put.status_code == 200 and put.json() == {"paths": [str(tmp_path)]}
    assert client.get("/api/settings/watch", headers=AUTH).json()["paths"] == [str(tmp_path)]
    relative = client.put("/api/settings/watch", json={"paths": ["notes"]}, headers=AUTH)
    assert relative.status_code == 400, relative.text
    assert "full path" in relative.json()["error"]["message"]
