"""Rendering one mail as an mboxo entry: headers, MIME parts, encodings, ``>From`` quoting.

Written by hand rather than with ``email.generator`` because the sample life
renders hundreds of thousands of messages and must be fast and byte-stable.
The output follows RFC 5322 / RFC 2045-2047 the way common clients write it.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr
from functools import cache

from .clock import asctime, local_parts, rfc2822
from .facts import Person

__all__ = ["Attachment", "Mail", "attribution", "quote", "render", "tiny_pdf"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    mime: str
    data: bytes


@dataclass(slots=True)
class Mail:
    utc: int
    sender: Person
    to: tuple[Person, ...]
    subject: str
    body: str
    message_id: str
    cc: tuple[Person, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    html: str | None = None
    attachment: Attachment | None = None
    encoding: str = "8bit"  # or "quoted-printable" or "7bit"
    html_encoding: str = "quoted-printable"  # or "base64"
    extra: tuple[tuple[str, str], ...] = ()
    boundary: str = ""
    #: whether filler replies may follow (never for the planted facts' mails)
    replyable: bool = False
    #: how deep in its thread this mail is (0 for a thread's first mail)
    depth: int = 0


@cache
def address(person: Person) -> str:
    return formataddr((person.name, person.email))


@cache
def _encoded_subject(subject: str) -> str:
    if subject.isascii():
        return subject
    return Header(subject, "utf-8").encode()


def _fold(name: str, values: list[str]) -> str:
    """A header whose values are joined with spaces and folded near 78 columns."""
    lines: list[str] = []
    current = name + ":"
    for value in values:
        if len(current) + 1 + len(value) > 78 and current != name + ":":
            lines.append(current)
            current = " " + value
        else:
            current += " " + value
    lines.append(current)
    return "\n".join(lines)


def _addresses(name: str, people: tuple[Person, ...]) -> str:
    parts = [address(p) + "," for p in people]
    parts[-1] = parts[-1][:-1]
    return _fold(name, parts)


def _base64(data: bytes) -> str:
    """Base64 in 76-character lines, as MIME wants (``encodebytes``, but faster)."""
    flat = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "".join([flat[i : i + 76] + "\n" for i in range(0, len(flat), 76)])


def _text_part(text: str, encoding: str, subtype: str = "plain") -> str:
    if encoding == "quoted-printable":
        payload = binascii.b2a_qp(text.encode("utf-8")).decode("ascii")
    elif encoding == "base64":
        payload = _base64(text.encode("utf-8"))
    else:
        payload = text
    if not payload.endswith("\n"):
        payload += "\n"
    return (
        f'Content-Type: text/{subtype}; charset="UTF-8"\n'
        f"Content-Transfer-Encoding: {encoding}\n\n{payload}"
    )


def _body_encoding(text: str, wanted: str) -> str:
    if wanted == "7bit" and not text.isascii():
        return "8bit"
    return wanted


def render(mail: Mail, envelope: str, delivered_to: str | None = None) -> str:
    """The mbox entry for ``mail``: ``From`` line, headers, body, trailing blank line.

    With ``delivered_to``, the mail is an incoming one and gets the trace headers
    a receiving server adds (``Return-Path``, ``Delivered-To``, ``Received``).
    """
    zone = mail.sender.zone
    head = []
    if delivered_to:
        sender_domain = mail.sender.email.rsplit("@", 1)[1]
        host = delivered_to.rsplit("@", 1)[1]
        head.append(f"Return-Path: <{mail.sender.email}>")
        head.append(f"Delivered-To: {delivered_to}")
        head.append(
            f"Received: from mail.{sender_domain} (mail.{sender_domain} "
            f"[203.0.113.{sum(map(ord, sender_domain)) % 250 + 1}])\n"
            f"        by mx.{host} with ESMTPS id {mail.message_id[1:13]}\n"
            f"        for <{delivered_to}>; {rfc2822('UTC', mail.utc + 2)}"
        )
    head.extend(f"{k}: {v}" for k, v in mail.extra)
    head.append("MIME-Version: 1.0")
    head.append(f"Date: {rfc2822(zone, mail.utc)}")
    head.append(f"Message-ID: {mail.message_id}")
    if mail.in_reply_to:
        head.append(f"In-Reply-To: {mail.in_reply_to}")
    if mail.references:
        head.append(_fold("References", list(mail.references)))
    head.append(f"Subject: {_encoded_subject(mail.subject)}")
    head.append(f"From: {address(mail.sender)}")
    head.append(_addresses("To", mail.to))
    if mail.cc:
        head.append(_addresses("Cc", mail.cc))
    encoding = _body_encoding(mail.body, mail.encoding)
    if mail.attachment is None and mail.html is None:
        body = _text_part(mail.body, encoding)
    else:
        boundary = mail.boundary
        if mail.attachment is None:
            kind = "alternative"
            parts = [
                _text_part(mail.body, encoding),
                _text_part(mail.html or "", mail.html_encoding, "html"),
            ]
        else:
            kind = "mixed"
            att = mail.attachment
            data = _base64(att.data)
            parts = [
                _text_part(mail.body, encoding),
                f'Content-Type: {att.mime}; name="{att.filename}"\n'
                f'Content-Disposition: attachment; filename="{att.filename}"\n'
                f"Content-Transfer-Encoding: base64\n\n{data}",
            ]
        body = f'Content-Type: multipart/{kind}; boundary="{boundary}"\n\n'
        body += "".join(f"--{boundary}\n{part}\n" for part in parts)
        body += f"--{boundary}--\n"
    text = "\n".join(head) + "\n" + body + "\n"
    # mboxo: a body line that starts with "From " gets one ">"
    if "\nFrom " in text:
        text = text.replace("\nFrom ", "\n>From ")
    return f"From {envelope} {asctime(mail.utc)}\n{text}"


def attribution(parent: Mail) -> str:
    """``On Sat, 5 Jan 2019 at 10:00, Name <addr> wrote:`` in the parent sender's zone."""
    t, _ = local_parts(parent.sender.zone, parent.utc)
    return (
        f"On {_DAYS[t.tm_wday]}, {t.tm_mday} {_MONTHS[t.tm_mon - 1]} {t.tm_year} at "
        f"{t.tm_hour:02d}:{t.tm_min:02d}, {parent.sender.name} <{parent.sender.email}> wrote:"
    )


def quote(body: str, lines: int = 8) -> str:
    return "\n".join("> " + ln if ln else ">" for ln in body.splitlines()[:lines])


def tiny_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF showing ``lines`` (ASCII) in Helvetica."""
    escaped = [ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for ln in lines]
    stream = "BT /F1 12 Tf 72 720 Td 16 TL\n"
    stream += "".join(f"({ln}) Tj T*\n" for ln in escaped) + "ET\n"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}endstream",
    ]
    out = "%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    out += "".join(f"{off:010d} 00000 n \n" for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")
