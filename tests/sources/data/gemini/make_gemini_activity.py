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

if __name__ == "__main__":
    OUT.write_text(json.dumps(RECORDS, ensure_ascii=False, indent=2), encoding="utf-8")
