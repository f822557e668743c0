"""Source registry: built-in and third-party export formats, found the same way.

Every source is declared as an entry point in the ``lifelog.sources`` group
(the built-ins in lifelog's own ``pyproject.toml``). ``BUILTIN`` mirrors them so
that a source tree that is not installed still works. A source whose optional
dependency is missing is skipped with a warning, not a crash.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from .base import Parsed, Source, read_head

__all__ = ["BUILTIN", "Parsed", "Source", "all_sources", "detect", "get_source"]

log = logging.getLogger(__name__)

#: name -> "module:Class"; order matters: the first source whose sniff matches wins.
BUILTIN: dict[str, str] = {
    "locomo": "lifelog.sources.locomo:LocomoSource",
    "claude": "lifelog.sources.claude:ClaudeSource",
    "chatgpt": "lifelog.sources.chatgpt:ChatGPTSource",
    "assistant": "lifelog.sources.claude:AssistantSource",
    "telegram": "lifelog.sources.telegram:TelegramSource",
    "discord": "lifelog.sources.discord:DiscordSource",
    "instagram": "lifelog.sources.meta_messages:InstagramSource",
    "messenger": "lifelog.sources.meta_messages:MessengerSource",
    "slack": "lifelog.sources.slack:SlackSource",
    "slack_zip": "lifelog.sources.slack:SlackZipSource",
    "takeout_chrome": "lifelog.sources.takeout:TakeoutChromeSource",
    "takeout_keep": "lifelog.sources.takeout:KeepSource",
    "takeout_youtube": "lifelog.sources.takeout_activity:YoutubeSource",
    "takeout_activity": "lifelog.sources.takeout_activity:ActivitySource",
    "takeout_location": "lifelog.sources.takeout_location:LocationSource",
    "sms": "lifelog.sources.sms:SmsSource",
    "android_sms": "lifelog.sources.android_sms:AndroidSmsSource",
    "imessage": "lifelog.sources.imessage:ImessageSource",
    "chrome": "lifelog.sources.browser:ChromeHistorySource",
    "firefox": "lifelog.sources.browser:FirefoxHistorySource",
    "safari": "lifelog.sources.safari:SafariHistorySource",
    "subtitles": "lifelog.sources.subtitles:SubtitlesSource",
    "kindle": "lifelog.sources.kindle:KindleSource",
    "claude_code": "lifelog.sources.claude_code:ClaudeCodeSource",
    "photos": "lifelog.sources.photos:PhotoSource",
    "whatsapp": "lifelog.sources.whatsapp:WhatsAppSource",
    "maildir": "lifelog.sources.email:MaildirSource",
    "mbox": "lifelog.sources.email:MboxSource",
    "eml": "lifelog.sources.email:EmlSource",
    "notes": "lifelog.sources.notes:NotesSource",
    "pdf": "lifelog.sources.pdf:PdfSource",
    "epub": "lifelog.sources.epub:EpubSource",
    "docx": "lifelog.sources.docx:DocxSource",
    "odt": "lifelog.sources.odt:OdtSource",
    "org": "lifelog.sources.org:OrgSource",
    "ical": "lifelog.sources.ical:IcalSource",
    "vcard": "lifelog.sources.vcard:VcardSource",
    "html": "lifelog.sources.html:HtmlSource",
    # last: archives a source above does not read as a whole (a Google Takeout)
    "archive": "lifelog.sources.archive:ArchiveSource",
}


def _load(name: str, target: str) -> Source | None:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, attr)
    except ImportError as error:
        warnings.warn(f"source {name!r} unavailable: {error}", stacklevel=2)
        return None
    source = cls()
    if not isinstance(source, Source):
        warnings.warn(f"source {name!r} does not implement lifelog.sources.Source", stacklevel=2)
        return None
    return source


@cache
def all_sources() -> tuple[Source, ...]:
    """Every available source, built-ins first, in detection order."""
    targets = dict(BUILTIN)
    for point in entry_points(group="lifelog.sources"):
        targets.setdefault(point.name, point.value)
    found: list[Source] = []
    for name, target in targets.items():
        source = _load(name, target)
        if source is not None:
            found.append(source)
    return tuple(found)


def get_source(name: str) -> Source:
    for source in all_sources():
        if source.name == name:
            return source
    from ..errors import UserError

    known = ", ".join(sorted(s.name for s in all_sources()))
    raise UserError(f"unknown source {name!r} (known: {known})")


def detect(path: Path) -> Source | None:
    """The source that reads ``path`` (a file or a directory), or None."""
    if path.is_dir():
        for source in all_sources():
            if source.directory and source.sniff(path, b""):
                return source
        return None
    head = read_head(path)
    for source in all_sources():
        if not source.directory and source.sniff(path, head):
            return source
    return None
