"""The web UI in a real browser: sign in, ask and open a citation, search with a facet,
zoom the timeline, import an export, and a screenshot of each page for the docs.

Screenshots go to a scratch folder; ``make screenshots`` sets ``LIFELOG_SCREENSHOTS`` to
docs/screenshots/ to refresh the ones in the docs (so a test run leaves the tree clean).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import CAMPING, TOKEN, QuotingLLM, ThinkingLLM, use_llm

from lifelog import Memory

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect
SHOTS = Path(
    os.environ.get("LIFELOG_SCREENSHOTS") or Path(tempfile.gettempdir()) / "lifelog-screenshots"
)
WAIT = 15_000
#: an answer streams from the model after retrieval: on a loaded 2-core CI machine it has
#: taken longer than a page (these tests check what it shows; make bench times it)
ANSWER_WAIT = 60_000


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A signed-in page; fails the test on any console error (a CSP violation included)."""
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 820}, color_scheme="light"
    )
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    tab.goto("/")  # the sign-in page: the token goes in a POST form, never an address
    tab.fill("#token", TOKEN)
    tab.click("button[type=submit]")
    tab.wait_for_selector("#question", timeout=WAIT)
    errors.clear()  # the sign-in page itself answers 401
    yield tab
    context.close()
    assert not errors, errors


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def unlabeled_controls(page: Any) -> list[str]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
              .filter(e => e.type !== 'hidden' && !e.labels?.length)
              .filter(e => !e.getAttribute('aria-label'))
              .map(e => e.outerHTML)"""
        )
    )


def test_sign_in_with_the_form(browser: Any, server: str) -> None:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 820})
    page = context.new_page()
    response = page.goto("/timeline")
    assert response.status == 401
    shot(page, "sign-in")
    page.fill("#token", "wrong-token-wrong-token")
    page.click("button[type=submit]")
    page.wait_for_selector("text=wrong token", timeout=WAIT)
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/timeline$"), timeout=WAIT)
    assert page.locator("h1").inner_text() == "Timeline"
    context.close()


def test_ask_a_question_and_open_a_citation(page: Any) -> None:
    assert unlabeled_controls(page) == []
    page.fill("#question", CAMPING)
    page.keyboard.press("Enter")
    done = page.wait_for_selector('.answer[aria-busy="false"]', timeout=ANSWER_WAIT)
    text = done.query_selector(".answer-text")
    assert "Peneda-Gerês" in text.inner_text()
    assert done.get_attribute("aria-live") == "polite"
    assert page.locator("#chat-status").inner_text().startswith("Answer ready")
    assert page.evaluate("document.activeElement.id") == "question"
    shot(page, "chat")
    page.click(".answer-text a.cite")
    dialog = page.wait_for_selector("#item-dialog[open] .item .text", timeout=WAIT)
    assert "Peneda-Gerês" in dialog.inner_text()
    assert "Where it came from" in page.locator("#item-dialog").inner_text()
    shot(page, "chat-citation")
    page.keyboard.press("Escape")
    page.wait_for_selector("#item-dialog:not([open])", state="attached", timeout=WAIT)
    href = page.locator(".citations a.cite").first.get_attribute("href")
    page.goto(href)
    assert "Peneda-Gerês" in page.locator("pre.text").inner_text()
    assert page.locator("dl.facts").first.inner_text().count("whatsapp") >= 1
    shot(page, "item")


def test_reasoning_is_shown_on_demand(page: Any, web_memory: Memory) -> None:
    use_llm(web_memory, ThinkingLLM())
    try:
        page.select_option("#reasoning", "low")
        page.fill("#question", CAMPING)
        page.click("#ask-button")
        page.wait_for_selector('.answer[aria-busy="false"]', timeout=ANSWER_WAIT)
        details = page.locator("details.reasoning")
        assert details.get_attribute("open") is None, "hidden until asked for"
        assert "Peneda-Gerês" in page.locator(".answer-text").inner_text()
        page.check("#show-reasoning")
        assert details.get_attribute("open") is not None
        assert "camping trip in 2023" in details.inner_text()
        shot(page, "chat-reasoning")
    finally:
        use_llm(web_memory, QuotingLLM())


def test_search_with_a_facet(page: Any) -> None:
    page.goto("/search")
    page.locator("h1").click()  # away from the autofocused box: "/" brings it back
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("Lisbon")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=Lisbon$"), timeout=WAIT)  # no empty fields
    sources = page.locator(".hit .badge").all_inner_texts()
    assert len(set(sources)) > 1
    page.click('a.facet[data-facet="source"][data-value="mbox"]')
    page.wait_for_url(re.compile(r"source=mbox"), timeout=WAIT)
    assert set(page.locator(".hit .badge").all_inner_texts()) == {"mbox"}
    facet = page.locator('a.facet[data-facet="source"][data-value="mbox"]')
    assert facet.get_attribute("aria-pressed") == "true"
    assert page.locator(".hit mark").count() > 0
    assert unlabeled_controls(page) == []
    shot(page, "search")


def test_the_timeline_zooms_from_months_to_days(page: Any) -> None:
    page.click('nav[aria-label="Main"] >> text=Timeline')
    page.wait_for_selector(".years .year", timeout=WAIT)
    assert page.locator('a[aria-current="page"]', has_text="Timeline").count() == 1
    shot(page, "timeline")
    page.click('a.bar[data-period="2023-06"]')
    page.wait_for_selector(".bars.days", timeout=WAIT)
    assert page.locator("h2").first.inner_text() == "June 2023"
    assert page.locator(".timeline-items .hit").count() > 0
    shot(page, "timeline-month")
    day = page.locator(".bars.days a.bar").first
    period = day.get_attribute("data-period")
    day.click()
    page.wait_for_url(re.compile(f"day={period}"), timeout=WAIT)
    dates = page.locator(".timeline-items time").all_inner_texts()
    assert dates and all(d.startswith(period) for d in dates)


def test_import_an_export_and_watch_it_progress(page: Any) -> None:
    chat = (
        "12/03/2024, 18:30 - Ana Lima: The new bakery on Rua Augusta sells cardamom buns\n"
        "12/03/2024, 18:31 - Sam Rivera: Let's go on Saturday\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("WhatsApp Chat with Ana Lima.txt", chat)
    page.goto("/ingest")
    page.set_input_files(
        "#files",
        files=[
            {
                "name": "WhatsApp Chat with Ana Lima.zip",
                "mimeType": "application/zip",
                "buffer": buffer.getvalue(),
            }
        ],
    )
    page.click("#ingest-form button[type=submit]")
    expect(page.locator("#job-status")).to_have_text(re.compile(r"^done"), timeout=WAIT)
    assert "2 added" in page.locator("#job-report").inner_text()
    assert page.locator("#job-progress").get_attribute("value") in ("1", "1.0")
    shot(page, "ingest")
    page.goto("/search?q=cardamom")  # by words and by meaning: the new item comes first
    assert "cardamom" in page.locator(".hit").first.inner_text()
    page.goto("/search?q=cardamom&mode=words")
    assert page.locator(".hit").count() == 1


def test_people_and_settings(page: Any) -> None:
    page.goto("/people")
    page.wait_for_selector("table.people", timeout=WAIT)
    shot(page, "people")
    page.click("table.people >> text=Priya Shah")
    page.wait_for_url(re.compile(r"person=Priya"), timeout=WAIT)
    assert page.locator('a.facet.on[data-facet="person"]').count() == 1
    page.goto("/settings")
    assert unlabeled_controls(page) == []
    shot(page, "settings")
    page.select_option("#backend", "none")
    page.click("form.grid button[type=submit]")
    page.wait_for_selector("text=Saved.", timeout=WAIT)
    assert page.locator("#backend").input_value() == "none"


def test_keyboard_first_tab_is_the_skip_link(page: Any) -> None:
    page.goto("/timeline")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the first thing inside the main content
    assert page.evaluate("document.activeElement.closest('main') !== null")
