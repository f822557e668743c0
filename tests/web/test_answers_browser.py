"""Answers that read well (issue 12, item 9), in Debian's chromium: Markdown lists and
emphasis render as such, an image or tag in an answer makes no request, a citation's
hover card (and tap card) shows its date, source and snippet, and two citations of the
same quote are shown once. A streamed answer (from a scripted model) and a saved one
(rendered by the server, straight from the store: no inert pass before it) both."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from server_helpers import CAMPING, TOKEN, QuotingLLM, quote_first_source, use_llm

from lifelog import Memory
from lifelog.models.llm import Message
from lifelog.store.conversations import Conversations

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
SHOTS = Path(
    os.environ.get("LIFELOG_SCREENSHOTS") or Path(tempfile.gettempdir()) / "lifelog-screenshots"
)
WAIT = 15_000
#: an answer streams from the model after retrieval: on a loaded 2-core CI machine it has
#: taken longer than a page (these tests check what it shows; make bench times it)
ANSWER_WAIT = 60_000
EVIL = "evil.test"


def markdown_answer(messages: Sequence[Message]) -> str:
    """A Markdown answer quoting the first source, with an image and a tag slipped in."""
    quote = quote_first_source(messages).removesuffix(" [1]")
    return (
        f"- **{quote}** [1]\n"
        f"- *{quote}* [1]\n\n"
        f"{quote} [1] ![x](http://{EVIL}/md.png) <img src=http://{EVIL}/tag.png>\n"
    )


class MarkdownLLM(QuotingLLM):
    def stream(self, messages: Sequence[Message], **options: Any) -> Any:
        self.script = [markdown_answer]
        return super(QuotingLLM, self).stream(messages, **options)


@pytest.fixture
def page(browser: Any, server: str, web_memory: Memory) -> Iterator[Any]:
    context = browser.new_context(base_url=server, viewport={"width": 1100, "height": 760})
    tab = context.new_page()
    tab.requested = []  # every URL the page asked for
    tab.on("request", lambda r: tab.requested.append(r.url))
    tab.goto("/")
    tab.fill("#token", TOKEN)
    tab.click("button[type=submit]")
    tab.wait_for_selector("#question", timeout=WAIT)
    use_llm(web_memory, MarkdownLLM())
    try:
        yield tab
    finally:
        use_llm(web_memory, QuotingLLM())
        context.close()


def _outside(page: Any, server: str) -> list[str]:
    return [url for url in page.requested if not url.startswith(server) or EVIL in url]


def test_a_streamed_answer_renders_markdown_with_hover_cards(page: Any, server: str) -> None:
    page.fill("#question", CAMPING)
    page.keyboard.press("Enter")
    page.wait_for_selector('.answer[aria-busy="false"]', timeout=ANSWER_WAIT)
    text = page.locator(".answer-text").last
    assert text.locator("ul > li").count() == 2, text.inner_html()
    assert "Peneda-Gerês" in text.locator("li strong").inner_text()
    assert "Peneda-Gerês" in text.locator("li em").inner_text()
    assert text.locator("img").count() == 0
    assert page.locator(".citations li").count() == 1
    card = text.locator(".cite-card").first
    assert not card.is_visible()
    text.locator("a.cite").first.hover()
    card.wait_for(state="visible", timeout=WAIT)
    shown = card.inner_text()
    assert "whatsapp" in shown and "2023-" in shown and "Peneda-Gerês" in shown, shown
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-markdown-card.png"), full_page=False)
    assert _outside(page, server) == []


def _saved_turn(memory: Memory) -> str:
    """A saved conversation whose answer cites one quote as [1] and [2], and carries an
    image and a tag the renderer must not fetch."""
    item = memory.search("camping Peneda-Gerês", limit=1)[0].item
    other = memory.search("bakery", limit=1)[0].item
    snippet = " ".join(item.text.split()[:12])

    def cite(number: int, of: Any, quote: str) -> dict[str, Any]:
        return {
            "number": number,
            "item_id": of.id,
            "date": of.timestamp.isoformat() if of.timestamp else None,
            "source": of.source,
            "author": of.author,
            "snippet": quote,
        }

    answer = {
        "text": (
            "1. *camping* [1][2]\n2. __bakery__ [3]\n\n"
            f"again [2] ![spy](http://{EVIL}/saved.png) <img src='http://{EVIL}/x.png'>"
            f" [link](http://{EVIL}/) <http://{EVIL}/auto>"
        ),
        "mode": "generative",
        "notes": [],
        "citations": [cite(1, item, snippet), cite(2, item, snippet), cite(3, other, "buns")],
    }
    chats = Conversations(memory.store)
    chat = chats.create("Markdown and duplicates")
    chats.add_turn(chat.id, "Where did we camp?", answer)
    return chat.id


def test_a_saved_answer_shows_each_quote_once_and_fetches_nothing(
    page: Any, server: str, web_memory: Memory
) -> None:
    chat_id = _saved_turn(web_memory)
    page.goto(f"/?c={chat_id}")
    text = page.locator(".answer-text").last
    text.wait_for(timeout=WAIT)
    assert text.locator("ol > li").count() == 2 and text.locator("li em").inner_text() == "camping"
    assert text.locator("li strong").inner_text() == "bakery"
    numbers = [n.strip() for n in text.locator("a.cite").all_inner_texts()]
    assert numbers == ["[1]", "[3]", "[1]"], "[2] quotes [1]'s span: shown as [1], once"
    assert page.locator(".answer").last.locator(".citations li").count() == 2
    assert text.locator("img").count() == 0
    hrefs = text.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert all(h.startswith("/items/") for h in hrefs), hrefs
    page.wait_for_load_state("networkidle")
    assert _outside(page, server) == []


def test_a_tap_shows_the_card_first(browser: Any, server: str, web_memory: Memory) -> None:
    chat_id = _saved_turn(web_memory)
    context = browser.new_context(
        base_url=server, viewport={"width": 390, "height": 800}, has_touch=True, is_mobile=True
    )
    try:
        tab = context.new_page()
        tab.goto("/")
        tab.fill("#token", TOKEN)
        tab.click("button[type=submit]")
        tab.wait_for_selector("#question", timeout=WAIT)
        tab.goto(f"/?c={chat_id}")
        cite = tab.locator(".answer-text a.cite").first
        cite.tap()
        card = tab.locator(".answer-text .cite-card").first
        card.wait_for(state="visible", timeout=WAIT)
        assert "buns" not in card.inner_text() and card.locator("time").inner_text()[:2] == "20"
        assert tab.locator("#item-dialog[open]").count() == 0, "the first tap shows the card"
        cite.tap()
        tab.wait_for_selector("#item-dialog[open]", timeout=WAIT)
    finally:
        context.close()
