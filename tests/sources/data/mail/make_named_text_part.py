"""Writes named_text_part.eml with Python's standard library (the ``email`` package)."""

from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

msg = EmailMessage(policy=SMTP)
msg["From"] = "Ada Lovelace <ada@example.org>"
msg["To"] = "Charles Babbage <charles@example.org>"
msg["Subject"] = "Minutes of the engine meeting"
msg["Date"] = format_datetime(datetime(2025, 1, 8, 17, 5, tzinfo=UTC))
msg["Message-ID"] = "<minutes@example.org>"
msg.set_content("Here are the minutes, as a text part with a name (Eudora/Outlook style).\n")
msg.make_mixed()
body = msg.get_payload()[0]
# the body part names itself with name= and has no Content-Disposition
body.set_param("name", "minutes.txt")
extra = EmailMessage(policy=SMTP)
extra.set_content("Decided: the difference engine demo moves to Thursday.\n")
extra.replace_header("Content-Type", "text/")  # a mailer that left out the subtype
extra.set_param("charset", "utf-8")
msg.attach(extra)
with open("named_text_part.eml", "wb") as handle:
    handle.write(msg.as_bytes())
