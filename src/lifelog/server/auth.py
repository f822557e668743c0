"""Who may talk to the server: a bearer token, and Host and Origin allow-lists.

Every request passes :class:`Guard`, an ASGI middleware around the whole app
(``/v1``, ``/api``, ``/mcp``, the web UI and its assets alike):

1. the ``Host`` header must name an allowed host (DNS rebinding) → else 403;
2. an ``Origin`` header, when present, must be an allowed origin → else 403;
3. the token: ``Authorization: Bearer <token>``, or the web UI's session cookie
   (HttpOnly, SameSite=Strict), which on a state-changing request also needs an
   ``Origin`` header (CSRF) → else 401 (a sign-in page for a browser's navigation).

The token comes from ``LIFELOG_TOKEN`` or ``<memory>/server-token`` (0600),
generated on first start. A browser signs in once: with the form on the sign-in
page (a POST: the token never enters an address), or by opening the link
``lifelog serve`` prints, ``/login?code=…``, whose code is good once and for an hour
(:meth:`Access.sign_in_code`): the browser's history keeps a spent code, never the
token. A token in an address (``/?token=…``) signs no one in.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import UserError
from .errors import error_body

__all__ = [
    "COOKIE",
    "TOKEN_FILE",
    "Access",
    "Guard",
    "load_token",
    "login_response",
    "safe_next",
]

TOKEN_FILE = "server-token"
#: how long a printed sign-in link works (it works once)
SIGN_IN_CODE_TTL = 3600.0
COOKIE = "lifelog_session"
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
#: paths whose 401 is a sign-in page for a browser (everything else answers JSON)
_MACHINE_PREFIXES = ("/api/", "/v1/", "/mcp", "/openapi.json")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none';"
    " form-action 'self'; frame-ancestors 'none'"
)


def load_token(home: Path, env: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """The server's token and whether it was just created.

    ``LIFELOG_TOKEN`` wins; else ``<home>/server-token``, created 0600 on first use.
    """
    env = os.environ if env is None else env
    explicit = (env.get("LIFELOG_TOKEN") or "").strip()
    if explicit:
        if len(explicit) < 16:
            raise UserError("LIFELOG_TOKEN is too short: use 16 characters or more")
        return explicit, False
    path = home / TOKEN_FILE
    for _attempt in range(2):
        try:
            token = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        else:
            if len(token) >= 16:
                if path.stat().st_mode & 0o077:
                    path.chmod(0o600)
                return token, False
            path.unlink()  # empty or truncated: make a new one
        token = secrets.token_urlsafe(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another server started at the same moment
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token + "\n")
        return token, True
    raise UserError(f"cannot create {path}")


def _split_host(value: str) -> tuple[str, int | None]:
    """``name[:port]`` → (lowercase name, port); IPv6 names keep their brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        name += "]"
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = value.partition(":") if value.count(":") == 1 else (value, "", "")
    if port and not port.isdigit():
        return "", None
    return name, int(port) if port else None


@dataclass(slots=True)
class Access:
    """The token and the allow-lists. ``port`` ``None`` accepts any port (tests)."""

    token: str
    port: int | None = 8765
    extra_hosts: Iterable[str] = ()
    _hosts: set[tuple[str, int | None]] = field(default_factory=set, init=False)
    #: sign-in codes not yet used: sha256 of the code -> when it expires (monotonic)
    _codes: dict[bytes, float] = field(default_factory=dict, init=False)
    _codes_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        for raw in (*LOOPBACK, *self.extra_hosts):
            name, port = _split_host(raw)
            if name and name not in ("0.0.0.0", "[::]"):
                self._hosts.add((name, port if port is not None else self.port))

    @property
    def hosts(self) -> list[str]:
        return sorted(f"{n}:{p}" if p is not None else n for n, p in self._hosts)

    def host_ok(self, host: str | None) -> bool:
        if not host:
            return False
        name, port = _split_host(host)
        if port is None:
            port = 80
        return (name, port) in self._hosts or (name, None) in self._hosts

    def origin_ok(self, origin: str) -> bool:
        try:
            parts = urlsplit(origin.strip())
            port = parts.port
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            return False
        name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname.lower()
        port = port or (443 if parts.scheme == "https" else 80)
        return (name, port) in self._hosts or (name, None) in self._hosts

    def token_ok(self, candidate: str | None) -> bool:
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "replace"), self.token.encode())

    def sign_in_code(self, ttl: float = SIGN_IN_CODE_TTL) -> str:
        """A new code for ``/login?code=…``: it signs a browser in once, within ``ttl``
        seconds. Only its hash is kept; it is no bearer token."""
        code = secrets.token_urlsafe(24)
        with self._codes_lock:
            now = time.monotonic()
            for key in [k for k, end in self._codes.items() if end < now]:
                del self._codes[key]
            self._codes[hashlib.sha256(code.encode()).digest()] = now + ttl
        return code

    def redeem(self, code: str | None) -> bool:
        """Whether ``code`` is a live sign-in code; it is spent either way."""
        if not code:
            return False
        key = hashlib.sha256(code.encode("utf-8", "replace")).digest()
        with self._codes_lock:
            end = self._codes.pop(key, None)
        return end is not None and time.monotonic() <= end

    def session_value(self) -> str:
        """The cookie's value: derived from the token, useless as a bearer token."""
        return hmac.new(self.token.encode(), b"lifelog web session v1", hashlib.sha256).hexdigest()

    def session_ok(self, candidate: str | None) -> bool:
        if not candidate:
            return False
        return hmac.compare_digest(
            candidate.encode("utf-8", "replace"), self.session_value().encode()
        )

    def session_cookie(self, *, clear: bool = False) -> str:
        value = "" if clear else self.session_value()
        age = 0 if clear else 30 * 24 * 3600
        return f"{COOKIE}={value}; Path=/; Max-Age={age}; HttpOnly; SameSite=Strict"


LoginPage = Callable[[str, str | None, str], str]
"""``(next_path, message, csp_nonce) -> html`` of the sign-in page."""


class Guard:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp, access: Access, login_page: LoginPage) -> None:
        self.app = app
        self.access = access
        self.login_page = login_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        response = self.check(scope, headers)
        send = _with_security_headers(send, scope)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def check(self, scope: Scope, headers: Mapping[str, str]) -> Response | None:
        """``None`` when the request may go on, else the response that refuses it."""
        access = self.access
        if not access.host_ok(headers.get("host")):
            return _json(403, "forbidden", "this host name is not allowed (DNS rebinding guard)")
        origin = headers.get("origin")
        if origin is not None and not access.origin_ok(origin):
            return _json(403, "forbidden", f"cross-origin request from {origin!r} refused")
        method = scope.get("method", "GET")
        path: str = scope.get("path", "/")
        bearer = headers.get("authorization", "")
        scheme, _, credential = bearer.partition(" ")
        if scheme.lower() == "bearer" and access.token_ok(credential.strip()):
            return None
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is no session
            cookie = SimpleCookie()
        morsel = cookie.get(COOKIE)
        if morsel is not None and access.session_ok(morsel.value):
            if method in _SAFE_METHODS or origin is not None:
                return None
            return _json(403, "forbidden", "a cookie-authenticated change needs an Origin header")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if path == "/login" and method == "GET" and "code" in query:
            if access.redeem(query["code"]):
                return _signed_in(access, query.get("next", "/"))
            return login_response(
                self.login_page,
                query.get("next", "/"),
                "this sign-in link was used already or has expired:"
                " enter the token, or restart `lifelog serve` for a new link",
            )
        if path == "/login" and method == "POST":
            return None  # the form checks the token it carries
        return self.unauthorized(method, path, headers, bool(bearer))

    def unauthorized(
        self, method: str, path: str, headers: Mapping[str, str], tried: bool
    ) -> Response:
        message = "wrong token" if tried else "this server needs its token"
        browser = "text/html" in headers.get("accept", "")
        if method in ("GET", "HEAD") and browser and not path.startswith(_MACHINE_PREFIXES):
            return login_response(self.login_page, path, message if tried else None)
        return _json(
            401,
            "unauthorized",
            f"{message}: send 'Authorization: Bearer <token>' (see `lifelog serve`)",
            {"www-authenticate": 'Bearer realm="lifelog"'},
        )


def safe_next(path: str) -> str:
    """A local path to go on to after signing in (never ``//host`` or ``/\\host``)."""
    if not path.startswith("/") or path[1:2] in ("/", "\\"):
        return "/"
    return path


def login_response(login_page: LoginPage, next_path: str, message: str | None) -> Response:
    """The sign-in page, 401; its inline style is allowed by a one-time nonce."""
    nonce = secrets.token_urlsafe(12)
    return HTMLResponse(
        login_page(next_path, message, nonce),
        status_code=401,
        headers={
            "content-security-policy": CSP.replace(
                "style-src 'self'", f"style-src 'nonce-{nonce}'"
            ),
            "cache-control": "no-store",
        },
    )


def _signed_in(access: Access, next_path: str) -> Response:
    """Set the cookie and go on to ``next_path``: the code leaves the address bar.

    A same-origin reload (not a redirect) so the SameSite=Strict cookie is sent
    even when the link was opened from another application.
    """
    target = quote(safe_next(next_path), safe="/?&=%:@!$'()*+,;~-._")
    safe = target.replace("&", "&amp;").replace('"', "&quot;")
    html = (
        '<!doctype html><meta charset=utf-8><title>lifelog</title><link rel="icon" href="data:,">'
        f'<meta http-equiv="refresh" content="0;url={safe}">'
        f'<p>Signed in. <a href="{safe}">Continue</a></p>'
    )
    return HTMLResponse(
        html,
        headers={
            "set-cookie": access.session_cookie(),
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
        },
    )


def _json(
    status: int, kind: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONResponse(error_body(kind, message), status_code=status, headers=dict(headers or {}))


def _headers(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in scope.get("headers", ()):
        name = key.decode("latin-1").lower()
        if name in found:  # a repeated Host / Origin is suspicious: keep the first
            continue
        found[name] = value.decode("latin-1")
    return found


def _with_security_headers(send: Send, scope: Scope) -> Send:
    static = str(scope.get("path", "")).startswith("/static/")

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers: list[Any] = list(message.get("headers", []))
            present = {k.lower() for k, _ in headers}
            extra = list(_SECURITY_HEADERS)
            if b"content-security-policy" not in present:
                extra.append((b"content-security-policy", CSP.encode()))
            if b"cache-control" not in present and not static:
                extra.append((b"cache-control", b"no-store"))
            message = {**message, "headers": headers + [h for h in extra if h[0] not in present]}
        await send(message)

    return wrapped
