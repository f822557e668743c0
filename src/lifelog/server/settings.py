"""Model settings as the web UI and ``/api/settings`` see them: ``settings["llm"]`` of the
memory's ``memory.json`` (see :mod:`lifelog.models.llm`), checked before it is saved.

A key is never shown nor stored: it comes from the environment, from a variable named
for it (``LIFELOG_LLM_API_KEY[_<NAME>]``, :func:`lifelog.models.llm.key_variable`).
Questions, the excerpts of the memory that answer them and that key go to the model
server, so a server off this machine (any host but localhost, 127.0.0.0/8 and ::1) is
saved from the web or the API only with ``confirm_host`` naming its host, once per host
(:class:`ConfirmationNeeded`); ``memory.json`` and ``LIFELOG_LLM_BASE_URL`` need none.
:func:`read_settings` says where questions go (``sends_to``: the host, or ``None``).
"""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..config import save_config
from ..errors import ConfigError, LifelogError
from ..models.llm import backend_factories, resolve_settings

if TYPE_CHECKING:
    from ..memory import Memory

__all__ = ["FIELDS", "ConfirmationNeeded", "read_settings", "remote_host", "write_settings"]

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


class ConfirmationNeeded(ConfigError):
    """A model server off this machine was not confirmed by its host name."""

    def __init__(self, host: str) -> None:
        super().__init__(
            f"questions and the excerpts of your memory that answer them would be sent to"
            f" {host}, off this machine: to confirm, send the host again as"
            f' "confirm_host": "{host}" (or set base_url in memory.json)'
        )
        self.host = host


def remote_host(base_url: str | None) -> str | None:
    """The host of ``base_url`` when it is off this machine; ``None`` for loopback.

    Only literal loopback counts (``localhost``, 127.0.0.0/8, ``::1``): a name that
    resolves to 127.0.0.1 today can resolve elsewhere tomorrow.
    """
    if not base_url:
        return None
    try:
        host = (urlsplit(base_url).hostname or "").rstrip(".").lower()
    except ValueError:
        return base_url
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        return None if ipaddress.ip_address(host).is_loopback else host
    except ValueError:
        return host or base_url


def _check_url(base_url: str) -> None:
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as error:
        raise ConfigError(f"settings.llm.base_url: {base_url!r} is not a URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"settings.llm.base_url: {base_url!r} is not an http(s) address"
            " (e.g. http://127.0.0.1:11434/v1)"
        )


def sends_to(memory: Memory) -> str | None:
    """The host questions go to when it is off this machine (``None``: they stay here)."""
    try:
        resolved = resolve_settings(memory.config.settings.get("llm") or {})
    except LifelogError:
        return None
    if not resolved.enabled or resolved.backend == "local":
        return None
    return remote_host(resolved.base_url)


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
        "sends_to": sends_to(memory),
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


def write_settings(
    memory: Memory, values: dict[str, Any], *, confirm_host: str | None = None
) -> dict[str, Any]:
    """Check and save ``settings["llm"]``; the next answer uses them.

    A ``base_url`` off this machine needs ``confirm_host`` equal to its host, unless
    the saved settings already send to that host (:class:`ConfirmationNeeded`).
    """
    new = clean(values)
    backend = new.get("backend")
    if backend is not None and backend not in backends():
        raise ConfigError(f"unknown backend {backend!r} (known: {', '.join(backends())})")
    if "base_url" in new:
        _check_url(str(new["base_url"]))
        host = remote_host(str(new["base_url"]))
        saved = (memory.config.settings.get("llm") or {}).get("base_url")
        confirmed = (confirm_host or "").strip().rstrip(".").lower()
        if host is not None and host != remote_host(saved) and confirmed != host:
            raise ConfirmationNeeded(host)
    resolve_settings(new, env={})  # raises ConfigError / UserError when they cannot work
    memory.config.settings["llm"] = new
    save_config(memory.home, memory.config)
    return new
