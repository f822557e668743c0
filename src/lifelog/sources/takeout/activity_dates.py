"""The dates of Takeout's My Activity HTML, in the account's language.

Takeout writes each record's date with the account locale's CLDR *medium* date and
time and a zone abbreviation (``z``), so the same moment reads, by language::

    en     Dec 5, 2023, 2:03:12 PM EST        en-GB  5 Dec 2023, 14:03:12 GMT
    de     05.12.2023, 14:03:12 MEZ           fr     5 déc. 2023, 14:03:12 UTC+1
    es     5 dic 2023, 14:03:12 CET           es-MX  5 dic 2023, 2:03:12 p.m. GMT-6
    pt     5 de dez. de 2023 14:03:12 BRT     pt-PT  05/12/2023, 14:03:12 WET
    it     5 dic 2023, 14:03:12 CET           nl     5 dec 2023, 14:03:12 CET
    ru     5 дек. 2023 г., 14:03:12 MSK       pl     5 gru 2023, 14:03:12 CET
    tr     5 Ara 2023 14:03:12 GMT+3          ja     2023/12/05 14:03:12 JST
    ko     2023. 12. 5. 오후 2:03:12 KST      zh     2023年12月5日 14:03:12 CST
    zh-TW  2023年12月5日 下午2:03:12 GMT+8     ar     05/12/2023، 2:03:12 م CET

(the German, French, Dutch, Chinese and Arabic shapes as seen in real exports, the rest
as CLDR writes them; Takeout uses English abbreviations such as ``CEST`` in most
languages, the locale's own where CLDR has one: ``MEZ``/``MESZ``, ``TU``, ``HNE``). The
spaces may be no-break or narrow no-break ones (U+00A0, U+202F), the Arabic fields carry
right-to-left marks, and older CLDR versions abbreviated some months differently
("sep." for "sept.").

:func:`html_date` does not pick a language first: it finds the time (``14:03:12``,
``14.03.12``, ``14 h 03 min 12 s``), the day-period word next to it (``PM``,
``p. m.``, ``오후``, ``下午``, ``午後``, ``ÖS``, ``م``), the zone after it, and reads the
date before it from its numbers and its one month name. Month names of the languages
in :data:`MONTHS` (format and stand-alone, abbreviated and wide, genitive forms) are
matched with or without their dot; a word that is not in the table but begins a single
month's name in all of them ("listop", "setiem") is that month. A date written only in
numbers is year-first when it starts with a four-digit year (``2023/12/05``,
``2023. 12. 5.``), day-first otherwise (no CLDR medium date puts the month first in
numbers); ``年 月 日`` and ``년 월 일`` name their numbers. The table is checked against
CLDR (Babel) by ``tests/sources/test_gemini_dates.py``.

A zone abbreviation that is not known is taken as UTC and said so; ``CST`` is China's
next to a date written with ``年 月 日`` and the US Central zone otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

__all__ = ["MONTHS", "ZONES", "html_date", "month_number"]

#: month names by language, as CLDR abbreviates and spells them (format and stand-alone
#: forms, genitive included), casefolded, without a trailing dot; one string a month
MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "jan january", "feb february", "mar march", "apr april", "may", "jun june",
        "jul july", "aug august", "sep sept september", "oct october", "nov november",
        "dec december",
    ),
    "de": (
        "jan januar jän jänner", "feb februar", "mär märz mrz", "apr april", "mai",
        "jun juni", "jul juli", "aug august", "sep sept september", "okt oktober",
        "nov november", "dez dezember",
    ),
    "fr": (
        "janv janvier", "févr février", "mars", "avr avril", "mai", "juin", "juil juillet",
        "août", "sept septembre", "oct octobre", "nov novembre", "déc décembre",
    ),
    "es": (
        "ene enero", "feb febrero", "mar marzo", "abr abril", "may mayo", "jun junio",
        "jul julio", "ago agosto", "sep sept septiembre setiembre", "oct octubre",
        "nov noviembre", "dic diciembre",
    ),
    "pt": (
        "jan janeiro", "fev fevereiro", "mar março", "abr abril", "mai maio", "jun junho",
        "jul julho", "ago agosto", "set setembro", "out outubro", "nov novembro",
        "dez dezembro",
    ),
    "it": (
        "gen gennaio", "feb febbraio", "mar marzo", "apr aprile", "mag maggio",
        "giu giugno", "lug luglio", "ago agosto", "set settembre", "ott ottobre",
        "nov novembre", "dic dicembre",
    ),
    "nl": (
        "jan januari", "feb februari", "mrt maart", "apr april", "mei", "jun juni",
        "jul juli", "aug augustus", "sep sept september", "okt oktober", "nov november",
        "dec december",
    ),
    "ru": (
        "янв января январь", "февр февраля февраль", "мар марта март",
        "апр апреля апрель", "мая май", "июн июня июнь", "июл июля июль",
        "авг августа август", "сент сентября сентябрь", "окт октября октябрь",
        "нояб ноября ноябрь", "дек декабря декабрь",
    ),
    "pl": (
        "sty stycznia styczeń", "lut lutego luty", "mar marca marzec",
        "kwi kwietnia kwiecień", "maj maja", "cze czerwca czerwiec", "lip lipca lipiec",
        "sie sierpnia sierpień", "wrz września wrzesień", "paź października październik",
        "lis listopada listopad", "gru grudnia grudzień",
    ),
    "tr": (
        "oca ocak", "şub şubat", "mar mart", "nis nisan", "may mayıs", "haz haziran",
        "tem temmuz", "ağu ağustos", "eyl eylül", "eki ekim", "kas kasım", "ara aralık",
    ),
    "ar": (
        "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
        "أكتوبر", "نوفمبر", "ديسمبر",
    ),
}  # fmt: skip

#: zone abbreviations Takeout writes, as hours from UTC (ambiguous ones by common use;
#: CST is decided by the date's script, see :func:`html_date`)
ZONES: dict[str, float] = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "TU": 0, "WET": 0, "WEST": 1, "BST": 1,
    "IST": 5.5, "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3,
    "MEZ": 1, "MESZ": 2, "OEZ": 2, "OESZ": 3, "WEZ": 0, "WESZ": 1, "MSK": 3, "МСК": 3,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8,
    "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "NST": -3.5,
    "NDT": -2.5, "HNE": -5, "HAE": -4, "HNC": -6, "HAC": -5, "HNR": -7, "HAR": -6,
    "HNP": -8, "HAP": -7, "HNA": -4, "HAA": -3, "HNT": -3.5, "HAT": -2.5, "BRT": -3,
    "BRST": -2, "ART": -3, "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "AWST": 8,
    "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "SAST": 2, "WAT": 1, "CAT": 2, "EAT": 3, "TRT": 3, "WIB": 7, "ICT": 7, "PHT": 8,
    "PKT": 5,
}  # fmt: skip

#: day-period words next to a 12-hour time, without dots and spaces, casefolded
_AM = {"am", "vorm", "öö", "午前", "오전", "上午", "凌晨", "清晨", "早上", "午夜", "ص"}
_PM = {"pm", "nachm", "ös", "午後", "오후", "下午", "中午", "晚上", "م"}
_PERIOD_WORDS = sorted(_AM | _PM, key=len, reverse=True)
_PERIOD = "|".join(r"[.\s]*".join(map(re.escape, word)) + r"\.?" for word in _PERIOD_WORDS)
_PERIOD_AFTER = re.compile(rf"^\s*({_PERIOD})(?![^\W\d_])", re.I)
#: before the time (Korean, Chinese): "5日下午3:03:12" has no space, but "... am" is a word
_PERIOD_BEFORE = re.compile(rf"(?<![A-Za-z\u00c0-\u024f\u0400-\u04ff])({_PERIOD})\s*$", re.I)

_TIME = re.compile(
    r"(?<![\d:.])(?P<h>\d{1,2})(?:(?P<sep>[:.])(?P<m>\d{2})(?P=sep)(?P<s>\d{2})"
    r"|\s?h\s?(?P<fm>\d{2})\s?min\s?(?P<fs>\d{2})\s?s)(?![\d:])"
)
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_OFFSET = re.compile(
    r"^(?:GMT|UTC|UT|غرينتش)?\s?(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$", re.I
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u200b\u2066\u2067\u2068\u2069"))
_PUNCT = str.maketrans({"\u060c": ",", "\u2212": "-", "\u2013": "-", "\u2011": "-"})
_YEAR_MARKS = {"年", "년"}
_MONTH_MARKS = {"月", "월"}
_DAY_MARKS = {"日", "일"}
_CJK_MARKS = _YEAR_MARKS | _MONTH_MARKS | _DAY_MARKS
#: the longest date line read (a longer one is not a date)
MAX_CHARS = 120


def _month_tables() -> tuple[dict[str, int], list[tuple[str, int]]]:
    exact: dict[str, int] = {}
    names: list[tuple[str, int]] = []
    for months in MONTHS.values():
        for number, spelled in enumerate(months, 1):
            for name in spelled.split():
                exact[name] = number
                names.append((name, number))
    return exact, names


_EXACT_MONTHS, _MONTH_NAMES = _month_tables()


@lru_cache(maxsize=4096)
def month_number(word: str) -> int | None:
    """The month a month name stands for, in any language of :data:`MONTHS`, or None."""
    word = word.casefold().rstrip(".")
    found = _EXACT_MONTHS.get(word)
    if found is not None or len(word) < 3:
        return found
    starts = {number for name, number in _MONTH_NAMES if name.startswith(word)}
    return starts.pop() if len(starts) == 1 else None


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]).translate(_INVISIBLE)
    text = text.translate(_PUNCT)
    if not text.isascii():  # Arabic-Indic and other decimal digits
        text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    return " ".join(text.split())


def _ymd(before: str) -> tuple[int, int, int, bool] | None:
    """(year, month, day, written in CJK) of the date part, or None."""
    tokens = _TOKEN.findall(before)
    numbers: list[str] = []
    year = month = day = None
    cjk = False
    named: set[int] = set()
    for index, token in enumerate(tokens):
        if token.isdecimal():  # ASCII digits only, after _normalise
            numbers.append(token)
            continue
        if token in _CJK_MARKS:
            cjk = True
            if index == 0 or not tokens[index - 1].isdecimal():
                return None
            value = int(numbers.pop())
            if token in _YEAR_MARKS:
                year = value
            elif token in _MONTH_MARKS:
                month = value
            else:
                day = value
            continue
        found = month_number(token)
        if found is not None:
            named.add(found)
        # other words ("de", "г", "at", "um") join the parts
    if len(named) > 1:
        return None
    if named:
        if month is not None:
            return None
        month = named.pop()
    rest = numbers
    if year is None:
        long = [n for n in rest if len(n) == 4]
        if month is None and len(rest) == 3:
            if len(rest[0]) == 4:
                year, month, day = int(rest[0]), int(rest[1]), int(rest[2])
            elif len(rest[2]) == 4:
                day, month, year = int(rest[0]), int(rest[1]), int(rest[2])
            else:
                return None
            rest = []
        elif len(long) == 1:
            year = int(long[0])
            rest = rest[:]
            rest.remove(long[0])
        else:
            return None
    if month is None and len(rest) == 1 and day is not None:
        month = int(rest.pop())
    if day is None and len(rest) == 1:
        day = int(rest.pop())
    if rest or year is None or month is None or day is None:
        return None
    return year, month, day, cjk


def _zone(text: str, cjk: bool) -> float | None:
    """Hours from UTC of a zone written after the time; None when unknown."""
    upper = text.upper()
    if upper == "CST" and cjk:
        return 8.0
    if upper in ZONES:
        return float(ZONES[upper])
    found = _OFFSET.match(text.replace(" ", ""))
    if found is None:
        return None
    offset = int(found["h"]) + int(found["m"] or 0) / 60
    return -offset if found["sign"] == "-" else offset


def html_date(text: str) -> tuple[datetime, bool] | None:
    """A My Activity HTML date as UTC, and whether its zone was unknown (taken as UTC)."""
    text = _normalise(text)
    if len(text) > MAX_CHARS:
        return None
    times = list(_TIME.finditer(text))
    if not times:
        return None
    clock = times[-1]
    before, after = text[: clock.start()], text[clock.end() :]
    hour = int(clock["h"])
    minute = int(clock["m"] or clock["fm"])
    second = int(clock["s"] or clock["fs"])
    period = _PERIOD_AFTER.match(after)
    if period is not None:
        after = after[period.end() :]
    else:
        period = _PERIOD_BEFORE.search(before)
        if period is not None:
            before = before[: period.start()]
    if period is not None:
        word = re.sub(r"[.\s]", "", period.group(1)).casefold()
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if word in _PM else 0)
    parts = _ymd(before)
    if parts is None:
        return None
    year, month, day, cjk = parts
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    zone_text = after.strip(" ,")
    offset = 0.0 if not zone_text else _zone(zone_text, cjk)
    if offset is None and len(zone_text.split()) > 3:  # a sentence, not a zone
        return None
    assumed = offset is None
    try:
        tz = timezone(timedelta(hours=offset or 0.0))
        return moment.replace(tzinfo=tz).astimezone(UTC), assumed
    except (ValueError, OverflowError):  # an offset of a day or more; year 1 or 9999
        return None
