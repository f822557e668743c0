"""Notes: Markdown (``.md``, ``.markdown``) and plain-text (``.txt``) files, one item each.

Obsidian-style notes are understood:

- YAML front matter between leading ``---`` lines, parsed as a safe subset
  (``key: value``, quoted strings, flow lists ``[a, b]``, block lists
  ``- a``, ``|``/``>`` blocks; nested maps are ignored; no code is ever run):
  ``title``, ``date``/``created`` (ISO 8601 with offsets, ``[Europe/Paris]``
  zone suffixes, most human formats; failing those, the first other key
  ending in ``date``), ``tags``, ``aliases``, ``id``; other keys are kept, as
  strings, in ``metadata["properties"]``;
- ``[[wikilinks]]`` (with ``|alias``, ``#heading``) and ``![[embeds]]``
  -> ``metadata["links"]`` (embeds also in ``metadata["embeds"]``);
- inline ``#tags`` -> ``metadata["tags"]`` (not in code, not ``# headings``).

``title`` is the front-matter title, else the first ``# heading``, else the file
stem. ``timestamp`` is the front-matter date, else the file's mtime. ``text`` is
the body verbatim with the front matter removed, except its ``tags:`` line(s),
which are kept at the top so that tags stay searchable.

The key is the note's file name, plus ``/`` and the front-matter ``id`` when
there is one. Without an id, inside an Obsidian vault (an ancestor folder holding
``.obsidian``) it is the path relative to the vault root instead, so that two
``index.md`` in different folders stay apart. Outside a vault it is the file
name with its two enclosing folder names (``notes/2023/todo.md``): two notes of
the same name in different folders stay apart, and moving the whole notes
folder elsewhere keeps every key.

Undecodable bytes are replaced (``metadata["encoding_errors"] = True``);
files with NUL bytes in their first 8 KB are reported as binary and skipped.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, file_uri
from ..chat.whatsapp import MAX_TEXT, WhatsAppSource
from ..dates import parse_note_date
from ..held import held_member

__all__ = ["NotesSource", "parse_front_matter", "parse_note_date"]

#: bytes read from a note at most (longer notes are truncated)
MAX_BYTES = MAX_TEXT * 4
_FRONT_MATTER_LINES = 2000
_DATE_KEYS = ("date", "created", "created_at", "creation_date", "creation date", "datetime")
_TAG_KEYS = ("tags", "tag")
_ALIAS_KEYS = ("aliases", "alias")
_KNOWN = {"title", "id", *_DATE_KEYS, *_TAG_KEYS, *_ALIAS_KEYS}

_KEY = re.compile(r"(?P<key>[^\s#:\-\[\]{}][^:]*?)\s*:(?:\s+(?P<value>.*?))?\s*")
_FENCE = re.compile(r"\s{0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:.|\n)*?\1")
_WIKILINK = re.compile(r"(!?)\[\[([^\[\]|#\n]*)(?:#([^\[\]|\n]*))?(?:\|([^\[\]\n]*))?\]\]")
_TAG = re.compile(r"(?:(?<=\s)|^)#([\w/-]+)")
_HEADING = re.compile(r"#\s+(.+?)(?:\s+#+)?\s*")


# -- front matter --------------------------------------------------------------------


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return inner.replace("''", "'") if value[0] == "'" else inner.replace('\\"', '"')
    if " #" in value:  # a trailing comment on an unquoted scalar
        value = value.split(" #", 1)[0].rstrip()
    return value


def _flow_list(value: str) -> list[str]:
    inner = value.strip()[1:-1]
    items: list[str] = []
    current = ""
    quote = ""
    for char in inner:
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
            current += char
        elif char == ",":
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [_unquote(i) for i in items if i.strip()]


def parse_front_matter(lines: list[str]) -> dict[str, str | list[str]]:
    """A safe subset of YAML: top-level scalars and lists of scalars, as strings."""
    result: dict[str, str | list[str]] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#") or line[:1].isspace():
            continue
        match = _KEY.fullmatch(line)
        if match is None:
            continue
        key = _unquote(match["key"])
        value = (match["value"] or "").strip()
        if value.startswith("[") and value.endswith("]"):
            result[key] = _flow_list(value)
        elif value[:1] in ("|", ">"):
            block: list[str] = []
            while index < len(lines) and (not lines[index].strip() or lines[index][:1].isspace()):
                block.append(lines[index].strip())
                index += 1
            joiner = "\n" if value[0] == "|" else " "
            result[key] = joiner.join(block).strip()
        elif value:
            result[key] = _unquote(value)
        else:
            items: list[str] = []
            while index < len(lines):
                nxt = lines[index]
                stripped = nxt.strip()
                if stripped.startswith("- ") or stripped == "-":
                    items.append(_unquote(stripped[1:]))
                elif stripped and not nxt[:1].isspace():
                    break
                index += 1  # blank lines and nested maps are passed over
            if items:
                result[key] = [i for i in items if i]
    return result


def _split(text: str) -> tuple[dict[str, str | list[str]], str, str]:
    """``(front matter, kept tags lines, body)``."""
    if not text.startswith("---"):
        return {}, "", text
    lines = text.split("\n", _FRONT_MATTER_LINES + 1)
    if lines[0].rstrip() != "---":
        return {}, "", text
    for end in range(1, min(len(lines), _FRONT_MATTER_LINES + 1)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        return {}, "", text
    block = lines[1:end]
    body = text.split("\n", end + 1)[end + 1] if len(lines) > end + 1 else ""
    kept: list[str] = []
    for i, line in enumerate(block):
        if re.match(r"tags?\s*:", line, re.I):
            kept.append(line)
            for following in block[i + 1 :]:
                if not following.strip().startswith("-"):
                    break
                kept.append(following)
            break
    return parse_front_matter(block), "\n".join(kept), body


# -- body scanning -------------------------------------------------------------------


def _prose_lines(body: str) -> Iterator[str]:
    """Lines outside fenced code blocks, with inline code removed."""
    fence = ""
    for line in body.split("\n"):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened[1][0] == fence[0] and len(opened[1]) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened[1]
            continue
        yield _INLINE_CODE.sub(" ", line) if "`" in line else line


def _scan(body: str) -> tuple[str | None, list[str], list[str], list[str]]:
    """``(first # heading, inline tags, links, embeds)``."""
    heading: str | None = None
    tags: list[str] = []
    links: list[str] = []
    embeds: list[str] = []
    for line in _prose_lines(body):
        if heading is None:
            match = _HEADING.fullmatch(line)
            if match:
                heading = match[1].strip()
        if "#" in line:
            for tag in _TAG.findall(line):
                tag = tag.strip("/")
                if tag and not all(c.isdigit() or c in "_-/" for c in tag):
                    tags.append(tag)
        if "[[" in line:
            for bang, target, _heading, _alias in _WIKILINK.findall(line):
                target = target.strip()
                if target:
                    links.append(target)
                    if bang:
                        embeds.append(target)
    return heading, tags, links, embeds


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        folded = value.casefold()
        if folded not in seen:
            seen.add(folded)
            out.append(value)
    return out[:500]


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [v for v in re.split(r"[,\s]+", value) if v]


def _vault_key(path: Path) -> str | None:
    """The path relative to an enclosing Obsidian vault, if there is one."""
    if held_member(path) is not None:  # inside an archive: its folders are the member's
        return None
    try:
        resolved = path.resolve()
    except OSError:
        return None
    for depth, parent in enumerate(resolved.parents):
        if depth > 32:
            break
        if (parent / ".obsidian").is_dir():
            return resolved.relative_to(parent).as_posix()
    return None


def _loose_key(path: Path) -> str:
    """The file name under its two enclosing folders (fewer near the root)."""
    member = held_member(path)
    try:
        parts = member.parts if member is not None else path.resolve().parts
    except OSError:
        parts = path.parts
    return "/".join(p for p in parts[-3:] if p not in ("/", ""))


def _decode(data: bytes, complete: bool) -> tuple[str, bool]:
    """``(text, had encoding errors)``."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace").lstrip("\ufeff"), False
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        return decoder.decode(data, final=complete), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


class NotesSource(Source):
    name = "notes"
    description = "Markdown and plain-text notes (Obsidian front matter, tags, wikilinks)"
    extensions = (".md", ".markdown", ".mdown", ".mkd", ".txt")

    def sniff(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix not in self.extensions:
            return False
        return not (suffix == ".txt" and WhatsAppSource().sniff(path, head))

    def parse(self, path: Path) -> Iterator[Parsed]:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
            mtime = path.stat().st_mtime
        except OSError as error:
            raise SourceError(f"{path}: cannot read: {error}") from error
        truncated = len(data) > MAX_BYTES
        data = data[:MAX_BYTES]
        utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if not utf16 and b"\x00" in data[:8192]:
            yield Skip(str(path), "file", "binary file (NUL bytes), not a text note")
            return
        text, errors = _decode(data, complete=not truncated)
        text = clean_text(text)
        if len(text) > MAX_TEXT:
            text, truncated = text[:MAX_TEXT], True
        raw_front, tags_lines, body = _split(text)
        front = {k.lower(): v for k, v in raw_front.items()}
        heading, inline_tags, links, embeds = _scan(body)
        title = front.get("title")
        title = title if isinstance(title, str) and title else heading or path.stem
        moment = None
        date_keys = [*_DATE_KEYS, *(k for k in front if k.endswith("date") or "created" in k)]
        for key in date_keys:
            value = front.get(key)
            if isinstance(value, str) and (moment := parse_note_date(value)):
                break
        if moment is None:
            moment = datetime.fromtimestamp(mtime, UTC)
        tags = _unique(
            [t.lstrip("#") for k in _TAG_KEYS for t in _as_list(front.get(k))] + inline_tags
        )
        aliases = [a for k in _ALIAS_KEYS for a in _as_list_keep(front.get(k))]
        metadata: dict[str, Any] = {
            "format": "text" if path.suffix.lower() == ".txt" else "markdown",
            "file": path.name,
        }
        for name, values in (
            ("tags", tags),
            ("aliases", aliases),
            ("links", _unique(links)),
            ("embeds", _unique(embeds)),
        ):
            if values:
                metadata[name] = values
        properties = {
            k: (v[:500] if isinstance(v, str) else [s[:200] for s in v[:50]])
            for k, v in list(raw_front.items())[:50]
            if k.lower() not in _KNOWN
        }
        if properties:
            metadata["properties"] = properties
        if errors:
            metadata["encoding_errors"] = True
        if truncated:
            metadata["truncated"] = True
        note_id = front.get("id")
        if isinstance(note_id, str) and note_id:
            key = path.name + "/" + note_id  # the note's own id: where it lies does not matter
        else:
            key = _vault_key(path) or _loose_key(path)
        yield Item(
            source=self.name,
            key=key,
            kind="note",
            text=(tags_lines + "\n" + body) if tags_lines else body,
            timestamp=moment,
            title=title,
            uri=file_uri(path),
            locator=path.name,
            metadata=metadata,
        )


def _as_list_keep(value: str | list[str] | None) -> list[str]:
    """Aliases: a list, or one string (which may contain spaces) split on commas."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [v.strip() for v in value.split(",") if v.strip()]
