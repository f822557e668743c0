"""HTML to text: a linear-time, forgiving parser and a main-content extractor.

Shared by the saved-web-page source (:mod:`lifelog.sources.web.html`) and the EPUB
source. The page is tokenized by our own scanner (the standard library's
``HTMLParser`` rescans the rest of the input at every unclosed construct, which
is quadratic on hostile pages) into a small tree: implied end tags (``p``, ``li``,
``td`` ...), stray end tags ignored, nesting deeper than ``MAX_DEPTH`` flattened,
at most ``MAX_NODES`` elements (the rest is read as plain text). No entity is
ever declared, no DTD or network resource is read.

Main-content selection (``main=True``): ``script``, ``style``, ``template``,
``svg``, forms, ``nav``, ``aside``, hidden elements (``hidden``, ``aria-hidden``,
``display:none``) and ARIA landmarks for navigation are dropped; ``header`` and
``footer`` (``banner``/``contentinfo``) only outside the article. The main block
is ``<main>`` (or ``role=main``), else the ``<article>`` element(s), else the
densest block — paragraphs of 25+ characters score their parent (and half their
grandparent) by length and commas, scaled down by the share of link text, a
readability-style heuristic — else the whole body. Inside the chosen block,
elements whose class or id reads like furniture (``menu``, ``sidebar``,
``cookie``, ``share`` ...) are left out too, unless they hold most of the block's text
(``advert-content-wrap`` around a whole story). When what is left is a small share of
the visible text (``MIN_MAIN_SHARE``) of its block, or a line or two of the page's (a
footer, a date line, a heading), the fuller visible text is kept instead.

The text keeps block structure: paragraphs, list items as ``- ``, table rows with
`` | `` between cells, ``pre`` verbatim, image ``alt`` text in brackets.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from html import unescape

__all__ = [
    "MAX_NODES",
    "Node",
    "Tree",
    "bom_encoding",
    "decode_html",
    "html_to_text",
    "inline_text",
    "main_text",
    "parse_tree",
    "toc_links",
]

#: deeper nesting than this is flattened (keeps every walk bounded)
MAX_DEPTH = 400
#: elements kept at most; tags past this are ignored (their text is kept)
MAX_NODES = 100_000

_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen".split()
)
_RAW = frozenset(("script", "style", "textarea", "title", "noscript", "template", "xmp"))
#: never text, in any mode
_INVISIBLE = frozenset(
    "script style noscript template svg math canvas head title object embed".split()
)
#: left out of a web page's main text
_SKIP_ALWAYS = _INVISIBLE | frozenset(
    "form button select textarea iframe dialog nav aside menu video audio map".split()
)
_SKIP_OUTSIDE_ARTICLE = frozenset(("header", "footer"))
_SKIP_ROLES = frozenset(("navigation", "search", "menu", "menubar", "complementary", "dialog"))
_SKIP_ROLES_OUTSIDE = frozenset(("banner", "contentinfo"))
_BLOCK = frozenset(
    "address article aside blockquote body dd details div dl dt fieldset figcaption figure "
    "footer h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section summary table "
    "tbody thead tfoot tr ul caption center".split()
)
_AUTO_CLOSE = {
    "p": _BLOCK,
    "li": frozenset(("li",)),
    "dt": frozenset(("dt", "dd")),
    "dd": frozenset(("dt", "dd")),
    "tr": frozenset(("tr",)),
    "td": frozenset(("td", "th", "tr")),
    "th": frozenset(("td", "th", "tr")),
    "option": frozenset(("option",)),
}
_REMEMBERED = frozenset(("body", "html", "h1", "h2", "h3", "time"))
#: tag -> the open elements it closes implicitly
_CLOSED_BY: dict[str, frozenset[str]] = {
    tag: frozenset(k for k, blocks in _AUTO_CLOSE.items() if tag in blocks)
    for tag in set().union(*_AUTO_CLOSE.values())
}
_BOILERPLATE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|sidebar|side-bar|footer|breadcrumbs?|cookies?|"
    r"consent|share|sharing|social|related|advert|ads|advertisement|promo|popup|modal|"
    r"newsletter|subscribe|skip-link|toolbar|pagination)(?:$|[\s_-])",
    re.I,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)


# -- decoding ----------------------------------------------------------------------


#: byte order marks and their encodings; UTF-32 first (its LE mark starts like UTF-16's)
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def bom_encoding(data: bytes) -> str | None:
    """The encoding named by the byte order mark ``data`` starts with, or None."""
    for bom, name in BOMS:
        if data.startswith(bom):
            return name
    return None


def decode_html(data: bytes) -> tuple[str, str, bool]:
    """``(text, encoding, had errors)`` from a BOM (UTF-8, -16 or -32), a meta charset,
    else UTF-8/1252."""
    for bom, name in BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(name, errors="replace")
            return text, name, "\ufffd" in text
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            codec = ""
        if codec.startswith("utf-16"):
            codec = "utf-8"  # a page read as bytes cannot be UTF-16 without a BOM
        if codec in ("latin-1", "iso8859-1", "ascii"):
            codec = "cp1252"  # what browsers do (WHATWG encoding standard)
        if codec:
            try:
                return data.decode(codec), codec, False
            except UnicodeDecodeError:
                pass
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252", False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), "utf-8", True


# -- parsing -------------------------------------------------------------------------


class Node:
    """One element: its tag, attributes, children (elements and text) and parent."""

    __slots__ = ("attrs", "children", "linked", "parent", "size", "tag")

    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Node | str] = []
        self.parent = parent
        self.size = 0  # characters of text below (set by _measure)
        self.linked = 0  # of which inside links


class Tree:
    """A forgiving tree builder: implied end tags, stray end tags ignored, depth capped."""

    def __init__(self) -> None:
        self.root = Node("#root", {}, None)
        self.stack: list[Node] = [self.root]
        self.comments: list[str] = []
        self.title_parts: list[str] = []
        self.meta: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.count = 0
        self.first: dict[str, Node] = {}  # the first body, html, h1, h2, h3, time

    def start(self, tag: str, attrs: dict[str, str], closed: bool) -> None:
        if tag == "meta":
            self.meta.append(attrs)
        elif tag == "link":
            self.links.append(attrs)
        self.count += 1
        if self.count > MAX_NODES:
            return
        closes = _CLOSED_BY.get(tag)
        if closes:
            for depth in range(len(self.stack) - 1, max(0, len(self.stack) - 8), -1):
                name = self.stack[depth].tag
                if name in closes:
                    del self.stack[depth:]
                    break
                if name in ("table", "ul", "ol", "dl", "div", "section", "article", "select"):
                    break
        node = Node(tag, attrs, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag in _REMEMBERED:
            self.first.setdefault(tag, node)
        if tag not in _VOID and not closed and len(self.stack) < MAX_DEPTH:
            self.stack.append(node)

    def end(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, max(0, len(self.stack) - 64), -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def data(self, text: str) -> None:
        current = self.stack[-1]
        if current.tag == "title":
            self.title_parts.append(text)
        current.children.append(text)

    def comment(self, text: str) -> None:
        if len(self.comments) < 8 and ("saved from" in text or "SingleFile" in text):
            self.comments.append(text[:2000])


_ANY_TAG = re.compile(r"<[^<>]{0,65536}>")
_TAG_START = re.compile(r"<[A-Za-z!/?]")
_TAG_NAME = re.compile(r"[A-Za-z][^\s/>\x00]*")
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_QUOTED_VALUE = re.compile(r"""=\s*(["'])""")
_RAW_END = {tag: re.compile(rf"</{tag}\s*>", re.I) for tag in _RAW}
#: a tag longer than this is not a tag (its "<" is text)
MAX_TAG = 65_536


def _open_quote(inner: str) -> str | None:
    """The quote left open at the end of a tag's attribute text, if any."""
    position = 0
    while (found := _QUOTED_VALUE.search(inner, position)) is not None:
        close = inner.find(found.group(1), found.end())
        if close == -1:
            return found.group(1)
        position = close + 1
    return None


def _attributes(inner: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR.finditer(inner):
        if len(attrs) >= 64:
            break
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs.setdefault(match.group(1).lower(), unescape(value))
    return attrs


def _tokenize(markup: str, builder: Tree) -> None:
    """Feed ``markup`` to ``builder`` in linear time.

    The standard library's ``HTMLParser`` rescans the rest of the input at each
    unclosed construct (quadratic on hostile pages); here every search moves
    forward, and the position of the next ``>`` is cached.
    """
    size = len(markup)
    cached = -1  # position of the first ">" at or after the last asked position

    def gt(position: int) -> int:
        nonlocal cached
        if cached < position:
            found = markup.find(">", position)
            cached = found if found != -1 else size
        return cached if cached < size else -1

    def text(start: int, stop: int) -> None:
        if stop > start:
            builder.data(unescape(markup[start:stop]))

    i = 0
    while i < size:
        if builder.count > MAX_NODES:  # enough structure: the rest is read as plain text
            text_only = _ANY_TAG.sub(" ", markup[i:])
            builder.data(unescape(text_only))
            return
        found_tag = _TAG_START.search(markup, i)
        if found_tag is None:
            text(i, size)
            return
        text(i, found_tag.start())
        i = found_tag.start()
        if markup.startswith("<!--", i):
            stop = markup.find("-->", i + 4)
            builder.comment(markup[i + 4 : stop if stop != -1 else size])
            i = stop + 3 if stop != -1 else size
            continue
        if markup.startswith("<![CDATA[", i):
            stop = markup.find("]]>", i + 9)
            builder.data(markup[i + 9 : stop if stop != -1 else size])
            i = stop + 3 if stop != -1 else size
            continue
        end = gt(i)
        if end == -1:  # no ">" anywhere after: the rest is text
            text(i, size)
            return
        if end - i > MAX_TAG:  # every "<" up to end - MAX_TAG is too far from a ">"
            text(i, end - MAX_TAG)
            i = end - MAX_TAG
            if markup[i] != "<":
                continue
        closing = markup[i + 1] == "/"
        name = _TAG_NAME.match(markup, i + 2 if closing else i + 1)
        if name is None:  # a declaration, processing instruction or bogus comment
            i = end + 1
            continue
        inner = markup[name.end() : end]
        quote = _open_quote(inner)
        if quote is not None:  # a ">" inside a quoted value: look past the quote
            close = markup.find(quote, end, i + MAX_TAG)
            later = markup.find(">", close, i + MAX_TAG) if close != -1 else -1
            if later != -1:
                end = later
                inner = markup[name.end() : end]
        tag = name.group().lower()
        i = end + 1
        if closing:
            builder.end(tag)
            continue
        self_closed = inner.rstrip().endswith("/")
        builder.start(tag, _attributes(inner), self_closed)
        if tag in _RAW and not self_closed:
            raw_end = _RAW_END[tag].search(markup, i)
            raw = markup[i : raw_end.start() if raw_end else size]
            builder.data(unescape(raw) if tag in ("title", "textarea") else raw)
            builder.end(tag)
            i = raw_end.end() if raw_end else size


def parse_tree(markup: str, mode: bool | None) -> Tree:
    """Parse ``markup`` and prune what is never text (``mode`` as in :func:`_dropped`)."""
    builder = Tree()
    _tokenize(markup, builder)
    _prune(builder.root, mode)
    _measure(builder.root)
    return builder


def _walk(node: Node) -> Iterator[Node]:
    """Every element under ``node`` (pre-order), without recursion."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(c for c in reversed(current.children) if isinstance(c, Node))


def _dropped(node: Node, mode: bool | None, in_article: bool) -> bool:
    """Whether to leave ``node`` out: ``None`` = only invisible elements (a book's
    whole text); otherwise also forms, navigation and page chrome."""
    tag = node.tag
    attrs = node.attrs
    if tag in _INVISIBLE or "hidden" in attrs or attrs.get("aria-hidden", "").lower() == "true":
        return True
    if "style" in attrs and _HIDDEN_STYLE.search(attrs["style"]):
        return True
    if mode is None:
        return False
    role = attrs.get("role", "").lower()
    if tag in _SKIP_ALWAYS or role in _SKIP_ROLES:
        return True
    return not in_article and (tag in _SKIP_OUTSIDE_ARTICLE or role in _SKIP_ROLES_OUTSIDE)


def _boilerplate(node: Node) -> bool:
    """An element whose class or id reads like page furniture."""
    if node.tag in ("body", "main", "article", "html", "#root"):
        return False
    attrs = node.attrs
    return bool(_BOILERPLATE.search(f"{attrs.get('class', '')} {attrs.get('id', '')}"))


def _furniture(node: Node, within: Node) -> bool:
    """Furniture by its class or id, and small beside the block it sits in: a wrapper
    holding most of the block's text (``advert-content-wrap`` around a whole article) is
    the content, whatever it is called."""
    return _boilerplate(node) and node.size * 2 <= within.size


def _is_article(node: Node) -> bool:
    return node.tag in ("article", "main") or node.attrs.get("role", "").lower() == "main"


def _prune(root: Node, mode: bool | None) -> None:
    pending: list[tuple[Node, bool]] = [(root, False)]
    while pending:
        node, in_article = pending.pop()
        inner = in_article or _is_article(node)
        kept: list[Node | str] = []
        for child in node.children:
            if isinstance(child, str):
                kept.append(child)
            elif not _dropped(child, mode, inner):
                kept.append(child)
                pending.append((child, inner))
        node.children = kept


def _measure(root: Node) -> None:
    """Set ``size`` (characters of text) and ``linked`` (inside ``<a>``) bottom-up."""
    order: list[Node] = list(_walk(root))
    for node in reversed(order):
        size = linked = 0
        for child in node.children:
            if isinstance(child, str):
                size += len(child.strip())
            else:
                size += child.size
                linked += child.linked
        node.size = size
        node.linked = size if node.tag == "a" else linked


def inline_text(node: Node) -> str:
    """All text under ``node`` with whitespace collapsed (for titles)."""
    parts: list[str] = []
    pending: list[Node | str] = [node]
    while pending and len(parts) < 10_000:
        current = pending.pop()
        if isinstance(current, str):
            parts.append(current)
        else:
            pending.extend(reversed(current.children))
    return _SPACES.sub(" ", "".join(parts)).strip()


def _render(node: Node, boilerplate: bool) -> str:
    """Text of ``node`` with its block structure (``boilerplate``: leave furniture out)."""
    out: list[str] = []

    def newline(count: int) -> None:
        tail = 0
        for piece in reversed(out):
            stripped = piece.rstrip(" ")
            tail += len(stripped) - len(stripped.rstrip("\n"))
            if stripped.strip("\n") or tail >= count:
                break
        if out and tail < count:
            out.append("\n" * (count - tail))

    # stack of (node or text, leaving marker, inside <pre>)
    pending: list[tuple[Node | str, bool, bool]] = [(node, False, False)]
    while pending:
        current, leaving, pre = pending.pop()
        if isinstance(current, str):
            if pre:
                out.append(current)
            else:
                text = _SPACES.sub(" ", current)
                if text.strip() or (out and not out[-1].endswith((" ", "\n"))):
                    if not out or out[-1].endswith("\n"):
                        text = text.lstrip()
                    out.append(text)
            continue
        tag = current.tag
        wide = 2 if tag in _PARAGRAPHS else 1
        if leaving:
            if tag in ("td", "th"):
                out.append(" | ")
            elif tag in _BLOCK:
                newline(wide)
            continue
        if boilerplate and current is not node and _furniture(current, node):
            continue
        if tag == "br":
            out.append("\n")
            continue
        if tag in _BLOCK:
            newline(wide)
        if tag == "li":
            out.append("- ")
        elif tag == "img" and current.attrs.get("alt", "").strip():
            out.append(f"[{current.attrs['alt'].strip()[:200]}]")
        inner_pre = pre or tag in ("pre", "textarea")
        pending.append((current, True, pre))
        for child in reversed(current.children):
            pending.append((child, False, inner_pre))
    text = "".join(out)
    text = re.sub(r"[ \t]+\n", "\n", text.replace(" | \n", "\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


#: main text holding less than this share of the visible text (menus, forms and hidden
#: elements already left out) of its block, or of the page when it is also shorter than
#: ``MIN_MAIN_CHARS``, is a miss (a footer, a date line, a heading alone): the fuller
#: visible text is kept instead
MIN_MAIN_SHARE = 0.2
MIN_MAIN_CHARS = 150

_PARAGRAPHS = frozenset(("p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "blockquote"))
_CANDIDATES = frozenset(("p", "pre", "td", "blockquote", "li", "div", "section"))


# -- main-content selection -------------------------------------------------------------


def _commas(node: Node) -> int:
    return sum(c.count(",") + c.count("\u3001") for c in node.children if isinstance(c, str))


def _densest(body: Node) -> Node | None:
    """The block holding most of the prose (readability-style scoring)."""
    scores: dict[int, float] = {}
    nodes: dict[int, Node] = {}
    pending: list[Node] = [body]
    while pending:
        node = pending.pop()
        if _boilerplate(node):
            continue
        pending.extend(c for c in node.children if isinstance(c, Node))
        if node.tag not in _CANDIDATES or node.size - node.linked < 25:
            continue
        if node.tag in ("div", "section") and any(
            isinstance(c, Node) and c.tag in _BLOCK for c in node.children
        ):
            continue
        score = 1 + _commas(node) + min((node.size - node.linked) / 100, 3)
        parent = node.parent
        for share in (1.0, 0.5):
            if parent is None:
                break
            nodes[id(parent)] = parent
            scores[id(parent)] = scores.get(id(parent), 0.0) + score * share
            parent = parent.parent
    best: Node | None = None
    best_score = 0.0
    for key, score in scores.items():
        node = nodes[key]
        adjusted = score * (1 - node.linked / node.size if node.size else 0.0)
        if adjusted > best_score:
            best, best_score = node, adjusted
    return best


def _main_blocks(body: Node) -> tuple[list[Node], bool]:
    """The blocks holding the page's text, and whether the page marked them itself."""
    articles: list[Node] = []
    pending: list[Node] = [body]
    while pending:
        node = pending.pop()
        if node.tag == "main" or node.attrs.get("role", "").lower() == "main":
            return [node], True
        if node.tag == "article":
            if node.size:
                articles.append(node)
            continue  # an article inside an article is part of it
        pending.extend(c for c in reversed(node.children) if isinstance(c, Node))
    if articles:
        mains = [n for n in _walk(body) if n.tag == "main" or n.attrs.get("role") == "main"]
        return (mains[:1] or articles), True
    densest = _densest(body)
    return ([densest] if densest is not None else []), False


def html_to_text(markup: str, main: bool = False) -> tuple[str | None, str]:
    """``(first h1/h2/h3 heading, text)`` of an HTML document.

    With ``main`` the menus and other boilerplate are left out (see the module
    docstring); without it every visible text of the body is kept (EPUB chapters).
    """
    builder = parse_tree(markup, False if main else None)
    return _heading(builder), main_text(builder.root, builder.first, main)


def toc_links(markup: str) -> list[tuple[str, str]]:
    """``(href, label)`` of the links in an EPUB 3 navigation document's table of
    contents (``<nav epub:type="toc">``; the first ``<nav>`` if none is marked)."""
    builder = Tree()
    _tokenize(markup, builder)
    navs = [n for n in _walk(builder.root) if n.tag == "nav"]
    marked = [n for n in navs if "toc" in n.attrs.get("epub:type", "").split()]
    chosen = (marked or navs)[:1]
    links: list[tuple[str, str]] = []
    for nav in chosen:
        for node in _walk(nav):
            if node.tag == "a" and node.attrs.get("href") and len(links) < 10_000:
                links.append((node.attrs["href"], inline_text(node)[:500]))
    return links


def _heading(builder: Tree) -> str | None:
    for tag in ("h1", "h2", "h3"):
        node = builder.first.get(tag)
        if node is not None and (text := inline_text(node)):
            return text[:500]
    return None


def main_text(root: Node, first: dict[str, Node], main: bool = True) -> str:
    body = first.get("body") or root
    if not main:
        return _render(body, boilerplate=False)
    blocks, marked = _main_blocks(body)
    parts = [_render(b, boilerplate=True) for b in blocks]
    text = "\n\n".join(p for p in parts if p)
    if not text or (not marked and len(text) < 200):  # a short page, or the heuristic missed
        whole = _render(body, boilerplate=False)
        if not text or len(text) < len(whole) // 4:
            text = whole
    inside = sum(b.size for b in blocks)
    if len(text) < inside * MIN_MAIN_SHARE:  # the furniture filter ate the block's text
        text = "\n\n".join(p for p in (_render(b, boilerplate=False) for b in blocks) if p)
    if len(text) < min(body.size * MIN_MAIN_SHARE, MIN_MAIN_CHARS):  # a line or two: missed
        fuller = _render(body, boilerplate=True)
        if len(fuller) < body.size * MIN_MAIN_SHARE:
            fuller = _render(body, boilerplate=False)
        text = max(text, fuller, key=len)
    return text
