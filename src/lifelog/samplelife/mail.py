"""``mail/archive.mbox`` (received) and ``mail/Sent.mbox`` (sent by Sam), in mboxo.

Mails are generated in time order and streamed to both files: newsletters
(multipart/alternative with HTML), receipts (some multipart/mixed with a small
PDF or text attachment), personal mails and colleagues' mails. A personal mail
may get a reply a little later, which may get a reply in turn, so threads run
across both files with ``In-Reply-To`` and ``References``. The planted facts'
mails are placed at fixed dates among them (see ``mail_facts``).
"""

from __future__ import annotations

import heapq
import random
from pathlib import Path

from . import facts as F
from . import templates as T
from .clock import EPOCH_END, EPOCH_START
from .facts import SAM, Person
from .filler import EraPools, Filler, pool_size
from .mail_facts import planted_mails
from .mime import Attachment, Mail, attribution, quote, render, tiny_pdf
from .words import BANKS
from .writer import BufferedText

__all__ = ["BASE_MAILS", "MailMaker", "write_mail"]

#: base mails per unit of scale (replies come on top)
BASE_MAILS = 500
_ENCODINGS = ("8bit", "quoted-printable", "7bit")
_OPENERS = ("Hi {name},", "Hey {name}!", "Dear {name},", "Hello {name},", "{name},", "Hi,")
_CLOSERS = ("Best,", "Cheers,", "Love,", "Talk soon,", "x", "All the best,", "Take care,")
_REPLY_CHANCE = (0.45, 0.35, 0.25, 0.15)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_sam(person: Person) -> bool:
    return person.email == SAM.email


def _at(person: Person, utc: int) -> Person:
    """Sam's clock follows Sam (Boston, then Lisbon); everyone else keeps their zone."""
    if _is_sam(person):
        return Person(SAM.name, SAM.email, F.sam_zone(utc))
    return person


_HTML_HEAD = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml"><head>\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
    "<title>{name}</title>\n"
    '<style type="text/css">body{{margin:0;padding:0;background:#f4f4f4;}} '
    "table{{border-collapse:collapse;}} img{{border:0;display:block;}} "
    "a{{color:{color};}} @media only screen and (max-width:620px){{"
    ".wrap{{width:100% !important;}} .pad{{padding:12px 16px !important;}}}}</style>\n"
    '</head>\n<body style="margin:0;padding:0;background-color:#f4f4f4;">\n'
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
    'style="background-color:#f4f4f4;"><tr><td align="center" style="padding:24px 12px;">\n'
    '<table role="presentation" class="wrap" width="600" cellpadding="0" cellspacing="0" '
    'border="0" style="background-color:#ffffff;border-radius:6px;">\n'
    '<tr><td class="pad" style="padding:24px 32px;border-bottom:3px solid {color};'
    'font-family:Helvetica,Arial,sans-serif;font-size:26px;font-weight:bold;color:#222222;">'
    "{name}</td></tr>\n"
)
_HTML_SECTION = (
    '<tr><td class="pad" style="padding:16px 32px 0 32px;">'
    '<a href="https://{site}/r/{ref}"><img src="https://cdn.{site}/img/{ref}-{n}.jpg" '
    'width="536" alt="" style="width:100%;max-width:536px;height:auto;border-radius:4px;" />'
    "</a></td></tr>\n"
    '<tr><td class="pad" style="padding:16px 32px;font-family:Georgia,serif;font-size:16px;'
    'line-height:24px;color:#333333;">\n<h2 style="margin:0 0 8px 0;font-family:Helvetica,'
    'Arial,sans-serif;font-size:20px;color:#222222;">{headline}</h2>\n'
    '<p style="margin:0 0 12px 0;">{text}</p>\n'
    '<a href="https://{site}/r/{ref}" style="color:{color};font-weight:bold;">Read more '
    "&rarr;</a></td></tr>\n"
)
_HTML_FOOT = (
    '<tr><td class="pad" style="padding:24px 32px;font-family:Helvetica,Arial,sans-serif;'
    'font-size:12px;line-height:18px;color:#888888;">{footer}</td></tr>\n'
    "</table>\n</td></tr></table>\n"
    '<img src="https://{site}/o/{ref}.gif" width="1" height="1" alt="" />\n</body></html>\n'
)
_COLORS = ("#2e7d32", "#1a73e8", "#c2185b", "#00838f", "#6a1b9a")


class MailMaker:
    """Makes one mail at a time from the filler pools."""

    def __init__(self, rng: random.Random, scale: float) -> None:
        self.rng = rng
        self.filler = filler = Filler(rng)
        self.pick = filler.pick
        self.between = filler.between
        self.mail_pools = EraPools(filler, T.MAIL, pool_size(scale, 800, 200, 8000))
        self.subjects = filler.pool(T.MAIL_SUBJECT, pool_size(scale, 300, 50, 2000))
        self.news = [
            (
                Person(name, addr, "America/New_York"),
                subject,
                filler.pool(lines, pool_size(scale, 200, 40, 2500)),
                _COLORS[number % len(_COLORS)],
                number == 0,  # one list sends quoted-printable, the others base64
            )
            for number, (name, addr, subject, lines) in enumerate(T.NEWSLETTERS)
        ]
        self.receipts = [
            (Person(name, addr, _zone_of(addr)), subject, filler.pool(lines, 60))
            for name, addr, subject, lines in T.RECEIPTS
        ]
        self.counter = 0

    def message_id(self, sender: Person) -> str:
        self.counter += 1
        domain = sender.email.rsplit("@", 1)[1]
        return f"<{self.rng.getrandbits(64):016x}.{self.counter}@{domain}>"

    def boundary(self) -> str:
        return f"000000000000{self.rng.getrandbits(64):016x}"

    def make(self, utc: int) -> Mail:
        roll = self.between(0, 99)
        if roll < 40:
            return self.newsletter(utc)
        if roll < 52:
            return self.receipt(utc)
        if roll < 60:
            outgoing = self.filler.random() < 0.4
            return self.personal(utc, outgoing, F.colleagues_at(utc), colleague=True)
        return self.personal(utc, roll < 78, F.friends_at(utc))

    def body(self, sender: Person, to: Person, sentences: int, utc: int) -> str:
        opener = self.pick(_OPENERS).format(name=to.name.split()[0])
        pool = self.mail_pools.at(utc)
        text = self.filler.paragraphs(pool, sentences, self.between(2, 4))
        return f"{opener}\n\n{text}\n\n{self.pick(_CLOSERS)}\n{sender.name.split()[0]}\n"

    def personal(
        self, utc: int, outgoing: bool, people: tuple[Person, ...], colleague: bool = False
    ) -> Mail:
        other = self.pick(people)
        sender, to = (SAM, other) if outgoing else (other, SAM)
        cc: tuple[Person, ...] = ()
        if self.filler.random() < 0.15:
            extra = self.pick(people)
            if extra != other:
                cc = (extra,)
        if colleague:
            subject = "About " + self.pick(BANKS["project"])
        else:
            subject = self.subjects.pick()
        return Mail(
            utc=utc,
            sender=_at(sender, utc),
            to=(to,),
            cc=cc,
            subject=subject,
            body=self.body(sender, to, self.between(2, 5 if colleague else 9), utc),
            message_id=self.message_id(sender),
            encoding=self.pick(_ENCODINGS),
            replyable=True,
        )

    def newsletter(self, utc: int) -> Mail:
        sender, subject, pool, color, qp = self.pick(self.news)
        site = sender.email.split("@")[1]
        name = _html(sender.name)
        sections = []
        html = [_HTML_HEAD.format(name=name, color=color)]
        for n in range(self.between(4, 8)):
            lines = pool.draw(self.between(2, 5))
            headline = lines[0].rstrip(".!?")
            rest = " ".join(lines[1:])
            sections.append(
                f"## {headline}\n\n{rest}\n\nRead more: https://{site}/r/{self.counter}"
            )
            html.append(
                _HTML_SECTION.format(
                    headline=_html(headline),
                    text=_html(rest),
                    site=site,
                    ref=self.counter,
                    color=color,
                    n=n,
                )
            )
        ref = f"{self.rng.getrandbits(40):010x}"
        footer = (
            f"You are receiving {sender.name} because you subscribed at https://{site}/.\n"
            f"Unsubscribe: https://{site}/u/{ref}"
        )
        html.append(
            _HTML_FOOT.format(footer=_html(footer).replace("\n", "<br />"), site=site, ref=ref)
        )
        return Mail(
            utc=utc,
            sender=sender,
            to=(SAM,),
            subject=self.filler.fill(subject),
            body="\n\n".join(sections) + "\n\n-- \n" + footer + "\n",
            message_id=self.message_id(sender),
            html="".join(html),
            # like real senders, some lists use quoted-printable, others base64 and 8bit
            encoding="quoted-printable" if qp else "8bit",
            html_encoding="quoted-printable" if qp else "base64",
            boundary=self.boundary(),
            extra=(
                ("List-Id", f"{sender.name} <{site}>"),
                ("List-Unsubscribe", f"<https://{site}/unsubscribe?u={ref}>"),
                ("Precedence", "bulk"),
            ),
        )

    def receipt(self, utc: int) -> Mail:
        sender, subject, pool = self.pick(self.receipts)
        body = "Hello Sam,\n\n" + "\n".join(pool.draw(3)) + f"\n\n{sender.name}\n"
        attachment = None
        roll = self.filler.random()
        if roll < 0.6:
            ref = f"{self.rng.getrandbits(32):08X}"
            if roll < 0.3:
                amount = f"{self.between(9, 480)}.{self.between(0, 99):02d} EUR"
                lines = [sender.name, f"Reference {ref}", f"Amount: {amount}"]
                attachment = Attachment(f"{ref}.pdf", "application/pdf", tiny_pdf(lines))
            else:
                data = f"{sender.name}\nReference: {ref}\nStatus: dispatched\n".encode()
                attachment = Attachment(f"details-{ref}.txt", "text/plain", data)
        return Mail(
            utc=utc,
            sender=sender,
            to=(SAM,),
            subject=self.filler.fill(subject),
            body=body,
            message_id=self.message_id(sender),
            attachment=attachment,
            encoding="7bit",
            boundary=self.boundary(),
        )

    def reply(self, parent: Mail, utc: int) -> Mail:
        sender, to = (parent.to[0], SAM) if _is_sam(parent.sender) else (SAM, parent.sender)
        body = self.body(sender, to, self.between(1, 5), utc)
        body += f"\n{attribution(parent)}\n{quote(parent.body, 40)}\n"
        subject = parent.subject if parent.subject.startswith("Re: ") else "Re: " + parent.subject
        return Mail(
            utc=utc,
            sender=_at(sender, utc),
            to=(_at(to, utc),),
            cc=parent.cc,
            subject=subject,
            body=body,
            message_id=self.message_id(sender),
            in_reply_to=parent.message_id,
            references=(*parent.references[-9:], parent.message_id),
            encoding=parent.encoding,
            replyable=True,
            depth=parent.depth + 1,
        )


def _zone_of(address: str) -> str:
    return "Europe/Lisbon" if address.endswith(".pt") else "America/New_York"


def write_mail(root: Path, seed: int, scale: float) -> list[Path]:
    """Write both mbox files under ``root/mail``; return their paths."""
    rng = random.Random(f"{seed}:mail")
    maker = MailMaker(rng, scale)
    count = max(1, round(BASE_MAILS * scale))
    span = EPOCH_END - EPOCH_START - 86400 * 3
    times = sorted(EPOCH_START + rng.randrange(span) for _ in range(count))
    # (when, tie-breaker, mail, is_reply): a planted mail, or the parent of a reply to make
    heap: list[tuple[int, int, Mail, bool]] = []
    for sequence, mail in enumerate(planted_mails(maker)):
        heap.append((mail.utc, sequence, mail, False))
    heapq.heapify(heap)
    sequence = len(heap)
    archive_path, sent_path = root / F.MAIL_ARCHIVE, root / F.MAIL_SENT
    with BufferedText(archive_path) as archive, BufferedText(sent_path) as sent:
        index = 0
        while index < len(times) or heap:
            if heap and (index >= len(times) or heap[0][0] <= times[index]):
                utc, _, mail, is_reply = heapq.heappop(heap)
                if is_reply:
                    mail = maker.reply(mail, utc)
            else:
                utc = times[index]
                index += 1
                mail = maker.make(utc)
            if _is_sam(mail.sender):
                sent.write(render(mail, SAM.email))
            else:
                archive.write(render(mail, mail.sender.email, delivered_to=SAM.email))
            if mail.replyable and mail.depth < len(_REPLY_CHANCE):
                if rng.random() < _REPLY_CHANCE[mail.depth]:
                    when = utc + maker.between(600, 86400 * 2)
                    if when < EPOCH_END:
                        heapq.heappush(heap, (when, sequence, mail, True))
                        sequence += 1
    return [archive_path, sent_path]
