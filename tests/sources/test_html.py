"""Saved web pages: main text without menus, charsets, addresses, hostile markup."""

from __future__ import annotations

import codecs
import gc
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_helpers import records_of, split_records

from lifelog.errors import SourceError
from lifelog.records import Item, Skip
from lifelog.sources import detect
from lifelog.sources.htmltext import decode_html, html_to_text
from lifelog.sources.web.html import HtmlSource, parse_page

SOURCE = HtmlSource()

BLOG = """<!DOCTYPE html>
<!-- saved from url=(0035)https://example.org/blog/camping -->
<html lang="en"><head><meta charset="windows-1252"><title>Camping at the beach | My Blog</title>
<meta name="author" content="Melanie">
<meta property="article:published_time" content="2023-06-19T10:00:00+02:00">
<style>body{color:red}</style><script>var x = "<p>not text</p>";</script></head>
<body>
<header><nav><ul><li><a href="/">Home</a><li><a href="/about">About</a></ul></nav></header>
<div class="layout">
 <div id="sidebar" class="sidebar"><h3>Archive</h3><ul><li><a href="#">June</a></ul></div>
 <div class="content">
  <h1>Camping at the beach</h1>
  <p>We went camping at the beach in June, with the kids, and the dunes were lovely.
  <p>The tent leaked on the second night, so we moved into the car; nobody slept much.
  <table><tr><td>Day<td>Weather<tr><td>Mon<td>Sun – café</table>
  <pre>  code   kept
  verbatim</pre>
  <div class="share-buttons"><a href="#">Share on X</a></div>
 </div>
</div>
<footer>© 2023 My Blog. All rights reserved.</footer>
<p style="display:none">hidden text</p>
</body></html>
"""


def parse(path: Path) -> tuple[list[Item], list[Skip]]:
    return split_records(SOURCE, path)


def write(directory: Path, data: str | bytes, name: str = "page.html") -> Path:
    path = directory / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_saved_blog_post_keeps_the_article_only(tmp_path: Path) -> None:
    path = write(tmp_path, BLOG.encode("cp1252"))
    assert isinstance(detect(path), HtmlSource)
    (item,), skips = parse(path)
    assert skips == []
    assert item.text == (
        "Camping at the beach\n\n"
        "We went camping at the beach in June, with the kids, and the dunes were lovely.\n\n"
        "The tent leaked on the second night, so we moved into the car; nobody slept much.\n\n"
        "Day | Weather\nMon | Sun – café\n\n"
        "  code   kept\n  verbatim"
    )
    assert item.title == "Camping at the beach | My Blog"
    assert item.key == "https://example.org/blog/camping"
    assert item.author == "Melanie"
    assert item.timestamp == datetime(2023, 6, 19, 8, 0, tzinfo=UTC)
    assert item.metadata["encoding"] == "cp1252" and item.metadata["language"] == "en"


def test_main_and_article_elements_win(tmp_path: Path) -> None:
    page = (
        "<html><body><div class=menu>Menu one two three four five six seven eight</div>"
        "<main><h1>Title</h1><p>Short main text.</p><aside>related links</aside></main>"
        "<div>A very long unrelated block, with commas, and more commas, "
        * 5
        + "</div></body></html>"
    )
    title, text = html_to_text(page, main=True)
    assert title == "Title"
    assert "Short main text." in text and "related links" not in text and "Menu" not in text
    two_articles = "<body><nav>n</nav><article><p>First post.</p></article><article>" + (
        "<p>Second post.</p></article><footer>f</footer></body>"
    )
    text = html_to_text(two_articles, main=True)[1]
    assert "First post." in text and "Second post." in text and "f" not in text.split()


def test_densest_block_without_semantic_markup() -> None:
    prose = "<p>" + "This is a real sentence about the trip, with detail, and more. " * 4 + "</p>"
    page = (
        "<body><div id=top><a href=/>Home</a> <a href=/x>Products</a> <a href=/y>Contact</a></div>"
        f"<div id=left>{'<a href=#>link text here</a> ' * 20}</div>"
        f"<div id=story>{prose * 5}</div><div id=bottom>Copyright notice</div></body>"
    )
    page = parse_page(page)
    assert page.text.startswith("This is a real sentence")
    assert "Products" not in page.text and "link text here" not in page.text


def test_charsets() -> None:
    assert decode_html(codecs.BOM_UTF16_LE + "<p>hé</p>".encode("utf-16-le"))[:2] == (
        "<p>hé</p>",
        "utf-16-le",
    )
    assert decode_html(b'<meta charset="iso-8859-1"><p>\x93hi\x94</p>')[0].endswith("“hi”</p>")
    assert decode_html(b"<p>caf\xc3\xa9</p>")[:2] == ("<p>café</p>", "utf-8")
    assert decode_html(b"<p>caf\xe9</p>")[:2] == ("<p>café</p>", "cp1252")
    assert decode_html(b'<meta charset="bogus"><p>x</p>')[1] == "utf-8"


def test_singlefile_header_entities_and_fallback_key(tmp_path: Path) -> None:
    page = (
        "<!--\n Page saved with SingleFile \n url: https://news.example/a \n"
        " saved date: Mon Jan 01 2024 10:00:00 GMT+0100 (Central European Standard Time)\n-->"
        "<html><head><title>A &amp; B</title></head><body><p>Caf&eacute; &#8211; d&#xE9;j&agrave;"
        " vu &unknown; 1 &lt; 2</p><img alt='a photo'></body></html>"
    )
    (item,), _ = parse(write(tmp_path, page))
    assert item.key == "https://news.example/a"
    assert item.title == "A & B"
    assert item.text == "Café – déjà vu &unknown; 1 < 2\n\n[a photo]"
    assert item.timestamp == datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    (plain,), _ = parse(write(tmp_path, "<p>just text</p>", "bare.htm"))
    assert plain.key == "bare.htm" and plain.title == "bare"


def test_broken_and_empty_pages(tmp_path: Path) -> None:
    (item,), _ = parse(write(tmp_path, "<html><body><p>unclosed <b>bold <i>text", "cut.html"))
    assert item.text == "unclosed bold text"
    assert parse(write(tmp_path, "<html><script>x</script></html>", "empty.html"))[1][0].reason
    (skip,) = parse(write(tmp_path, b"\x00\x01<html>" * 10, "binary.html"))[1]
    assert "binary" in skip.reason and skip.file.endswith("binary.html")
    with pytest.raises(SourceError, match="missing.html"):
        list(SOURCE.parse(tmp_path / "missing.html"))


def _seconds(markup: str) -> float:
    """CPU seconds of this process: other processes on a loaded machine do not count, nor
    the garbage collector, whose passes over a whole test session's heap grew with the
    objects made here (13x for 4x the markup in the full suite, 4x alone)."""
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        parse_page(markup)
        html_to_text(markup)
        return time.process_time() - started
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("head", "unit", "count", "tail"),
    [
        ("", "<div>", 40_000, "x" * 30),
        ("", "<a ", 300_000, ">"),
        ("<!--", "a", 1_000_000, ""),
        ("", '<a x="y>', 40_000, ""),
        ("", "<", 1_000_000, ""),
        ("", "<![CDATA[", 100_000, ""),
        ("", "<p>", 40_000, ""),
        ("", "<ul><li>", 20_000, ""),
        ("", "<table><tr><td>", 12_000, ""),
    ],
)
def test_hostile_markup_is_linear(head: str, unit: str, count: int, tail: str) -> None:
    """Four times the markup takes about four times as long, not sixteen: a ratio, which
    holds on a loaded machine where a time limit does not."""
    small = _seconds(head + unit * (count // 4) + tail)
    large = _seconds(head + unit * count + tail)
    assert large < 60, "quadratic work on this much markup would take minutes"
    if large > 0.2:  # below that, scheduling noise outweighs the work
        assert large / max(small, 0.01) < 8, f"{small:.2f} s, then {large:.2f} s for 4x"


TAGS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div class='nav'>",
        "</div>",
        "<article>",
        "<main>",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        "<br/>",
        "<li>",
        "<table><tr><td>",
        "<pre>",
        "</pre>",
        "<title>",
        "&amp;",
        "&#x110000;",
        "<a href='x'>",
        "</a>",
        '<img alt="',
        "<![CDATA[",
        "<!DOCTYPE",
        ">",
        "<",
    ]
)


@settings(max_examples=200, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.one_of(TAGS, st.text(max_size=30)), max_size=60))
def test_arbitrary_pages_never_crash(parts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.html"
        path.write_text("".join(parts), encoding="utf-8", errors="surrogatepass")
        records_of(SOURCE, path)
        html_to_text("".join(parts))
