"""Main text on real saved pages (newspaper4k's test pages, MIT; see data/web/README.md)."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

from lifelog.records import Item
from lifelog.sources.web.html import HtmlSource, parse_page

sys.path.insert(0, str(Path(__file__).parent / "data" / "web"))
from measure_main_text import score  # noqa: E402  (the corpus scorer, beside its pages)

PAGES = Path(__file__).parent / "data" / "web" / "pages"


def _page(tmp_path: Path, name: str) -> tuple[str, str]:
    path = tmp_path / f"{name}.html"
    path.write_bytes(gzip.decompress((PAGES / f"{name}.html.gz").read_bytes()))
    items = [r for r in HtmlSource().parse(path) if isinstance(r, Item)]
    assert len(items) == 1
    return items[0].text, (PAGES / f"{name}.txt").read_text(encoding="utf-8")


def test_a_story_inside_a_furniture_named_wrapper_is_kept(tmp_path: Path) -> None:
    """``<div class="advert-content-wrap">`` holds the whole story: before issue 11 only
    "Load More" was kept."""
    text, expected = _page(tmp_path, "video_article_02")
    hit, want, got = score(expected, text)
    assert hit / want > 0.99
    assert hit / got > 0.75  # the page's menus and teasers still left out
    assert "Faker is the only player in the world to win four titles" in text


def test_a_short_article_on_a_busy_page_is_not_replaced(tmp_path: Path) -> None:
    """6 % of the page's visible text, and right: the fallback is not taken."""
    text, expected = _page(tmp_path, "japanese_article")
    hit, want, got = score(expected, text)
    assert hit / want > 0.99 and hit / got > 0.95


STORY = " ".join(
    f"Paragraph {n} of the story, about the harbour, the boats and the storm." for n in range(30)
)


def test_an_article_element_holding_only_a_date_line_falls_back_to_the_page() -> None:
    """The page marks a date line as its ``<article>`` and the story sits beside it."""
    page = parse_page(
        "<html><body><nav><a href='/'>Home</a></nav><article><time>3 June 2023</time>"
        f"</article><div class='story'><p>{STORY}</p></div>"
        "<footer>© 2023 The Harbour Times</footer></body></html>"
    )
    assert "Paragraph 29 of the story" in page.text
    assert "Home" not in page.text


def test_a_main_element_holding_only_a_footer_line_falls_back_to_the_page() -> None:
    page = parse_page(
        "<html><body><div id='content'><h2>Storm</h2>"
        f"<p>{STORY}</p></div><main><p>Copyright 2023, all rights reserved.</p></main>"
        "</body></html>"
    )
    assert "Paragraph 29 of the story" in page.text
