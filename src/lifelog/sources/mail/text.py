"""Text out of mail bytes: charsets, RFC 2047 encoded words, HTML bodies.

Charsets are looked up leniently: labels mail clients use that Python does not
know (``ks_c_5601-1987``) or that are supersets in practice (``iso-8859-1`` is
windows-1252, ``gb2312`` is GB18030, ``euc-kr`` is CP949) are mapped; 8-bit text
without a charset is read as UTF-8 when valid, else windows-1252. Undecodable
bytes become U+FFFD; nothing here raises on bad input.

HTML bodies go through :func:`lifelog.sources.web.html.html_to_text` (the standard
library's ``html.parser``; scripts, styles and hidden elements dropped,
paragraphs and line breaks kept), after :func:`defuse_html` has removed what
would make that parser take quadratic time.
"""

from __future__ import annotations

import binascii
import codecs
import re
from functools import lru_cache

from ..htmltext import html_to_text

__all__ = ["b64decode", "decode_bytes", "decode_words", "defuse_html", "html_text"]

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_BLANK_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")
_SPACES = re.compile(r"\s+")
_COMMENT_END = re.compile(r"--!?\s*>")
_SECTION_END = re.compile(r"\]\s*>")

#: charset labels seen in mail, mapped to the Python codec that really reads them
_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "korean": "cp949",
    "euc-kr": "cp949",
    "x-windows-949": "cp949",
    "windows-949": "cp949",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "chinese": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_2",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "ascii",
    "iso-8859-8-i": "iso8859_8",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}
#: labels that carry no information: the bytes are guessed
_UNKNOWN = frozenset(
    ("unknown-8bit", "x-unknown", "unknown", "default", "charset", "x-user-defined", "8bit")
)
#: when the declared codec fails strictly, these are tried (strictly) before U+FFFD
_FALLBACKS = {
    "iso2022_jp_2": ("iso2022_jp_ext", "iso2022_jp_3"),
    "euc_jp": ("cp932",),
}

# -- charsets ---------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _codec(charset: str | None) -> str | None:
    """The Python codec for a charset label, or None when unknown or absent."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    label = label.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*en
    if not label or label in _UNKNOWN:
        return None
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        return None


def _guess(data: bytes) -> str:
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from ``data`` in ``charset``: lenient labels, never raises."""
    codec = _codec(charset)
    if codec is None or codec == "ascii":
        return _guess(data)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:  # pragma: no cover - codecs.lookup already vetted it
        return _guess(data)
    for alternative in _FALLBACKS.get(codec, ()):
        try:
            return data.decode(alternative)
        except UnicodeDecodeError:
            continue
    return data.decode(codec, "replace")


def b64decode(data: bytes) -> bytes:
    """Base64 that tolerates junk characters and missing padding."""
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        pass
    stripped = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    stripped = stripped[: len(stripped) - len(stripped) % 4]
    try:
        return binascii.a2b_base64(stripped)
    except binascii.Error:
        return b""


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (``=?utf-8?B?...?=``); whitespace collapsed.

    Adjacent words in the same charset are joined before decoding, so a
    multibyte character split across two words survives. Broken words are kept
    as they are.
    """
    if "=?" not in value:
        return _SPACES.sub(" ", value).strip()
    value = _BLANK_BETWEEN_WORDS.sub(r"\1\2", value)
    out: list[str] = []
    pending: bytearray = bytearray()
    pending_charset: str | None = None
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_bytes(bytes(pending), pending_charset))
        pending, pending_charset = bytearray(), None

    for match in _ENCODED_WORD.finditer(value):
        if match.start() > position:
            flush()
            out.append(value[position : match.start()])
        charset, kind, payload = match.groups()
        raw = payload.encode("ascii", "replace")
        data = b64decode(raw) if kind in "bB" else binascii.a2b_qp(raw, header=True)
        charset = charset.split("*", 1)[0].lower()
        if pending and charset != pending_charset:
            flush()
        pending += data
        pending_charset = charset
        position = match.end()
    flush()
    out.append(value[position:])
    return _SPACES.sub(" ", "".join(out)).strip()


def defuse_html(markup: str) -> str:
    """``markup`` without the constructs that make ``html.parser`` quadratic.

    The parser rescans to the end of the document for every construct that is
    never closed (CPython issue 135462): an unclosed comment or marked section
    cuts the document there (a browser shows nothing after it either), and a
    ``<`` after the last ``>`` is text (``&lt;``). Linear time.
    """
    position = 0
    while True:
        start = markup.find("<!", position)
        if start < 0:
            break
        if markup.startswith("<!--", start):
            end = _COMMENT_END.search(markup, start + 4)
        elif markup.startswith("<![", start):
            end = _SECTION_END.search(markup, start + 3)
        else:
            position = start + 2
            continue
        if end is None:
            markup = markup[:start]
            break
        position = end.end()
    last = markup.rfind(">")
    if markup.find("<", last + 1) >= 0:
        markup = markup[: last + 1] + markup[last + 1 :].replace("<", "&lt;")
    return markup


def html_text(markup: str) -> str:
    try:
        return html_to_text(defuse_html(markup))[1].strip()
    except (ValueError, AssertionError, RecursionError, IndexError):
        return ""
