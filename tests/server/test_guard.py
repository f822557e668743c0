"""Every route — /v1, /api, /mcp, the web UI, its assets — needs the token and a Host and
Origin of this server. The cases are generated from the app's own route table, so a
route added later is checked without anyone writing a test for it."""

from __future__ import annotations

import atexit
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from server_helpers import AUTH, BASE, PORT, TOKEN
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from lifelog import Memory, UserError
from lifelog.server.app import create_app
from lifelog.server.auth import COOKIE, TOKEN_FILE, Access, load_token


def _walk(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[BaseRoute | str]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI >= 0.12x wraps routers
        if included is not None:
            extra = getattr(getattr(route, "include_context", None), "prefix", "")
            yield from _walk(included.routes, prefix + extra)
        elif isinstance(route, Mount):
            yield prefix + route.path
        else:
            yield route


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) for every route the app serves."""
    cases: set[tuple[str, str]] = set()
    for route in _walk(app.routes):
        if isinstance(route, str):  # a mount: static files
            cases.add(("GET", f"{route}/app.css"))
            continue
        assert isinstance(route, APIRoute | Route), f"unexpected route type {route!r}"
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        methods = route.methods or {"GET", "POST", "DELETE"}  # an ASGI endpoint takes all
        for method in methods - {"HEAD"}:
            cases.add((method, path))
    return sorted(cases)


def _blank_app() -> FastAPI:
    folder = tempfile.mkdtemp(prefix="lifelog-routes-")
    atexit.register(shutil.rmtree, folder, True)
    return create_app(Memory.init(Path(folder) / "memory"), token=TOKEN, port=PORT)


BLANK = _blank_app()
ROUTES = route_table(BLANK)


@pytest.fixture(scope="module")
def blank() -> Iterator[TestClient]:
    """A client of an app over an empty memory: the guard does not look at the data."""
    with TestClient(BLANK, base_url=BASE, raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_route_table_is_complete(app: FastAPI) -> None:
    assert route_table(app) == ROUTES
    paths = {path for _method, path in ROUTES}
    for needed in ("/v1/chat/completions", "/v1/models", "/mcp", "/openapi.json", "/api/search"):
        assert needed in paths
    assert {"/", "/search", "/timeline", "/people", "/ingest", "/settings"} <= paths
    assert ("GET", "/static/app.css") in ROUTES


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_without_the_token_every_route_answers_401(
    blank: TestClient, method: str, path: str
) -> None:
    response = blank.request(method, path, headers={"accept": "application/json"})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "unauthorized"
    wrong = blank.request(method, path, headers={"authorization": "Bearer not-the-token-at-all"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "bad",
    [
        {"host": "evil.example"},
        {"host": "evil.example:8765"},
        {"host": "127.0.0.1:9999"},
        {"origin": "http://evil.example"},
        {"origin": "http://127.0.0.1:9999"},
        {"origin": "null"},
    ],
    ids=["host", "host-port", "host-other-port", "origin", "origin-other-port", "origin-null"],
)
def test_a_foreign_host_or_origin_is_refused_even_with_the_token(
    blank: TestClient, method: str, path: str, bad: dict[str, str]
) -> None:
    response = blank.request(method, path, headers={**AUTH, **bad})
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "forbidden"


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST:8765"]
)
def test_loopback_names_with_the_port_are_allowed(client: TestClient, host: str) -> None:
    origin = f"http://{host.lower()}"
    response = client.get("/api/stats", headers={**AUTH, "host": host, "origin": origin})
    assert response.status_code == 200


def test_configured_host_names_are_allowed(memory: Memory) -> None:
    app = create_app(memory, token=TOKEN, port=PORT, allowed_hosts=["my-laptop"])
    with TestClient(app, base_url=BASE) as client:
        ok = client.get("/api/stats", headers={**AUTH, "host": "my-laptop:8765"})
        assert ok.status_code == 200
        origin = {"origin": "http://my-laptop:8765"}
        assert client.get("/api/stats", headers={**AUTH, **origin}).status_code == 200
        assert client.get("/api/stats", headers={**AUTH, "host": "my-laptop"}).status_code == 403


def test_no_cors_headers_and_preflight_from_another_site_is_refused(client: TestClient) -> None:
    preflight = client.options(
        "/v1/chat/completions",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 403
    ok = client.get("/api/stats", headers={**AUTH, "origin": BASE})
    assert ok.status_code == 200
    assert not any(h.lower().startswith("access-control-") for h in ok.headers)
    assert ok.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in ok.headers["content-security-policy"]


def test_a_browser_gets_a_sign_in_page_and_the_form_sets_a_strict_cookie(
    client: TestClient,
) -> None:
    page = client.get("/search?q=tent", headers={"accept": "text/html"})
    assert page.status_code == 401 and "<form" in page.text and 'name="token"' in page.text
    nonce = re.search(r"nonce-([\w-]+)", page.headers["content-security-policy"])
    assert nonce and f'nonce="{nonce.group(1)}"' in page.text
    wrong = client.post("/login", data={"token": "nope", "next": "/"}, headers={"origin": BASE})
    assert wrong.status_code == 401 and "wrong token" in wrong.text
    assert COOKIE not in client.cookies
    right = client.post(
        "/login",
        data={"token": TOKEN, "next": "/search?q=tent"},
        headers={"origin": BASE},
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/search?q=tent"
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    assert client.get("/search?q=tent").status_code == 200


def test_the_printed_link_signs_in_once_and_leaves_the_address(client: TestClient) -> None:
    code = client.app.state.lifelog.access.sign_in_code()  # type: ignore[attr-defined]
    response = client.get(f"/login?code={code}&next=/timeline?month=2023-06")
    assert response.status_code == 200
    assert "HttpOnly" in response.headers["set-cookie"]
    assert 'content="0;url=/timeline?month=2023-06"' in response.text
    assert TOKEN not in response.text and code not in response.text
    assert client.get("/timeline?month=2023-06").status_code == 200
    # a token in the address signs no one in, for pages and APIs alike
    client.cookies.clear()
    assert client.get(f"/?token={TOKEN}").status_code == 401
    assert client.get(f"/api/stats?token={TOKEN}").status_code == 401


def test_the_cookie_needs_an_origin_for_changes_csrf(client: TestClient) -> None:
    client.post("/login", data={"token": TOKEN}, headers={"origin": BASE})
    assert client.get("/api/stats").status_code == 200
    settings = {"llm": {"backend": "none"}}
    refused = client.put("/api/settings", json=settings)
    assert refused.status_code == 403
    assert client.put("/api/settings", json=settings, headers={"origin": BASE}).status_code == 200
    other = client.put("/api/settings", json=settings, headers={"origin": "http://evil.example"})
    assert other.status_code == 403
    client.post("/logout", headers={"origin": BASE})
    assert client.get("/api/stats").status_code == 401


def test_a_forged_cookie_is_not_a_session(client: TestClient) -> None:
    client.cookies.set(COOKIE, TOKEN)
    assert client.get("/api/stats").status_code == 401


def test_the_token_is_made_once_kept_0600_and_reused(tmp_path: Path) -> None:
    token, created = load_token(tmp_path, env={})
    assert created and len(token) >= 32
    path = tmp_path / TOKEN_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_token(tmp_path, env={}) == (token, False)
    path.chmod(0o644)
    load_token(tmp_path, env={})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_lifelog_token_overrides_the_file(tmp_path: Path) -> None:
    assert load_token(tmp_path, env={"LIFELOG_TOKEN": "x" * 20}) == ("x" * 20, False)
    assert not (tmp_path / TOKEN_FILE).exists()
    with pytest.raises(UserError, match="too short"):
        load_token(tmp_path, env={"LIFELOG_TOKEN": "short"})


def test_host_and_origin_parsing_edge_cases() -> None:
    access = Access(token=TOKEN, port=8765)
    assert access.host_ok("127.0.0.1:8765") and access.host_ok("[::1]:8765")
    assert not access.host_ok(None) and not access.host_ok("")
    assert not access.host_ok("127.0.0.1") and not access.host_ok("127.0.0.1:8765x")
    assert not access.host_ok("127.0.0.1.evil.example:8765")
    assert access.origin_ok("http://localhost:8765")
    assert not access.origin_ok("http://localhost:8765/path")
    assert not access.origin_ok("file://") and not access.origin_ok("http://localhost")


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example"])
def test_signing_in_never_leaves_the_server(client: TestClient, target: str) -> None:
    response = client.post(
        "/login",
        data={"token": TOKEN, "next": target},
        headers={"origin": BASE},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
