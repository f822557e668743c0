"""Words: one normalisation for the word index and for questions, stop words, snippets.

The word index (FTS5 ``chunks_fts``) is fed :func:`index_text` and questions are
searched with :func:`tokens` / :func:`content_terms`: both run :func:`fold`, then cut
words the same way, so a word found in a question is spelt as the index holds it.

:func:`fold` is NFKC (full-width forms, ligatures, composed kana voicing and Hangul
syllables), case folding, and folding only where a script's marks are optional:

- Latin and Greek lose their diacritics (``é`` → ``e``, ``ά`` → ``α``, ``ł`` → ``l``).
- Cyrillic keeps its letters (``й`` ≠ ``и``) except ``ё`` → ``е``, which Russian
  writes either way; stress marks go.
- Arabic loses its vowel marks and tatweel; the hamza carriers ``أ إ آ ٱ`` → ``ا``,
  ``ؤ`` → ``و``, ``ئ`` → ``ي``, and ``ى`` → ``ي``, ``ة`` → ``ه`` (Larkey, Ballesteros &
  Connell, "Improving stemming for Arabic information retrieval", SIGIR 2002). Hebrew
  loses its points.
- Hangul stays composed, kana keep their voicing (``が`` ≠ ``か``), Indic vowel signs stay.
- Invisible format characters (soft hyphen, zero-width space and joiners, word joiner,
  byte-order mark, bidi controls, variation selectors) are removed, so a word broken by
  one is still one word.

Chinese, Japanese and Korean are written without spaces between words (Korean between
phrases), so a run of Han, kana and Hangul is cut into overlapping bigrams, as
Lucene's CJK analyzer does: ``增值税`` → ``增值 值税``. A word of two or more
characters anywhere in a run is found as its bigrams; the index also holds each
character alone, so a one-character word is found too (see docs/benchmarks.md,
"Words in every script", for the measurement behind the choice).
"""

from __future__ import annotations

import operator
import re
import unicodedata

__all__ = [
    "STOPWORDS",
    "content_terms",
    "fold",
    "has_cjk",
    "index_text",
    "make_snippet",
    "normalise",
    "segment",
    "tokens",
]

#: a word: letters and digits (``_`` and marks left over after :func:`fold` split
#: words, as they do in FTS5's ``unicode61`` tokenizer, which cuts the index the same way)
_WORD = re.compile(r"[^\W_]+")

#: Han (with 々 〆 〇), hiragana, katakana (with ー), Hangul syllables and jamo
_CJK_CHARS = (
    "\u1100-\u11ff\u3005-\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"
    "\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3"
    "\ud7b0-\ud7ff\uf900-\ufaff\U00020000-\U0003134f"
)
_CJK = re.compile(f"[{_CJK_CHARS}]+")

#: whether the index holds each CJK character alone beside the bigrams
INDEX_UNIGRAMS = True

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    ever still tell know remember say said did does done get got go went really also s t
    don doesn didn ll ve re m d""".split()
)


def _ranges(*spans: tuple[int, int]) -> list[int]:
    return [cp for lo, hi in spans for cp in range(lo, hi + 1)]


#: removed: invisible format characters (every ``Cf`` of the BMP, tags), variation selectors
INVISIBLE = _ranges(
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    (0xE0100, 0xE01EF),
)
#: removed: marks that are optional in their script (left after NFKC has composed the rest)
_OPTIONAL_MARKS = _ranges(
    (0x0300, 0x036F),  # combining diacritics: Latin, Greek, Cyrillic stress
    (0x0591, 0x05BD),  # Hebrew cantillation and points
    (0x05BF, 0x05BF),
    (0x05C1, 0x05C2),
    (0x05C4, 0x05C5),
    (0x05C7, 0x05C7),
    (0x0640, 0x0640),  # Arabic tatweel
    (0x064B, 0x065F),  # Arabic vowel marks, shadda, sukun, hamza above and below
    (0x0670, 0x0670),
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E4),
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
_LETTERS = {
    "ł": "l",
    "đ": "d",
    "ø": "o",
    "ħ": "h",
    "ŧ": "t",
    "ı": "i",
    "ё": "е",  # Cyrillic: the only letter written with or without its mark
    "آ": "ا",
    "أ": "ا",
    "إ": "ا",
    "ٱ": "ا",
    "ؤ": "و",
    "ئ": "ي",
    "ى": "ي",
    "ی": "ي",  # Persian yeh, typed as Arabic yeh on Arabic keyboards (and back)
    "ک": "ك",
    "ة": "ه",
}


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict.fromkeys(INVISIBLE + _OPTIONAL_MARKS)
    latin_greek = _ranges((0x00C0, 0x024F), (0x0370, 0x03FF), (0x1E00, 0x1FFF))
    for cp in latin_greek:
        parts = unicodedata.normalize("NFD", chr(cp))
        base = "".join(c for c in parts if not unicodedata.combining(c))
        if base != parts and base.isalpha():
            table[cp] = base
    table.update({ord(k): v for k, v in _LETTERS.items()})
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """``text`` as the word index spells it: NFKC, case-folded, marks folded where
    optional, invisible characters removed (see the module docstring)."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)


def normalise(word: str) -> str:
    """One word as the index spells it (:func:`fold`)."""
    return fold(word)


def segment(run: str, *, unigrams: bool = False) -> list[str]:
    """A run of CJK characters as index terms: its bigrams (``増値税`` → ``増値 値税``), a
    lone character as itself; with ``unigrams`` every character too (the index side)."""
    if len(run) < 2:
        return [run]
    pairs = list(map(operator.add, run, run[1:]))
    return pairs + list(run) if unigrams else pairs


def _cjk_terms(word: str, *, unigrams: bool) -> list[str]:
    out: list[str] = []
    last = 0
    for match in _CJK.finditer(word):
        if match.start() > last:
            out.append(word[last : match.start()])
        out.extend(segment(match.group(), unigrams=unigrams))
        last = match.end()
    if last < len(word):
        out.append(word[last:])
    return out


def index_text(text: str) -> str:
    """What the word index is fed for ``text``: its words, folded, CJK runs as bigrams.

    FTS5's ``unicode61`` tokenizer then cuts it into exactly the terms :func:`tokens`
    gives for the same text, plus each CJK character alone."""
    if text.isascii():
        return text  # unicode61 lower-cases ASCII itself
    folded = fold(text)
    if _CJK.search(folded) is None:
        return folded
    return _CJK.sub(
        lambda m: " " + " ".join(segment(m.group(), unigrams=INDEX_UNIGRAMS)) + " ", folded
    )


def tokens(text: str) -> list[str]:
    """The words of ``text`` as index terms, in order (CJK runs as bigrams)."""
    out: list[str] = []
    for match in _WORD.finditer(fold(text)):
        word = match.group()
        if _CJK.search(word) is None:
            out.append(word)
        else:
            out.extend(_cjk_terms(word, unigrams=False))
    return out


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds Chinese, Japanese or Korean script (words not spaced)."""
    return _CJK.search(text) is not None


def _is_cjk(token: str) -> bool:
    return _CJK.fullmatch(token) is not None


def content_terms(text: str) -> list[str]:
    """Query terms worth searching for, in order, without duplicates or stop words."""
    seen: dict[str, None] = {}
    for token in tokens(text):
        if token not in STOPWORDS and (len(token) > 1 or token.isdigit() or _is_cjk(token)):
            seen.setdefault(token, None)
    return list(seen)


def _term_spans(text: str, wanted: set[str]) -> list[tuple[int, int]]:
    """(start, end) in ``text`` of the words (and CJK bigrams) that are ``wanted`` terms."""
    spans: list[tuple[int, int]] = []
    for match in _WORD.finditer(text):
        word = match.group()
        if normalise(word) in wanted:
            spans.append((match.start(), match.end()))
        elif not word.isascii() and _CJK.search(word):
            for run in _CJK.finditer(word):
                begin, chars = match.start() + run.start(), run.group()
                hits = [i for i in range(len(chars)) if normalise(chars[i : i + 2]) in wanted]
                for i in hits:  # overlapping bigrams become one mark
                    if spans and spans[-1][1] >= begin + i:
                        spans[-1] = (spans[-1][0], begin + i + 2)
                    else:
                        spans.append((begin + i, begin + i + 2))
    return spans


def make_snippet(
    text: str, terms: list[str], width: int = 240
) -> tuple[str, tuple[tuple[int, int], ...], int]:
    """A window of ``text`` around the densest cluster of ``terms``.

    Returns the snippet, the (start, end) marks of matched words inside it, and
    the offset of the snippet in ``text``.
    """
    matches = _term_spans(text, set(terms))
    if len(text) <= width:
        return text, tuple(matches), 0
    best_start, best_count = 0, -1
    for index, (start, _end) in enumerate(matches):
        count = sum(1 for s, _ in matches[index:] if s < start + width * 0.8)
        if count > best_count:
            best_start, best_count = start, count
    lo = max(0, best_start - width // 5)
    # move to a word boundary
    while lo > 0 and not text[lo - 1].isspace() and best_start - lo < width // 3:
        lo -= 1
    hi = min(len(text), lo + width)
    while hi < len(text) and not text[hi].isspace() and hi - lo < width + 30:
        hi += 1
    snippet = text[lo:hi]
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(text) else ""
    shift = len(prefix)
    marks = tuple((s - lo + shift, e - lo + shift) for s, e in matches if s >= lo and e <= hi)
    return prefix + snippet + suffix, marks, lo
