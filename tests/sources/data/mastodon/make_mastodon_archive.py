"""Writes the Mastodon archive fixtures in the shape Mastodon's archive has.

The shape (compact JSON, the ActivityStreams ``@context``, an ``OrderedCollection``
whose ``orderedItems`` are ``Create`` activities of ``Note`` objects with HTML
``content`` and ``contentMap``, ``h-card`` mentions, ``invisible``/``ellipsis`` link spans,
``Document`` attachments with descriptions, ``Announce`` boosts, and likes/bookmarks as
lists of status addresses) is copied from a real archive published on GitHub
(dealingwith/masto-archive, ``outbox.json`` and ``likes.json`` at commit 9e988f1b); that
repository has no licence, so no record of it is copied: the posts here are made up, in
Korean, Russian, Arabic, Japanese and Chinese.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
ME = "https://social.example/users/mina"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "conversation": "ostatus:conversation",
        "ostatus": "http://ostatus.org#",
    },
]


def create(n: str, when: str, html: str, to: list[str], cc: list[str], **extra: object):
    status = f"{ME}/statuses/{n}"
    note: dict[str, object] = {
        "id": status,
        "type": "Note",
        "summary": None,
        "inReplyTo": None,
        "published": when,
        "url": f"https://social.example/@mina/{n}",
        "attributedTo": ME,
        "to": to,
        "cc": cc,
        "sensitive": False,
        "atomUri": status,
        "inReplyToAtomUri": None,
        "conversation": f"tag:social.example,{when[:10]}:objectId={n[-6:]}:objectType=Conversation",
        "content": html,
        "contentMap": {"ko": html},
        "attachment": [],
        "tag": [],
        "replies": {
            "id": f"{status}/replies",
            "type": "Collection",
            "first": {"type": "CollectionPage", "items": []},
        },
    }
    note.update(extra)
    return {
        "id": f"{status}/activity",
        "type": "Create",
        "actor": ME,
        "published": when,
        "to": to,
        "cc": cc,
        "object": note,
    }


ITEMS = [
    create(
        "109305976208011760",
        "2022-11-08T03:07:14Z",
        '<p>오늘은 부산에서 바다를 봤어요.</p><p><a href="https://example.org/busan-sea" '
        'target="_blank" rel="nofollow noopener noreferrer" translate="no"><span '
        'class="invisible">https://</span><span class="ellipsis">example.org/busan-se'
        '</span><span class="invisible">a</span></a></p>',
        [PUBLIC],
        [f"{ME}/followers"],
    ),
    create(
        "109309145334822499",
        "2022-11-08T16:33:11Z",
        '<p><span class="h-card" translate="no"><a href="https://social.lol/@mcg" '
        'class="u-url mention">@<span>mcg</span></a></span> Спасибо за рецепт борща!</p>',
        [PUBLIC],
        [f"{ME}/followers", "https://social.lol/users/mcg"],
        inReplyTo="https://social.lol/users/mcg/statuses/109308078398027392",
        tag=[
            {"type": "Mention", "href": "https://social.lol/users/mcg", "name": "@mcg@social.lol"}
        ],
    ),
    create(
        "109333840388857217",
        "2022-11-13T01:13:27Z",
        '<p>&quot;<a href="https://social.example/tags/caterday" class="mention hashtag" '
        'rel="tag">#<span>caterday</span></a> قطتي تنام على الأريكة&quot;</p>',
        [PUBLIC],
        [f"{ME}/followers"],
        attachment=[
            {
                "type": "Document",
                "mediaType": "image/jpeg",
                "url": "/media_attachments/files/109/333/835/original/3381f6f6.jpeg",
                "name": "白い猫がソファで寝ている",
                "width": 1440,
                "height": 1081,
            }
        ],
        tag=[
            {"type": "Hashtag", "href": "https://social.example/tags/caterday", "name": "#caterday"}
        ],
    ),
    create(
        "109376719336938342",
        "2022-11-20T14:58:08Z",
        "<p>这是只给你看的消息。</p>",
        ["https://social.lol/users/mcg"],
        [],
        sensitive=True,
        summary="私信",
    ),
    {
        "id": f"{ME}/statuses/109390360974197006/activity",
        "type": "Announce",
        "actor": ME,
        "published": "2022-11-23T00:47:23Z",
        "to": [PUBLIC],
        "cc": [f"{ME}/followers"],
        "object": "https://tilde.zone/users/ftrain/statuses/109391113388306712",
    },
    {
        "id": f"{ME}/statuses/109390360974197007/activity",
        "type": "Delete",
        "actor": ME,
        "object": f"{ME}/statuses/1",
    },
]


def dump(name: str, value: object) -> None:
    (HERE / name).write_text(
        json.dumps(value, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )


if __name__ == "__main__":
    dump(
        "outbox.json",
        {
            "@context": CONTEXT,
            "id": "outbox.json",
            "type": "OrderedCollection",
            "totalItems": len(ITEMS),
            "orderedItems": ITEMS,
        },
    )
    dump(
        "likes.json",
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "likes.json",
            "type": "OrderedCollection",
            "orderedItems": [
                "https://mastodon.social/users/robotspacer/statuses/100532741303956178",
                "https://social.deadsuperhero.com/objects/df6c744f-aede-4892",
            ],
        },
    )
    dump(
        "bookmarks.json",
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "bookmarks.json",
            "type": "OrderedCollection",
            "orderedItems": ["https://mathstodon.xyz/users/x/statuses/1093168"],
        },
    )
