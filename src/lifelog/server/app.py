"""The HTTP app: OpenAI-compatible ``/v1``, REST ``/api``, MCP at ``/mcp`` and the web UI,
one ASGI app over one :class:`~lifelog.memory.Memory`, behind one guard.

>>> app = create_app(memory, token="…", port=8765)      # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=8765)       # doctest: +SKIP

No CORS headers are sent: other sites cannot read the API from a browser.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .. import __version__
from .auth import Access, Guard
from .errors import install_error_handlers
from .jobs import Jobs
from .mcp_server import build_mcp, http_routes
from .openai_api import router as openai_router
from .rest import router as rest_router
from .state import AppState
from .watching import ServerWatch
from .web import login_page
from .web import router as web_router

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
STATIC = Path(__file__).parent / "static"


def create_app(
    memory: Memory,
    *,
    token: str,
    port: int | None = DEFAULT_PORT,
    host: str = DEFAULT_HOST,
    allowed_hosts: Iterable[str] = (),
    watch: bool = True,
    watch_interval: float = 2.0,
) -> FastAPI:
    """The whole server over ``memory``.

    ``port`` is the port the server listens on (Host and Origin must carry it;
    ``None`` accepts any, for tests); ``allowed_hosts`` adds host names besides
    localhost, 127.0.0.1 and [::1] (e.g. the machine's name when bound elsewhere).
    With ``watch``, the folders saved in the settings are imported as they change while
    the server runs (:mod:`lifelog.server.watching`; a look every ``watch_interval`` s).
    """
    extra = list(allowed_hosts)
    if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""):
        extra.append(f"[{host}]" if ":" in host else host)
    access = Access(token=token, port=port, extra_hosts=extra)
    mcp = build_mcp(memory)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base_url = f"http://{shown if ':' not in shown else f'[{shown}]'}:{port or DEFAULT_PORT}"

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        watcher = state.watch
        if watcher is not None:
            watcher.start()
        try:
            async with mcp.session_manager.run():
                yield
        finally:
            if watcher is not None:
                watcher.stop()

    app = FastAPI(
        title="lifelog",
        version=__version__,
        summary="A personal AI memory: OpenAI-compatible API, REST API, MCP and a web UI.",
        docs_url=None,  # Swagger UI and ReDoc load assets from CDNs: not served
        redoc_url=None,
        lifespan=lifespan,
    )
    jobs = Jobs(memory)
    state = AppState(memory=memory, access=access, jobs=jobs, base_url=base_url)
    if watch:
        state.watch = ServerWatch(memory, jobs.run_lock, interval=watch_interval)
    app.state.lifelog = state
    install_error_handlers(app)
    app.include_router(openai_router)
    app.include_router(rest_router)
    app.include_router(web_router)
    app.router.routes.extend(http_routes(mcp))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Guard, access=access, login_page=login_page)
    return app
