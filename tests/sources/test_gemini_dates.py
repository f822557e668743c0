"""The dates of Takeout's My Activity HTML in the account's language (Gemini Apps and the
other products), one test per language, on pages in the structure Takeout writes.

Which shapes are real: German ``27.08.2026, 20:04:54 MESZ``, French ``15 janv. 2024,
14:32:05 UTC+1``, Dutch ``15 jun 2026, 20:30:41 CEST``, Chinese ``2026年7月30日
00:23:06 CEST`` and Arabic ``23/07/2026، 4:20:22 م CEST`` are the forms public
Takeout readers quote from real exports (with the localized folder and file names:
``Meine Aktivitäten/Gemini-Apps/MeineAktivitäten.html``, ``Mon activité/Applications
Gemini/MonActivité.html``, ``Mi actividad/…/MiActividad.html``, ``我的活动/…/我的活动记录.html``);
the others are the locale's CLDR medium date and time, which is what Takeout writes, and
the last test checks the reader against CLDR itself (Babel, a development dependency)
for every month and hour. The headers of the non-English pages are the product's name in
that language as far as it is known; the prompt prefix stays "Prompted" (the reader
knows only the English one). Each language's page fails on the reader before this one:
it read English dates only.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel import Locale
from babel.dates import format_datetime
from hypothesis import given, settings
from hypothesis import strategies as st
from source_helpers import split_records

from lifelog.sources import detect
from lifelog.sources.assistants.gemini import GeminiSource
from lifelog.sources.takeout.activity import ActivitySource
from lifelog.sources.takeout.activity_dates import MONTHS, html_date, month_number

SOURCE = GeminiSource()
NB = "\u00a0"  # no-break space
NNB = "\u202f"  # narrow no-break space
RLM = "\u200f"  # right-to-left mark


def _cell(header: str, title: str, date: str, answer: str, products: str) -> str:
    return _outer(header, f"{title}<br>{date}<br>{answer}", products)


def _outer(header: str, body: str, products: str) -> str:
    return (
        '<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid">'
        '<div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">'
        f"{header}<br></p></div>"
        '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">'
        f"{body}</div>"
        '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1 '
        'mdl-typography--text-right"></div>'
        '<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption">'
        f"<b>{products}</b><br>&emsp;{header}<br></div></div></div>"
    )


def _page(cells: list[str]) -> str:
    return (
        '<html><head><meta charset="UTF-8"><title>My Activity</title>'
        "<style>.mdl-grid{display:flex}</style></head>"
        f'<body><div class="mdl-grid">{"".join(cells)}</div></body></html>'
    )


def _z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


#: language: (path under Takeout/, header, "Products:", [(date as written, UTC)])
PAGES: dict[str, tuple[str, str, str, list[tuple[str, datetime]]]] = {
    "de": (
        "Meine Aktivitäten/Gemini-Apps/MeineAktivitäten.html", "Gemini-Apps", "Produkte:",
        [
            ("05.12.2023, 14:03:12 MEZ", _z("2023-12-05T13:03:12")),
            ("27.08.2026, 20:04:54 MESZ", _z("2026-08-27T18:04:54")),
            ("03.02.2001, 16:05:06 UTC", _z("2001-02-03T16:05:06")),
        ],
    ),
    "fr": (
        f"Mon activité/Applications{NB}Gemini/MonActivité.html", f"Applications{NB}Gemini",
        f"Produits{NB}:",
        [
            ("15 janv. 2024, 14:32:05 UTC+1", _z("2024-01-15T13:32:05")),
            ("30 sept. 2026, 08:00:00 WAT", _z("2026-09-30T07:00:00")),
            ("3 juil. 2024, 09:15:00 UTC+2", _z("2024-07-03T07:15:00")),
            ("5 déc. 2023, 14 h 03 min 12 s HNE", _z("2023-12-05T19:03:12")),  # fr-CA
        ],
    ),
    "es": (
        "Mi actividad/Aplicaciones de Gemini/MiActividad.html", "Aplicaciones de Gemini",
        "Productos:",
        [
            ("5 dic 2023, 14:03:12 CET", _z("2023-12-05T13:03:12")),
            ("2 mar 2024, 4:12:33 a.m. GMT-03:00", _z("2024-03-02T07:12:33")),  # es-419
            (f"5 sept 2023, 2:03:12{NNB}p.{NNB}m. GMT-6", _z("2023-09-05T20:03:12")),
        ],
    ),
    "pt": (
        "Minha atividade/Apps do Gemini/MinhaAtividade.html", "Apps do Gemini", "Produtos:",
        [
            ("5 de dez. de 2023 14:03:12 BRT", _z("2023-12-05T17:03:12")),
            ("12 de mai. de 2024 08:00:00 GMT-03:00", _z("2024-05-12T11:00:00")),
            ("05/12/2023, 14:03:12 WET", _z("2023-12-05T14:03:12")),  # pt-PT
        ],
    ),
    "it": (
        "Le mie attività/App Gemini/LeMieAttività.html", "App Gemini", "Prodotti:",
        [
            ("5 dic 2023, 14:03:12 CET", _z("2023-12-05T13:03:12")),
            ("1 giu 2024, 00:30:00 CEST", _z("2024-05-31T22:30:00")),
        ],
    ),
    "nl": (
        "Mijn activiteit/Gemini-apps/MyActivity.html", "Gemini-apps", "Producten:",
        [
            ("15 jun 2026, 20:30:41 CEST", _z("2026-06-15T18:30:41")),
            ("5 mrt 2024, 09:00:00 CET", _z("2024-03-05T08:00:00")),
            ("1 okt. 2023, 10:00:00 CEST", _z("2023-10-01T08:00:00")),
        ],
    ),
    "ru": (
        "Мои действия/Приложения Gemini/МоиДействия.html", "Приложения Gemini", "Продукты:",
        [
            (f"5 дек. 2023{NNB}г., 14:03:12 MSK", _z("2023-12-05T11:03:12")),
            ("1 мая 2024 г., 09:00:00 МСК", _z("2024-05-01T06:00:00")),  # genitive, no dot
            ("18 сент. 2024 г., 23:10:00 GMT+3", _z("2024-09-18T20:10:00")),
        ],
    ),
    "pl": (
        "Moja aktywność/Aplikacje Gemini/MojaAktywność.html", "Aplikacje Gemini", "Usługi:",
        [
            ("5 gru 2023, 14:03:12 CET", _z("2023-12-05T13:03:12")),
            ("12 paź 2023, 08:00:00 CEST", _z("2023-10-12T06:00:00")),
        ],
    ),
    "tr": (
        "Etkinliğim/Gemini Uygulamaları/Etkinliğim.html", "Gemini Uygulamaları", "Ürünler:",
        [
            ("5 Ara 2023 14:03:12 GMT+3", _z("2023-12-05T11:03:12")),
            ("20 Ağu 2024 23:59:59 TRT", _z("2024-08-20T20:59:59")),
        ],
    ),
    "ja": (
        "マイ アクティビティ/Gemini アプリ/マイアクティビティ.html", "Gemini アプリ", "サービス:",
        [
            ("2023/12/05 14:03:12 JST", _z("2023-12-05T05:03:12")),
            ("2024年1月1日 0:00:00 JST", _z("2023-12-31T15:00:00")),
        ],
    ),
    "ko": (
        "내 활동/Gemini 앱/내활동.html", "Gemini 앱", "제품:",
        [
            ("2023. 12. 5. 오후 2:03:12 KST", _z("2023-12-05T05:03:12")),
            (f"2024. 4. 28. 오전{NNB}12:30:00 KST", _z("2024-04-27T15:30:00")),  # 12 AM
            ("2024. 4. 28. 오전 7:00:00 UTC", _z("2024-04-28T07:00:00")),
        ],
    ),
    "zh": (
        "我的活动/Gemini Apps/我的活动记录.html", "Gemini Apps", "产品：",
        [
            ("2023年12月5日 14:03:12 CST", _z("2023-12-05T06:03:12")),  # China's CST
            ("2026年7月30日 00:23:06 CEST", _z("2026-07-29T22:23:06")),
        ],
    ),
    "zh-Hant": (
        "我的活動/Gemini 應用程式/我的活動.html", "Gemini 應用程式", "產品：",
        [
            ("2023年12月5日 下午2:03:12 GMT+8", _z("2023-12-05T06:03:12")),
            ("2024年3月9日 晚上11:00:00 GMT+8", _z("2024-03-09T15:00:00")),
            ("2024年3月10日 中午12:15:00 HKT", _z("2024-03-10T04:15:00")),
            ("2024年3月11日 凌晨1:05:00 GMT+8", _z("2024-03-10T17:05:00")),
        ],
    ),
    "ar": (
        "نشاطي/تطبيقات Gemini/نشاطي.html", "تطبيقات Gemini", "المنتجات:",
        [
            (f"05{RLM}/12{RLM}/2023، 2:03:12 م CET", _z("2023-12-05T13:03:12")),
            (f"23{RLM}/07{RLM}/2026، 4:20:22 ص CEST", _z("2026-07-23T02:20:22")),
        ],
    ),
}  # fmt: skip


def _write(root: Path, language: str) -> tuple[Path, list[datetime]]:
    where, header, products, dates = PAGES[language]
    cells = [
        _cell(header, f"Prompted&nbsp;question {n}", date, f"<p>answer {n}</p>", products)
        for n, (date, _) in enumerate(dates, 1)
    ]
    path = root / "Takeout" / where
    path.parent.mkdir(parents=True)
    path.write_text(_page(cells), encoding="utf-8")
    return path, [moment for _, moment in dates]


@pytest.mark.parametrize("language", list(PAGES))
def test_a_gemini_page_in_each_language_gives_every_date(tmp_path: Path, language: str) -> None:
    path, expected = _write(tmp_path, language)
    found = detect(path)
    assert found is not None and found.name == "gemini"
    items, skips = split_records(SOURCE, path)
    assert skips == []
    assert [i.timestamp for i in items] == [m for m in expected for _role in ("Me", "Gemini")]
    assert [i.text for i in items[:2]] == ["question 1", "answer 1"]
    assert not any(i.metadata.get("zone_assumed") for i in items)


def test_the_english_forms_are_still_read(tmp_path: Path) -> None:
    """US and UK/other English (read before too): the same items as before."""
    dates = [
        (f"Dec 5, 2023, 2:03:12{NNB}PM EST", _z("2023-12-05T19:03:12")),
        ("5 Dec 2023, 14:03:12 GMT", _z("2023-12-05T14:03:12")),
        (f"5 Sept 2023, 2:03:12{NNB}pm AEST", _z("2023-09-05T04:03:12")),  # en-AU
        ("Jun 12, 2023, 11:05:00 PM GMT+02:00", _z("2023-06-12T21:05:00")),
    ]
    cells = [
        _cell("Gemini Apps", f"Prompted&nbsp;q{n}", d, "<p>a</p>", "Products:")
        for n, (d, _) in enumerate(dates)
    ]
    path = tmp_path / "My Activity" / "Gemini Apps" / "MyActivity.html"
    path.parent.mkdir(parents=True)
    path.write_text(_page(cells), encoding="utf-8")
    items, skips = split_records(SOURCE, path)
    assert skips == [] and [i.timestamp for i in items[::2]] == [m for _, m in dates]


def test_an_unknown_zone_is_taken_as_utc_and_said_so(tmp_path: Path) -> None:
    cells = [
        _cell(
            "Gemini-Apps", "Prompted&nbsp;q", "05.12.2023, 14:03:12 XYZT", "<p>a</p>", "Produkte:"
        )
    ]
    path = tmp_path / "Gemini-Apps" / "MeineAktivitäten.html"
    path.parent.mkdir()
    path.write_text(_page(cells), encoding="utf-8")
    items, skips = split_records(SOURCE, path)
    assert skips == [] and items[0].timestamp == _z("2023-12-05T14:03:12")
    assert all(i.metadata["zone_assumed"] is True for i in items)


def test_a_date_that_cannot_be_read_is_named_and_the_rest_is_read(tmp_path: Path) -> None:
    dates = [
        "5 dic 2023, 14:03:12 CET",
        "hace 3 horas",
        "31 feb 2024, 10:00:00 CET",
        "6 dic 2023, 09:00:00 CET",
    ]
    cells = [
        _cell("Aplicaciones de Gemini", f"Prompted&nbsp;q{n}", d, "<p>a</p>", "Productos:")
        for n, d in enumerate(dates, 1)
    ]
    path = tmp_path / "Mi actividad" / "Aplicaciones de Gemini" / "MiActividad.html"
    path.parent.mkdir(parents=True)
    path.write_text(_page(cells), encoding="utf-8")
    items, skips = split_records(SOURCE, path)
    assert [i.text for i in items] == ["q1", "a", "q4", "a"]
    assert [(s.file, s.position) for s in skips] == [
        (str(path), "record 2"),
        (str(path), "record 3"),
    ]
    assert all("unreadable date" in s.reason for s in skips)
    assert "hace 3 horas" in skips[0].reason and "31 feb 2024" in skips[1].reason


def test_other_my_activity_products_in_german_are_read(tmp_path: Path) -> None:
    """A German Search history: found by its localized name, its dates read."""
    body = (
        'Gesucht nach&nbsp;<a href="https://www.google.com/search?q=wetter">wetter</a>'
        "<br>05.12.2023, 14:03:12 MEZ"
    )
    cell = _outer("Suche", body, "Produkte:")
    path = tmp_path / "Takeout" / "Meine Aktivitäten" / "Suche" / "MeineAktivitäten.html"
    path.parent.mkdir(parents=True)
    path.write_text(_page([cell]), encoding="utf-8")
    found = detect(path)
    assert found is not None and found.name == "takeout_activity"
    items, skips = split_records(ActivitySource(), path)
    assert skips == [] and items[0].timestamp == _z("2023-12-05T13:03:12")
    assert items[0].metadata["url"] == "https://www.google.com/search?q=wetter"


# -- checked against CLDR ------------------------------------------------------------------

#: the locales whose medium dates and times Takeout writes, regional forms included
LOCALES = (
    "en en_GB en_AU en_CA en_IN de de_AT de_CH fr fr_CA fr_CH es es_MX es_US es_419 pt "
    "pt_PT it nl nl_BE ru pl tr ja ko zh zh_Hant zh_Hant_HK ar"
).split()


def test_the_month_table_holds_every_cldr_month_name() -> None:
    for language in MONTHS:
        locale = Locale.parse(language)
        for context in ("format", "stand-alone"):
            for width in ("abbreviated", "wide"):
                for number, name in locale.months[context][width].items():
                    assert month_number(name) == number, (language, name)
                    assert month_number(name.rstrip(".")) == number, (language, name)
    for language, months in MONTHS.items():  # and no name stands for two months
        for number, names in enumerate(months, 1):
            assert all(month_number(name) == number for name in names.split()), language


@pytest.mark.parametrize("locale", LOCALES)
def test_every_cldr_medium_date_and_time_is_read(locale: str) -> None:
    """Every month, every hour (12-hour clocks and their day periods), as CLDR writes
    them, with a zone after them the way Takeout adds it."""
    for month in range(1, 13):
        for hour in range(24):
            moment = datetime(2023, month, 1 + (month * 2 + hour) % 28, hour, 7, 9)
            written = format_datetime(moment, "medium", locale=locale)
            for zone, offset in (("UTC", 0), ("GMT+09:00", 9), ("GMT-5", -5)):
                found = html_date(f"{written} {zone}")
                expected = moment.replace(tzinfo=UTC) - timedelta(hours=offset)
                assert found == (expected, False), (locale, written, zone)


#: pieces of dates, to make near-dates from: digits of other scripts, marks, clocks
_PIECES = list("0123456789 :.,/-+年月日년월일²①٣𐩀") + [
    "오후", "下午", "PM", "p. m.", "dic", "мая", "г.", "UTC", "GMT", "CST", "\u200f", "\u202f",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300) | st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_any_text_gives_a_date_or_none_quickly(text: str) -> None:
    started = time.perf_counter()
    found = html_date(text)
    assert found is None or found[0].tzinfo is UTC
    assert time.perf_counter() - started < 0.5


def test_what_is_not_a_date_is_not_read() -> None:
    assert html_date("13:00 yesterday") is None
    assert html_date("vor 3 Stunden") is None
    assert html_date("5 dic 2023 y 6 ene 2024, 14:03:12 CET") is None  # two months
    assert html_date("12/05/23, 14:03:12 UTC") is None  # no four-digit year
    assert html_date("5 Dec 2023, 14:03:12 PM UTC") is None  # a 24-hour time with PM
    assert html_date("Dec 5, 2023, 2:03:12 PM " + "word " * 10) is None
    assert html_date("5 Dec 2023, 14:03:12 " + "x" * 500) is None  # over-long
