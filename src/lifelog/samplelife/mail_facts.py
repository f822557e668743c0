"""The planted mails: the move, the job, the start date, and the planted secret."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import facts as F
from .clock import epoch
from .facts import SAM, Person
from .mime import Attachment, Mail, attribution, quote, tiny_pdf

if TYPE_CHECKING:
    from .mail import MailMaker

__all__ = ["planted_mails"]


def _sam(utc: int) -> Person:
    return Person(SAM.name, SAM.email, F.sam_zone(utc))


def planted_mails(maker: MailMaker) -> list[Mail]:
    mails: list[Mail] = []

    utc = epoch(2021, 2, 20, 0, 12, 41)
    mails.append(
        Mail(
            utc=utc,
            sender=_sam(utc),
            to=(F.ELENA, F.LEO),
            cc=(F.PRIYA, F.MARCUS, F.HANNAH),
            subject="Big news from Boston",
            body=(
                "Hi all,\n\n"
                f"{F.MOVE_SENTENCE}\n\n"
                "The flat is in Campo de Ourique, a short tram ride from the river, with a tiny "
                "balcony that will be full of plants within a month. The spare room has a sofa "
                "bed, so consider this your official invitation.\n\n"
                "I'll send the new address once the paperwork is done. Until then, same phone "
                "number, same email.\n\n"
                "Love,\nSam\n"
            ),
            message_id=maker.message_id(SAM),
            encoding="8bit",
        )
    )

    utc = epoch(2022, 7, 15, 9, 30, 5)
    letter = tiny_pdf(
        [
            "Northwind Labs - Offer letter",
            "Candidate: Sam Rivera",
            "Role: Senior Data Engineer",
            "Location: Lisbon office, hybrid",
        ]
    )
    mails.append(
        Mail(
            utc=utc,
            sender=F.NORTHWIND_HR,
            to=(_sam(utc),),
            cc=(F.INES,),
            subject="Your offer from Northwind Labs",
            body=(
                "Dear Sam,\n\n"
                "Thank you for signing your contract, and welcome aboard!\n\n"
                f"{F.START_SENTENCE}\n\n"
                "On your first morning, Inês Duarte will meet you at reception at 9:30 and walk "
                "you through the onboarding plan. Your laptop will be ready on your desk.\n\n"
                "Your signed offer letter is attached for your records.\n\n"
                "Kind regards,\nNorthwind Labs People Team\n"
            ),
            message_id=maker.message_id(F.NORTHWIND_HR),
            attachment=Attachment("Offer-Letter-Sam-Rivera.pdf", "application/pdf", letter),
            encoding="7bit",
            boundary=maker.boundary(),
        )
    )

    utc = epoch(2022, 9, 18, 17, 44, 12)
    hannah = Mail(
        utc=utc,
        sender=F.HANNAH,
        to=(_sam(utc),),
        subject="long time!",
        body=(
            "Hi Sam,\n\n"
            "It feels like forever since we last talked. Are you still at Contoso, and is "
            "Lisbon everything you hoped for? Tell me about the cat, the flat, all of it.\n\n"
            "Over here the garden finally produced more tomatoes than we can give away.\n\n"
            "Hugs,\nHannah\n"
        ),
        message_id=maker.message_id(F.HANNAH),
        encoding="8bit",
    )
    mails.append(hannah)
    utc = epoch(2022, 9, 20, 20, 3, 27)
    mails.append(
        Mail(
            utc=utc,
            sender=_sam(utc),
            to=(F.HANNAH,),
            subject="Re: long time!",
            body=(
                "Hi Hannah,\n\n"
                "So good to hear from you!\n\n"
                f"{F.JOB_SENTENCE}\n\n"
                "The team is small and kind, and I can cycle to the office along the river. "
                "Miso the cat is thriving and has claimed the balcony.\n\n"
                "Come visit in the spring?\n\n"
                "Sam\n\n"
                f"{attribution(hannah)}\n{quote(hannah.body, 20)}\n"
            ),
            message_id=maker.message_id(SAM),
            in_reply_to=hannah.message_id,
            references=(hannah.message_id,),
            encoding="8bit",
        )
    )

    utc = epoch(2022, 11, 3, 11, 20, 48)
    mails.append(
        Mail(
            utc=utc,
            sender=F.STORAGE,
            to=(_sam(utc),),
            subject="Welcome to Lisbon Self Storage",
            body=(
                "Hello Sam,\n\n"
                "Thank you for renting with us.\n"
                f"{F.SECRET_MAIL_SENTENCE}\n"
                "The gate is open every day from 7:00 to 22:00.\n\n"
                "Lisbon Self Storage\n"
            ),
            message_id=maker.message_id(F.STORAGE),
            encoding="7bit",
        )
    )
    return mails
