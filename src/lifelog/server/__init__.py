"""The HTTP server: OpenAI-compatible ``/v1``, REST ``/api``, MCP (``/mcp`` and stdio) and the
web UI, over one :class:`~lifelog.memory.Memory` (see docs/api.md).

Needs the ``server`` extra (FastAPI, uvicorn, mcp, Jinja2, python-multipart).
"""

from .app import DEFAULT_HOST, DEFAULT_PORT, create_app

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app"]
