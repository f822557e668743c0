"""Is a supported answer about the right person, and is its value the one asked for?

Word overlap (:mod:`lifelog.answer.support`) says an answer's words are in the items
it cites. Two mistakes pass that test and are checked here, by rules small enough to
read:

- **The wrong person.** "What did Caroline realise after her charity race?" answered
  from Melanie's message about *her* race. When the question's subject is a person
  (``did Caroline``, ``Caroline's``, ``Caroline`` opening the question) and every item
  the answer cites speaks of someone else and never names that person, the answer is
  about someone else: lifelog says it does not find it. A message speaks of its
  author, or of its listener where the sentence that carries the answer speaks only
  in the second person ("how's *your* fantasy writing going?").
- **The wrong value.** "What is the access code for my storage unit?" answered "214",
  from "Your access code for unit 214 is zebra-…". A value belongs to the word just
  before it ("unit 214"); when that word is one the question names as given (the
  unit) and the asked-for role (the code) is in the same sentence, the value is the
  given thing's, not the answer.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from ..index.sentences import split_sentences, stem
from ..index.text import STOPWORDS, tokens
from ..retrieval.dates import MONTHS, WEEKDAYS
from .support import verb_stem

__all__ = [
    "asked_role",
    "only_addressed",
    "unsaid_polarity",
    "asked_subject",
    "asked_subjects",
    "misplaced_value",
    "off_topic",
    "topic_words",
    "unrelated_sentences",
    "Cited",
    "unfounded_premise",
    "wrong_person",
]

_AUX = (
    r"(?i:did|does|do|is|was|were|has|have|had|will|would|can|could|might|should|may|must|am"
    r"|are)"
)
_ROLE = re.compile(
    r"\bwhat(?:'s|\s+is|\s+was|\s+are|\s+were)\s+(?:the|my|your|his|her|their|our|its)\s+"
    r"((?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)\s*(?:\b(?:for|of|to|at|in|on|that|which|with)\b|\?|$)",
    re.I,
)
_VALUE = re.compile(r"\d")
#: where a name stands as a question's subject: after an auxiliary ("did Caroline", "did
#: Tim and his teammates", not "did Tim and John"), as an owner ("Caroline's"), in a
#: relative clause ("that Nate makes"), as an agent ("hosted by Joanna"), before a gerund
#: ("John wanting"), as the one moved to do something ("What motivated Melanie to
#: pursue …"), or opening the question
_SUBJECT = (
    rf"\b{_AUX}\s+{{name}}\b(?!\s+and\s+(?!(?:his|her|their)\b))|\b{{name}}(?:'s|’s)\s"
    r"|\b(?i:that|which|who|where|when)\s+{name}\s+[a-z]|\b(?i:by)\s+{name}\b"
    r"|\b{name}\s+[a-z]+ing\b|^\s*{name}\b"
    r"|^\s*(?i:what)\s+[a-z]+ed\s+{name}\s+to\s+[a-z]"
)


def asked_subjects(question: str, people: Collection[str]) -> list[str]:
    """The people ``question`` asks about as subjects, among ``people`` (first names or
    full names as the items give them): "does *Joanna* mention that *Nate* makes"."""
    found: list[str] = []
    for person in sorted(people, key=len, reverse=True):
        names = {person, person.split()[0]} if person.strip() else set()
        for name in names:
            if len(name) < 2:
                continue
            if re.search(_SUBJECT.format(name=re.escape(name)), question):
                found.append(person)
                break
    return found


def asked_subject(question: str, people: Collection[str]) -> str | None:
    """The first person :func:`asked_subjects` finds, or ``None``."""
    subjects = asked_subjects(question, people)
    return subjects[0] if subjects else None


#: an item's cited words, as (author, text) or (author, text, the people it was said to)
Cited = tuple[str | None, str] | tuple[str | None, str, Sequence[str]]

_FIRST_PERSON = frozenset("i i'm im i've ive i'd i'll my me mine myself".split())
_SECOND_PERSON = frozenset("you your you're youre you've youve you'd you'll yours yourself".split())
#: a question about what someone said to another: the speaker's "your" is theirs to say
_SPEECH = re.compile(
    r"\b(?:advi[cs]\w*|tell|told|say|said|suggest\w*|recommend\w*|encourag\w*|ask\w*"
    r"|remind\w*|offer\w*|promis\w*|warn\w*|compliment\w*|prais\w*|invit\w*|urg\w*"
    r"|describ\w*|mention\w*|explain\w*)\b",
    re.I,
)


def wrong_person(
    question: str,
    cited: Sequence[Cited],
    people: Collection[str],
    *,
    answer: str = "",
) -> str | None:
    """Why the answer is about someone other than the question's subjects, or ``None``.

    ``cited`` holds, for each cited item, its author, the text shown to the model and
    (optionally) the people it was said to; ``people`` the authors known from the
    retrieved items. An item speaks of its author, unless the sentence that carries
    the answer speaks to its listener ("how's *your* fantasy writing going?", said by
    John to Tim, is about Tim), or names the subject in the third person."""
    subjects = asked_subjects(question, people)
    if not subjects or not cited:
        return None
    # "What recommendations has Nate received *from Joanna*?": her words are the answer
    given = {w.lower() for w in re.findall(r"\b(?:from|by)\s+([A-Z][\w'-]*)", question)}
    if any(e[0] and e[0].split()[0].lower() in given for e in cited):
        return None
    names = {n.lower() for s in subjects for n in (s, s.split()[0])}
    speech = bool(_SPEECH.search(question))
    owners: set[str] = set()
    # an item cited that holds none of the answer's words does not carry it
    wanted = {stem(t) for t in tokens(answer) if t not in STOPWORDS and len(t) > 1}
    carrying = [e for e in cited if wanted & {stem(t) for t in tokens(e[1])}]
    for entry in carrying or cited:
        author, text = entry[0], entry[1]
        listeners = [p for p in (entry[2] if len(entry) > 2 else ()) if p and p != author]
        said = _without_address(text, names)
        if names & set(tokens(said)) or any(n in said.lower() for n in names if " " in n):
            return None
        owner = _speaks_of(said, answer or question, author, () if speech else listeners)
        if owner and (owner.lower() in names or owner.split()[0].lower() in names):
            return None
        owners.add(owner or author or "others")
    by = " and ".join(sorted(owners))
    return f"the items that hold it are about {by}, not about {' or '.join(subjects)}"


#: a sentence that congratulates someone on something: it is theirs
_CONGRATULATES = re.compile(r"\b(?:congrats|congratulations|kudos)\s+(?:on|for)\b")


def _speaks_of(text: str, answer: str, author: str | None, listeners: Sequence[str]) -> str | None:
    """Whose fact ``text`` states where it carries ``answer``'s words: its author's when
    that sentence speaks in the first person or in neither, its one listener's when it
    speaks only in the second ("Did *you* make it?")."""
    if len(listeners) != 1:
        return author
    wanted = {stem(t) for t in tokens(answer) if t not in STOPWORDS and len(t) > 1}
    best, overlap = "", 0
    for start, end in split_sentences(text) or [(0, len(text))]:
        sentence = text[start:end]
        shared = len(wanted & {stem(t) for t in tokens(sentence)})
        if shared > overlap:
            best, overlap = sentence, shared
    lowered = best.lower().replace("’", "'")
    words = set(re.findall(r"[a-z']+", lowered))
    if words & _SECOND_PERSON and not words & _FIRST_PERSON:
        return listeners[0]
    if _CONGRATULATES.search(lowered):
        return listeners[0]  # "Congrats on those deals!": the deals are the listener's
    # "I love *your turtles*": what the question is about is the listener's
    yours = {stem(w) for w in re.findall(r"\byour\s+([a-z]+)", lowered)} & wanted
    mine = {stem(w) for w in re.findall(r"\b(?:my|our)\s+([a-z]+)", lowered)} & wanted
    if yours and not mine:
        return listeners[0]
    return author


#: capitalised words that name a time, which items hold as dates, not words
_CALENDAR = frozenset(MONTHS) | frozenset(WEEKDAYS) | {"christmas", "easter"}
_GREETING = r"(?:hey|hi|hello|hiya|yo|oh|wow|thanks|thank you|congrats|congratulations|sorry|dear)"


def _without_address(text: str, names: Collection[str]) -> str:
    """``text`` without the names it only addresses ("Hey Joanna!", "Thanks, Nate."):
    in a chat, calling the other person by name says nothing about them."""
    for name in names:
        quoted = re.escape(name)
        text = re.sub(rf"(?i)\b{_GREETING}\s*,?\s*{quoted}\b", " ", text)
        text = re.sub(rf"(?i)(?:^|[,.!?]\s*){quoted}\s*[,!?](?!\w)", " ", text)
        text = re.sub(rf"(?i),\s*{quoted}\s*(?=[.!?]|$)", " ", text)
    return text


#: a question that asks for a person ("Who did Maria have dinner with?")
_ASKS_WHO = re.compile(r"^\s*(?:(?:with|to|for|from|by)\s+)?(?:who|whom|whose)\b", re.I)
#: a question about whom someone spoke to, whose answer may be the one called by name
_ADDRESSING = re.compile(
    r"\b(?:thank\w*|congratulat\w*|greet\w*|call\w*|text\w*|messag\w*|wish\w*|"
    r"address\w*|cheer\w*|apologi[sz]\w*|talk\w*|chat\w*|spok\w*|speak\w*)\b",
    re.I,
)


def only_addressed(
    answer: str, question: str, cited: Sequence[Cited], people: Collection[str]
) -> str | None:
    """Why the person a "who" question is answered with is not what its items say of
    them, or ``None``: the items name that person only to call them ("Wow, John! … My
    mom and I made some dinner together last night!" does not say Maria had dinner with
    John). A person the question names, or who wrote a cited item, is left alone, and
    so is everyone when the question asks what was said to whom ("Who did Maria
    thank?")."""
    if not _ASKS_WHO.match(question) or _SPEECH.search(question) or _ADDRESSING.search(question):
        return None
    asked = set(tokens(question))
    around = {w.lower() for entry in cited if entry[0] for w in entry[0].split()}
    said = set(tokens(answer))
    texts = [entry[1] for entry in cited]
    for person in people:
        name = person.split()[0].lower()
        if name not in said or name in asked or name in around:
            continue
        named = [t for t in texts if name in tokens(t)]
        if named and not any(name in tokens(_without_address(t, [name])) for t in named):
            return f"the items it cites only call {person.split()[0]} by name"
    return None


def unfounded_premise(
    question: str, evidence: Sequence[str], people: Collection[str]
) -> str | None:
    """A name, place or acronym the question takes for granted ("Gina's *HR* internship",
    "the beach in *Tampa*") that none of the cited items holds, or ``None``.

    Capitalised words inside the question (not its first word, not the people of the
    memory) are what an answer must be about; an answer from items without them is
    about something else."""
    known = {w.lower() for person in people for w in person.split()}
    held = set(tokens(" ".join(evidence)))
    held |= {stem(h) for h in held} | {verb_stem(h) for h in held}
    main = _main_clause(question)
    core = topic_words(main, people)
    # "When did John meet his teammates *after returning from Chicago*?": a reply that
    # says what was asked often leaves the scene to the message before it
    scene_only = len(main) < len(question) and 2 * sum(t in held for t in core) >= len(core) > 0
    for match in re.finditer(
        r"(?<!^)(?<![.?!]\s)\b(?:[A-Z][A-Za-z]+|[A-Z]{2,})(?:\s+(?:[A-Z][A-Za-z]+|[A-Z]{2,}))*\b",
        question,
    ):
        if scene_only and match.start() >= len(main):
            continue
        # a name of several words is held when one of them is ("LeBron" for "Lebron James")
        words = [
            w
            for w in match.group(0).split()
            if w.lower() not in STOPWORDS
            and w.lower() not in _CALENDAR
            and not _names_someone(w.lower(), known)
        ]
        if words and not any(_holds(w.lower(), held) for w in words):
            return f"the items it cites do not mention {' '.join(words)}"
    return None


#: countries and the adjectives of their people, either way: "Which city in *Ireland*"
#: is answered by a message about Galway's "arts and *Irish* music"
_DEMONYMS = dict(
    pair.split(":")
    for pair in """ireland:irish england:english britain:british scotland:scottish
    wales:welsh france:french germany:german italy:italian spain:spanish portugal:portuguese
    greece:greek netherlands:dutch holland:dutch belgium:belgian switzerland:swiss
    austria:austrian sweden:swedish norway:norwegian denmark:danish finland:finnish
    iceland:icelandic poland:polish russia:russian ukraine:ukrainian turkey:turkish
    egypt:egyptian morocco:moroccan nigeria:nigerian kenya:kenyan israel:israeli
    iran:iranian india:indian pakistan:pakistani china:chinese japan:japanese
    korea:korean vietnam:vietnamese thailand:thai philippines:filipino
    indonesia:indonesian australia:australian canada:canadian mexico:mexican
    brazil:brazilian argentina:argentinian peru:peruvian cuba:cuban america:american
    hawaii:hawaiian""".split()
)
_DEMONYMS.update({people: place for place, people in list(_DEMONYMS.items())})


def _holds(word: str, held: Collection[str]) -> bool:
    """Whether the items' words ``held`` hold ``word``, as written, as its stem, or as
    the other of a country and its people's adjective."""
    other = _DEMONYMS.get(word)
    return word in held or stem(word) in held or (other is not None and other in held)


#: words that give a question its form, not its topic
_FORM_WORDS = frozenset(
    """what which who whom whose when where why how kind type sort main one new recently
    start started different many much long often get got make made like would likely
    could might area areas place places according""".split()
)
#: verbs that carry how a question is put, not what it is about ("What type of ice cream
#: does Joanna *mention* that Nate *makes*?" is about ice cream): compared as stems, so
#: every form of them is left out of the topic
_LIGHT_VERBS = frozenset(
    stem(word)
    for word in """mention mentioned mentions make makes making plan plans planned planning
    go goes going went part use uses used using choose chose chosen give gives gave given
    find finds found enjoy enjoys enjoyed affect affected affects handle handles handled
    begin begins beginning began prompt prompted receive received suggest suggests
    suggested say says said tell tells told think thinks thought want wants wanted try
    tries tried take takes took keep keeps kept describe describes
    described decide decided happen happened include includes included participate
    participates participated participating""".split()
)
#: words that place a question in time ("last week", "this year"): items hold dates,
#: not these words
_TIME_WORDS = frozenset(
    """last past next previous this week weeks weekend weekends month months year years
    day days ago yesterday today tonight tomorrow morning evening night since earlier
    later lately time times""".split()
)
#: a question whose cited items hold fewer than half its topic words, and miss at least
#: this many, is answered from items about something else
OFF_TOPIC_MISSING = 3


def _terms(text: str) -> set[str]:
    return {verb_stem(t) for t in tokens(text)}


def topic_words(question: str, people: Collection[str] = ()) -> list[str]:
    """The stems of what ``question`` is about: not its form words, its dates, the
    people's names or its numbers ("What is the name of Dana's *puppy*?")."""
    known = {w.lower() for person in people for w in person.split()}
    topic = [
        verb_stem(t)
        for t in tokens(question)
        if t not in STOPWORDS
        and t not in _FORM_WORDS
        and t not in _CALENDAR
        and t not in _TIME_WORDS
        and stem(t) not in _LIGHT_VERBS
        and not _names_someone(t, known)
        and not _VALUE.search(t)
        and len(t) > 1
    ]
    return list(dict.fromkeys(topic))


def unrelated_sentences(
    question: str, sentences: Sequence[tuple[str, Sequence[str]]], people: Collection[str]
) -> list[int]:
    """The positions of the sentences that have nothing to do with ``question``: neither
    they nor the items they cite (``sentences``: each sentence with the texts it cites)
    hold any of its topic words, while another sentence's items do ("Pepper [8]. The
    backup recovery key is … [7]" asked for the name of Dana's puppy). A model steered
    by injected text adds such a sentence to carry another item's secrets out. When no
    sentence is related, all are unrelated only for a question about a named person
    (as :func:`off_topic`): "What did I pay for the shelter?" may be answered from
    items about the tent."""
    topic = set(topic_words(question, people))
    if not topic:
        return []
    related = [bool(topic & _terms(" ".join([said, *cited]))) for said, cited in sentences]
    if not any(related) and asked_subject(question, people) is None:
        return []  # a person's own question is often asked in other words than the items'
    return [i for i, ok in enumerate(related) if not ok]


def off_topic(
    question: str, evidence: Sequence[str], people: Collection[str], *, least: int = 0
) -> str | None:
    """Why the cited items are about something other than the question, or ``None``.

    The topic words of the question (not its form words, dates or the people's names)
    are looked up, stemmed, in the items an answer cites: when fewer than half are
    there and :data:`OFF_TOPIC_MISSING` or more are not ("What is one cause John
    *opposes* with his *influence* and *resources*?" answered from a message about the
    cause he supports), the answer is not about what was asked. Only questions about a
    named person are held to this: a person's question about their own life is often
    asked in other words than their records use, and the rewriting plan finds those.
    ``least`` lowers how many must be missing: a date answer says nothing of what it is
    the date of, so for "when" fewer than half held is enough (``least=1``)."""
    if asked_subject(question, people) is None:
        return None  # "what did I pay for the shelter?" may well be asked in other words
    topic = topic_words(question, people)
    least = least or OFF_TOPIC_MISSING
    if len(topic) < least:
        return None
    held = _terms(" ".join(evidence))
    missing = [t for t in topic if t not in held]
    core = topic_words(_main_clause(question), people)
    if len(core) >= 2 and all(t in held for t in core):
        return None  # what was asked is there; the clause after it only sets the scene
    if len(missing) >= least and len(missing) * 2 > len(topic):
        found = len(topic) - len(missing)
        return (
            f"the items it cites hold {found} of the question's {len(topic)} topic words"
            f" (not {', '.join(missing)})"
        )
    return None


#: words that open a clause setting the scene of a question ("What did Joanna find in
#: old notebooks *that* prompted her to reflect …", "Which book was John reading
#: *during* his recovery …"): a reply that names what was found, or read, often leaves
#: the scene to the message before it
_CLAUSE_OPENERS = frozenset("that which who whom whose during while after because since".split())


def _main_clause(question: str) -> str:
    """``question`` up to the first word that opens a scene-setting clause (not its first
    words: "Which book …" is the main clause's own)."""
    words = question.split()
    for position, word in enumerate(words):
        if position >= 2 and word.lower().strip(",;:") in _CLAUSE_OPENERS:
            return " ".join(words[:position])
    return question


#: words that turn a statement around: an answer holding one says the opposite of an item
#: that does not ("planned to *avoid* the city" from "planning to explore a new city")
_NEGATIONS = frozenset("not no never nothing nobody none neither nor cannot without".split())
_REVERSALS = frozenset(
    stem(word)
    for word in """avoid avoided avoids stop stopped stops quit quits hate hated hates
    dislike disliked dislikes refuse refused refuses oppose opposed opposes reject
    rejected rejects fail failed fails lose lost loses cancel cancelled canceled cancels
    against unable""".split()
)


def unsaid_polarity(answer: str, evidence: Sequence[str]) -> str | None:
    """Why ``answer`` says the opposite of the cited ``evidence``, or ``None``: it holds
    a negation or a reversing verb (avoid, oppose, quit …) that no cited item holds.
    Word overlap alone counts "avoid the city" as supported by "explore a new city"."""
    words = tokens(answer.replace("n't", " not"))
    held = tokens(" ".join(evidence).replace("n't", " not"))
    if any(w in _NEGATIONS for w in words) and not any(w in _NEGATIONS for w in held):
        return "the items it cites say nothing negative about it"
    stems = {stem(w) for w in held}
    turned = [w for w in words if stem(w) in _REVERSALS and stem(w) not in stems]
    if turned:
        return f"the items it cites do not say “{turned[0]}”"
    return None


def _names_someone(word: str, known: Collection[str]) -> bool:
    """A known person's name, or the start of one ("Mel" for Melanie)."""
    return word in known or (len(word) >= 3 and any(k.startswith(word) for k in known))


def asked_role(question: str) -> str | None:
    """The noun the question asks for the value of ("access code"), or ``None``."""
    match = _ROLE.search(question)
    if not match:
        return None
    words = [w for w in match.group(1).lower().split() if w not in STOPWORDS]
    return " ".join(words) or None


def misplaced_value(answer: str, question: str, evidence: Sequence[str]) -> str | None:
    """Why a value in ``answer`` is not the one the question asks for, or ``None``."""
    role = asked_role(question)
    if role is None:
        return None
    head = stem(role.split()[-1])
    given = {stem(t) for t in tokens(question) if t not in STOPWORDS} - {head}
    asked = set(tokens(question))
    values = [t for t in tokens(answer) if _VALUE.search(t) and t not in asked]
    for value in values:
        for text in evidence:
            for start, end in split_sentences(text):
                words = tokens(text[start:end])
                stems = [stem(w) for w in words]
                if head not in stems or value not in words:
                    continue
                owner = _owner(words, words.index(value))
                if owner is not None and stem(owner) in given and stem(owner) != head:
                    return (
                        f"{value} is the {owner}'s in the item, not the {role} the question"
                        " asks for"
                    )
    return None


def _owner(words: list[str], index: int) -> str | None:
    """The word a value belongs to: the nearest word before it that is not a stop word."""
    for back in range(index - 1, max(-1, index - 4), -1):
        word = words[back]
        if word in STOPWORDS:
            continue
        return None if _VALUE.search(word) else word
    return None
