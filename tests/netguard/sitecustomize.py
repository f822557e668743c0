"""Loaded by every Python process started with this folder on ``PYTHONPATH`` (see
tests/test_no_network.py): connections and name lookups that would leave the machine
are refused, and each attempt is appended to ``$LIFELOG_NETGUARD_LOG``.

Loopback (127.0.0.0/8, ::1, ``localhost``) and Unix sockets stay open: the test talks
to ``lifelog serve`` over them. What Python code does through ``socket`` (httpx,
urllib, requests, asyncio) is covered; a C library opening sockets of its own is not.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

_LOG = os.environ.get("LIFELOG_NETGUARD_LOG", "")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _note(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {what}\n")


def _local_host(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).split("%", 1)[0].strip("[]").lower()
    if name in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # a Unix socket's path
    return _local_host(address[0])


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address):
        _note(f"connect {address!r}")
        raise ConnectionRefusedError(111, f"outbound connection refused by the test: {address!r}")
    _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address):
        _note(f"connect_ex {address!r}")
        return 111
    return _connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _local_host(host):
        _note(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"name lookup refused by the test: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo
