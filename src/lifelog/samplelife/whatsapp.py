"""WhatsApp chat exports: an Android ``.txt``, an iOS ``.txt`` and an iOS ``.zip``.

* ``WhatsApp Chat with Priya Shah.txt``: Android, US locale
  (``5/2/23, 8:14 PM - Priya Shah: text``), ``<Media omitted>`` placeholders.
* ``WhatsApp Chat with Elena Rivera.txt``: iOS, en-GB locale
  (``[26/01/2020, 18:40:12] Elena Rivera: text``), ``‎image omitted`` placeholders.
* ``WhatsApp Chat - Rivera Family.zip``: an iOS group export, a zip holding ``_chat.txt``.

Timestamps are the phone's wall-clock time, as in real exports. Multi-line
messages continue on lines without a timestamp.
"""

from __future__ import annotations

import random
import time
import zipfile
from functools import cache
from pathlib import Path

from . import facts as F
from . import templates as T
from .clock import epoch
from .filler import EraPools, Filler, pool_size
from .writer import BufferedText

__all__ = ["write_whatsapp"]

LRM = "\u200e"
ENCRYPTION_NOTICE = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, "
    "not even WhatsApp, can read or listen to them."
)
#: fixed time stamped on the zip member (the export date)
EXPORT_DATE = (2025, 1, 2, 9, 0, 0)

# a message as it goes into an export: local wall-clock epoch seconds, author, text
Message = tuple[int, str, str]


_SECONDS = tuple(f"{s:02d}" for s in range(60))


@cache
def _clock_table(ios: bool) -> tuple[str, ...]:
    """Minute-of-day strings: iOS ``20:14:`` (seconds follow), Android ``8:14 PM``."""
    if ios:
        return tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
    return tuple(
        f"{m // 60 % 12 or 12}:{m % 60:02d} {'AM' if m < 720 else 'PM'}" for m in range(1440)
    )


class Stamper:
    """Formats export lines; caches the date part, looks the time of day up in a table."""

    def __init__(self, ios: bool) -> None:
        self.ios = ios
        self.clock = _clock_table(ios)
        self.day = -1
        self.prefix = ""

    def _date(self, day: int) -> str:
        t = time.gmtime(day * 86400)
        if self.ios:
            return f"[{t.tm_mday:02d}/{t.tm_mon:02d}/{t.tm_year}, "
        return f"{t.tm_mon}/{t.tm_mday}/{t.tm_year % 100:02d}, "

    def date_prefix(self, local: int) -> str:
        """The date part of a line at ``local`` (``[02/05/2023, `` or ``5/2/23, ``)."""
        day = local // 86400
        if day != self.day:
            self.day, self.prefix = day, self._date(day)
        return self.prefix

    def line(self, local: int, author: str, text: str) -> str:
        """One message: ``[02/05/2023, 20:14:00] A: text`` or ``5/2/23, 8:14 PM - A: text``.

        An iOS line about media starts with an LRM; an Android line without
        an author is a system message.
        """
        self.date_prefix(local)
        second = local % 86400
        if self.ios:
            lead = LRM if text[:1] == LRM else ""
            clock = self.clock[second // 60] + _SECONDS[second % 60]
            return f"{lead}{self.prefix}{clock}] {author}: {text}\n"
        if not author:
            return f"{self.prefix}{self.clock[second // 60]} - {text}\n"
        return f"{self.prefix}{self.clock[second // 60]} - {author}: {text}\n"


_GAPS = (4, 9, 15, 30, 42, 60, 95, 180, 400, 900)


class ChatPools:
    """The sentence pools, filled once and shared by every chat."""

    def __init__(self, rng: random.Random, scale: float) -> None:
        filler = Filler(rng)
        self.short = EraPools(filler, T.CHAT, pool_size(scale, 800, 150, 6000))
        self.long = EraPools(filler, T.CHAT_LONG, pool_size(scale, 40, 10, 400))
        self.portuguese = filler.pool(T.CHAT_PT, 40)


class ChatMaker:
    """Sessions of small talk between the members of one chat."""

    def __init__(self, rng: random.Random, pools: ChatPools, ios: bool) -> None:
        self.rng = rng
        self.filler = Filler(rng)
        self.ios = ios
        self.stamper = Stamper(ios)
        self.short, self.long, self.portuguese = pools.short, pools.long, pools.portuguese
        if ios:
            kinds = ("image omitted", "video omitted", "sticker omitted", "audio omitted")
            self.media = tuple(LRM + kind for kind in kinds)
            self.deleted = LRM + "This message was deleted."
            self.edited = ""
        else:
            self.media = ("<Media omitted>",)
            self.deleted = "This message was deleted"
            self.edited = " <This message was edited>"

    def session(self, members: tuple[str, ...], begin: int) -> tuple[int, list[str]]:
        """One burst of messages from ``begin``: its last time and its export lines.

        This is the hot loop of the chats, so it is kept flat.
        """
        stamper = self.stamper
        clock, ios = stamper.clock, self.ios
        # the date part changes only at midnight: keep it and the day's first second
        day_start = begin - begin % 86400
        prefix = stamper.date_prefix(day_start)
        if ios:
            tails = {m: f"] {m}: " for m in members}
        else:
            tails = {m: f" - {m}: " for m in members}
        rnd = self.filler.random
        short, long = self.short.at(begin).groups, self.long.at(begin).pick
        n_short, n_members = len(short), len(members)
        media, deleted, edited = self.media, self.deleted, self.edited
        portuguese = self.portuguese if begin >= F.MOVE_UTC else None
        sam = F.SAM.name
        local = begin
        author = members[int(rnd() * n_members)]
        out = []
        for _ in range(2 + int(rnd() * 23)):
            if rnd() < 0.45:
                author = members[int(rnd() * n_members)]
            local += _GAPS[int(rnd() * 10)]
            roll = rnd()
            if roll >= 0.11:
                group = short[int(rnd() * n_short)]
                text = group[int(rnd() * len(group))]
                if roll > 0.99 and edited:
                    text += edited
            elif roll < 0.04:
                text = long()
            elif roll < 0.09:
                text = media[int(rnd() * len(media))]
            elif roll < 0.095:
                text = deleted
            elif portuguese and author == sam:
                text = portuguese.pick()
            else:
                group = short[int(rnd() * n_short)]
                text = group[int(rnd() * len(group))]
            second = local - day_start
            if second >= 86400:
                day_start = local - local % 86400
                second = local - day_start
                prefix = stamper.date_prefix(day_start)
            if ios:
                lead = LRM if text[:1] == LRM else ""
                out.append(
                    f"{lead}{prefix}{clock[second // 60]}{_SECONDS[second % 60]}"
                    f"{tails[author]}{text}\n"
                )
            else:
                out.append(f"{prefix}{clock[second // 60]}{tails[author]}{text}\n")
        return local, out

    def write(
        self,
        out: BufferedText,
        header: list[Message],
        members: tuple[str, ...],
        count: int,
        planted: list[list[Message]],
    ) -> None:
        """The ``header`` lines, then ``count`` filler sessions merged in time with ``planted``."""
        line = self.stamper.line
        start = header[0][0]
        out.write("".join([line(local, author, text) for local, author, text in header]))
        end = epoch(2024, 12, 31, 18)
        days = sorted(self.rng.randrange(start + 86400, end) // 86400 for _ in range(count))
        pending = sorted(planted, key=lambda session: session[0][0])
        last = header[-1][0]

        def flush_planted(before: int | None) -> int:
            moment = last
            while pending and (before is None or pending[0][0][0] <= before):
                for local, author, text in pending.pop(0):
                    moment = max(local, moment + 1)
                    out.write(line(moment, author, text))
            return moment

        for day in days:
            begin = day * 86400 + self.filler.between(7 * 3600, 22 * 3600)
            last = flush_planted(begin)
            last, lines = self.session(members, max(begin, last + 60))
            out.write("".join(lines))
        flush_planted(None)


def write_whatsapp(root: Path, seed: int, scale: float) -> list[Path]:
    """Write the three chat exports under ``root/whatsapp``; return their paths."""
    sam, priya, elena, leo = F.SAM.name, F.PRIYA.name, F.ELENA.name, F.LEO.name
    paths = []
    pools = ChatPools(random.Random(f"{seed}:whatsapp:pools"), scale)

    rng = random.Random(f"{seed}:whatsapp:priya")
    maker = ChatMaker(rng, pools, ios=False)
    start = epoch(2019, 1, 6, 21, 2)
    camping = epoch(2023, 5, 2, 20, 14, 0)
    planted = [
        [
            (camping, priya, "Did you manage to book it??"),
            (camping + 95, sam, F.CAMPING_SENTENCE),
            (camping + 160, priya, "YESSS 🎉 I'll bring the stove and the good marshmallows"),
            (camping + 230, sam, "Perfect, I'll sort out the car"),
        ]
    ]
    path = root / F.CHAT_PRIYA
    with BufferedText(path) as out:
        header = [(start, "", ENCRYPTION_NOTICE + " Tap to learn more.")]
        maker.write(out, header, (sam, priya), max(1, round(300 * scale)), planted)
    paths.append(path)

    rng = random.Random(f"{seed}:whatsapp:elena")
    maker = ChatMaker(rng, pools, ios=True)
    start = epoch(2019, 1, 2, 9, 30, 11)
    tea = epoch(2020, 1, 26, 18, 40, 12)
    planted = [
        [
            (
                tea,
                elena,
                "Want me to bring you a bag of that coffee from the Italian place when I visit?",
            ),
            (tea + 64, sam, F.COFFEE_SENTENCE),
            (tea + 121, elena, "Good for you! I'll bring tea then ❤️"),
        ]
    ]
    path = root / F.CHAT_ELENA
    with BufferedText(path) as out:
        header = [(start, elena, LRM + ENCRYPTION_NOTICE)]
        maker.write(out, header, (sam, elena), max(1, round(250 * scale)), planted)
    paths.append(path)

    rng = random.Random(f"{seed}:whatsapp:family")
    maker = ChatMaker(rng, pools, ios=True)
    start = epoch(2019, 12, 25, 10, 2, 11)
    group = "Rivera Family"
    wedding = epoch(2024, 1, 14, 19, 5, 33)
    planted = [
        [
            (wedding, elena, F.WEDDING_SENTENCE),
            (wedding + 40, leo, "Thanks Mom 😂 invitations coming soon"),
            (wedding + 75, sam, "Wouldn't miss it! 🥳"),
        ]
    ]
    header = [
        (start, group, LRM + ENCRYPTION_NOTICE),
        (start, group, f"{LRM}{leo} created group “{group}”"),
        (start + 1, group, f"{LRM}{leo} added you"),
        (start + 2, group, f"{LRM}{leo} added {elena}"),
    ]
    path = root / F.CHAT_FAMILY
    path.parent.mkdir(parents=True, exist_ok=True)
    info = zipfile.ZipInfo("_chat.txt", date_time=EXPORT_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with zipfile.ZipFile(path, "w") as archive, archive.open(info, "w") as member:
        with BufferedText(member) as out:
            maker.write(out, header, (sam, elena, leo), max(1, round(150 * scale)), planted)
    paths.append(path)
    return paths
