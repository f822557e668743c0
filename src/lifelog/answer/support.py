"""Is a generated answer supported by the evidence it cites? Measured, sentence by sentence.

For each sentence of the answer, its content words, numbers and dates are looked
up in the text of the sources it cites (with their dates, authors and titles):

- the answer must cite at least one retrieved source;
- a sentence without a citation is held to the citations of the nearest cited
  sentence of its paragraph (models often cite once per paragraph);
- every number in a sentence must appear in its cited evidence (or the question,
  or a tool's result): numbers are where small models invent;
- at least :data:`MIN_SUPPORT` of the sentence's content words must appear in the
  cited evidence; words taken from the question get no credit unless the
  evidence has them too (restating the question is not evidence); and at least
  :data:`MIN_NEW_SUPPORT` of the words it adds to the question (its answer: "the
  kitchen was painted *purple*") must appear there too.

A failed check makes the caller fall back to the extractive answer, saying why.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from ..index.sentences import split_sentences, stem
from ..index.text import STOPWORDS, tokens
from .citations import CITATION

__all__ = [
    "IRREGULAR",
    "MIN_SUPPORT",
    "SentenceCheck",
    "SupportReport",
    "affirms",
    "attribute_citations",
    "check_support",
    "content_words",
    "date_terms",
    "norm_term",
    "repair_citations",
    "spelt_out",
    "terms_of",
    "verb_stem",
]

MIN_SUPPORT = 0.6
#: the most sources one sentence may cite (more is a list of everything retrieved)
MAX_CITED = 5
#: of the words a sentence adds to the question, the share its evidence must hold
MIN_NEW_SUPPORT = 0.75

# words an answer uses about its sources rather than about the life in them
_ANSWER_WORDS = frozenset(
    """according source sources mention mentioned mentions user users record records
    memory evidence message messages said says wrote writes told tell talked talks also
    yes no based indicate indicates indicated seem seems appear appears note noted one
    first time day date week weekend month year last next ago earlier later around item
    items thing things entry entries""".split()
)
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_SEASONS = {
    12: "winter",
    1: "winter",
    2: "winter",
    3: "spring",
    4: "spring",
    5: "spring",
    6: "summer",
    7: "summer",
    8: "summer",
    9: "autumn",
    10: "autumn",
    11: "autumn",
}


#: number words an answer may write where the item has digits, or the other way round
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}


#: irregular past forms and their verbs: "I ate fish" restates "I eat fish again", which
#: no suffix stripping finds (forms that are also common nouns, "saw", "bit", "rose",
#: are left out)
IRREGULAR = {
    form: verb
    for verb, forms in {
        "eat": "ate eaten",
        "go": "went gone",
        "see": "seen",
        "buy": "bought",
        "bring": "brought",
        "take": "took taken",
        "give": "gave given",
        "make": "made",
        "get": "got gotten",
        "come": "came",
        "run": "ran",
        "write": "wrote written",
        "meet": "met",
        "leave": "left",
        "feel": "felt",
        "find": "found",
        "begin": "began begun",
        "drive": "drove driven",
        "fly": "flew flown",
        "sing": "sang sung",
        "swim": "swam swum",
        "win": "won",
        "lose": "lost",
        "pay": "paid",
        "sell": "sold",
        "tell": "told",
        "think": "thought",
        "teach": "taught",
        "catch": "caught",
        "keep": "kept",
        "sleep": "slept",
        "spend": "spent",
        "send": "sent",
        "build": "built",
        "hold": "held",
        "hear": "heard",
        "know": "knew known",
        "grow": "grew grown",
        "draw": "drew drawn",
        "throw": "threw thrown",
        "wear": "wore worn",
        "choose": "chose chosen",
        "speak": "spoke spoken",
        "break": "broke broken",
        "forget": "forgot forgotten",
        "ride": "rode ridden",
        "fall": "fell fallen",
        "feed": "fed",
        "lead": "led",
        "understand": "understood",
        "stand": "stood",
    }.items()
    for form in forms.split()
}


def verb_stem(token: str) -> str:
    """A word stemmed, an irregular past as its verb ("met" is "meet", "gave" "give"):
    how topics and restated questions compare words."""
    return stem(IRREGULAR.get(token, token))


def norm_term(token: str) -> str:
    """``token`` as support compares words: irregular verbs as their base form, numbers
    in digits without leading zeros, ordinals as their number, other words stemmed."""
    token = IRREGULAR.get(token, token)
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    ordinal = _ORDINAL.match(token)
    if ordinal:
        return str(int(ordinal.group(1)))
    if token.isdigit():
        return str(int(token))
    return stem(token)


def terms_of(text: str) -> set[str]:
    """Normalised terms of a text (numbers without leading zeros, light stems)."""
    return {norm_term(t) for t in tokens(text)}


def date_terms(moment: datetime | None) -> set[str]:
    """The ways an answer may name a date: year, month, day, weekday, season."""
    if moment is None:
        return set()
    month = _MONTHS[moment.month - 1]
    words = {
        str(moment.year),
        str(moment.month),
        str(moment.day),
        month,
        month[:3],
        _DAYS[moment.weekday()],
        _DAYS[moment.weekday()][:3],
        _SEASONS[moment.month],
    }
    if _SEASONS[moment.month] == "autumn":
        words.add("fall")
    return {norm_term(w) for w in words}


@dataclass(frozen=True, slots=True)
class SentenceCheck:
    sentence: str
    citations: tuple[int, ...]
    support: float
    missing: tuple[str, ...]
    ok: bool


@dataclass(frozen=True, slots=True)
class SupportReport:
    ok: bool
    checks: tuple[SentenceCheck, ...]
    reason: str | None = None


def content_words(text: str) -> list[str]:
    """The words of ``text`` that make a claim: not its citations, stop words, nor the
    words any answer uses ("according", "mentioned", "yes")."""
    words = []
    for token in tokens(CITATION.sub(" ", text)):
        if token in STOPWORDS or token in _ANSWER_WORDS:
            continue
        if len(token) < 2 and not token.isdigit():
            continue
        words.append(token)
    return words


def _paragraph_citations(
    sentences: list[tuple[int, int, tuple[int, ...]]], index: int, breaks: list[int]
) -> tuple[int, ...]:
    """The citations of the nearest cited sentence in the same paragraph."""
    start, _end, _cites = sentences[index]
    paragraph = sum(1 for b in breaks if b < start)
    order = list(range(index + 1, len(sentences))) + list(range(index - 1, -1, -1))
    for other in order:
        other_start, _e, cites = sentences[other]
        if cites and sum(1 for b in breaks if b < other_start) == paragraph:
            return cites
    return ()


def check_support(
    answer: str,
    evidence: Mapping[int, set[str]],
    *,
    question: str = "",
    derived: Collection[str] = (),
    threshold: float = MIN_SUPPORT,
    names: Mapping[int, str] | None = None,
    known: Collection[str] = (),
    premise: Collection[str] = (),
) -> SupportReport:
    """Check each sentence of ``answer`` against the terms of the sources it cites.

    ``evidence`` maps a source number to its terms (:func:`terms_of` of its text
    and header plus :func:`date_terms` of its date); ``derived`` are terms a tool
    computed (counts, date arithmetic) that may appear without a source. ``names``
    says what each number stands for in the reason: an answer that fails is
    replaced, and its numbers with it, so "[1]" would point at another item.
    ``premise`` holds the words of what the question asks about (not its form words
    nor names); an answer that repeats one of them asserts it, so some item shown or
    ``known`` (the terms of every item retrieved) must hold it.
    """
    shown = set().union(*evidence.values(), known) if evidence else set(known)
    premise_terms = {norm_term(t) for t in premise}
    cited_anywhere = {int(n) for n in CITATION.findall(answer)}
    if not cited_anywhere:
        return SupportReport(False, (), "the answer cites none of the retrieved items")
    question_terms = terms_of(question)
    free = {norm_term(t) for t in derived}
    breaks = [m.start() for m in re.finditer(r"\n\s*\n", answer)]
    spans = [
        (start, end, tuple(int(n) for n in CITATION.findall(answer[start:end])))
        for start, end in _sentences(answer)
    ]
    checks: list[SentenceCheck] = []
    told: set[str] = set()  # every term the answer uses, to tell a claim from a restatement
    for index, (start, end, cites) in enumerate(spans):
        sentence = answer[start:end].strip()
        words = content_words(sentence)
        if not words:
            continue
        used = cites or _paragraph_citations(spans, index, breaks)
        pool: set[str] = set(free)
        for number in used:
            pool |= evidence.get(number, set())
        told.update(norm_term(w) for w in words)
        pool |= spelt_out(sentence, pool)
        support, numbers_ok, missing = _sentence_support(words, pool, question_terms)
        # a claim cited to everything retrieved rests on the lot, not on what says it
        ok = bool(used) and len(used) <= MAX_CITED and numbers_ok and support >= threshold
        told_new = [w for w in words if norm_term(w) not in question_terms]
        # (not inside quotes: a title the model made up is left out later, if it can be)
        unquoted = content_words(re.sub(r'"[^"]*"|“[^”]*”', " ", sentence))
        if ok and any(
            norm_term(w) in premise_terms and norm_term(w) not in shown for w in unquoted
        ):
            # it repeats a word of the question that no item shown says ("Playing video
            # games helps Nate escape and *numbs* his mind [1]"): a premise it asserts
            ok = False
        if ok and told_new:
            # what the sentence adds to the question is the answer: most of it must be there
            found_new = sum(1 for w in told_new if norm_term(w) in pool)
            ok = found_new / len(told_new) >= MIN_NEW_SUPPORT
        checks.append(SentenceCheck(sentence, used, round(support, 2), missing, ok))
    failed = [c for c in checks if not c.ok]
    if not failed and not told - question_terms and not affirms(answer, question):
        return SupportReport(False, tuple(checks), "the answer only restates the question")
    if not failed:
        return SupportReport(True, tuple(checks))
    first = failed[0]
    if not first.citations:
        why = f"“{_short(first.sentence)}” cites no source"
    elif len(first.citations) > MAX_CITED:
        why = (
            f"“{_short(first.sentence)}” cites {len(first.citations)} items at once,"
            " none of which says it alone"
        )
    else:
        if names:
            cited = "; ".join(names.get(n, f"[{n}]") for n in first.citations)
        else:
            cited = "".join(f"[{n}]" for n in first.citations)
        unsupported = ", ".join(_unique(first.missing)[:5])
        why = (
            f"“{_short(first.sentence)}” is not supported by {cited}"
            f" ({first.support:.0%} of its words found; not found: {unsupported})"
        )
    return SupportReport(False, tuple(checks), why)


#: a name of several words, small linking words inside it ("Lord of the Rings")
_NAME_RUN = re.compile(
    r"[A-Z][\w'’-]*(?:\s+(?:(?:of|the|and|&|in|on|de|du|von)\s+)*[A-Z][\w'’-]*)+"
)


#: a question answered yes or no ("Did Jon and Gina both …?", "Has Tim been to …?")
_YES_NO = re.compile(
    r"^\s*(?:did|do|does|has|have|had|is|are|was|were|will|would|can|could)\b", re.IGNORECASE
)


#: a question about the person asking ("Have I …", "Did we …")
_FIRST_PERSON = re.compile(r"\bI\b|(?i:\b(?:me|my|mine|we|us|our|ours)\b)")


def affirms(answer: str, question: str) -> bool:
    """Whether ``answer`` says yes to a yes-or-no ``question``: "Yes, Jon and Gina both
    took part in dance competitions [1][3]" restates the question, and that is its
    claim, which its items must hold like any other. A bare "Yes [5]" says nothing
    they could hold, and a "no" that restates it claims what no item can show. A
    question in the first person ("Have I been to Amsterdam?") is not taken so: whose
    trip an item tells, the person's own or a relative's, words cannot tell."""
    if _FIRST_PERSON.search(question):
        return False  # "Yes, I was in Amsterdam [1]" from Elena's "Back from Amsterdam"
    said = re.match(r"(?i)\s*yes\b(.*)", CITATION.sub(" ", answer), re.DOTALL)
    return bool(_YES_NO.match(question)) and said is not None and bool(content_words(said.group(1)))


def spelt_out(sentence: str, pool: set[str]) -> set[str]:
    """The terms of the names in ``sentence`` that ``pool`` holds as their initials,
    three letters or more ("Lord of the Rings" where an item says "LOTR", "New York
    City" for "NYC"; two letters are too often a word)."""
    found: set[str] = set()
    for match in _NAME_RUN.finditer(sentence):
        words = re.findall(r"[\w'’&-]+", match.group())
        every = "".join(w[0] for w in words if w != "&").lower()
        capitals = "".join(w[0] for w in words if w[0].isupper()).lower()
        if any(len(i) >= 3 and i in pool for i in (every, capitals)):
            found |= {norm_term(w) for w in tokens(match.group())}
    return found


def _sentence_support(
    words: list[str], pool: set[str], question_terms: set[str]
) -> tuple[float, bool, tuple[str, ...]]:
    """(share of ``words`` found in ``pool``, every number found or asked, words not found)."""
    missing: list[str] = []
    numbers_ok = True
    for word in words:
        term = norm_term(word)
        if term in pool:
            continue
        missing.append(word)
        if word[0].isdigit() and term not in question_terms:
            numbers_ok = False
    support = (len(words) - len(missing)) / len(words) if words else 1.0
    return support, numbers_ok, tuple(missing)


def attribute_citations(
    answer: str,
    evidence: Mapping[int, set[str]],
    *,
    question: str = "",
    derived: Collection[str] = (),
    threshold: float = MIN_SUPPORT,
) -> tuple[str, int]:
    """Cite, for each sentence the model left uncited, the source that supports it.

    Returns the text and how many sentences got citations; see :func:`repair_citations`,
    which also mends wrong citations.
    """
    text, added, _moved = repair_citations(
        answer, evidence, question=question, derived=derived, threshold=threshold, mend=False
    )
    return text, added


def repair_citations(
    answer: str,
    evidence: Mapping[int, set[str]],
    *,
    question: str = "",
    derived: Collection[str] = (),
    threshold: float = MIN_SUPPORT,
    mend: bool = True,
) -> tuple[str, int, int]:
    """Give each claim the citations that support it, as lifelog can see.

    Small models state what a source says without its ``[n]``, or cite a neighbouring
    number. A sentence whose own citations do not support it (the same test as
    :func:`check_support`: numbers found, ``threshold`` of the content words) gets the
    one source that does, else the pair of sources that together do (an answer drawn
    from two messages); when none does, it is left as it was and the support check
    decides. ``mend=False`` leaves cited sentences alone. Returns the text, how many
    uncited sentences were cited and how many wrong citations were replaced.
    """
    if not evidence:
        return answer, 0, 0
    question_terms = terms_of(question)
    free = {norm_term(t) for t in derived}
    pieces: list[str] = []
    added = moved = 0
    last = 0
    for start, end in _sentences(answer):
        sentence = answer[start:end]
        cites = tuple(int(n) for n in CITATION.findall(sentence))
        if sentence.rstrip().endswith("?") or (cites and not mend):
            continue
        words = content_words(sentence)
        if not words or {norm_term(w) for w in words} <= question_terms:
            continue  # a restated question is no claim to cite
        listed = _list_elements(sentence)
        if listed:
            # "Lord of the Rings [3], Star Wars [4], Harry Potter [7]": each element
            # is checked against its own citations, and given the item that says it
            mended, fixed = _recite_elements(
                sentence, listed, evidence, free, question_terms, threshold
            )
            if fixed:
                pieces.append(answer[last:start])
                pieces.append(mended)
                last = end
                moved += 1
            continue
        parts = len(_LIST_PARTS.split(CITATION.sub(" ", sentence).strip(" .!")))
        chosen = _recited(words, cites, evidence, free, question_terms, threshold, parts)
        if not chosen:
            continue
        bare = CITATION.sub("", sentence).rstrip()
        bare = re.sub(r"\s+([.!?])$", r"\1", bare)
        stop = bare[-1] if bare and bare[-1] in ".!?" else ""
        body = bare[: len(bare) - len(stop)].rstrip()
        trailing = sentence[len(sentence.rstrip()) :]
        pieces.append(answer[last:start])
        pieces.append(body + " " + "".join(f"[{n}]" for n in chosen) + stop + trailing)
        last = end
        if cites:
            moved += 1
        else:
            added += 1
    pieces.append(answer[last:])
    return "".join(pieces), added, moved


#: what parts a list of things ("veterans, victims of domestic abuse, and schools")
_LIST_PARTS = re.compile(r"\s*,\s*(?:and\s+|or\s+)?")
_ELEMENT = re.compile(r"([^\[\]]+?)((?:\s*\[\d+\])+)")


def _list_elements(sentence: str) -> list[tuple[int, int, int, tuple[int, ...]]]:
    """The elements of a list that cites each of them ("A [3], B [4] and C [7]"): where
    each element's words start and end, where its citations end, and the citations;
    ``[]`` for any other sentence."""
    found = []
    for match in _ELEMENT.finditer(sentence):
        if not content_words(match.group(1)):
            return []
        cites = tuple(int(n) for n in CITATION.findall(match.group(2)))
        found.append((match.start(1), match.end(1), match.end(2), cites))
    rest = sentence[found[-1][2] :] if found else ""
    if len(found) < 2 or content_words(CITATION.sub(" ", rest)):
        return []
    return found


def _recite_elements(
    sentence: str,
    elements: list[tuple[int, int, int, tuple[int, ...]]],
    evidence: Mapping[int, set[str]],
    free: set[str],
    question_terms: set[str],
    threshold: float,
) -> tuple[str, int]:
    """``sentence`` with each listed element cited to an item that says it, where its
    own citations do not; and how many elements were re-cited."""
    pieces: list[str] = []
    last = fixed = 0
    for start, end, close, cites in elements:
        words = content_words(sentence[start:end])
        chosen = _recited(words, cites, evidence, free, question_terms, threshold)
        if not chosen:
            continue
        pieces.append(sentence[last:end])
        pieces.append(" " + "".join(f"[{n}]" for n in chosen))
        last = close
        fixed += 1
    pieces.append(sentence[last:])
    return "".join(pieces), fixed


def _recited(
    words: list[str],
    cites: tuple[int, ...],
    evidence: Mapping[int, set[str]],
    free: set[str],
    question_terms: set[str],
    threshold: float,
    listed: int = 0,
) -> tuple[int, ...]:
    """The citations ``words`` should have: ``()`` when their own (``cites``) support
    them, or when no item does; else the item, or pair of items, that does. Cited items
    that support only some of the words give way to one item that holds them all ("A
    large stained glass window in a church [1]" citing a message whose photo shows "a
    door with a stained glass window": [3]'s photo is of the church's window)."""
    if cites and len(cites) <= MAX_CITED:
        pool = set(free).union(*(evidence.get(n, set()) for n in cites))
        support, numbers_ok, _missing = _sentence_support(words, pool, question_terms)
        if numbers_ok and support >= threshold:
            if support >= 1.0:
                return ()
            whole = _supporting(words, evidence, free, question_terms, 1.0)
            return whole if len(whole) == 1 and whole[0] not in cites else ()
    return _supporting(words, evidence, free, question_terms, threshold, listed)


def _supporting(
    words: list[str],
    evidence: Mapping[int, set[str]],
    free: set[str],
    question_terms: set[str],
    threshold: float,
    listed: int = 0,
) -> tuple[int, ...]:
    """The best single source that supports ``words``, else the best pair, else, when
    they are a list of ``listed`` (three or more) things, the best three; else ()."""
    scored: list[tuple[float, int]] = []
    for number, terms in evidence.items():
        support, numbers_ok, _missing = _sentence_support(words, terms | free, question_terms)
        if numbers_ok and support >= threshold:
            scored.append((support, -number))
        elif support > 0:
            scored.append((support - 2.0, -number))  # a candidate for a pair only
    scored.sort(reverse=True)
    if scored and scored[0][0] >= threshold:
        return (-scored[0][1],)
    candidates = [-n for _s, n in scored[:6]]
    # the best pair of items; for a list of three or more things, three that hold more
    best: tuple[float, tuple[int, ...]] | None = None
    for size in (2, 3) if listed >= 3 else (2,):
        if best is not None and best[0] >= 1.0:
            break
        for group in combinations(candidates, size):
            pool = set(free).union(*(evidence[n] for n in group))
            support, numbers_ok, _missing = _sentence_support(words, pool, question_terms)
            if numbers_ok and support >= threshold and (best is None or support > best[0]):
                best = (support, tuple(sorted(group)))
    return best[1] if best else ()


def _sentences(text: str) -> Iterable[tuple[int, int]]:
    # split_sentences cuts at "." inside numbers and abbreviations too rarely to matter
    yield from split_sentences(text)


def _short(sentence: str, limit: int = 80) -> str:
    sentence = CITATION.sub("", sentence).strip()
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _unique(words: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(words))
