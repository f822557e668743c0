"""The oracle of the answer-neutralising tests: what a Markdown or HTML client would fetch.

``requests_in(text)`` renders ``text`` as CommonMark with raw HTML allowed (what a chat
client such as Open WebUI does), reads the result with the standard HTML parser, and
lists every element that makes the browser send a request (an image, a frame, a
script, a stylesheet …) or can be followed to one (a link). The raw text is read as
HTML too, for a client that shows it unrendered in an HTML view.
"""

from __future__ import annotations

from html.parser import HTMLParser

from markdown_it import MarkdownIt

__all__ = ["requests_in"]

#: elements that load something, or link to somewhere, whatever their attributes
_FETCHING = frozenset(
    "a img image iframe frame script style link object embed svg video audio source track"
    " picture meta base form input".split()
)
#: attributes that name a URL (or CSS that may)
_URL_ATTRIBUTES = frozenset(
    "src href srcset poster data action background style xlink:href formaction".split()
)
_MARKDOWN = MarkdownIt("commonmark")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = [name for name, _value in attrs if name in _URL_ATTRIBUTES]
        if tag in _FETCHING or named:
            self.found.append(f"<{tag} {' '.join(f'{k}={v}' for k, v in attrs)}>")

    handle_startendtag = handle_starttag


def requests_in(text: str) -> list[str]:
    """The request-making elements ``text`` becomes in a Markdown or HTML client."""
    found: list[str] = []
    for html in (_MARKDOWN.render(text), text):
        parser = _Tags()
        parser.feed(html)
        parser.close()
        found += parser.found
    return found
