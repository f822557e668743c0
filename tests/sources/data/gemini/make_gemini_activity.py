"""Writes ``My Activity/Gemini Apps/MyActivity.json`` in the shape Google Takeout gives it.

The shape (newest first; ``header``, ``title`` "Prompted ...", ``time`` in ISO UTC with
milliseconds, ``products``, ``activityControls``, ``details`` naming the conversation's
address, ``safeHtmlItem`` HTML chunks for the answer, ``attachedFiles``, ``subtitles``
for cited pages, localized headers such as "Додатки Gemini", Bard's records before 2024,
activity without an answer such as "Created ...") follows what the projects that read
these exports document in their tests and docstrings (see README.md). The records are
made up, in Korean, Russian, Arabic, Japanese and Chinese, written with Python's
``json.dump`` as Takeout writes them (two-space indents, ``" : "`` is not used).
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).parent / "My Activity" / "Gemini Apps" / "MyActivity.json"
APP = "https://gemini.google.com/app/"
BASE = {"products": ["Gemini Apps"], "activityControls": ["Gemini Apps Activity"]}

RECORDS = [
    {
        "header": "Gemini Apps",
        "title": "Prompted 제주도 여행에 무엇을 챙겨야 할까요?",
        "time": "2024-05-01T10:00:00.123Z",
        **BASE,
        "details": [{"name": APP + "d83053a82f419e50", "url": APP + "d83053a82f419e50"}],
        "safeHtmlItem": [
            {
                "html": "<p>비옷과 <b>편한 신발</b>을 챙기세요.</p><ul><li>선크림</li>"
                "<li>보조 배터리</li></ul>"
            }
        ],
        "subtitles": [{"name": "Visit Jeju", "url": "https://www.visitjeju.net/en"}],
    },
    {
        "header": "Додатки Gemini",
        "title": "Prompted Как сварить борщ?",
        "time": "2024-04-30T18:30:00.000Z",
        **BASE,
        "details": [{"name": APP + "aaaaaaaaaaaaaaaa", "url": APP + "aaaaaaaaaaaaaaaa"}],
        "safeHtmlItem": [
            {"html": "<p>Нужны <strong>свёкла</strong>, капуста и картофель.</p>"},
            {"html": "<p>Варите 2 часа.</p>"},
        ],
        "attachedFiles": ["рецепт.pdf"],
    },
    {
        "header": "Gemini Apps",
        "title": "Prompted ترجم: 会議は明日の午前十時です",
        "time": "2024-04-29T08:00:00.000Z",
        **BASE,
        "safeHtmlItem": [{"html": "<p>الاجتماع غداً في الساعة العاشرة صباحاً.</p>"}],
    },
    {
        "header": "Gemini Apps",
        "title": "Created Gem 中文老师",
        "time": "2024-04-28T07:00:00.000Z",
        **BASE,
        "details": None,
    },
    {
        "header": "Bard",
        "title": "Prompted 北京有什么好吃的？",
        "time": "2023-11-02T12:00:00.000Z",
        "products": ["Bard"],
        "activityControls": ["Bard Activity"],
        "safeHtmlItem": [{"html": "<p>北京烤鸭和炸酱面。</p>"}],
    },
]

HTML_OUT = OUT.with_suffix(".html")
CELL = (
    '<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid">'
    '<div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">'
    "{header}<br></p></div>"
    '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">'
    "{title}<br>{date}<br>{answer}</div>"
    '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1 '
    'mdl-typography--text-right"></div>'
    '<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption">'
    "<b>Products:</b><br>&emsp;Gemini Apps<br></div></div></div>"
)
HTML_RECORDS = [
    (
        "Gemini Apps",
        "Prompted&nbsp;제주도 여행에 무엇을 챙겨야 할까요?",
        "May 1, 2024, 10:00:00 AM UTC",
        "<p>비옷과 <b>편한 신발</b>을 챙기세요.</p><ul><li>선크림</li></ul>",
    ),
    (
        "Gemini Apps",
        "Prompted&nbsp;Как сварить борщ?",
        "30 Apr 2024, 20:30:00 CEST",
        "<p>Нужны <strong>свёкла</strong> и капуста.</p><div><pre><code>2 часа</code></pre></div>",
    ),
    (
        "Gemini Apps",
        "Prompted&nbsp;ترجم: 会議は明日です",
        "Apr 29, 2024, 8:00:00 AM UTC",
        "<p>الاجتماع غداً. 会议在明天。</p>",
    ),
    (
        "Gemini Apps",
        "Prompted&nbsp;날짜가 읽히지 않는 기록",
        "2024. 2. 30. 오전 7:00:00 UTC",  # 30 February: no such day
        "<p>답변</p>",
    ),
]


def html() -> str:
    cells = "".join(CELL.format(header=h, title=t, date=d, answer=a) for h, t, d, a in HTML_RECORDS)
    return (
        '<html><head><meta charset="UTF-8"><title>My Activity</title><style>body{}</style></head>'
        f'<body><div class="mdl-grid">{cells}</div></body></html>'
    )


if __name__ == "__main__":
    OUT.write_text(json.dumps(RECORDS, ensure_ascii=False, indent=2), encoding="utf-8")
    HTML_OUT.write_text(html(), encoding="utf-8")
