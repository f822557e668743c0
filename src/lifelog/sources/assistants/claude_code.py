"""Claude Code sessions: the ``.jsonl`` transcripts in ``~/.claude/projects/<project>/``.

Claude Code (Anthropic's coding assistant for the terminal) writes one file per session,
``~/.claude/projects/<the folder's path, dashed>/<session uuid>.jsonl``, one JSON record a
line::

    {"type": "user", "sessionId", "uuid", "timestamp", "cwd", "gitBranch", "version",
     "isSidechain": false, "isMeta"?, "message": {"role": "user", "content": "..." | [blocks]}}
    {"type": "assistant", ..., "message": {"model", "content": [{"type": "text", "text"},
     {"type": "tool_use", "name", "input"}, {"type": "thinking", "thinking"}]}}
    {"type": "summary", "summary", "leafUuid"}   {"type": "system" | "file-history-snapshot" |
     "queue-operation", ...}

What the person and Claude said to each other is kept: each user or assistant record
with text becomes one ``Item`` (kind ``message``, author ``"Me"`` or ``"Claude"``, the
model in the metadata), threaded per session (``claude_code:<sessionId>``), keyed by
session and record uuid, titled by the project folder. A slash command the person typed
is kept as itself (``/model opus``), a shell command typed after ``!`` as ``$ command``;
``<system-reminder>`` blocks are removed from the text. Tool noise is left out and
counted in the run's report: tool calls and their results, thinking, the output of
local commands, meta records (caveats), records of sub-agents (``isSidechain``), the
summaries Claude Code writes when it compacts a conversation, and the bookkeeping
records (``system``, ``file-history-snapshot``, ``queue-operation``, ``summary``). An
image the person pasted is named (``[image]``), never kept.

Hostile files: read line by line, a line longer than ``MAX_LINE`` characters (a
pasted screenshot is a few hundred KB of base64) is skipped without being held in
memory, a line that is not JSON is one ``Skip`` naming it, and texts are cut at
``MAX_TEXT``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from ...records import Item, Skip
from ..base import Parsed, Source, clean_text, left_out_skip
from ..jsonstream import cap_text, iso_time, json_lines, record_uri

__all__ = ["ClaudeCodeSource"]

#: a line (one record) longer than this is skipped unread (base64 images, huge tool output)
MAX_LINE = 16 * 1024 * 1024
_HEAD = re.compile(r'"sessionId"\s*:|"type"\s*:\s*"summary"[^\n]*"leafUuid"')
_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>\s*", re.S)
_COMMAND = re.compile(r"<command-name>\s*(.*?)\s*</command-name>", re.S)
_ARGS = re.compile(r"<command-args>\s*(.*?)\s*</command-args>", re.S)
_BASH_INPUT = re.compile(r"<bash-input>\s*(.*?)\s*</bash-input>", re.S)
_OUTPUT = ("<local-command-stdout>", "<bash-stdout>", "<bash-stderr>", "<local-command-stderr>")
_BOOKKEEPING = {
    "system": "system notices",
    "summary": "session summaries",
    "file-history-snapshot": "file snapshots",
    "queue-operation": "queue records",
}


def _user_text(content: Any, counts: Counter[str]) -> tuple[str, list[str]]:
    """``(text, attachments)`` of a user record's content; tool results are counted."""
    if isinstance(content, str):
        return _typed(content, counts), []
    texts: list[str] = []
    attachments: list[str] = []
    if isinstance(content, list):
        for block in content[:1000]:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                texts.append(_typed(block["text"], counts))
            elif kind == "tool_result":
                counts["tool results"] += 1
            elif kind in ("image", "document"):
                attachments.append(str(kind))
    return "\n\n".join(t for t in texts if t), attachments


def _typed(text: str, counts: Counter[str]) -> str:
    """What the person typed, with Claude Code's wrappers read."""
    stripped = text.lstrip()
    if stripped.startswith(_OUTPUT):
        counts["command outputs"] += 1
        return ""
    command = _COMMAND.search(text)
    if command:
        found = _ARGS.search(text)
        arguments = found.group(1) if found else ""
        return f"{command.group(1)} {arguments}".strip()
    shell = _BASH_INPUT.search(text)
    if shell:
        return f"$ {shell.group(1)}"
    return _REMINDER.sub("", text).strip()


def _assistant_text(content: Any, counts: Counter[str], tools: list[str]) -> str:
    if isinstance(content, str):
        return content.strip()
    texts: list[str] = []
    if isinstance(content, list):
        for block in content[:1000]:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                texts.append(block["text"].strip())
            elif kind == "tool_use":
                counts["tool calls"] += 1
                if isinstance(block.get("name"), str) and len(tools) < 50:
                    tools.append(block["name"][:100])
            elif kind in ("thinking", "redacted_thinking"):
                counts["thinking blocks"] += 1
    return "\n\n".join(t for t in texts if t)


class ClaudeCodeSource(Source):
    name = "claude_code"
    description = "Claude Code sessions (~/.claude/projects/*/*.jsonl): what you and Claude said"
    extensions = (".jsonl",)

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".jsonl":
            return False
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
        return first.startswith(b"{") and bool(_HEAD.search(first.decode("utf-8", "replace")))

    def parse(self, path: Path) -> Iterator[Parsed]:
        file = str(path)
        counts: Counter[str] = Counter()
        project = PurePosixPath(path.parent.name).name
        for found in json_lines(path, MAX_LINE):
            if isinstance(found, Skip):
                yield found
                continue
            number, record = found
            parsed = self._record(path, record, number, project, counts)
            if parsed is not None:
                yield parsed
        left = [(count, what) for what, count in sorted(counts.items())]
        if left:
            yield left_out_skip(file, "tool noise", left)

    def _record(
        self, path: Path, record: dict[str, Any], number: int, project: str, counts: Counter[str]
    ) -> Parsed | None:
        kind = record.get("type")
        if kind not in ("user", "assistant"):
            counts[_BOOKKEEPING.get(str(kind), "other records")] += 1
            return None
        if record.get("isSidechain"):
            counts["sub-agent messages"] += 1
            return None
        if record.get("isMeta") or record.get("isCompactSummary"):
            counts["meta messages"] += 1
            return None
        message = record.get("message")
        if not isinstance(message, dict):
            return Skip(str(path), f"line {number}", f"{kind} record without a message")
        tools: list[str] = []
        attachments: list[str] = []
        if kind == "user":
            text, attachments = _user_text(message.get("content"), counts)
            if attachments:
                text = "\n".join([text, *(f"[{a}]" for a in attachments)]).strip()
        else:
            text = _assistant_text(message.get("content"), counts, tools)
        if not text:
            return None
        session = str(record.get("sessionId") or path.stem)[:200]
        uuid = str(record.get("uuid") or f"line {number}")[:200]
        metadata: dict[str, Any] = {"session": session, "line": number}
        for key, name in (("cwd", "cwd"), ("gitBranch", "git_branch"), ("version", "version")):
            if isinstance(record.get(key), str) and record[key]:
                metadata[name] = record[key][:1000]
        model = message.get("model")
        if isinstance(model, str) and model:
            metadata["model"] = model[:200]
        if tools:
            metadata["tools"] = tools
        if attachments:
            metadata["attachments"] = attachments
        folder = metadata.get("cwd", "")
        title = PurePosixPath(folder).name if folder else project
        text = cap_text(clean_text(text), metadata)
        locator = f"line {number}"
        return Item(
            source=self.name,
            key=f"{session}/{uuid}",
            kind="message",
            text=text,
            timestamp=iso_time(record.get("timestamp")),
            author="Me" if kind == "user" else "Claude",
            participants=("Me", "Claude"),
            title=f"Claude Code: {title}"[:300] if title else "Claude Code",
            thread=f"claude_code:{session}",
            uri=record_uri(path, locator),
            locator=locator,
            metadata=metadata,
        )
