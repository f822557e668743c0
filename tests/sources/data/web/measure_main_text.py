"""Recall of a page's known main text in what lifelog extracts from it.

Usage: ``python measure_main_text.py PAGES_DIR TEXTS_DIR`` where each ``NAME.html`` (or
``NAME.html.gz``) in PAGES_DIR has its expected main text in TEXTS_DIR/``NAME.txt`` (newspaper4k's
``tests/data/html`` and ``tests/data/txt`` are laid out so; so is this folder's
``pages/``). For each page it prints the share of the expected text's words found in
the extracted text (recall, counted with multiplicity), the share of the extracted
words that are in the expected text (precision), and the totals over all pages.
Words are runs of letters or digits, lower-cased; CJK characters count one by one.
"""

from __future__ import annotations

import gzip
import re
import sys
from collections import Counter
from pathlib import Path

from lifelog.sources.htmltext import decode_html
from lifelog.sources.web.html import parse_page

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def words(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for word in _WORD.findall(text.lower()):
        if _CJK.search(word):
            found.update(word)
        else:
            found[word] += 1
    return found


def score(expected: str, extracted: str) -> tuple[int, int, int]:
    """(expected words found, expected words, extracted words)."""
    want, got = words(expected), words(extracted)
    hit = sum(min(count, got[word]) for word, count in want.items())
    return hit, sum(want.values()), sum(got.values())


def main(pages: Path, texts: Path) -> None:
    total_hit = total_want = total_got = 0
    for page in sorted([*pages.glob("*.html"), *pages.glob("*.html.gz")]):
        name = page.name.removesuffix(".gz").removesuffix(".html")
        expected_path = texts / f"{name}.txt"
        if not expected_path.is_file():
            continue
        data = page.read_bytes()
        markup, _, _ = decode_html(gzip.decompress(data) if page.suffix == ".gz" else data)
        extracted = parse_page(markup).text
        hit, want, got = score(expected_path.read_text(encoding="utf-8"), extracted)
        total_hit, total_want, total_got = total_hit + hit, total_want + want, total_got + got
        print(
            f"{name:28} recall {hit / max(want, 1):6.1%}  "
            f"precision {hit / max(got, 1):6.1%}  ({want} expected words, {got} extracted)"
        )
    print(
        f"{'all':28} recall {total_hit / max(total_want, 1):6.1%}  "
        f"precision {total_hit / max(total_got, 1):6.1%}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
