"""Writes the signal-export fixtures with signal-export's own code (MIT).

Run with signal-export 3.9.3's source on the path (``pip download --no-deps
signal-export``, unpack it, ``pip install typer emoji``)::

    PYTHONPATH=signal_export-3.9.3 python make_signal_export.py

It builds Signal Desktop-shaped raw messages (what ``sigexport.data.fetch_data`` reads
from the database), turns them into messages with ``sigexport.create.create_chats`` and
writes ``<chat>/chat.md`` and ``<chat>/data.json`` exactly as ``sigexport.main`` does.
"""

from __future__ import annotations

from pathlib import Path

from sigexport import create, models

HERE = Path(__file__).parent
# 2024-05-01 18:02:11 UTC and on, in milliseconds
T0 = 1714586531000


def raw(n: int, convo: str, kind: str, body: str, source: str | None, **extra: object):
    base: dict[str, object] = dict(
        conversation_id=convo,
        id=f"m{n}",
        body=body,
        type=kind,
        source=source,
        timestamp=T0 + n * 61_000,
        sent_at=T0 + n * 61_000,
        server_timestamp=None,
        has_attachments=False,
        attachments=[],
        read_status=None,
        seen_status=None,
        call_history=None,
        reactions=[],
        sticker=None,
        quote=None,
        deleted=False,
        has_visual_media=False,
    )
    base.update(extra)
    return models.RawMessage(**base)  # type: ignore[arg-type]


def contact(cid: str, service: str, name: str, group: bool = False) -> models.Contact:
    return models.Contact(
        id=cid,
        serviceId=service,
        name=name,
        number="",
        profile_name=name,
        is_group=group,
        members=None,
    )


CONTACTS = {
    "g": contact("g", "", "Семья 가족", group=True),
    "ana": contact("ana", "svc-ana", "Ана"),
    "min": contact("min", "svc-min", "민준"),
    "yuki": contact("yuki", "svc-yuki", "ゆき"),
}
CONVOS = {
    "g": [
        raw(1, "g", "incoming", "Привет всем! Завтра едем на дачу.", "svc-ana"),
        raw(
            2,
            "g",
            "incoming",
            "좋아요, 김밥을 가져갈게요.",
            "svc-min",
            reactions=[{"fromId": "ana", "emoji": "👍"}],
        ),
        raw(
            3,
            "g",
            "outgoing",
            "مرحبا، سأحضر الشاي\nи ещё хлеб",
            None,
            quote={"text": "Завтра едем на дачу."},
        ),
        raw(
            4,
            "g",
            "incoming",
            "",
            "svc-yuki",
            attachments=[{"fileName": "dacha.jpg", "contentType": "image/jpeg"}],
        ),
        raw(5, "g", "incoming", "我们在车站见面。駅で会いましょう", "svc-yuki"),
    ],
}


def main() -> None:
    chats = create.create_chats(CONVOS, CONTACTS)
    for key, messages in chats.items():
        folder = HERE / str(CONTACTS[key].name)
        folder.mkdir(exist_ok=True)
        with (
            (folder / "chat.md").open("w", encoding="utf-8") as md,
            (folder / "data.json").open("w", encoding="utf-8") as js,
        ):
            for msg in messages:
                print(msg.to_md(), file=md)
                print(msg.dict_str(), file=js)


if __name__ == "__main__":
    main()
