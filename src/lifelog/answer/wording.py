"""A short answer put in the words of the item it cites.

A small model restates what it read: "A ball with autographs on it [2]" where the
message says "a basketball with autographs on it", "Xeonoblade Chronicles [1]" where it
says "Xenoblade Chronicles". Once the checks have kept such an answer, :func:`in_source_words`
finds the cited excerpt's words that the answer restates — every content word of the
answer matched there, as the same word, a longer word holding it ("ball" in
"basketball") or a misspelling of it — and gives those words instead, so that the answer
reads as the person's own record does and its names are spelt as they were written.

It only ever narrows to what a cited item says, and only for a short phrase:

- at most :data:`MAX_WORDS` words, one sentence, no CJK (whose words are not spaced);
- every number of the answer found as it is; every content word matched;
- at most a third of the words (one for a short answer) added, dropped or changed, and
  those only small words ("a", "the"); a content word respelt or lengthened, or a vague
  count put as the item puts it ("several" for "a few"), is what it is for, so an answer
  whose content words are already the excerpt's stays as it is;
- no first or second person the answer did not have: "helps me stay focused" is not an
  answer about someone else;
- within one sentence of the excerpt.

A quote is the items' words too: a title in quotation marks that no cited item says
(``Patrick Rothfuss' fantasy novel "The Book of the Dead"``) is left out, or the answer
goes when nothing else is left (:func:`drop_misquotes`).

A name the answer puts before what it names ("Patrick Rothfuss' fantasy novel") where
the item puts it after ("a fantasy novel by Patrick Rothfuss") is taken in the item's
order: every content word of the answer, each once, in a stretch of one sentence at most
two words longer, whose other words only join ("by", "of", "from"; never "not").

Some answers take a few more of their item's words, where the question asks for them:
the hyphenated word the item puts just before the answer ("one-on-one mentoring and
training"); for "what kind of books", the kind the item names before the list the
answer gives ("Kids' books: classics, …"); for "where", the place with what the item
says of it ("In a gorgeous forest" for "A forest"). A count the item joins to what it
counts ("a three-day trip") is never the answer's "Three days".

Alignment is semi-global edit distance over words: the whole answer against any stretch
of the excerpt (Needleman–Wunsch with free ends on the excerpt's side, as in read mapping).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from ..index.sentences import stem
from ..index.text import STOPWORDS, fold, has_cjk
from .citations import CITATION
from .support import IRREGULAR, content_words, norm_term, terms_of, verb_stem

__all__ = ["MAX_WORDS", "drop_misquotes", "in_source_words", "misquoted", "to_the_point"]

#: the longest answer (in words) put in its source's words
MAX_WORDS = 8
#: a word read as a misspelling of another when this alike (and both at least 5 letters)
SPELLING = 0.8
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
#: the answer's phrase, then its citations and closing punctuation
_TAIL = re.compile(r"^(?P<body>[^\[]*?)(?P<tail>[\s.!]*(?:\[\d{1,4}\][\s.!,]*)+)$")
_PERSONAL = frozenset("i me my mine myself we us our ours you your yours".split())
#: vague counts of about the same size: "several times a week" restates "a few times a week"
_FEW = frozenset("few several couple some".split())
_ARTICLES = frozenset("a an the".split())
#: the words a reordered phrase may add: they join its words, and change no meaning
_JOINING = frozenset("by of from for the a an".split())


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def _content(word: str) -> bool:
    return word not in STOPWORDS or any(c.isdigit() for c in word)


def _alike(said: str, written: str) -> bool:
    """Whether the answer's word ``said`` is the excerpt's ``written``, read loosely."""
    if said == written or stem(said) == stem(written):
        return True
    if said in _FEW and written in _FEW:
        return True
    if any(c.isdigit() for c in said + written):
        return False
    if len(said) >= 4 and said in written:
        return True  # "ball" in "basketball"
    return (
        min(len(said), len(written)) >= 5
        and SequenceMatcher(None, said, written).ratio() >= SPELLING
    )


def _align(said: list[str], written: list[str]) -> tuple[int, int, int, list[bool]] | None:
    """The cheapest stretch of ``written`` restating all of ``said``: (cost, first, end
    word index, whether each said word was matched)."""
    n, m = len(said), len(written)
    inf = n + m + 1
    cost = [[0] * (m + 1)] + [[inf] * (m + 1) for _ in range(n)]
    for i in range(1, n + 1):
        cost[i][0] = i
        for j in range(1, m + 1):
            match = cost[i - 1][j - 1] + (0 if _alike(said[i - 1], written[j - 1]) else 1)
            cost[i][j] = min(match, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    end = min(range(1, m + 1), key=lambda j: (cost[n][j], j), default=0)
    if end == 0:
        return None
    matched = [False] * n
    i, j = n, end
    while i > 0 and j > 0:
        alike = _alike(said[i - 1], written[j - 1])
        if cost[i][j] == cost[i - 1][j - 1] + (0 if alike else 1):
            matched[i - 1] = alike
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    if i > 0:
        return None  # the stretch would begin before the excerpt
    return cost[n][end], j, end, matched


def in_source_words(text: str, excerpts: Sequence[str], question: str = "") -> str | None:
    """``text`` with its phrase replaced by the cited excerpt's words that it restates,
    citations kept; ``None`` when the answer is not a short phrase, is already in those
    words, or no excerpt restates it closely enough (see the module docstring). A bare
    number is given with what it counts where an excerpt says it after the number and
    ``question`` asks about it ("40 [1]" → "40 points [1]")."""
    found = _TAIL.match(text.strip())
    if found is None:
        return None
    body, tail = found["body"].strip().rstrip(".!,;:"), found["tail"]
    if _NUMBER.fullmatch(body):
        counted = _counted(body, question, excerpts)
        return None if counted is None else counted + tail
    headed = _headed(body, question, excerpts)
    if headed is not None:
        return headed + tail
    said_words = _words(body)
    said = [w for w, _s, _e in said_words]
    if not said or len(said) > MAX_WORDS or has_cjk(body) or re.search(r"[.!?;]\s", body):
        return None
    best: tuple[int, str] | None = None
    for excerpt in excerpts:
        written_words = _words(excerpt)
        aligned = _align(said, [w for w, _s, _e in written_words])
        if aligned is None:
            continue
        cost, first, end, matched = aligned
        if first and said[0] not in _ARTICLES and written_words[first - 1][0] in _ARTICLES:
            first -= 1  # "a few times a week", not "few times a week"
        span = excerpt[written_words[first][1] : written_words[end - 1][2]]
        taken = [w for w, _s, _e in written_words[first:end]]
        if cost > max(1, len(said) // 3) or len(taken) > len(said) + 2:
            continue
        if any(_content(w) and not hit for w, hit in zip(said, matched, strict=True)):
            continue
        if all(w in taken or not _content(w) for w in said):
            continue  # the answer's words are already the excerpt's: nothing to change
        changed = set(taken) - set(said)
        if any(_content(w) and not any(_alike(s, w) for s in said) for w in changed):
            continue  # a content word the answer did not say
        if (set(taken) & _PERSONAL) - set(said) or re.search(r"[.!?]\s", span):
            continue
        if _cut_compound(excerpt, written_words[first][1], written_words[end - 1][2], body):
            continue  # "Three days" is not "a three-day" (trip)
        if best is None or cost < best[0]:
            best = (cost, span)
    if best is None:
        best = (
            _reordered(said, excerpts)
            or _compounded(body, excerpts)
            or _placed(said, question, excerpts)
        )
    if best is None:
        return None
    span = best[1]
    if said_words[0][0][:1].isalpha() and body[said_words[0][1]].isupper():
        span = span[:1].upper() + span[1:]
    # the answer's own marks around its words (quotes, brackets) stay
    return body[: said_words[0][1]] + span + body[said_words[-1][2] :] + tail


#: a count joined to what it counts makes an adjective ("a three-day trip", "5-year plan")
_COUNTED_COMPOUND = re.compile(
    r"(?:\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|half))"
    r"-[^\W\d_]",
    re.IGNORECASE,
)


def _cut_compound(excerpt: str, start: int, end: int, body: str) -> bool:
    """Whether ``excerpt[start:end]`` stops inside a hyphenated word, or is a count
    joined to what it counts where the answer ``body`` keeps them apart: the item's
    words there are another phrase's ("a three-day trip" for "Three days"). A name
    the answer spelt without its hyphen ("Peneda Geres") is still the item's."""
    span = excerpt[start:end]
    inside = end < len(excerpt) and excerpt[end] == "-" and excerpt[end + 1 : end + 2].isalpha()
    inside = inside or (start > 0 and excerpt[start - 1] == "-")
    return inside or (bool(_COUNTED_COMPOUND.search(span)) and "-" not in body)


_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?")


def _counted(number: str, question: str, excerpts: Sequence[str]) -> str | None:
    """``number`` and the word that follows it in an excerpt ("40 points"), when the
    question asks about that word (its stem), else ``None``."""
    asked = {stem(w) for w, _s, _e in _words(question) if _content(w)}
    for excerpt in excerpts:
        for match in re.finditer(rf"(?<![\d.,]){re.escape(number)}\s+([^\W\d_]+)", excerpt):
            if stem(fold(match.group(1))) in asked:
                return f"{number} {match.group(1)}"
    return None


#: a word of several joined by hyphens ("one-on-one", "well-known")
_COMPOUND = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")


def _compounded(body: str, excerpts: Sequence[str]) -> tuple[int, str] | None:
    """The answer as an excerpt says it with the hyphenated word it puts just before it
    ("Mentoring and training" → "one-on-one mentoring and training"; after an article,
    "The aptitude test" → "the long-awaited aptitude test"): (0, the stretch), or
    ``None``."""
    words = body.split()
    article = words[0].lower() in _ARTICLES and len(words) > 1
    rest = " ".join(words[1:] if article else words)
    lead = rf"\b{re.escape(words[0])}\s+" if article else r"(?<![\w-])"
    pattern = rf"{lead}({_COMPOUND.pattern})\s+{re.escape(rest)}\b"
    for excerpt in excerpts:
        found = re.search(pattern, excerpt, re.IGNORECASE)
        if found is not None and not _PERSONAL & set(found.group(1).lower().split("-")):
            return 0, found.group(0)
    return None


#: a question that asks what kind of thing ("What kind of books does Caroline have?")
_KIND = re.compile(r"\bwhat\s+(?:kinds?|types?|sorts?)\s+of\s+([^\W\d_]+)", re.IGNORECASE)
#: what an item puts between a kind of thing and its examples ("kids' books- classics, …")
_INTRODUCES = r"\s*(?:[-–—:]|,\s+(?:like|such\s+as|including))\s*"


def _headed(body: str, question: str, excerpts: Sequence[str]) -> str | None:
    """A list that answers "what kind of books" with the kind its item names before it:
    "Classics, stories from different cultures" where the item says "kids' books-
    classics, stories from different cultures" gives "Kids' books: classics, stories
    from different cultures"; ``None`` where the item names no kind there, or only the
    question's noun ("books: …")."""
    kind = _KIND.search(question)
    if kind is None or len(body) < 3:
        return None
    noun = stem(fold(kind.group(1)))
    head = r"(?P<head>(?P<modifier>[^\W\d_][\w'’-]*)\s+(?P<noun>[^\W\d_]+))"
    pattern = rf"(?<![\w'’-]){head}{_INTRODUCES}(?P<list>{re.escape(body)})"
    for excerpt in excerpts:
        for found in re.finditer(pattern, excerpt, re.IGNORECASE):
            modifier = fold(found["modifier"]).rstrip("'’")
            if stem(fold(found["noun"])) != noun or modifier in STOPWORDS:
                continue  # "lots of books: …" names no kind
            lead = found["head"]
            if modifier in _PERSONAL or fold(lead).lower() in fold(body).lower():
                continue
            return f"{lead[:1].upper()}{lead[1:]}: {found['list']}"
    return None


#: the words that place something ("in a gorgeous forest", "at the local park")
_PLACING = "in at on near by inside outside around behind under".split()


def _placed(said: list[str], question: str, excerpts: Sequence[str]) -> tuple[int, str] | None:
    """For "where", a short answer naming a place ("A forest") as its item places it, with
    the words the item says of it: "in a gorgeous forest" (0, the stretch), or ``None``.
    Every content word of the answer is in the stretch, its last one last, and at most
    two words more stand between the item's determiner and it."""
    if not re.match(r"\s*where\b", question, re.IGNORECASE) or not 1 <= len(said) <= 4:
        return None
    wanted = [w for w in said if _content(w)]
    if not wanted or said[-1] != wanted[-1]:
        return None
    before = r"(?:[^\W\d_][\w'’-]*\s+){0,2}"
    pattern = (
        rf"\b(?:{'|'.join(_PLACING)})\s+(?:(?:a|an|the|this|that)\s+)?{before}"
        rf"{re.escape(wanted[-1])}\b"
    )
    for excerpt in excerpts:
        for found in re.finditer(pattern, excerpt, re.IGNORECASE):
            taken = _words_of(found.group())
            if set(taken) & _PERSONAL or not _holds_once(wanted, taken):
                continue
            added = [w for w in taken[1:] if _content(w) and not any(_alike(s, w) for s in said)]
            if not added:
                continue  # only the preposition more: the answer says it already
            return 0, found.group()
    return None


def _reordered(said: list[str], excerpts: Sequence[str]) -> tuple[int, str] | None:
    """The shortest stretch of one sentence of an excerpt that holds every word of
    ``said`` once, in another order, with at most two :data:`_JOINING` words more and
    nothing else: (0, the stretch), or ``None``."""
    wanted = [w for w in said if _content(w)]
    if len(wanted) < 2 or len(wanted) != len(said) - sum(w in _JOINING for w in said):
        return None  # only content words and joining ones are moved about
    best: tuple[int, str] | None = None
    for excerpt in excerpts:
        written = _words(excerpt)
        for first in range(len(written)):
            for end in range(first + len(said), min(first + len(said) + 2, len(written)) + 1):
                taken = [w for w, _s, _e in written[first:end]]
                if not _holds_once(wanted, taken) or _in_order(wanted, taken):
                    continue
                extra = [w for w in taken if not any(_alike(s, w) for s in wanted)]
                span = excerpt[written[first][1] : written[end - 1][2]]
                if any(w not in _JOINING for w in extra) or re.search(r"[.!?;]\s", span):
                    continue
                if best is None or len(span) < len(best[1]):
                    best = (0, span)
                break
    return best


def _holds_once(wanted: list[str], taken: list[str]) -> bool:
    """Whether each of ``wanted`` is one word of ``taken``, no two the same one."""
    free = list(taken)
    for word in wanted:
        match = next((w for w in free if _alike(word, w)), None)
        if match is None:
            return False
        free.remove(match)
    return True


def _in_order(wanted: list[str], taken: list[str]) -> bool:
    """Whether ``taken`` holds ``wanted`` in the same order (the aligned case)."""
    position = 0
    for word in taken:
        if position < len(wanted) and _alike(wanted[position], word):
            position += 1
    return position == len(wanted)


#: a copula between what a sentence restates and what it says ("The book John read … was
#: "The Alchemist"")
_COPULA = re.compile(r"\s(?:is|was|are|were)\s+(?:that\s+|:\s*)?", re.IGNORECASE)
#: questions whose answer is a thing, a person or a place
_ASKS_WHAT = re.compile(r"^\s*(?:what|which|who|whom|whose|where)\b", re.IGNORECASE)
#: how much of what comes before the copula must be the question's own words
RESTATED = 0.8


def to_the_point(question: str, text: str) -> str | None:
    """``text`` without the question it restates before its answer ("The book John was
    reading during his recovery is "The Alchemist" [5]." → ""The Alchemist" [5]."), or
    ``None``: one sentence, at least two content words before "is" / "was", at least
    :data:`RESTATED` of them the question's, and something after it that the question
    does not say."""
    found = _TAIL.match(text.strip())
    if found is None or not _ASKS_WHAT.match(question):
        return None
    body, tail = found["body"].strip(), found["tail"]
    if re.search(r"[.!?;]\s", body) or "[" in body:
        return None
    asked = {stem(w) for w in _words_of(question)}
    quoted = [m.span() for m in re.finditer(r"[\"“][^\"”]*[\"”]", body)]
    for match in reversed(list(_COPULA.finditer(body))):
        if any(a < match.start() < b for a, b in quoted):
            continue  # "Nothing is impossible" is a title
        before = [w for w in _words_of(body[: match.start()]) if _content(w)]
        after = [w for w in _words_of(body[match.end() :]) if _content(w)]
        if len(before) < 2 or not after or stem(after[0]) in asked or _participle(after[0]):
            continue  # "… was read in July": a passive says what was done, not what it is
        if sum(stem(w) in asked for w in before) < RESTATED * len(before):
            continue
        if all(stem(w) in asked for w in after):
            continue
        point = body[match.end() :].strip().rstrip(".")
        return point[:1].upper() + point[1:] + tail
    start = _after_restated(question, body, asked)
    if start is None:
        return None
    point = body[start:].strip().rstrip(".")
    return point[:1].upper() + point[1:] + tail


#: who an answer restating the question names as its subject or object
_PRONOUNS = frozenset("he she they it him her them his their its".split())
#: the words that ask, not what a question is about
_WH = frozenset("what which who whom whose where".split())
#: words that open the thing an answer names ("They gave him *a* ball")
_DETERMINERS = frozenset("a an the some his her their its this that these those".split())


def _after_restated(question: str, body: str, asked: set[str]) -> int | None:
    """Where what ``body`` says starts after the question it restates with its verb
    ("They gave him | a ball" for "What did John's teammates give him?", "Melanie
    showed | a painting of a sunset" for "What painting did Melanie show?"), or
    ``None``. The restated words are the question's (any form of its verbs) or pronouns,
    at least one of them a verb or name of the question; what follows opens with a
    determiner, or the restated words hold every content word of the question."""
    words = _words(body)
    lead = 0
    for word, _s, _e in words[:6]:
        if word in _PRONOUNS or verb_stem(word) in asked:
            lead += 1
        else:
            break
    if lead < 2 or lead == len(words) or all(w in _PRONOUNS for w, _s, _e in words[:lead]):
        return None
    rest = [w for w, _s, _e in words[lead:]]
    if not any(_content(w) and verb_stem(w) not in asked for w in rest):
        return None
    wanted = {stem(w) for w in _words_of(question) if _content(w)} - {stem(w) for w in _WH}
    restated = {verb_stem(w) for w, _s, _e in words[:lead]}
    if rest[0] not in _DETERMINERS and not wanted <= restated:
        return None
    return words[lead][1]


#: verbs whose past participle is the verb itself
_SAME_PAST = frozenset("read put set cut hit let shut spread cast cost hurt quit split".split())


def _participle(word: str) -> bool:
    """A past participle, as a passive puts it after "was" ("was read", "was made")."""
    return word.endswith(("ed", "en")) or word in IRREGULAR or word in _SAME_PAST


def _words_of(text: str) -> list[str]:
    return [w for w, _s, _e in _words(text)]


#: a stretch of an answer in quotation marks: a title or someone's words, given exactly
_QUOTED = re.compile(r'"([^"\n]{2,120})"|“([^”\n]{2,120})”|«([^»\n]{2,120})»|「([^」\n]{2,120})」')


def misquoted(answer: str, excerpts: Sequence[str], question: str = "") -> list[tuple[int, int]]:
    """The stretches (start, end, quotation marks included) that ``answer`` puts in
    quotation marks, as a title or someone's words, and that its cited ``excerpts`` do
    not say: each word of a quote must be there (or in the question).
    ``Patrick Rothfuss' fantasy novel "The Book of the Dead"`` passes the support check
    on most of its words; the title is one claim, and its item never names it."""
    pool = terms_of(" ".join(excerpts)) | terms_of(question)
    found = []
    for match in _QUOTED.finditer(answer):
        quoted = CITATION.sub(" ", next(g for g in match.groups() if g is not None))
        if any(norm_term(w) not in pool for w in content_words(quoted)):
            found.append((match.start(), match.end()))
    return found


def drop_misquotes(answer: str, excerpts: Sequence[str], question: str = "") -> tuple[str, int]:
    """``answer`` without the quotes :func:`misquoted` finds, and how many went; ``""``
    when what is left adds fewer than two words to the question (it no longer answers:
    "He recommended [1]")."""
    spans = misquoted(answer, excerpts, question)
    if not spans:
        return answer, 0
    for start, end in sorted(spans, reverse=True):
        answer = answer[:start] + answer[end:]
    answer = re.sub(r"\s{2,}", " ", answer)
    answer = re.sub(r"\s+(?=[,.;:!?])", "", answer).strip()
    left = terms_of(" ".join(content_words(answer))) - terms_of(question)
    return (answer if len(left) >= 2 else ""), len(spans)
