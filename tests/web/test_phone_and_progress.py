"""The web UI on a phone and while it works (issue 12, items 3 to 6), in a real browser:
every page fits 390 px without sideways scrolling and its header folds into a menu;
a date filter that cannot be read shows the search form again with the message; dates
as people type them are read; search says it searched by meaning and why each hit
matched; an agent's steps appear, once each and in words, while the answer is prepared;
a page that does not exist is a page, not JSON.

Screenshots as in test_browser.py (``make screenshots`` refreshes docs/screenshots/).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from server_helpers import CAMPING, TOKEN, QuotingLLM, quote_first_source, use_llm
from test_browser import SHOTS, WAIT

from lifelog import Memory
from lifelog.models.llm import Completion, Delta, Message, ToolCall
from lifelog.models.testing import ScriptedLLM
from lifelog.server.web import NAV

PHONE = {"width": 390, "height": 844}


def sign_in(browser: Any, server: str, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(base_url=server, viewport=viewport, color_scheme="light")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto("/")
    tab.fill("#token", TOKEN)
    tab.click("button[type=submit]")
    tab.wait_for_selector("#question", timeout=WAIT)
    errors.clear()
    return context, tab, errors


@pytest.fixture
def phone(browser: Any, server: str) -> Iterator[Any]:
    context, tab, errors = sign_in(browser, server, PHONE)
    yield tab
    context.close()
    assert not [e for e in errors if "status of 4" not in e], errors


@pytest.fixture
def desk(browser: Any, server: str) -> Iterator[Any]:
    context, tab, errors = sign_in(browser, server, {"width": 1280, "height": 820})
    yield tab
    context.close()
    assert not [e for e in errors if "status of 4" not in e], errors


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def overflow(page: Any) -> list[str]:
    """The elements wider than the screen (empty when the page fits)."""
    return list(
        page.evaluate(
            """() => {
              const width = document.documentElement.clientWidth;
              return [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 1)
                .filter(e => !e.closest('dialog:not([open]), [hidden]'))
                .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)
                .slice(0, 8);
            }"""
        )
    )


def pages_to_visit(memory: Memory) -> list[str]:
    item = memory.search("Peneda camping", limit=1)[0].item
    assert item.timestamp is not None
    day = f"{item.timestamp:%Y-%m-%d}"
    pages = [href for _key, href, _label in NAV]
    pages += ["/search?q=Lisbon", "/search?q=camping&since=the+day+after+never"]
    pages += ["/timeline?month=2023-06", f"/timeline?day={day}", f"/items/{item.id}"]
    pages += ["/people?q=priya", "/no-such-page"]
    return pages


def test_every_page_fits_a_phone_and_the_header_folds(
    phone: Any, web_memory: Memory, browser: Any, server: str
) -> None:
    wide: dict[str, Any] = {}
    for path in pages_to_visit(web_memory):
        phone.goto(path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = (width, overflow(phone))
        if path == "/":
            shot(phone, "phone-chat")
        elif path == "/search?q=Lisbon":
            shot(phone, "phone-search")
        elif path.startswith("/timeline?month"):
            shot(phone, "phone-timeline")
        elif path.startswith("/items/"):
            shot(phone, "phone-item")
    assert wide == {}
    # the header folds: the menu opens the navigation and closes it again
    phone.goto("/search")
    nav = phone.locator("#main-nav")
    assert not nav.is_visible()
    phone.click("#menu-toggle")
    assert nav.is_visible()
    assert phone.get_attribute("#menu-toggle", "aria-expanded") == "true"
    box = phone.locator("#main-nav a", has_text="Timeline").bounding_box()
    assert box is not None and box["height"] >= 40, "a target a finger can hit"
    shot(phone, "phone-menu")
    phone.click("#menu-toggle")
    assert not nav.is_visible()
    # the sign-in page too
    context = browser.new_context(base_url=server, viewport=PHONE)
    signin = context.new_page()
    signin.goto("/")
    assert signin.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_a_date_filter_that_cannot_be_read_shows_the_form_with_the_message(phone: Any) -> None:
    phone.goto("/search?q=camping")
    phone.click("details.more summary")
    phone.fill('input[name="since"]', "the day after never")
    phone.click("form.search button[type=submit]")
    phone.wait_for_selector("#filter-error", timeout=WAIT)
    message = phone.locator("#filter-error").inner_text()
    assert "cannot read the date 'the day after never'" in message
    assert "March 2023" in message and "last summer" in message  # what is accepted
    assert phone.locator('input[name="since"]').input_value() == "the day after never"
    assert phone.locator('input[name="since"]').get_attribute("aria-invalid") == "true"
    assert phone.locator("#q").input_value() == "camping"
    assert phone.locator(".hit").count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "search-bad-date")
    # what people type is read: a month in words
    phone.fill('input[name="since"]', "June 2023")
    phone.fill('input[name="until"]', "2023-06")
    phone.click("form.search button[type=submit]")
    phone.wait_for_url(re.compile(r"since=June"), timeout=WAIT)
    dates = phone.locator(".hit time").all_inner_texts()
    assert dates and all(d.startswith("2023-06") for d in dates)


def test_search_by_meaning_says_why_each_hit_matched(desk: Any) -> None:
    desk.goto("/search?q=tent+under+the+stars")
    mode = desk.locator("#search-mode").inner_text()
    assert mode.startswith("Searched by words and by meaning")
    reasons = " ".join(desk.locator(".hit .why").all_inner_texts())
    assert "by meaning" in reasons and "your words" in reasons
    shot(desk, "search-why")
    desk.click("#search-mode a")  # only these words
    desk.wait_for_url(re.compile(r"mode=words"), timeout=WAIT)
    assert "Searched for these words only" in desk.locator("#search-mode").inner_text()
    assert "by meaning" not in " ".join(desk.locator(".hit .why").all_inner_texts())


def test_a_filter_that_leaves_nothing_says_which(desk: Any) -> None:
    desk.goto("/search?q=camping&source=telegraph&person=Nobody+Atall")
    said = desk.locator(".nothing").inner_text()
    assert "no source is named 'telegraph'" in said and "whatsapp" in said
    assert "nobody named 'Nobody Atall'" in said
    desk.goto("/search?since=2031&until=2032")
    assert (
        "no item is dated from 2031-01-01 until 2032-12-31" in desk.locator(".nothing").inner_text()
    )
    response = desk.goto("/search?since=2024&until=2023")
    assert response.status == 400
    assert "leave no time between them" in desk.locator("#filter-error").inner_text()


def test_a_missing_page_is_a_page(desk: Any) -> None:
    response = desk.goto("/no-such-page")
    assert response.status == 404 and "text/html" in response.headers["content-type"]
    assert "there is no page /no-such-page" in desk.locator("main").inner_text()
    response = desk.goto("/search?year=nineteen")
    assert response.status == 422 and "text/html" in response.headers["content-type"]
    assert desk.locator("main .error").count() == 1


class SlowAgent(ScriptedLLM):
    """A model with native tools that takes its time: it searches, reads source [1],
    then answers by quoting the first source; each call waits ``pause`` seconds first."""

    def __init__(self, pause: float) -> None:
        super().__init__(supports_tools=True, name="slow-agent", chunk_size=6)
        self.pause = pause

    def stream(self, messages: Sequence[Message], **options: Any) -> Iterator[Delta | Completion]:
        time.sleep(self.pause)
        if not self.script:
            seed = [m for m in messages if "First search results" in str(m.get("content"))]
            self.script = [
                [ToolCall("c1", "search", {"query": "camping trip 2023"})],
                [ToolCall("c2", "read", {"source": "1"})],
                lambda _m: quote_first_source(seed),
            ]
        return super().stream(messages, **options)


def test_the_steps_of_an_agent_answer_appear_while_it_runs(desk: Any, web_memory: Memory) -> None:
    use_llm(web_memory, SlowAgent(pause=1.5))
    try:
        desk.select_option("#reasoning", "low")
        desk.fill("#question", CAMPING)
        desk.click("#ask-button")
        desk.wait_for_selector(".progress-now", timeout=WAIT)
        assert desk.locator(".progress-now").inner_text() == "Searching your memory…"
        first = desk.wait_for_selector(".progress-step", timeout=WAIT)
        assert first.inner_text().startswith("Searched for “camping trip 2023”:")
        assert desk.locator('.answer[aria-busy="true"]').count() == 1, "shown while it runs"
        shot(desk, "chat-steps")
        desk.wait_for_selector(".progress-step >> nth=1", timeout=WAIT)
        assert desk.locator(".progress-step").nth(1).inner_text() == "Read source [1] in full"
        desk.wait_for_selector('.answer[aria-busy="false"]', timeout=WAIT * 2)
        assert "Peneda-Gerês" in desk.locator(".answer-text").inner_text()
        steps = desk.locator(".progress-step").all_text_contents()
        assert len(steps) == 2 and len(set(steps)) == 2, "each step once"
        summary = desk.locator(".progress-done summary").inner_text()
        assert summary == "How this answer was found: 2 steps"
        assert "step 1:" not in desk.locator("details.reasoning").inner_text()
    finally:
        use_llm(web_memory, QuotingLLM())
