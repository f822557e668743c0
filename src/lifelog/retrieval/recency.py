"""Questions that ask for the last or the first time: "When did I last talk to Priya?".

Ranking by how well an item matches the words finds the message that says "last" best
("Just finished the last episode of Andor"), not the newest one with Priya. A question
in one of these forms asks for an order in time instead:

- ``newest``: "when did I *last* …", "the last time …", "my latest / most recent …",
  "the last email from …";
- ``oldest``: "when did I *first* …", "the first time …", "my first email from …";
- ``upcoming``: "when will I *next* …", "my next dentist appointment", "upcoming trips".

The word that asks is left out of what is searched. What the question is about
decides the rest (:func:`by_time` in :mod:`lifelog.retrieval.retrieve`):

- about a person and nothing more ("talk to Priya", "hear from Tom", "email Omar"):
  the items of that person, the newest (or oldest) first;
- about something ("go to the dentist"): the items that match it best, among them the
  newest (or oldest) first.

"Last" is read up to the question's own moment: an appointment written for next week is
not the last time; "next" is read from it.

Forms that do not ask for an order are left alone: "last summer" (a time, read by
:mod:`lifelog.retrieval.timeexpr` first), "at last", "last name", "how long did it last",
"first place", "his first screenplay".
"""

from __future__ import annotations

import re

__all__ = [
    "BY_PERSON",
    "CONTACT_WORDS",
    "FILLER",
    "IN_ORDER",
    "LIGHT_WORDS",
    "MAIL_WORDS",
    "asks_order",
    "by_person",
    "from_them",
    "time_ordered",
]

#: words of items one exchanges: "the last email from Priya", "my first message to Tom"
_THINGS = (
    r"(?:e-?mails?|mails?|messages?|texts?|calls?|chats?|letters?|notes?|posts?|photos?"
    r"|pictures?|conversations?|meetings?|visits?|trips?|appointments?|entry|entries)"
)
#: who did it: "I", "we", "Priya", "Priya and I" (no possessive: "Joanna's first screenplay")
_WHO = r"(?:I|we|you|he|she|they|[A-Z][\w-]*\b(?!['’]))"
_SUBJECT = rf"{_WHO}(?:\s+(?:and|&)\s+{_WHO}|\s+[A-Z][\w-]*\b(?!['’]))*\s+"
#: the same in a question typed all in lower case, where a name is one word
_WHO_LOWER = r"(?:[a-z][\w-]*\b(?!['’]))"
_SUBJECT_LOWER = rf"{_WHO_LOWER}(?:\s+(?:and|&)\s+{_WHO_LOWER})?\s+"
_AUXILIARY = r"\b(?i:did|do|does|have|has|had|was|were|is|are|am|will|shall)\s+"
_ADVERB = r"(?P<w>(?i:last|first|next))\s+(?=[a-z])"
#: "the next day" is a time, not the next time
_NOT_NEXT = r"(?!(?:day|morning|afternoon|evening|night|week|weekend|month|year|one)\b)"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "the last time I saw Tom", "When was the first time …"
    (re.compile(r"(?i)\b(?P<w>(?:the\s+|my\s+)?(?:last|first)\s+time)\b"), ""),
    # "When did I last talk to Priya?", "When was Tom last here?"
    (re.compile(rf"{_AUXILIARY}{_SUBJECT}{_ADVERB}"), ""),
    # "my latest email", "the most recent message from Priya"
    (re.compile(r"(?i)\b(?P<w>latest|most\s+recent(?:ly)?|newest)\b"), "newest"),
    # "the last email from Priya", "my first message to Tom"
    (re.compile(rf"(?i)\b(?:the|my|our)\s+(?P<w>last|first)\s+(?={_THINGS}\b)"), ""),
    # "my next dentist appointment", "the next time I see Priya", "upcoming trips"
    (re.compile(rf"(?i)\b(?:the|my|our)\s+(?P<w>next(?:\s+time)?)\s+{_NOT_NEXT}(?=[a-z])"), ""),
    (re.compile(r"(?i)\b(?P<w>upcoming|coming\s+up)\b"), "upcoming"),
    # "What did Priya say last?", "What did Hannah send me last?"
    (
        re.compile(
            r"(?i)\b(?:say|said|write|wrote|send|sent|do|did)\s+(?:(?:me|us|you|him|her|them)\s+)?"
            r"(?P<w>last)\s*[?.!]?\s*$"
        ),
        "",
    ),
)
_LOWER_PATTERNS = (
    _PATTERNS[0],
    (re.compile(rf"{_AUXILIARY}{_SUBJECT_LOWER}{_ADVERB}"), ""),
    *_PATTERNS[2:],
)
#: verbs and nouns of keeping in touch: a question made of them, names and
#: :data:`FILLER` is about the person, whose items are then read in time order
CONTACT_WORDS = frozenset(
    """talk talked talking speak spoke spoken speaking chat chatted chatting message
    messaged messages messaging text texted texts texting email emailed emails emailing
    mail mailed mails write wrote written writing hear heard hearing contact contacted
    call called calls calling reply replied say said send sent exchange exchanged
    conversation conversations communicate communicated see saw seen seeing meet met
    meeting hang hung visit visited touch""".split()
)
#: words around them that name no topic ("get in touch with", "hear back from"), besides
#: the stop words, which are never search terms
FILLER = frozenset("anything back gotten something thing things us".split())
#: verbs that carry no topic of their own: "When did I last *go* to the dentist?" is
#: about the dentist ("Went to the dentist today"); "go", "went", "do", "have" are
#: stop words already
LIGHT_WORDS = frozenset(
    """goes going gone gets getting gotten make makes made making take takes took taken
    taking time times""".split()
)
#: words of a question that name mail as the kind of item exchanged ("When did I last
#: email Priya?")
MAIL_WORDS = frozenset("email emailed emails mail mailed mails".split())


#: the reason a hit found by date for a person carries, by order (see :func:`by_person`)
BY_PERSON = {"newest": "the newest with", "oldest": "the oldest with", "upcoming": "the next with"}
#: the reason a found chunk put first in time order carries, by order
IN_ORDER = {
    "newest": "the newest first",
    "oldest": "the oldest first",
    "upcoming": "the next first",
}
_SENDS = (
    r"(?:last\s+|first\s+)?(?:say|said|says|write|wrote|writes|send|sent|sends"
    r"|e-?mail(?:ed|s)?|text(?:ed|s)?|message(?:d|s)?|call(?:ed|s)?|post(?:ed|s)?)"
)


def from_them(question: str, words: tuple[str, ...]) -> bool:
    """Whether ``question`` asks what the people named by ``words`` sent, not what was
    exchanged with them: "the last email *from* Priya", "When did Priya last write?"."""
    for word in words:
        name = re.escape(word)
        if re.search(rf"(?i)\b(?:from|by)\s+(?:[\w-]+\s+)?{name}\b", question):
            return True
        if re.search(rf"(?i)\b{name}(?:['’]s)?\s+(?:[\w-]+\s+)?{_SENDS}\b", question):
            return True
    return False


def by_person(reasons: tuple[str, ...]) -> bool:
    """Whether a hit with these reasons was found by date for the person asked about."""
    return any(r.startswith(tuple(BY_PERSON.values())) for r in reasons)


def time_ordered(reasons: tuple[str, ...]) -> str | None:
    """The order a hit with these reasons was put in (``newest`` …), or ``None``."""
    for order in BY_PERSON:
        if any(r.startswith(BY_PERSON[order]) or r == IN_ORDER[order] for r in reasons):
            return order
    return None


def asks_order(question: str) -> tuple[str | None, str]:
    """(``"newest"``, ``"oldest"``, ``"upcoming"`` or ``None``, the question without the
    words that asked for it)."""
    patterns = _PATTERNS if question != question.lower() else _LOWER_PATTERNS
    for pattern, order in patterns:
        match = pattern.search(question)
        if match is None:
            continue
        word = match["w"].lower()
        found = order or (
            "oldest" if "first" in word else "upcoming" if "next" in word else "newest"
        )
        start, end = match.span("w")
        return found, " ".join((question[:start] + " " + question[end:]).split())
    return None, question
