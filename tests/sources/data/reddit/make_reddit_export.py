"""Writes the Reddit data-export fixtures: the CSV headers Reddit writes (as listed by
the projects that read these exports, e.g. RLEAPP's Reddit parser and the header
checks quoted in data/reddit/README.md), ``2023-01-15 12:34:56 UTC`` dates, quoted
multi-line bodies, a ``[deleted]`` comment, a UTF-8 BOM on one file. The records are
made up, in Korean, Russian, Arabic, Japanese and Chinese."""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
P = "https://www.reddit.com/r/"


def write(name: str, header: str, rows: list[list[str]], bom: bool = False) -> None:
    with (HERE / name).open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header.split(","))
        writer.writerows(rows)


write(
    "posts.csv",
    "id,permalink,date,ip,subreddit,gildings,title,url,body",
    [
        [
            "10abcd",
            f"{P}korea/comments/10abcd/busan_trip/",
            "2023-01-15 12:34:56 UTC",
            "1.2.3.4",
            "korea",
            "0",
            "부산 여행 추천해 주세요",
            f"{P}korea/comments/10abcd/busan_trip/",
            "해운대 말고 조용한 바닷가가 있을까요?\n3월에 갑니다.",
        ],
        [
            "10abce",
            f"{P}russia/comments/10abce/dacha/",
            "2023-02-01 08:00:00 UTC",
            "1.2.3.4",
            "russia",
            "0",
            "Фото с дачи",
            "https://i.example.org/dacha.jpg",
            "",
        ],
    ],
)
write(
    "comments.csv",
    "id,permalink,date,ip,subreddit,gildings,gildings_silver,gildings_supergold,link,parent,body,media",
    [
        [
            "j5xyz1",
            f"{P}arabic/comments/10zzzz/tea/j5xyz1/",
            "2023-01-16 09:10:11 UTC",
            "",
            "arabic",
            "0",
            "0",
            "0",
            f"{P}arabic/comments/10zzzz/tea/",
            "t3_10zzzz",
            "الشاي بالنعناع هو الأفضل",
            "",
        ],
        [
            "j5xyz2",
            f"{P}japan/comments/10yyyy/sakura/j5xyz2/",
            "2023-03-20 22:00:00 UTC",
            "",
            "japan",
            "0",
            "0",
            "0",
            f"{P}japan/comments/10yyyy/sakura/",
            "t1_j5aaaa",
            "上野公園の桜はもう満開です。\n北京的樱花也很美",
            "",
        ],
        [
            "j5xyz3",
            f"{P}japan/comments/10yyyy/sakura/j5xyz3/",
            "2023-03-21 22:00:00 UTC",
            "",
            "japan",
            "0",
            "0",
            "0",
            f"{P}japan/comments/10yyyy/sakura/",
            "t3_10yyyy",
            "[deleted]",
            "",
        ],
    ],
    bom=True,
)
write(
    "messages.csv",
    "id,permalink,thread_id,date,ip,from,to,subject,body",
    [
        [
            "1p2q3r",
            "https://www.reddit.com/message/messages/1p2q3r",
            "1p2q3r",
            "2023-04-01 10:00:00 UTC",
            "",
            "minjun_k",
            "me_account",
            "Встреча",
            "Увидимся в субботу в кафе?",
        ],
    ],
)
write(
    "chat_history.csv",
    "message_id,created_at,updated_at,username,message,thread_parent_message_id,channel_url,"
    "subreddit,channel_name,conversation_type",
    [
        [
            "msg-0001",
            "2023-05-05 18:30:00 UTC",
            "",
            "yuki_t",
            "明日は雨らしいよ",
            "",
            "sendbird_group_channel_123",
            "",
            "yuki_t, me_account",
            "direct",
        ],
    ],
)
