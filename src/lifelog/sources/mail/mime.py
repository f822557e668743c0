"""Lean MIME reading for the mail sources: headers, bodies, attachments.

The standard library's ``email`` parser walks every line of a message in Python,
base64 attachments included, which caps an mbox import at a few MB/s
(``policy.default``: ~3 MB/s, ``compat32``: ~15 MB/s on a sample archive). Mail
is read here with ``bytes.find`` instead: the header block is split off, only the
headers that are asked for are decoded, multipart bodies are cut at their
boundary lines, and only the parts that become text are decoded (attachments are
never decoded: only their names are kept). Parameter parsing (RFC 2231
continuations, quoting) is left to the standard library's ``Message.get_param``.
Charsets, encoded words and HTML are turned into text by :mod:`.email_text`.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from functools import lru_cache

from .text import b64decode, decode_bytes, decode_words, html_text

__all__ = ["Body", "Headers", "extract_body", "iter_ids", "message_charset", "split_message"]

#: deeper MIME nesting than this is not followed
MAX_DEPTH = 12
#: more parts than this in one message are ignored
MAX_PARTS = 500

_HEADER_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]{1,100}[ \t]*:")
_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]{1,100}[ \t]*")
#: a line break that does not start a continuation line
_LOGICAL_LINE = re.compile(rb"\r?\n(?![ \t])")
_FOLD = re.compile(rb"\r?\n(?=[ \t])|\r$")

#: text/* subtypes read as text when inline (others are attachments)
_TEXT_SUBTYPES = frozenset(
    (
        "plain",
        "enriched",
        "richtext",
        "markdown",
        "x-markdown",
        "x-patch",
        "x-diff",
        "rfc822-headers",
    )
)
#: parts that are never content: signatures, encryption envelopes
_IGNORED = frozenset(
    (
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-encrypted",
        "message/external-body",
        "message/partial",
    )
)
_FORWARD_HEADERS = ("From", "Date", "Subject", "To", "Cc")


# -- headers ----------------------------------------------------------------------------


class Headers:
    """A message's (or a part's) headers: unfolded, decoded only when asked for.

    Values are kept as bytes; ``get`` reads them as UTF-8, else in ``fallback``
    (the message's own charset), else windows-1252.
    """

    __slots__ = ("_values", "fallback")

    def __init__(self, values: dict[str, list[bytes]], fallback: str | None = None) -> None:
        self._values = values
        self.fallback = fallback

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._values

    def __len__(self) -> int:
        return len(self._values)

    def raw(self, name: str) -> bytes | None:
        found = self._values.get(name.lower())
        return found[0] if found else None

    def get(self, name: str) -> str | None:
        """The first value of header ``name`` as text (not RFC 2047-decoded)."""
        value = self.raw(name)
        return None if value is None else self._text(value)

    def get_all(self, name: str) -> list[str]:
        return [self._text(v) for v in self._values.get(name.lower(), ())]

    def _text(self, value: bytes) -> str:
        if b"\n" in value or value.endswith(b"\r"):
            value = _FOLD.sub(b"", value)
        if value.isascii():
            return value.decode("ascii").strip()
        try:
            return value.decode("utf-8").strip()
        except UnicodeDecodeError:
            return decode_bytes(value, self.fallback).strip()


def split_message(raw: bytes) -> tuple[Headers, bytes]:
    """Cut ``raw`` into its headers and its body.

    Headers end at the first blank line, or at the first line that is neither a
    header nor a continuation (that line starts the body, as mail readers do).
    A leading mbox ``From `` line is dropped.
    """
    end = begin = len(raw)
    for separator in (b"\n\n", b"\n\r\n"):
        found = raw.find(separator)
        if 0 <= found < end:
            end, begin = found, found + len(separator)
    if raw.startswith(b"\n"):
        end, begin = 0, 1
    elif raw.startswith(b"\r\n"):
        end, begin = 0, 2
    block = raw[:end]
    fast = _split_headers(block)
    if fast is not None:
        return Headers(fast), raw[begin:]
    values, body_start = _split_headers_slowly(block)
    body = raw[body_start:] if body_start is not None else raw[begin:]
    return Headers(values), body


def _split_headers(block: bytes) -> dict[str, list[bytes]] | None:
    """The headers of a well-formed header block; None when a line is not a header."""
    values: dict[str, list[bytes]] = {}
    lines = _LOGICAL_LINE.split(block)
    if lines and (lines[0].startswith(b"From ") or lines[0].startswith(b">From ")):
        del lines[0]
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or _NAME.fullmatch(name) is None:
            if not line.strip(b"\r\n \t"):
                continue
            return None
        key = name.rstrip(b" \t").decode("ascii").lower()
        found = values.get(key)
        if found is None:
            values[key] = [value]
        else:
            found.append(value)
    return values


def _split_headers_slowly(block: bytes) -> tuple[dict[str, list[bytes]], int | None]:
    """Headers up to the first line that is not one, and where the body starts."""
    values: dict[str, list[bytes]] = {}
    current: list[bytes] | None = None
    name = ""
    offset = 0
    body_start: int | None = None
    for number, line in enumerate(block.split(b"\n")):
        length = len(line) + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        if number == 0 and (line.startswith(b"From ") or line.startswith(b">From ")):
            offset += length
            continue
        if line[:1] in (b" ", b"\t") and current is not None:
            current.append(line)
        else:
            match = _HEADER_NAME.match(line)
            if match is None:
                if not line.strip() and current is None:
                    offset += length
                    continue
                body_start = offset
                break
            if current is not None:
                values.setdefault(name, []).append(b"\n".join(current))
            name = match.group().rstrip(b": \t").decode("ascii").lower()
            current = [line[match.end() :]]
        offset += length
    if current is not None:
        values.setdefault(name, []).append(b"\n".join(current))
    return values, body_start


# -- bodies -----------------------------------------------------------------------------


@dataclass(slots=True)
class Body:
    """What a message's body reads as: text pieces and attachment names."""

    texts: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    forwarded: int = 0
    html: bool = False
    parts: int = 0

    @property
    def text(self) -> str:
        return "\n\n".join(t.strip("\r\n").rstrip() for t in self.texts if t.strip())


@dataclass(slots=True)
class _Type:
    ctype: str
    charset: str | None
    boundary: str | None
    filename: str | None
    disposition: str
    encoding: str


_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)')


def _simple_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for match in _PARAM.finditer(value):
        name, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"'):
            raw = re.sub(
                r"\\(.)", r"\1", raw[1:-1] if raw.endswith('"') and len(raw) > 1 else raw[1:]
            )
        params.setdefault(name, raw)
    return params


@lru_cache(maxsize=4096)
def _parse_type(
    ctype_value: str | None, disp_value: str | None, default: str
) -> tuple[str, str | None, str | None, str | None]:
    """``(type, charset, boundary, filename)`` of a Content-Type / -Disposition pair.

    Plain parameters are read with a regular expression; RFC 2231 ones
    (``filename*=utf-8''...``) by the standard library.
    """
    ctype = default
    if ctype_value:
        head = ctype_value.split(";", 1)[0].strip().lower()
        main, slash, sub = head.partition("/")
        if main and sub and "/" not in sub and " " not in head:
            ctype = head
        elif main == "text" and not sub:
            ctype = "text/plain"  # a missing subtype (``text``, ``text/``), even in a digest
    if "*" in (ctype_value or "") or "*" in (disp_value or ""):
        holder = Message()
        if ctype_value:
            holder["Content-Type"] = ctype_value
        if disp_value:
            holder["Content-Disposition"] = disp_value
        try:
            charset = holder.get_content_charset()
            boundary = holder.get_boundary()
            found = holder.get_filename()
        except (ValueError, TypeError, LookupError, IndexError):
            charset = boundary = found = None
        filename = str(found) if found else None
    else:
        params = _simple_params(ctype_value or "")
        disp_params = _simple_params(disp_value or "")
        charset = params.get("charset", "").strip().lower() or None
        boundary = params.get("boundary") or None
        filename = disp_params.get("filename") or params.get("name") or None
    if filename:
        filename = decode_words(filename)[:200] or None
    return ctype, charset, boundary, filename


def _content_type(headers: Headers, default: str = "text/plain") -> _Type:
    disp_value = headers.get("content-disposition")
    ctype, charset, boundary, filename = _parse_type(
        headers.get("content-type"), disp_value, default
    )
    disposition = (disp_value or "").split(";", 1)[0].strip().lower()
    encoding = (headers.get("content-transfer-encoding") or "").strip().lower()
    return _Type(ctype, charset, boundary, filename, disposition, encoding)


def _decode_transfer(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        return b64decode(data)
    if encoding in ("quoted-printable", "quoted_printable"):
        return binascii.a2b_qp(data)
    return data


def _split_multipart(body: bytes, boundary: str) -> list[bytes] | None:
    """The parts between ``--boundary`` lines, or None when there is no such line."""
    delimiter = b"--" + boundary.encode("utf-8", "replace")
    parts: list[bytes] = []
    start: int | None = None
    search = 0
    while len(parts) < MAX_PARTS:
        index = body.find(delimiter, search)
        if index < 0:
            break
        search = index + len(delimiter)
        if index > 0 and body[index - 1] != 0x0A:  # not at a line start
            continue
        line_end = body.find(b"\n", index)
        if line_end < 0:
            line_end = len(body)
        rest = body[index + len(delimiter) : line_end].strip()
        closing = rest.startswith(b"--")
        if rest and not closing:  # a longer boundary that merely starts like ours
            continue
        if start is not None:
            end = index
            if end > start and body[end - 1] == 0x0A:
                end -= 1
                if end > start and body[end - 1] == 0x0D:
                    end -= 1
            parts.append(body[start:end])
        if closing:
            return parts
        start = line_end + 1
    if start is None:
        return None
    if start < len(body) and len(parts) < MAX_PARTS:
        parts.append(body[start:])  # no closing line: a truncated message
    return parts


def _is_attachment(kind: _Type) -> bool:
    """Whether a part is an attachment: ``Content-Disposition: attachment``, or a name
    without ``inline`` -- except a plain-text part named only by its Content-Type's
    ``name=`` (no Content-Disposition), which mailers such as Eudora, Outlook and PHP
    scripts send as the body itself."""
    if kind.disposition == "attachment":
        return True
    if not kind.disposition and kind.ctype.partition("/")[2] in _TEXT_SUBTYPES:
        return False
    return bool(kind.filename) and kind.disposition != "inline"


def _walk(headers: Headers, body: bytes, out: Body, depth: int, default: str) -> None:
    out.parts += 1
    if out.parts > MAX_PARTS:
        return
    kind = _content_type(headers, default)
    main, _, sub = kind.ctype.partition("/")
    if kind.ctype in _IGNORED:
        return
    if main == "multipart":
        _walk_multipart(kind, body, out, depth)
        return
    if main == "message" and sub in ("rfc822", "global", "news"):
        if kind.filename:
            out.attachments.append(kind.filename)
        if depth < MAX_DEPTH:
            _forwarded(_decode_transfer(body, kind.encoding), out, depth + 1)
        return
    if main == "text" and not _is_attachment(kind):
        if sub == "html":
            data = _decode_transfer(body, kind.encoding)
            out.texts.append(html_text(decode_bytes(data, kind.charset)))
            out.html = True
            return
        if sub in _TEXT_SUBTYPES:
            data = _decode_transfer(body, kind.encoding)
            out.texts.append(decode_bytes(data, kind.charset).strip("\r\n"))
            return
    if main == "message" and not kind.filename:  # delivery reports: readable text
        out.texts.append(decode_bytes(_decode_transfer(body, kind.encoding), "utf-8").strip())
        return
    if kind.filename:
        out.attachments.append(kind.filename)
    elif kind.disposition == "attachment" or main != "image":  # unnamed inline images: none
        out.attachments.append(f"(unnamed {kind.ctype})")


def _walk_multipart(kind: _Type, body: bytes, out: Body, depth: int) -> None:
    parts = _split_multipart(body, kind.boundary) if kind.boundary else None
    if parts is None:  # no boundary line at all: read the body as text
        data = _decode_transfer(body, kind.encoding)
        out.texts.append(decode_bytes(data, kind.charset).strip())
        return
    if depth >= MAX_DEPTH:
        return
    default = "message/rfc822" if kind.ctype == "multipart/digest" else "text/plain"
    split = [split_message(part) for part in parts]
    if kind.ctype == "multipart/alternative" and len(split) > 1:
        _walk_alternative(split, out, depth)
        return
    for sub_headers, sub_body in split:
        _walk(sub_headers, sub_body, out, depth + 1, default)


def _walk_alternative(split: list[tuple[Headers, bytes]], out: Body, depth: int) -> None:
    """Prefer the plain-text alternative; else the first one that gives text."""
    order = sorted(
        range(len(split)),
        key=lambda i: 0 if _content_type(split[i][0]).ctype == "text/plain" else 1,
    )
    for index in order:
        trial = Body(parts=out.parts)
        _walk(split[index][0], split[index][1], trial, depth + 1, "text/plain")
        out.parts = trial.parts
        if trial.text.strip() or index == order[-1]:
            out.texts.extend(trial.texts)
            out.attachments.extend(trial.attachments)
            out.forwarded += trial.forwarded
            out.html = out.html or trial.html
            return


def _forwarded(raw: bytes, out: Body, depth: int) -> None:
    headers, body = split_message(raw)
    inner = Body(parts=out.parts)
    _walk(headers, body, inner, depth, "text/plain")
    out.parts = inner.parts
    lines = ["---------- Forwarded message ----------"]
    for name in _FORWARD_HEADERS:
        value = headers.get(name)
        if value:
            lines.append(f"{name}: {decode_words(value)}")
    out.texts.append("\n".join(lines) + "\n\n" + inner.text)
    out.attachments.extend(inner.attachments)
    out.forwarded += 1 + inner.forwarded
    out.html = out.html or inner.html


def extract_body(headers: Headers, body: bytes) -> Body:
    """Text and attachment names of a message (``headers`` + ``body``)."""
    out = Body()
    _walk(headers, body, out, 0, "text/plain")
    return out


def message_charset(headers: Headers) -> str | None:
    """The charset named in the top-level Content-Type (for raw 8-bit headers)."""
    value = headers.raw("content-type")
    if not value:
        return None
    match = re.search(rb"charset\s*=\s*\"?([A-Za-z0-9_.:+-]+)", value, re.I)
    return match.group(1).decode("ascii") if match else None


def iter_ids(value: str | None) -> Iterator[str]:
    """The message ids in a ``References`` / ``In-Reply-To`` value, without ``<>``."""
    if not value:
        return
    found = re.findall(r"<([^<>\s]+)>", value)
    if found:
        yield from found
        return
    for token in value.split():
        token = token.strip("<>,;\"'")
        if "@" in token:
            yield token
