"""Writes the Twitter / X archive fixtures in the shape X's archive has.

The shape (the ``window.YTD.<name>.part0 = [`` assignment, ``"key" : value`` pairs
indented by two spaces, ids and counts as strings, ``created_at`` in Twitter's own date
form, HTML entities in ``full_text``, t.co links with their ``expanded_url``) is copied
from a real archive published on GitHub (milahu/twitter-milahu104, ``data/tweets.js``,
``data/direct-messages.js``, ``data/account.js``, commit 5bc02759); that archive has no
licence, so no record of it is copied: the records here are made up, in Korean,
Russian, Arabic, Japanese and Chinese.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent / "data"
ME = "1964312974236991488"


def tweet(tid: str, when: str, text: str, lang: str, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "edit_info": {
            "initial": {
                "editTweetIds": [tid],
                "editableUntil": "2026-02-20T10:10:58.000Z",
                "editsRemaining": "5",
                "isEditEligible": False,
            }
        },
        "retweeted": False,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "entities": extra.pop(
            "entities", {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}
        ),
        "display_text_range": ["0", str(len(text))],
        "favorite_count": "3",
        "id_str": tid,
        "truncated": False,
        "retweet_count": "0",
        "id": tid,
        "created_at": when,
        "favorited": False,
        "full_text": text,
        "lang": lang,
    }
    body.update(extra)
    return {"tweet": body}


TWEETS = [
    tweet(
        "2024773764576059625",
        "Fri Feb 20 09:10:58 +0000 2026",
        "오늘 한강에서 자전거를 탔어요. 날씨가 정말 좋았어요!",
        "ko",
    ),
    tweet(
        "2024771320370598323",
        "Fri Feb 20 09:01:15 +0000 2026",
        "Пирожки &amp; чай на даче у бабушки https://t.co/5SoLdok6yj",
        "ru",
        entities={
            "hashtags": [],
            "symbols": [],
            "user_mentions": [],
            "urls": [
                {
                    "url": "https://t.co/5SoLdok6yj",
                    "expanded_url": "https://example.org/dacha",
                    "display_url": "example.org/dacha",
                    "indices": ["36", "59"],
                }
            ],
        },
    ),
    tweet(
        "2024770905415573725",
        "Fri Feb 20 08:59:36 +0000 2026",
        "@SamaHoole &gt; شكرا جزيلا على الوصفة",
        "ar",
        entities={
            "hashtags": [],
            "symbols": [],
            "urls": [],
            "user_mentions": [
                {
                    "name": "Sama Hoole",
                    "screen_name": "SamaHoole",
                    "indices": ["0", "10"],
                    "id_str": "2253756806",
                    "id": "2253756806",
                }
            ],
        },
        in_reply_to_status_id_str="2024769507634360660",
        in_reply_to_status_id="2024769507634360660",
        in_reply_to_screen_name="SamaHoole",
        in_reply_to_user_id_str="2253756806",
    ),
    tweet(
        "2024767818445504644",
        "Fri Feb 20 08:47:20 +0000 2026",
        "RT @yuki: 東京で桜が咲きました。北京的春天也来了",
        "ja",
    ),
]
DMS = [
    {
        "dmConversation": {
            "conversationId": f"2846154391-{ME}",
            "messages": [
                {
                    "messageCreate": {
                        "recipientId": ME,
                        "reactions": [],
                        "urls": [],
                        "text": "Привет! Когда встречаемся?",
                        "mediaUrls": [],
                        "senderId": "2846154391",
                        "id": "2020990639995806191",
                        "createdAt": "2026-02-09T22:38:11.458Z",
                        "editHistory": [],
                    }
                },
                {
                    "messageCreate": {
                        "recipientId": "2846154391",
                        "reactions": [],
                        "urls": [],
                        "text": "내일 오후 세 시에 카페에서 만나요",
                        "mediaUrls": [],
                        "senderId": ME,
                        "id": "2020990449125622068",
                        "createdAt": "2026-02-09T22:40:25.955Z",
                    }
                },
            ],
        }
    },
    {
        "dmConversation": {
            "conversationId": f"1442698504770555906-{ME}",
            "messages": [
                {
                    "messageCreate": {
                        "recipientId": ME,
                        "reactions": [],
                        "urls": [],
                        "text": "",
                        "mediaUrls": ["https://ton.twitter.com/dm/1/photo.jpg"],
                        "senderId": "1442698504770555906",
                        "id": "2017298134729429424",
                        "createdAt": "2026-01-30T18:05:29.594Z",
                    }
                },
            ],
        }
    },
]
LIKES = [
    {
        "like": {
            "tweetId": "1999999999999999999",
            "fullText": "我们明天去长城吧 &lt;3",
            "expandedUrl": "https://twitter.com/i/web/status/1999999999999999999",
        }
    }
]
NOTES = [
    {
        "noteTweet": {
            "noteTweetId": "1790000000000000001",
            "updatedAt": "2026-02-18T07:00:00.000Z",
            "lifecycle": {
                "value": "updated",
                "name": "Updated",
                "originalName": "updated",
                "annotations": {},
            },
            "createdAt": "2026-02-18T07:00:00.000Z",
            "core": {
                "styletags": [],
                "urls": [],
                "text": (
                    "긴 글입니다. " * 30 + "Длинный пост о поездке в Пусан. "
                    "رحلة طويلة. 長い投稿です。这是一篇长文。"
                ),
                "mentions": [],
                "cashtags": [],
                "hashtags": [],
            },
        }
    }
]
BOOKMARKS = [
    {
        "bookmark": {
            "tweetId": "1888888888888888888",
            "fullText": "Рецепт борща",
            "expandedUrl": "https://twitter.com/i/web/status/1888888888888888888",
        }
    }
]
ACCOUNT = [
    {
        "account": {
            "email": "me@example.org",
            "createdVia": "web",
            "username": "milahu104",
            "accountId": ME,
            "createdAt": "2025-09-06T12:00:00.000Z",
            "accountDisplayName": "Milan",
        }
    }
]


def write(name: str, kind: str, records: list[dict[str, object]]) -> None:
    text = json.dumps(records, ensure_ascii=False, indent=2, separators=(",", " : "))
    (HERE / name).write_text(f"window.YTD.{kind}.part0 = {text}", encoding="utf-8")


if __name__ == "__main__":
    write("tweets.js", "tweets", TWEETS)
    write("direct-messages.js", "direct_messages", DMS)
    write("like.js", "like", LIKES)
    write("account.js", "account", ACCOUNT)
    write("note-tweet.js", "note_tweet", NOTES)
    write("bookmark.js", "bookmark", BOOKMARKS)
