"""Conversations as conversations (issue 12, items 1 and 2), over a real memory and app:
a message opens in its thread (web page and REST), the timeline groups a chat's messages
by thread and day and folds a recurring event, and saved chats are kept, continued,
renamed, deleted, and forget what was forgotten."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from server_helpers import AUTH, BASE, CAMPING, sse_events
from starlette.testclient import TestClient

from lifelog import Item, Memory
from lifelog.server.cards import cards_for, recurrence_words
from lifelog.store.conversations import Conversations
from lifelog.store.threads import newest_items, thread_window

PRIYA = "whatsapp:Priya Shah"


def _thread_ids(memory: Memory, thread: str) -> list[str]:
    rows = memory.store.conn.execute(
        "SELECT id FROM items WHERE thread = ? ORDER BY ts, rowid", (thread,)
    ).fetchall()
    return [r[0] for r in rows]


def test_a_window_of_a_thread_around_a_message(memory: Memory) -> None:
    ids = _thread_ids(memory, PRIYA)
    assert len(ids) > 60
    middle = ids[40]
    window = thread_window(memory.store, middle, before=5, after=3)
    assert [i.id for i in window.items] == ids[35:44]
    assert window.earlier and window.later and window.total == len(ids)
    authors = {i.author for i in window.items}
    assert len(authors) == 2, "both sides of the conversation"
    first = thread_window(memory.store, ids[0], before=5, after=0)
    assert [i.id for i in first.items] == ids[:1] and not first.earlier and first.later
    last = thread_window(memory.store, ids[-1], before=2, after=9)
    assert [i.id for i in last.items] == ids[-3:] and last.earlier and not last.later
    # paging: the window before the first one shown goes on where it stopped
    back = thread_window(memory.store, window.items[0].id, before=5, after=0)
    assert [i.id for i in back.items] == ids[30:36]


def test_newest_items_come_first(memory: Memory) -> None:
    newest = newest_items(memory.store, limit=20)
    stamps = [i.timestamp for i in newest]
    assert stamps == sorted(stamps, reverse=True)  # type: ignore[type-var]
    latest = memory.store.conn.execute("SELECT max(ts) FROM items").fetchone()[0]
    assert newest[0].timestamp == datetime.fromtimestamp(latest, UTC)


def test_the_thread_page_shows_the_message_among_its_neighbours(client: TestClient) -> None:
    ids = _thread_ids(client.app.state.lifelog.memory, PRIYA)  # type: ignore[attr-defined]
    page = client.get(f"/thread/{ids[40]}", headers=AUTH)
    assert page.status_code == 200
    html = page.text
    assert "<h1" in html and "Priya Shah" in html
    shown = re.findall(r'<li class="msg[^"]*" id="m-(\w+)"', html)
    assert shown == ids[15:66]
    assert f'<li class="msg focus" id="m-{ids[40]}"' in html
    earlier = re.search(r'href="(/thread/[^"]+)" data-direction="earlier"', html)
    later = re.search(r'href="(/thread/[^"]+)" data-direction="later"', html)
    assert earlier and later
    back = client.get(earlier.group(1).replace("&amp;", "&") + "&fragment=1", headers=AUTH)
    assert "<html" not in back.text
    before = re.findall(r'<li class="msg[^"]*" id="m-(\w+)"', back.text)
    assert before == ids[max(0, 15 - 50) : 16]
    missing = client.get("/thread/ffffffffffffffffffffffff", headers=AUTH)
    assert missing.status_code == 404


def test_a_search_hit_and_an_item_link_to_the_thread(client: TestClient) -> None:
    html = client.get("/search", params={"q": "camping"}, headers=AUTH).text
    links = re.findall(r'<a class="in-thread" href="/thread/(\w+)"', html)
    assert links
    item = client.get(f"/items/{links[0]}?fragment=1", headers=AUTH).text
    assert f'href="/thread/{links[0]}"' in item


def test_the_rest_api_gives_a_thread(client: TestClient) -> None:
    ids = _thread_ids(client.app.state.lifelog.memory, PRIYA)  # type: ignore[attr-defined]
    body = client.get(f"/api/threads/{ids[10]}?before=2&after=2", headers=AUTH).json()
    assert [i["id"] for i in body["items"]] == ids[8:13]
    assert body["thread"] == PRIYA and body["earlier"] and body["later"]
    assert body["items"][2]["text"]


def _month_with_busy_chat_day(memory: Memory) -> tuple[str, str, int]:
    day, count = memory.store.conn.execute(
        "SELECT strftime('%Y-%m-%d', ts, 'unixepoch') AS d, count(*) AS n FROM items"
        " WHERE thread = ? GROUP BY d ORDER BY n DESC LIMIT 1",
        (PRIYA,),
    ).fetchone()
    return day, day[:7], int(count)


def test_the_timeline_groups_a_chats_messages_by_thread_and_day(
    client: TestClient, memory: Memory
) -> None:
    day, _month, count = _month_with_busy_chat_day(memory)
    assert count >= 3
    html = client.get("/timeline", params={"day": day}, headers=AUTH).text
    cards = re.findall(r'<li class="hit card-thread">.*?</li>\s*</ul>', html, re.S)
    assert len(cards) == 1 and f"{count} messages" in cards[0]
    assert html.count('class="hit') < count, "one card, not one per message"
    # the messages in the card are titled by their authors
    authors = re.findall(r'<strong class="who">([^<]+)</strong>', cards[0])
    assert "Sam Rivera" in authors and "Priya Shah" in authors


def test_a_message_alone_is_titled_by_its_author() -> None:
    when = datetime(2023, 6, 1, 12, tzinfo=UTC)
    alone = Item(
        source="whatsapp",
        key="k1",
        kind="message",
        text="hi",
        timestamp=when,
        author="Sam Rivera",
        title="Rivera Family",
        thread="whatsapp:Rivera Family",
    )
    (card,) = cards_for([alone])
    assert card.kind == "item" and card.title == "Sam Rivera"


def _weekly(n: int) -> list[Item]:
    start = datetime(2020, 1, 6, 9, tzinfo=UTC)
    return [
        Item(
            source="ical",
            key=f"standup/{k}",
            kind="event",
            text="Team standup",
            timestamp=start + timedelta(weeks=k),
            title="Team standup",
            thread="ical:standup@example.org",
            metadata={"rrule": "FREQ=WEEKLY;BYDAY=MO", "uid": "standup@example.org"},
        )
        for k in range(n)
    ]


def test_recurring_events_are_folded() -> None:
    assert recurrence_words("FREQ=WEEKLY;BYDAY=MO", 530) == "weekly, 530 times"
    assert recurrence_words("FREQ=MONTHLY;INTERVAL=3", 2) == "every 3 months, twice"
    events = _weekly(5)
    other = Item(source="notes", key="n", kind="note", text="x", timestamp=events[2].timestamp)
    cards = cards_for([*events[:2], other, *events[2:]], {"ical:standup@example.org": 530})
    assert [c.kind for c in cards] == ["series", "item"]
    assert cards[0].repeats == "weekly, 530 times" and len(cards[0].items) == 5


def test_the_timeline_folds_a_weekly_event(client: TestClient, memory: Memory) -> None:
    memory.store.upsert(_weekly(60), origin=None, run_id=None)
    html = client.get("/timeline", params={"month": "2020-03"}, headers=AUTH).text
    assert html.count("Team standup") == 2  # the card's title and its text, once
    assert "weekly, 60 times" in html


def test_a_saved_chat_is_continued_renamed_and_deleted(client: TestClient) -> None:
    with client.stream(
        "POST",
        "/api/ask",
        json={"question": CAMPING, "conversation": "new"},
        headers={**AUTH, "accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200
        events = list(sse_events(response.iter_lines()))
    kinds = [e for e, _ in events]
    assert kinds.index("conversation") < kinds.index("answer")
    import json

    made = json.loads(dict(events)["conversation"])
    assert made["title"] == CAMPING and made["turns"] == 1
    chat_id = made["id"]
    listed = client.get("/api/conversations", headers=AUTH).json()["conversations"]
    assert [c["id"] for c in listed] == [chat_id]
    follow = client.post(
        "/api/ask",
        json={"question": "Who came along?", "conversation": chat_id, "stream": False},
        headers=AUTH,
    ).json()
    assert follow["conversation"]["turns"] == 2
    memory = client.app.state.lifelog.memory  # type: ignore[attr-defined]
    chats = Conversations(memory.store)
    assert [t.question for t in chats.turns(chat_id)] == [CAMPING, "Who came along?"]
    # the web page reopens it, with its answers and their citations
    page = client.get("/", params={"c": chat_id}, headers=AUTH).text
    assert page.count('<li class="turn">') == 2 and "Peneda-Gerês" in page
    assert re.search(r'<a class="cite" href="/items/(\w+)" data-item="\1"', page)
    renamed = client.patch(
        f"/api/conversations/{chat_id}", json={"title": "Camping 2023"}, headers=AUTH
    ).json()
    assert renamed["title"] == "Camping 2023"
    form = client.post(
        f"/chats/{chat_id}/rename",
        data={"title": "Gerês trip"},
        headers={**AUTH, "origin": BASE},
        follow_redirects=False,
    )
    assert form.status_code == 303 and chats.get(chat_id).title == "Gerês trip"
    gone = client.post(
        f"/chats/{chat_id}/delete", headers={**AUTH, "origin": BASE}, follow_redirects=False
    )
    assert gone.status_code == 303
    assert client.get(f"/api/conversations/{chat_id}", headers=AUTH).status_code == 404
    assert memory.store.conn.execute("SELECT count(*) FROM conversation_turns").fetchone() == (0,)


def test_the_chat_without_javascript_keeps_the_conversation(client: TestClient) -> None:
    first = client.post("/", data={"q": CAMPING}, headers={**AUTH, "origin": BASE}).text
    chat_id = re.search(r'name="conversation" value="(\w+)"', first)
    assert chat_id, "the page continues the conversation it saved"
    second = client.post(
        "/",
        data={"q": "And in 2021?", "conversation": chat_id.group(1)},
        headers={**AUTH, "origin": BASE},
    ).text
    assert second.count('<li class="turn">') == 2
    assert f'href="/?c={chat_id.group(1)}" aria-current="page"' in second


def test_an_ask_with_an_unknown_conversation_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/api/ask",
        json={"question": CAMPING, "conversation": "nope", "stream": False},
        headers=AUTH,
    )
    assert answer.status_code == 404 and answer.json()["error"]["type"] == "not_found"


def test_forgetting_a_cited_item_wipes_the_answers_that_quoted_it(
    memory: Memory, tmp_path: Path
) -> None:
    answer = memory.ask(CAMPING)
    assert answer.citations
    chats = Conversations(memory.store)
    chat = chats.create()
    from lifelog.server.serialize import answer_json

    chats.add_turn(chat.id, CAMPING, answer_json(answer))
    chats.add_turn(chat.id, "unrelated", {"text": "nothing", "citations": []})
    quoted = answer.citations[0].snippet
    memory.forget([answer.citations[0].item.id])
    first, second = chats.turns(chat.id)
    assert quoted not in first.text and first.answer.get("forgotten") is True
    assert first.question == CAMPING and second.text == "nothing"
    raw = memory.store.conn.execute("SELECT group_concat(answer) FROM conversation_turns")
    assert quoted not in raw.fetchone()[0]


def test_browsing_without_words_starts_at_the_newest_items(client: TestClient) -> None:
    html = client.get("/search", params={"source": "whatsapp"}, headers=AUTH).text
    stamps = re.findall(r'<li class="hit">.*?<time>([^<]+)</time>', html, re.S)
    assert len(stamps) > 5 and stamps == sorted(stamps, reverse=True)
    memory = client.app.state.lifelog.memory  # type: ignore[attr-defined]
    newest = memory.store.conn.execute(
        "SELECT max(ts) FROM items WHERE source = 'whatsapp'"
    ).fetchone()[0]
    assert stamps[0] == f"{datetime.fromtimestamp(newest, UTC):%Y-%m-%d %H:%M}"


def test_a_card_offers_its_conversation_only_when_there_is_one(client: TestClient) -> None:
    memory = client.app.state.lifelog.memory  # type: ignore[attr-defined]
    alone, day = memory.store.conn.execute(
        "SELECT i.id, strftime('%Y-%m-%d', i.ts, 'unixepoch') FROM items i WHERE i.thread IS NOT"
        " NULL AND (SELECT count(*) FROM items j WHERE j.thread = i.thread) = 1 LIMIT 1"
    ).fetchone()
    html = client.get("/timeline", params={"day": day}, headers=AUTH).text
    assert f'href="/items/{alone}"' in html and f'href="/thread/{alone}"' not in html
    busy = _thread_ids(memory, PRIYA)[3]
    one_day = memory.get(busy).timestamp
    html = client.get("/timeline", params={"day": f"{one_day:%Y-%m-%d}"}, headers=AUTH).text
    assert "/thread/" in html
