"""Writes mailbox.pst, the .pst fixture of tests/sources/test_pst.py (not run by the tests).

Made with Aspose.Email for Python via .NET 26.10 (proprietary; run without a licence, in
evaluation mode), a program that writes Outlook PST files; it is never a dependency of
lifelog. To make the file again, outside the repository:

    python3.11 -m venv /tmp/aspvenv
    /tmp/aspvenv/bin/pip install aspose-email-for-python-via-net==26.10
    /tmp/aspvenv/bin/python tests/sources/data/pst/make_pst.py tests/sources/data/pst/mailbox.pst

Some messages are MapiMessage objects filled property by property (as Outlook keeps mail it
sends: no internet headers), the others internet mails converted by Aspose (with their
transport headers and Message-ID, as Outlook keeps mail it receives).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

import aspose.email as ae
from aspose.email.mapi import (
    MapiConversionOptions,
    MapiMessage,
    MapiMessageFlags,
    MapiPropertyTag,
    MapiRecipientType,
)
from aspose.email.storage.pst import FileFormatVersion, PersonalStorage, StandardIpmFolder


def mapi(
    sender: tuple[str, str],
    to: list[tuple[str, str]],
    cc: list[tuple[str, str]],
    subject: str,
    body: str,
    when: datetime,
    attachment: tuple[str, bytes] | None = None,
) -> MapiMessage:
    """A message filled property by property (no internet headers)."""
    message = MapiMessage(sender[1], to[0][1], subject, body)
    message.recipients.clear()
    for name, address in to:
        message.recipients.add(address, name, MapiRecipientType.TO)
    for name, address in cc:
        message.recipients.add(address, name, MapiRecipientType.CC)
    message.sender_name = sender[0]
    message.sender_email_address = sender[1]
    message.delivery_time = when
    message.client_submit_time = when
    message.set_message_flags(MapiMessageFlags.READ)
    if attachment is not None:
        message.attachments.add(attachment[0], attachment[1])
    return message


def internet(
    sender: tuple[str, str],
    to: list[tuple[str, str]],
    subject: str,
    when: datetime,
    message_id: str,
    *,
    text: str | None = None,
    html: str | None = None,
    in_reply_to: str | None = None,
) -> MapiMessage:
    """An internet mail (headers, Message-ID) converted to a MAPI message."""
    mail = ae.MailMessage()
    mail.from_address = ae.MailAddress(sender[1], sender[0])
    for name, address in to:
        mail.to.append(ae.MailAddress(address, name))
    mail.subject = subject
    mail.date = when
    mail.message_id = message_id
    if in_reply_to:
        mail.headers.add("In-Reply-To", in_reply_to)
        mail.headers.add("References", in_reply_to)
    if html is not None:
        mail.html_body = html
    if text is not None:
        mail.body = text
    options = MapiConversionOptions.unicode_format
    message = MapiMessage.from_mail_message(mail, options)
    message.delivery_time = when
    if text is None:  # HTML only: the plain-text and RTF bodies Aspose derives are removed
        for tag in (MapiPropertyTag.BODY_W, MapiPropertyTag.BODY, MapiPropertyTag.RTF_COMPRESSED):
            message.remove_property(tag)
    return message


def main(target: str) -> None:
    if os.path.exists(target):
        os.remove(target)
    me = ("Kim Minjun", "minjun@example.org")
    anna = ("Анна Петрова", "anna@example.ru")
    layla = ("ليلى حداد", "layla@example.ae")
    yuki = ("田中 由紀", "yuki@example.jp")
    wei = ("王伟", "wei@example.cn")
    with PersonalStorage.create(target, FileFormatVersion.UNICODE) as pst:
        inbox = pst.create_predefined_folder("Inbox", StandardIpmFolder.INBOX)
        sent = pst.create_predefined_folder("Sent Items", StandardIpmFolder.SENT_ITEMS)
        projects = inbox.add_sub_folder("Projects")
        seoul = projects.add_sub_folder("서울 2024")

        inbox.add_message(
            internet(
                anna,
                [me],
                "Отчёт за квартал",
                datetime(2024, 3, 4, 8, 15),
                "<report-q1@example.ru>",
                text="Привет! Высылаю ежеквартальный отчёт, посмотри раздел о бюджете.",
            )
        )
        inbox.add_message(
            internet(
                layla,
                [me],
                "موعد الاجتماع",
                datetime(2024, 3, 5, 11, 0),
                "<meeting-ar@example.ae>",
                text="مرحباً، نلتقي يوم الأربعاء في المكتبة العامة بعد الظهر.",
            )
        )
        inbox.add_message(
            internet(
                yuki,
                [me],
                "京都旅行の写真",
                datetime(2024, 3, 6, 2, 45),
                "<kyoto-photos@example.jp>",
                html=(
                    "<html><body><p>こんにちは。京都で撮った紅葉の写真を送ります。</p>"
                    "<p>また<b>来週</b>話しましょう。</p></body></html>"
                ),
            )
        )
        projects.add_message(
            internet(
                wei,
                [me, anna],
                "增值税发票",
                datetime(2024, 3, 7, 6, 30),
                "<fapiao-2024@example.cn>",
                text="你好，附件是上个月的增值税发票，请在周五之前确认。",
            )
        )
        projects.add_message(
            internet(
                anna,
                [me, wei],
                "Re: 增值税发票",
                datetime(2024, 3, 7, 9, 5),
                "<fapiao-reply@example.ru>",
                in_reply_to="<fapiao-2024@example.cn>",
                text="Спасибо, Вэй! Проверю счёт до пятницы.",
            )
        )
        seoul.add_message(
            mapi(
                ("박서연", "seoyeon@example.kr"),
                [me],
                [yuki],
                "서울 출장 일정",
                "다음 주 화요일 오후 세 시에 광화문에서 만나요.",
                datetime(2024, 3, 8, 1, 0),
                attachment=("출장일정.txt", "화요일 15:00 광화문 회의".encode()),
            )
        )
        sent.add_message(
            mapi(
                me,
                [anna],
                [layla],
                "Отчёт получен",
                "Анна, спасибо за отчёт. Layla, please see Anna's report.",
                datetime(2024, 3, 4, 10, 0),
            )
        )
        sent.add_message(
            mapi(
                me,
                [yuki],
                [],
                "写真ありがとう",
                "素敵な写真をありがとう。来週の水曜日はどう？",
                datetime(2024, 3, 6, 12, 20),
            )
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "mailbox.pst")
