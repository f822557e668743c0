"""The half of the ``.pst`` reader that runs libpff, in a child process of its own.

libpff is C: on some damaged files it dies with a segmentation fault, which no ``except``
can catch (found by mutating a real PST). So :mod:`lifelog.sources.mail.pst` runs this
file as a script (``python -I pst_read.py FILE RESUME BAD``: the standard library and
``pypff`` only, nothing of lifelog is imported) and reads what it writes on stdout, one
JSON object per line:

- ``{"at": step, "where": "folder Inbox, message 3"}`` before each step that touches
  libpff (opening a subfolder, reading a message), so that the parent knows where a
  crash happened and can start again after it;
- ``{"mail": raw, "html": str | null, "extra": {...}, "date": iso | null, "folder": path,
  "where": ...}``: one message as internet mail headers (and its plain
  body), the HTML body when it has no plain one (made text by the parent);
- ``{"skip": where, "reason": ...}``, ``{"left": what, "count": n}``;
- ``{"error": message}`` when the file cannot be read at all, ``{"done": true}`` at the end.

Steps before ``RESUME`` are walked again without being read (folders) or not touched
(messages); the steps listed in ``BAD`` (comma-separated) are passed over.
"""

from __future__ import annotations

import codecs
import email.parser
import email.policy
import json
import re
import struct
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

#: a body (plain text or HTML) is cut to this many bytes
MAX_BODY_BYTES = 32 * 1024 * 1024
#: folders read at most, and how deep
MAX_FOLDERS = 100_000
MAX_DEPTH = 64
#: recipients and attachments read per message, properties per item, at most
MAX_PARTS = 2000
MAX_ENTRIES = 4096
#: messages in a row that fail before the rest of their folder is given up
MAX_FAILURES = 100
#: message classes that are not mail (left out and counted)
NOT_MAIL = ("IPM.Contact", "IPM.DistList", "IPM.Appointment", "IPM.Task", "IPM.Activity")

_NEWLINES = re.compile(r"[\r\n\t]+")
_STRING, _STRING8, _LONG, _BINARY = 0x001F, 0x001E, 0x0003, 0x0102
# MAPI property ids ([MS-OXPROPS])
_CLASS, _SUBJECT, _HEADERS, _MESSAGE_ID, _IN_REPLY_TO, _REFERENCES = (
    0x001A, 0x0037, 0x007D, 0x1035, 0x1042, 0x1039,
)  # fmt: skip
_SENDER_NAME, _SENDER_SMTP, _SENDER_EMAIL, _SENDER_TYPE = 0x0C1A, 0x5D01, 0x0C1F, 0x0C1E
_REPRESENTING_EMAIL, _DISPLAY_TO, _DISPLAY_CC, _INTERNET_CPID = 0x0065, 0x0E04, 0x0E03, 0x3FDE
_NAME, _EMAIL, _SMTP, _RECIPIENT_TYPE = 0x3001, 0x3003, 0x39FE, 0x0C15
_LONG_FILENAME, _FILENAME, _ATTACH_METHOD, _IPM_SUBTREE = 0x3707, 0x3704, 0x3705, 0x35E0
_NORMALIZED_SUBJECT = 0x0E1D
_EMBEDDED = 5  # PR_ATTACH_METHOD of an attached message
_RTF = 0x1009  # PR_RTF_COMPRESSED: noted, never decompressed
_WANTED = {
    _CLASS, _SUBJECT, _HEADERS, _MESSAGE_ID, _IN_REPLY_TO, _REFERENCES, _SENDER_NAME,
    _SENDER_SMTP, _SENDER_EMAIL, _SENDER_TYPE, _REPRESENTING_EMAIL, _DISPLAY_TO,
    _DISPLAY_CC, _INTERNET_CPID, _NAME, _EMAIL, _SMTP, _RECIPIENT_TYPE, _LONG_FILENAME,
    _FILENAME, _ATTACH_METHOD, _IPM_SUBTREE, _NORMALIZED_SUBJECT,
}  # fmt: skip
_ADDRESS_HEADERS = ("from", "to", "cc", "date", "message-id", "in-reply-to", "references")


def _record(record_set: Any) -> dict[int, Any]:
    """The wanted properties of one record set: id -> str | int | bytes (``_RTF``: True
    when a compressed RTF body is there)."""
    found: dict[int, Any] = {}
    try:
        count = min(record_set.number_of_entries, MAX_ENTRIES)
    except Exception:  # noqa: BLE001 - an unreadable table has no properties
        return found
    for at in range(count):
        try:
            entry = record_set.get_entry(at)
            prop, kind = entry.entry_type, entry.value_type
            if prop == _RTF:
                found[prop] = True
            if prop not in _WANTED or prop in found:
                continue
            if kind in (_STRING, _STRING8):
                found[prop] = entry.data_as_string or ""
            elif kind == _LONG:
                found[prop] = entry.data_as_integer
            elif kind == _BINARY:
                found[prop] = entry.data or b""
        except Exception:  # noqa: BLE001 - a property that cannot be decoded is left out
            continue
    return found


def _properties(item: Any) -> dict[int, Any]:
    """The wanted properties of an item (its first record set)."""
    try:
        if item.number_of_record_sets < 1:
            return {}
        return _record(item.get_record_set(0))
    except Exception:  # noqa: BLE001 - an item whose table cannot be read has none
        return {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _codec(codepage: Any) -> str | None:
    if not isinstance(codepage, int) or codepage <= 0:
        return None
    names = {65001: "utf-8", 20127: "ascii", 1200: "utf-16-le", 28591: "latin-1"}
    name = names.get(codepage) or f"cp{codepage}"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_line(name: str, value: str) -> bytes:
    """One header line, its value in UTF-8 as 8-bit mail has it (the mail reader decodes
    it; encoded words would hide the address inside an encoded display name). Shared
    with the ``.msg`` reader: this file imports nothing of lifelog."""
    value = _NEWLINES.sub(" ", value).strip()
    return f"{name}: {value}\r\n".encode("utf-8", "replace")


def address_field(name: str, address: str) -> str:
    """``"Name" <address>``, or whichever of the two there is."""
    name, address = _NEWLINES.sub(" ", name).strip(), address.strip()
    if "@" not in address:
        return name or address
    if not name or name == address:
        return address
    return f'"{name.replace(chr(34), chr(39))}" <{address}>'


def _date(message: Any) -> datetime | None:
    """The submit time, else the delivery time (libpff gives naive UTC)."""
    for name in ("client_submit_time", "delivery_time"):
        try:
            moment = getattr(message, name)
        except Exception:  # noqa: BLE001 - a damaged time is no time
            continue
        if isinstance(moment, datetime) and 1971 <= moment.year < 3000:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return None


def _recipients(message: Any, props: dict[int, Any]) -> dict[str, str]:
    by_type: dict[int, list[str]] = {1: [], 2: []}
    try:
        group = message.recipients
        count = min(group.number_of_record_sets, MAX_PARTS) if group is not None else 0
    except Exception:  # noqa: BLE001 - then the display lists stand in
        group, count = None, 0
    for at in range(count):
        try:
            person = _record(group.get_record_set(at))
        except Exception:  # noqa: BLE001 - one unreadable recipient is left out
            continue
        kind = person.get(_RECIPIENT_TYPE)
        address = _text(person.get(_SMTP)) or _text(person.get(_EMAIL))
        by_type.setdefault(kind if isinstance(kind, int) else 1, []).append(
            address_field(_text(person.get(_NAME)), address)
        )
    return {
        "to": ", ".join(by_type[1]) or _text(props.get(_DISPLAY_TO)).replace(";", ","),
        "cc": ", ".join(by_type[2]) or _text(props.get(_DISPLAY_CC)).replace(";", ","),
    }


def _attachments(message: Any) -> tuple[list[str], int]:
    """The attachments' names and the number of attached messages."""
    names: list[str] = []
    embedded = 0
    try:
        count = min(message.number_of_attachments, MAX_PARTS)
    except Exception:  # noqa: BLE001 - attachments that cannot be listed are not named
        return names, embedded
    for at in range(count):
        try:
            props = _properties(message.get_attachment(at))
        except Exception:  # noqa: BLE001 - one unreadable attachment is left unnamed
            continue
        if props.get(_ATTACH_METHOD) == _EMBEDDED:
            embedded += 1
        name = (
            _text(props.get(_LONG_FILENAME))
            or _text(props.get(_FILENAME))
            or _text(props.get(_NAME))
        )
        if name:
            names.append(name[:200])
    return names, embedded


def _body(message: Any, props: dict[int, Any], extra: dict[str, Any]) -> tuple[str, str | None]:
    """``(plain text, None)``, else ``("", HTML)``, each cut to ``MAX_BODY_BYTES``."""
    try:
        plain = message.plain_text_body
        html = None
        if not (isinstance(plain, bytes) and plain.strip(b"\x00\r\n\t ")):
            plain, html = None, message.html_body
    except Exception as error:  # noqa: BLE001 - the message is kept without its body
        extra["body"] = f"unreadable: {type(error).__name__}: {error}"[:300]
        return "", None
    if plain is not None:
        if len(plain) > MAX_BODY_BYTES:
            plain, extra["truncated"] = plain[:MAX_BODY_BYTES], True
        return plain.decode("utf-8", errors="replace").split("\x00", 1)[0], None
    if isinstance(html, bytes) and html.strip(b"\x00\r\n\t "):
        if len(html) > MAX_BODY_BYTES:
            html, extra["truncated"] = html[:MAX_BODY_BYTES], True
        codec = _codec(props.get(_INTERNET_CPID))
        if codec:
            return "", html.decode(codec, errors="replace")
        extra["html_bytes"] = True  # the parent finds its charset (BOM, meta, UTF-8)
        return "", html.decode("latin-1")
    if props.get(_RTF):
        extra["body"] = "only in compressed RTF: not read"
    return "", None


def message_record(message: Any) -> dict[str, Any] | None:
    """One message as the parent reads it, or None when it is not mail."""
    props = _properties(message)
    message_class = _text(props.get(_CLASS))
    if message_class.startswith(NOT_MAIL):
        return None
    parsed = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(
        _text(props.get(_HEADERS))
    )
    kept = {name: str(parsed[name]) for name in _ADDRESS_HEADERS if parsed[name]}
    sender_email = _text(props.get(_SENDER_EMAIL))
    if _text(props.get(_SENDER_TYPE)).upper() == "EX":
        sender_email = ""  # an Exchange directory name, not an address
    fields = {
        "from": address_field(
            _text(props.get(_SENDER_NAME)),
            _text(props.get(_SENDER_SMTP)) or sender_email or _text(props.get(_REPRESENTING_EMAIL)),
        ),
        **_recipients(message, props),
        "message-id": _text(props.get(_MESSAGE_ID)),
        "in-reply-to": _text(props.get(_IN_REPLY_TO)),
        "references": _text(props.get(_REFERENCES)),
    }
    moment = _date(message)
    if moment is not None:
        fields["date"] = moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
    lines = []
    for name in _ADDRESS_HEADERS:
        value = kept.get(name) or fields.get(name, "")
        if value:
            lines.append(header_line(name.title() if name != "message-id" else "Message-ID", value))
    subject = _text(props.get(_SUBJECT)) or _text(props.get(_NORMALIZED_SUBJECT))
    if subject.startswith("\x01"):  # [MS-PST] 2.5.3.1.1.1: SOH and the prefix's length
        subject = subject[2:]
    lines.append(header_line("Subject", subject))
    lines.append(b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n")
    lines.append(b"Content-Transfer-Encoding: 8bit\r\n\r\n")
    extra: dict[str, Any] = {"format": "pst"}
    if message_class:
        extra["message_class"] = message_class[:100]
    plain, html = _body(message, props, extra)
    names, embedded = _attachments(message)
    if names:
        extra["attachments"] = names[:50]
    raw = b"".join(lines).decode("utf-8") + plain.replace("\r\n", "\n")
    return {
        "mail": raw,
        "html": html,
        "extra": extra,
        "date": moment.isoformat() if moment else None,
        "counts": {"attachment contents": len(names), "embedded messages": embedded},
    }


def _ipm_subtree(store: Any) -> int | None:
    """The identifier of the top of the user's folders ("Top of Personal Folders")."""
    try:
        entry = _properties(store.get_message_store()).get(_IPM_SUBTREE)
    except Exception:  # noqa: BLE001 - then that folder keeps its name in paths
        return None
    if isinstance(entry, bytes) and len(entry) >= 24:
        ident: int = struct.unpack_from("<I", entry, 20)[0]
        return ident
    return None


def walk(store: Any, emit: Callable[[dict[str, Any]], None], resume: int, bad: set[int]) -> None:
    """Every folder depth first, each message emitted (see the module's docstring)."""
    root = store.get_root_folder()
    if root is None:
        raise OSError("no root folder")
    subtree = _ipm_subtree(store)
    step = 0
    folders = 0
    visited: set[int] = set()
    stack: list[tuple[Any, str, int]] = [(root, "", 0)]
    while stack:
        folder, path, depth = stack.pop()
        where = f"folder {path or '/'}"
        try:
            count = folder.number_of_sub_messages
        except Exception as error:  # noqa: BLE001 - a folder whose messages cannot be listed
            emit({"skip": where, "reason": f"messages unreadable: {error}"})
            count = 0
        failures = 0
        for at in range(count):
            step += 1
            if step < resume or step in bad:
                continue
            position = f"{where}, message {at + 1}"
            emit({"at": step, "where": position})
            try:
                record = message_record(folder.get_sub_message(at))
            except Exception as error:  # noqa: BLE001 - one bad message is one Skip
                emit({"skip": position, "reason": f"unreadable message: {error}"[:500]})
                failures += 1
                if failures >= MAX_FAILURES and at + 1 < count:
                    emit({"skip": where, "reason": f"{count - at - 1} more messages not read"})
                    step += count - at - 1
                    break
                continue
            failures = 0
            if record is None:
                emit({"left": "items that are not mail", "count": 1})
                continue
            emit({**record, "folder": path, "where": position})
        try:
            subfolders = folder.number_of_sub_folders
        except Exception as error:  # noqa: BLE001 - its messages are read already
            emit({"skip": where, "reason": f"subfolders unreadable: {error}"})
            continue
        children = []
        for at in range(subfolders):
            if folders >= MAX_FOLDERS or depth >= MAX_DEPTH:
                emit({"skip": where, "reason": "too many or too deeply nested folders"})
                break
            step += 1
            if step in bad:
                continue
            if step >= resume:
                emit({"at": step, "where": f"{where}, subfolder {at + 1}"})
            try:
                sub = folder.get_sub_folder(at)
                ident = sub.identifier
                name = (sub.name or "").replace("/", "\u2215") or f"#{at + 1}"
            except Exception as error:  # noqa: BLE001 - one bad folder is one Skip
                if step >= resume:
                    emit({"skip": f"{where}, subfolder {at + 1}", "reason": f"unreadable: {error}"})
                continue
            if ident in visited:
                continue  # a loop in a damaged store
            visited.add(ident)
            folders += 1
            inside = "" if depth == 0 and ident == subtree else name
            children.append((sub, "/".join(p for p in (path, inside) if p), depth + 1))
        stack.extend(reversed(children))  # depth first, in the store's order


def main(argv: list[str]) -> int:
    path, resume, bad = argv[1], int(argv[2]), {int(s) for s in argv[3].split(",") if s}
    out = sys.stdout

    def emit(record: dict[str, Any]) -> None:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()

    try:
        import pypff
    except ImportError as error:
        emit({"error": f"pypff is not installed ({error})"})
        return 3
    store = pypff.file()
    try:
        store.open(path)
    except Exception as error:  # noqa: BLE001 - libpff raises OSError and others
        emit({"error": f"{type(error).__name__}: {error}"})
        return 3
    try:
        walk(store, emit, resume, bad)
    except Exception as error:  # noqa: BLE001 - its root cannot be read: nothing can
        emit({"error": f"its folders cannot be read ({type(error).__name__}: {error})"})
        return 3
    emit({"done": True})
    return 0


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8", errors="surrogateescape")  # type: ignore[union-attr]
    sys.exit(main(sys.argv))
