"""A Google Takeout-like zip of Sam Rivera's life, of a chosen size, for tests and the bench.

``write_takeout(path, size=...)`` writes ``Takeout/...`` members in the formats
Google writes (see :mod:`lifelog.sources.takeout.takeout`): Gmail's mbox with
``X-Gmail-Labels`` and ``X-GM-THRID``, Chrome's ``BrowserHistory.json``, Keep
notes (``.json`` with an ``.html`` copy each), a Calendar ``.ics``, Contacts
``.vcf``, YouTube watch and search history, Location History ``Records.json``
and Semantic Location History months, the archive's ``archive_browser.html``
and one Drive PDF (a format lifelog does not read inside an archive).

Everything is drawn from the sample life's generators with one seed, in time
order, and cut at ``until``: an export with a later ``until`` holds every
record of an earlier one plus the newer ones, as a newer export of the same
account does. ``scale`` sets the density of the small parts; ``size`` (bytes of
the zip) adds mail until the archive is that large, the way mail dominates
real Takeouts; some mails carry a photo (random bytes, base64), so that the zip
compresses about as much as a real mailbox does (about 2:1). Members are
streamed into the zip, so memory stays small whatever the size.

Run ``python -m lifelog.samplelife.takeout OUT.zip --size 1G``.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from . import facts as F
from . import templates as T
from .clock import EPOCH_END, EPOCH_START, epoch
from .facts import SAM
from .filler import EraPools, Filler, pool_size
from .mail import MailMaker
from .mail_facts import planted_mails
from .mime import Attachment, Mail, render, tiny_pdf
from .writer import BufferedText

__all__ = ["TakeoutLife", "parse_size", "write_takeout"]

MAIL_MEMBER = "Takeout/Mail/All mail Including Spam and Trash.mbox"
#: the moment written as every member's date (a fixed export time: byte-stable output)
EXPORT_DATE = (2025, 1, 2, 9, 0, 0)
#: the share of personal mails with a photo attached (most of a real mailbox's bytes)
PHOTO_SHARE = 0.08
#: Location History starts here (raw fixes and semantic months)
LOCATION_START = epoch(2023, 1, 1)
_SEARCHES = (
    "how to {activity}",
    "{food} recipe",
    "{city} weather",
    "best {thing} for {activity}",
    "{book} review",
    "{show} season 2",
    "train to {city}",
)
_VIDEOS = (
    "How to {activity} - a beginner's guide",
    "{city} in 4K: a walk through the old town",
    "Cooking {food} at home",
    "{tech} explained in 10 minutes",
    "Review: {book}",
    "{show} - official trailer",
)
_EVENTS = ("Lunch with {friend}", "Dentist", "{activity}", "Call {friend}", "Train to {city}")
_CHANNELS = ("Slow Travel", "Kitchen Notes", "Tech Minute", "Book Club", "Trailer Vault")
_PLACES = (
    ("Café Tati", "Rua da Ribeira Nova 36, 1200-370 Lisboa, Portugal", 38.7070, -9.1450),
    ("Mercado da Ribeira", "Av. 24 de Julho 49, 1200-479 Lisboa, Portugal", 38.7069, -9.1459),
    ("Northwind Labs", "Av. da Liberdade 110, 1250-146 Lisboa, Portugal", 38.7197, -9.1449),
    ("Jardim da Estrela", "Praça da Estrela, 1200-667 Lisboa, Portugal", 38.7139, -9.1597),
    ("Home", "Rua de São Bento 200, 1200-821 Lisboa, Portugal", 38.7140, -9.1530),
)


@dataclass(frozen=True, slots=True)
class TakeoutLife:
    """What :func:`write_takeout` wrote."""

    path: Path
    size: int
    #: uncompressed bytes of all members
    expanded: int
    #: member name -> number of records written (mails, visits, notes ...)
    records: dict[str, int]
    seconds: float


class _Zip:
    """A deterministic zip writer: fixed member dates, streamed members."""

    def __init__(self, path: Path, level: int) -> None:
        self.archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level)
        self.expanded = 0

    def member(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=EXPORT_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def write(self, name: str, chunks: Iterator[str]) -> None:
        with self.archive.open(self.member(name), "w", force_zip64=True) as handle:
            with BufferedText(handle) as out:
                for chunk in chunks:
                    out.write(chunk)
        self.expanded += self.archive.getinfo(name).file_size

    def write_bytes(self, name: str, data: bytes) -> None:
        self.archive.writestr(self.member(name), data)
        self.expanded += len(data)

    @property
    def size(self) -> int:
        fp = self.archive.fp
        return fp.tell() if fp is not None else 0

    def close(self) -> None:
        self.archive.close()


def _iso(utc: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(utc)) + f".{int(utc * 1000) % 1000:03d}Z"


def _times(rng: random.Random, count: int, start: int, end: int) -> list[int]:
    return sorted(start + rng.randrange(max(1, end - start)) for _ in range(count))


# -- mail ---------------------------------------------------------------------------------


def _labels(mail: Mail) -> str:
    if mail.sender.email == SAM.email:
        return "Sent"
    if mail.html is not None:
        return "Category Promotions,Unread"
    if mail.attachment is not None or mail.encoding == "7bit":
        return "Inbox,Category Updates"
    return "Inbox,Important,Category Personal"


def _gmail(mail: Mail, thread: int) -> str:
    extra = (("X-GM-THRID", str(thread)), ("X-Gmail-Labels", _labels(mail)), *mail.extra)
    gmail = replace(mail, extra=extra)
    delivered = None if mail.sender.email == SAM.email else SAM.email
    return render(gmail, f"{thread}@xxx", delivered_to=delivered)


def _mails(seed: int, scale: float, until: int, round_number: int) -> Iterator[str]:
    """One round of mail over the whole period (planted facts' mails in the first)."""
    rng = random.Random(f"{seed}:takeout-mail:{round_number}")
    maker = MailMaker(rng, scale)
    count = max(1, round(500 * scale))
    times = _times(rng, count, EPOCH_START, EPOCH_END - 86400 * 3)
    heap = [(m.utc, n, m) for n, m in enumerate(planted_mails(maker))] if round_number == 0 else []
    heapq.heapify(heap)
    thread = 1_700_000_000_000_000_000 + round_number * 10_000_000
    index = 0
    while index < len(times) or heap:
        if heap and (index >= len(times) or heap[0][0] <= times[index]):
            utc, _, mail = heapq.heappop(heap)
        else:
            utc = times[index]
            index += 1
            mail = maker.make(utc)
        thread += 1 + rng.randrange(1000)
        if mail.html is None and mail.attachment is None and rng.random() < PHOTO_SHARE:
            mail = _with_photo(mail, rng, maker.boundary())
        if utc <= until:
            yield _gmail(mail, thread)


def _with_photo(mail: Mail, rng: random.Random, boundary: str) -> Mail:
    """The mail with a photo attached: incompressible bytes, as real attachments are."""
    size = int(rng.lognormvariate(11.5, 1.0)) % (4 * 1024 * 1024) + 20_000  # ~100 KB typical
    data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(size)
    name = f"IMG_{rng.randrange(10_000):04d}.jpg"
    return replace(mail, attachment=Attachment(name, "image/jpeg", data), boundary=boundary)


# -- the small parts ----------------------------------------------------------------------


def _chrome(filler: Filler, scale: float, until: int, counts: dict[str, int]) -> Iterator[str]:
    rng = filler.rng
    visits = _times(rng, max(4, round(2000 * scale)), EPOCH_START, EPOCH_END)
    yield '{\n    "Browser History": ['
    first = True
    written = 0
    for utc in visits:
        topic = filler.fill(filler.pick(_SEARCHES))
        slug = topic.lower().replace(" ", "-").replace("'", "")
        site = filler.pick(("en.wikipedia.org", "www.bbc.co.uk", "news.ycombinator.com",
                            "www.publico.pt", "github.com", "www.theguardian.com"))  # fmt: skip
        usec = utc * 1_000_000 + rng.randrange(1_000_000)
        if utc > until:
            continue
        record = {
            "favicon_url": f"https://{site}/favicon.ico",
            "page_transition": filler.pick(("LINK", "TYPED", "AUTO_BOOKMARK", "RELOAD")),
            "title": topic[:1].upper() + topic[1:],
            "url": f"https://{site}/wiki/{slug}",
            "client_id": "hT0mXAq1mR8dN2bq7Z5s5A==",
            "time_usec": usec,
        }
        yield ("\n" if first else ",\n") + "        " + json.dumps(record, ensure_ascii=False)
        first = False
        written += 1
    yield "\n    ]\n}\n"
    counts["chrome visits"] = written


def _keep_notes(
    filler: Filler, scale: float, until: int, counts: dict[str, int]
) -> Iterator[tuple[str, str, str]]:
    """``(file stem, json, html)`` of each Keep note."""
    rng = filler.rng
    pools = EraPools(filler, T.NOTE, pool_size(scale, 100, 40, 1000))
    names: dict[str, int] = {}
    written = 0
    for utc in _times(rng, max(3, round(60 * scale)), EPOCH_START, EPOCH_END):
        title = filler.fill(filler.pick(T.NOTE_TITLE))
        lines = pools.at(utc).draw(filler.between(2, 6))
        checklist = rng.random() < 0.3
        created = utc * 1_000_000 + rng.randrange(1_000_000)
        edited = created + rng.randrange(90 * 86400) * 1_000_000
        labels = [{"name": filler.pick(("Ideas", "Lisbon", "Reading", "Home"))}]
        if utc > until:
            continue
        note: dict[str, object] = {
            "color": filler.pick(("DEFAULT", "YELLOW", "BLUE", "GREEN")),
            "isTrashed": False,
            "isPinned": rng.random() < 0.1,
            "isArchived": rng.random() < 0.2,
            "title": title,
            "userEditedTimestampUsec": edited,
            "createdTimestampUsec": created,
            "labels": labels,
        }
        if checklist:
            note["listContent"] = [
                {"text": line.lstrip("- "), "isChecked": rng.random() < 0.5} for line in lines
            ]
        else:
            note["textContent"] = "\n".join(lines)
        stem = title.replace("/", "_")[:30]
        names[stem] = names.get(stem, 0) + 1
        if names[stem] > 1:
            stem = f"{stem}({names[stem] - 1})"
        body = "<br>".join(lines)
        html = (
            f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="note"><div class="title">{title}</div>'
            f'<div class="content">{body}</div></div></body></html>'
        )
        written += 1
        yield stem, json.dumps(note, ensure_ascii=False, indent=2), html
    counts["keep notes"] = written


def _calendar(filler: Filler, scale: float, until: int, counts: dict[str, int]) -> Iterator[str]:
    rng = filler.rng
    yield (
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
        "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:sam.rivera@example.org\r\n"
        "X-WR-TIMEZONE:Europe/Lisbon\r\n"
    )
    written = 0
    for number, utc in enumerate(_times(rng, max(3, round(150 * scale)), EPOCH_START, EPOCH_END)):
        friend = filler.pick(F.OLD_FRIENDS + F.LISBON_FRIENDS)
        what = filler.fill(filler.pick(_EVENTS))
        where = filler.fill("{place}")
        uid = f"{number:05d}{rng.getrandbits(64):016x}@google.com"
        if utc > until:
            continue
        start = time.strftime("%Y%m%dT%H%M00Z", time.gmtime(utc - utc % 1800))
        end = time.strftime("%Y%m%dT%H%M00Z", time.gmtime(utc - utc % 1800 + 3600))
        yield (
            f"BEGIN:VEVENT\r\nDTSTART:{start}\r\nDTEND:{end}\r\nDTSTAMP:{start}\r\n"
            f"UID:{uid}\r\n"
            f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN={friend.name};"
            f"X-NUM-GUESTS=0:mailto:{friend.email}\r\n"
            f"CREATED:{start}\r\nDESCRIPTION:\r\nLOCATION:{where}\r\nSEQUENCE:0\r\n"
            f"STATUS:CONFIRMED\r\nSUMMARY:{what}\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n"
        )
        written += 1
    yield "END:VCALENDAR\r\n"
    counts["calendar events"] = written


def _contacts(counts: dict[str, int]) -> str:
    people = (*F.FAMILY, *F.OLD_FRIENDS, *F.LISBON_FRIENDS, *F.OLD_COLLEAGUES, *F.NEW_COLLEAGUES)
    cards = []
    for person in people:
        first, _, last = person.name.partition(" ")
        cards.append(
            "BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"FN:{person.name}\r\nN:{last};{first};;;\r\n"
            f"EMAIL;TYPE=INTERNET;TYPE=HOME:{person.email}\r\n"
            "CATEGORIES:myContacts\r\nEND:VCARD\r\n"
        )
    counts["contacts"] = len(cards)
    return "".join(cards)


def _youtube(
    filler: Filler, scale: float, until: int, counts: dict[str, int], search: bool
) -> Iterator[str]:
    rng = filler.rng
    number = max(3, round((400 if search else 2500) * scale))
    yield "["
    first = True
    written = 0
    for utc in _times(rng, number, EPOCH_START, EPOCH_END):
        text = filler.fill(filler.pick(_SEARCHES if search else _VIDEOS))
        video = f"{rng.getrandbits(64):011x}"[:11]
        channel = filler.pick(_CHANNELS)
        stamp = _iso(utc + rng.random())
        if utc > until:
            continue
        if search:
            record: dict[str, object] = {
                "header": "YouTube",
                "title": f"Searched for {text}",
                "titleUrl": "https://www.youtube.com/results?search_query="
                + text.replace(" ", "+"),
                "time": stamp,
                "products": ["YouTube"],
                "activityControls": ["YouTube search history"],
            }
        else:
            record = {
                "header": "YouTube",
                "title": f"Watched {text}",
                "titleUrl": f"https://www.youtube.com/watch?v={video}",
                "subtitles": [
                    {"name": channel, "url": "https://www.youtube.com/channel/UC" + video}
                ],
                "time": stamp,
                "products": ["YouTube"],
                "activityControls": ["YouTube watch history"],
            }
        yield ("" if first else ",") + json.dumps(record, ensure_ascii=False, indent=2)
        first = False
        written += 1
    yield "]"
    counts["youtube searches" if search else "youtube watches"] = written


def _records(rng: random.Random, scale: float, until: int, counts: dict[str, int]) -> Iterator[str]:
    per_day = max(2, round(24 * scale))
    yield '{\n  "locations": ['
    first = True
    written = 0
    day = LOCATION_START
    while day <= min(until, EPOCH_END):
        for step in range(per_day):
            utc = day + step * (86400 // per_day) + rng.randrange(60)
            _name, _address, lat, lon = _PLACES[(step * 5 // per_day + day // 86400) % len(_PLACES)]
            fix: dict[str, object] = {
                "latitudeE7": round((lat + rng.uniform(-0.002, 0.002)) * 1e7),
                "longitudeE7": round((lon + rng.uniform(-0.002, 0.002)) * 1e7),
                "accuracy": rng.randrange(5, 60),
                "source": "WIFI",
                "deviceTag": 1234567890,
                "timestamp": _iso(utc + rng.random()),
            }
            if rng.random() < 0.1:
                fix["activity"] = [
                    {
                        "activity": [{"type": "WALKING", "confidence": 80}],
                        "timestamp": _iso(utc),
                    }
                ]
            if utc > until:
                continue
            text = json.dumps(fix, indent=2).replace("\n", "\n    ")
            yield ("\n    " if first else ", ") + text
            first = False
            written += 1
        day += 86400
    yield "]\n}\n"
    counts["location fixes"] = written


_MONTH_NAMES = (
    "JANUARY FEBRUARY MARCH APRIL MAY JUNE JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER"
).split()


def _semantic_months(
    rng: random.Random, scale: float, until: int, counts: dict[str, int]
) -> Iterator[tuple[str, str]]:
    """``(member name, json)`` for every month of Semantic Location History."""
    year, month = 2023, 1
    written = 0
    every = max(1, round(0.5 / scale))  # days between visits
    while epoch(year, month, 1) <= min(until, EPOCH_END):
        objects: list[dict[str, object]] = []
        day = epoch(year, month, 1)
        following = epoch(year + (month == 12), month % 12 + 1, 1)
        while day < following and day <= until:
            if (day // 86400) % every:
                day += 86400
                continue
            name, address, lat, lon = _PLACES[(day // 86400) % len(_PLACES)]
            start = day + 9 * 3600 + rng.randrange(3600)
            end = start + 3600 * rng.randrange(1, 5)
            objects.append(
                {
                    "placeVisit": {
                        "location": {
                            "latitudeE7": round(lat * 1e7),
                            "longitudeE7": round(lon * 1e7),
                            "placeId": f"ChIJ{name.encode().hex()[:20]}",
                            "address": address.replace(", ", "\n", 1),
                            "name": name,
                            "locationConfidence": 91.5,
                        },
                        "duration": {"startTimestamp": _iso(start), "endTimestamp": _iso(end)},
                        "placeConfidence": "HIGH_CONFIDENCE",
                    }
                }
            )
            objects.append(
                {
                    "activitySegment": {
                        "startLocation": {
                            "latitudeE7": round(lat * 1e7),
                            "longitudeE7": round(lon * 1e7),
                        },
                        "endLocation": {"latitudeE7": 387140000, "longitudeE7": -91530000},
                        "duration": {"startTimestamp": _iso(end), "endTimestamp": _iso(end + 1500)},
                        "distance": rng.randrange(300, 9000),
                        "activityType": rng.choice(("WALKING", "IN_BUS", "IN_PASSENGER_VEHICLE")),
                        "confidence": "HIGH",
                    }
                }
            )
            day += 86400
        member = (
            f"Takeout/Location History/Semantic Location History/{year}/"
            f"{year}_{_MONTH_NAMES[month - 1]}.json"
        )
        written += len(objects)
        yield member, json.dumps({"timelineObjects": objects}, ensure_ascii=False, indent=2)
        year, month = year + (month == 12), month % 12 + 1
    counts["semantic objects"] = written


# -- the archive --------------------------------------------------------------------------


def write_takeout(
    path: str | Path,
    *,
    size: int = 0,
    scale: float = 1.0,
    seed: int = 7,
    until: int = EPOCH_END,
    level: int = 6,
) -> TakeoutLife:
    """Write a Takeout-like zip at ``path``; with ``size``, mail fills it to that many bytes."""
    started = time.perf_counter()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    archive = _Zip(out, level)
    try:
        filler = Filler(random.Random(f"{seed}:takeout"))
        archive.write_bytes(
            "Takeout/archive_browser.html",
            b"<html><head><title>Google Takeout</title></head><body><h1>Your account, your"
            b" data.</h1><p>This archive holds Mail, Chrome, Keep, Calendar, Contacts,"
            b" YouTube and Location History.</p></body></html>",
        )
        archive.write("Takeout/Chrome/BrowserHistory.json", _chrome(filler, scale, until, counts))
        for stem, note, html in _keep_notes(filler, scale, until, counts):
            archive.write_bytes(f"Takeout/Keep/{stem}.json", note.encode())
            archive.write_bytes(f"Takeout/Keep/{stem}.html", html.encode())
        archive.write(
            "Takeout/Calendar/sam.rivera@example.org.ics", _calendar(filler, scale, until, counts)
        )
        archive.write_bytes(
            "Takeout/Contacts/My Contacts/My Contacts.vcf", _contacts(counts).encode()
        )
        history = "Takeout/YouTube and YouTube Music/history/"
        archive.write(history + "watch-history.json", _youtube(filler, scale, until, counts, False))
        archive.write(history + "search-history.json", _youtube(filler, scale, until, counts, True))
        rng = random.Random(f"{seed}:takeout-location")
        archive.write("Takeout/Location History/Records.json", _records(rng, scale, until, counts))
        semantic = random.Random(f"{seed}:takeout-semantic")
        for member, text in _semantic_months(semantic, scale, until, counts):
            archive.write_bytes(member, text.encode())
        archive.write_bytes(
            "Takeout/Drive/Receipts/storage-invoice.pdf",
            tiny_pdf(["Lisbon Self Storage", "Invoice 2024-118", "Unit 214"]),
        )
        archive.write(MAIL_MEMBER, _mail_until(archive, seed, scale, until, size, counts))
    finally:
        archive.close()
    return TakeoutLife(
        path=out,
        size=out.stat().st_size,
        expanded=archive.expanded,
        records=counts,
        seconds=time.perf_counter() - started,
    )


def _mail_until(
    archive: _Zip, seed: int, scale: float, until: int, size: int, counts: dict[str, int]
) -> Iterator[str]:
    """Mail rounds until the archive reaches ``size`` bytes (one round when ``size`` is 0)."""
    written = 0
    round_number = 0
    while True:
        for text in _mails(seed, scale, until, round_number):
            yield text
            written += 1
            if size and written % 200 == 0 and archive.size >= size:
                counts["mails"] = written
                return
        round_number += 1
        if not size or archive.size >= size:
            break
    counts["mails"] = written


def parse_size(text: str) -> int:
    """``1G``, ``200M``, ``64K`` or a number of bytes."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = text.strip().upper().removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the zip to write")
    parser.add_argument("--size", default="0", help="bytes of zip to reach with mail (1G, 200M)")
    parser.add_argument("--scale", type=float, default=1.0, help="density of the small parts")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    life = write_takeout(args.out, size=parse_size(args.size), scale=args.scale, seed=args.seed)
    print(
        f"{life.path}: {life.size / 1e6:.0f} MB ({life.expanded / 1e6:.0f} MB uncompressed)"
        f" in {life.seconds:.0f} s; {life.records}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
