"""Source registry: built-in and third-party export formats, found the same way.

The formats live in a folder per family (``mail/``, ``chat/``, ``assistants/``,
``documents/``, ``notes/``, ``calendar/``, ``contacts/``, ``web/``, ``takeout/``,
``photos/``, ``media/``, ``social/``), each folder with the helpers only it uses. At the top stay
the base classes (``base``), the archive container source (``archive``) and the
low-level helpers several families share (``jsonstream``, ``sqlitecopy``,
``htmltext``, ``dates``). A new format is one module in its family folder, one line
here and one entry point.

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
    # first: their sniffs are exact (a JSON array opening with "vcard"/"vcalendar", an xCard
    # namespace), and other JSON and XML readers must not claim them
    "jcard": "lifelog.sources.contacts.jcard:JcardSource",
    "xcard": "lifelog.sources.contacts.xcard:XcardSource",
    "jcal": "lifelog.sources.calendar.jcal:JcalSource",
    "xcal": "lifelog.sources.calendar.xcal:XcalSource",
    # exact sniffs too: signal-export's data.json lines, its chat.md (before notes)
    "signal": "lifelog.sources.chat.signal:SignalSource",
    "twitter": "lifelog.sources.social.twitter:TwitterSource",
    "mastodon": "lifelog.sources.social.mastodon:MastodonSource",
    "reddit": "lifelog.sources.social.reddit:RedditSource",
    "google_photos": "lifelog.sources.photos.google_photos:GooglePhotosSource",
    # before takeout_activity, which would keep only each Gemini record's title
    "gemini": "lifelog.sources.assistants.gemini:GeminiSource",
    "locomo": "lifelog.sources.chat.locomo:LocomoSource",
    "claude": "lifelog.sources.assistants.claude:ClaudeSource",
    "chatgpt": "lifelog.sources.assistants.chatgpt:ChatGPTSource",
    "assistant": "lifelog.sources.assistants.claude:AssistantSource",
    "telegram": "lifelog.sources.chat.telegram:TelegramSource",
    "discord": "lifelog.sources.chat.discord:DiscordSource",
    "instagram": "lifelog.sources.chat.meta_messages:InstagramSource",
    "messenger": "lifelog.sources.chat.meta_messages:MessengerSource",
    "slack": "lifelog.sources.chat.slack:SlackSource",
    "slack_zip": "lifelog.sources.chat.slack:SlackZipSource",
    "takeout_chrome": "lifelog.sources.takeout.takeout:TakeoutChromeSource",
    "takeout_keep": "lifelog.sources.takeout.takeout:KeepSource",
    "takeout_youtube": "lifelog.sources.takeout.activity:YoutubeSource",
    "takeout_activity": "lifelog.sources.takeout.activity:ActivitySource",
    "takeout_location": "lifelog.sources.takeout.location:LocationSource",
    "sms": "lifelog.sources.chat.sms:SmsSource",
    "android_sms": "lifelog.sources.chat.android_sms:AndroidSmsSource",
    "android_calls": "lifelog.sources.chat.android_calls:AndroidCallsSource",
    "apple_notes": "lifelog.sources.notes.apple_notes:AppleNotesSource",
    "imessage": "lifelog.sources.chat.imessage:ImessageSource",
    "signal_desktop": "lifelog.sources.chat.signal_desktop:SignalDesktopSource",
    "chrome": "lifelog.sources.web.browser:ChromeHistorySource",
    "firefox": "lifelog.sources.web.browser:FirefoxHistorySource",
    "safari": "lifelog.sources.web.safari:SafariHistorySource",
    "subtitles": "lifelog.sources.media.subtitles:SubtitlesSource",
    "kindle": "lifelog.sources.media.kindle:KindleSource",
    "claude_code": "lifelog.sources.assistants.claude_code:ClaudeCodeSource",
    "photos": "lifelog.sources.photos.photos:PhotoSource",
    "whatsapp": "lifelog.sources.chat.whatsapp:WhatsAppSource",
    "maildir": "lifelog.sources.mail.email:MaildirSource",
    "mbox": "lifelog.sources.mail.email:MboxSource",
    "eml": "lifelog.sources.mail.email:EmlSource",
    "outlook_msg": "lifelog.sources.mail.outlook_msg:OutlookMsgSource",
    "pst": "lifelog.sources.mail.pst:PstSource",
    "notes": "lifelog.sources.notes.notes:NotesSource",
    "pdf": "lifelog.sources.documents.pdf:PdfSource",
    "epub": "lifelog.sources.documents.epub:EpubSource",
    "docx": "lifelog.sources.documents.docx:DocxSource",
    "doc": "lifelog.sources.documents.doc:DocSource",
    "odt": "lifelog.sources.documents.odt:OdtSource",
    "org": "lifelog.sources.notes.org:OrgSource",
    "ical": "lifelog.sources.calendar.ical:IcalSource",
    "vcard": "lifelog.sources.contacts.vcard:VcardSource",
    "html": "lifelog.sources.web.html:HtmlSource",
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
