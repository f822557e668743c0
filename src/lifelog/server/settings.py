"""Model settings as the web UI and ``/api/settings`` see them: ``settings["llm"]`` of the
memory's ``memory.json`` (see :mod:`lifelog.models.llm`), checked before it is saved.
A key is never shown nor stored: it comes from the environment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..config import save_config
from ..errors import ConfigError, LifelogError
from ..models.llm import backend_factories, resolve_settings

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = ["FIELDS", "read_settings", "write_settings"]

#: the settings the form edits, with their types
FIELDS: dict[str, type] = {
    "backend": str,
    "model": str,
    "base_url": str,
    "model_path": str,
    "context_window": int,
    "max_tokens": int,
    "temperature": float,
    "timeout": float,
    "tools": str,
    "api_key_env": str,
}
_ENV = ("LIFELOG_LLM_BASE_URL", "LIFELOG_LLM_MODEL", "LIFELOG_LLM_API_KEY")


def backends() -> list[str]:
    return [*sorted(backend_factories()), "none"]


def read_settings(memory: Memory) -> dict[str, Any]:
    raw = dict(memory.config.settings.get("llm") or {})
    effective: dict[str, Any] = {}
    problem = None
    try:
        resolved = resolve_settings(raw)
    except LifelogError as error:
        problem = str(error)
    else:
        effective = {
            "backend": resolved.backend,
            "model": resolved.model,
            "base_url": resolved.base_url,
            "model_path": resolved.model_path,
            "context_window": resolved.context_window,
            "max_tokens": resolved.max_tokens,
            "temperature": resolved.temperature,
            "tools": resolved.tools,
            "has_api_key": bool(resolved.api_key),
        }
    return {
        "llm": raw,
        "effective": effective,
        "problem": problem,
        "backends": backends(),
        "environment": [name for name in _ENV if os.environ.get(name)],
    }


def clean(values: dict[str, Any]) -> dict[str, Any]:
    """Typed values; empty ones dropped (they fall back to the defaults)."""
    if "api_key" in values:
        raise ConfigError("an API key is never stored: set LIFELOG_LLM_API_KEY in the environment")
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        kind = FIELDS.get(name)
        if kind is None:
            out[name] = value  # a backend's own option (extra_body …): kept as given
            continue
        try:
            out[name] = kind(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise ConfigError(f"settings.llm.{name}: {value!r} is not a {kind.__name__}") from None
    return out


def write_settings(memory: Memory, values: dict[str, Any]) -> dict[str, Any]:
    """Check and save ``settings["llm"]``; the next answer uses them."""
    new = clean(values)
    backend = new.get("backend")
    if backend is not None and backend not in backends():
        raise ConfigError(f"unknown backend {backend!r} (known: {', '.join(backends())})")
    resolve_settings(new, env={})  # raises ConfigError / UserError when they cannot work
    memory.config.settings["llm"] = new
    save_config(memory.home, memory.config)
    return new
