"""One JSON error shape for every HTTP answer: ``{"error": {"type": ..., "message": ...}}``.

The :mod:`lifelog.errors` tree maps onto statuses here, in one place::

    UserError            400 invalid_request
    ├── NotFoundError    404 not_found
    ├── ConfigError      400 invalid_config
    └── PassphraseError  400 passphrase_error
    SourceError          422 unreadable_export
    ModelError           502 model_error   (the model backend failed or is unreachable)
    StoreError           500 store_error
    LifelogError         500 server_error
    any other exception  500 server_error  (no internals in the message)

Framework errors (401, 403, 404, 405, 422 validation ...) are reshaped the same
way. A browser asking for a page of the web UI (``Accept: text/html``, outside
``/api``, ``/v1`` and ``/mcp``) gets the same message as a page instead: no raw JSON.
The shape is a subset of OpenAI's, so OpenAI clients read its ``message``.
MCP answers inside ``/mcp`` keep JSON-RPC's own error shape, as the protocol requires.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from ..errors import (
    ConfigError,
    LifelogError,
    ModelError,
    NotFoundError,
    PassphraseError,
    SourceError,
    StoreError,
    UserError,
)

__all__ = ["error_body", "error_response", "install_error_handlers", "status_for", "wants_page"]

log = logging.getLogger("lifelog.server")

_BY_STATUS = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
    502: "model_error",
    503: "unavailable",
}


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


def error_response(
    status: int, kind: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(kind, message), status_code=status, headers=dict(headers or {}))


def status_for(error: BaseException) -> tuple[int, str]:
    """The HTTP status and error type for an exception (most specific class first)."""
    table: Sequence[tuple[type[BaseException], int, str]] = (
        (NotFoundError, 404, "not_found"),
        (ConfigError, 400, "invalid_config"),
        (PassphraseError, 400, "passphrase_error"),
        (UserError, 400, "invalid_request"),
        (SourceError, 422, "unreadable_export"),
        (ModelError, 502, "model_error"),
        (StoreError, 500, "store_error"),
        (LifelogError, 500, "server_error"),
    )
    for cls, status, kind in table:
        if isinstance(error, cls):
            return status, kind
    return 500, "server_error"


def message_for(error: BaseException) -> str:
    """What the client is told: lifelog's own message, never a stray exception's."""
    if isinstance(error, LifelogError):
        return str(error) or type(error).__name__
    return "internal error: see the server's log"


def _validation_message(errors: Sequence[Any]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


_NOT_PAGES = ("/api/", "/v1/", "/mcp", "/static/")


def wants_page(request: Request) -> bool:
    """Whether ``request`` is a browser's, for a page of the web UI."""
    path = request.url.path
    if any(path == p.rstrip("/") or path.startswith(p) for p in _NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "")


def _answer(
    request: Request,
    status: int,
    kind: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if wants_page(request):
        from .web import error_page  # the web UI's templates (it imports this module)

        try:
            response = error_page(request, status, message)
        except Exception:  # noqa: BLE001 - a page that cannot render falls back to JSON
            log.exception("the error page for %s failed", request.url.path)
        else:
            for name, value in (headers or {}).items():
                response.headers[name] = value
            return response
    return error_response(status, kind, message, headers)


def install_error_handlers(app: FastAPI) -> None:
    async def on_lifelog(request: Request, exc: Exception) -> Response:
        status, kind = status_for(exc)
        if status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc)
        return _answer(request, status, kind, message_for(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status = exc.status_code
        kind = _BY_STATUS.get(status, "server_error" if status >= 500 else "invalid_request")
        detail = exc.detail if isinstance(exc.detail, str) else kind.replace("_", " ")
        if status == 404 and detail == "Not Found" and wants_page(request):
            detail = f"there is no page {request.url.path}"
        return _answer(request, status, kind, detail, exc.headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message = _validation_message(exc.errors())
        return _answer(request, 422, "validation_error", message)

    async def on_any(request: Request, exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _answer(request, 500, "server_error", message_for(exc))

    app.add_exception_handler(LifelogError, on_lifelog)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_any)
