"""``lifelog serve`` (the HTTP server: OpenAI-compatible API, REST, MCP, web UI) and
``lifelog mcp`` (MCP over stdio, for a client that starts it)."""

from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

__all__ = ["register"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    memory: Annotated[Path | None, typer.Option("--memory", "-m", help="Memory directory.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8765,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host", help="Another host name clients may use (repeatable), e.g. my-laptop."
        ),
    ] = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch/--no-watch",
            help="Import the watched folders (saved in the settings) as they change.",
        ),
    ] = True,
) -> None:
    """Serve the memory: OpenAI-compatible /v1, REST /api, MCP at /mcp and the web UI.

    Requests need the token (printed on first start, or LIFELOG_TOKEN) and this Host/Origin.
    """
    import uvicorn

    from ..cli import console, open_memory
    from ..server.app import create_app
    from ..server.auth import TOKEN_FILE, load_token
    from ..watch import watched

    _check_port(host, port)
    with open_memory(memory) as mem:
        token, created = load_token(mem.home)
        configured = mem.config.settings.get("server", {}).get("allowed_hosts", [])
        extra = [*(allow_host or ()), *configured]
        app = create_app(mem, token=token, port=port, host=host, allowed_hosts=extra, watch=watch)
        base = app.state.lifelog.base_url
        say = functools.partial(console.print, soft_wrap=True, highlight=False)
        say(f"lifelog serving [bold]{escape(str(mem.home))}[/] at [bold]{base}[/]")
        say(f"  web UI          {base}/")
        say(f"  OpenAI API      {base}/v1   (model 'lifelog')")
        say(f"  MCP             {base}/mcp")
        folders = watched(mem)
        if watch and folders:
            say(f"  watching        {escape(', '.join(folders))}")
        if created:
            say(f"\n  token (shown once) [bold]{token}[/]")
        elif "LIFELOG_TOKEN" not in os.environ:
            say(f"  token           in {escape(str(mem.home / TOKEN_FILE))}")
        # a one-time code, not the token: the browser's history keeps only a spent link
        code = app.state.lifelog.access.sign_in_code()
        say(f"  sign in         {base}/login?code={code}   (works once, for an hour)\n")
        if host not in LOOPBACK:
            say(
                f"[yellow]warning:[/] listening on {escape(host)}: other machines can reach this"
                " server (the token still guards it; there is no TLS)"
            )
        console.file.flush()  # the addresses show before the server blocks, even when piped
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,  # open event streams must not hold Ctrl-C up
        )


def _check_port(host: str, port: int) -> None:
    """A ``UserError`` when ``host:port`` cannot be listened on (another server holds
    it), before anything is printed: uvicorn would log a traceback-like line and exit."""
    import errno
    import socket

    from ..errors import UserError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UserError(f"port {port} is in use (try --port)") from None
            raise UserError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def mcp(
    memory: Annotated[Path | None, typer.Option("--memory", "-m", help="Memory directory.")] = None,
) -> None:
    """Serve MCP over stdin/stdout (configure your client to run `lifelog mcp`)."""
    from ..cli import open_memory
    from ..server.mcp_server import run_stdio

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    with open_memory(memory) as mem:
        run_stdio(mem)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(mcp)
