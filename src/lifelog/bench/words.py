"""``python -m lifelog.bench.words``: words in every script, measured.

Two parts, both behind docs/benchmarks.md ("Words in every script"):

- ``scripts``: how CJK text is cut for the word index, chosen by measurement. Real
  translated sentences (the gettext catalogues of the machine's programs, written by
  their translators: ``/usr/share/locale/{zh_CN,ja,ko,ru,ar}``) are indexed in FTS5 four
  ways: as lifelog wrote them before (raw text, ``unicode61``, questions folded with
  NFKD), :func:`~lifelog.index.text.index_text` with bigrams only, with bigrams and each
  character alone (the choice), and FTS5's ``trigram`` tokenizer beside the word index.
  Each is asked for words taken from the middle of the sentences (CJK: 1–4 characters
  from a run; Korean: a phrase without its last syllable, as a word without its
  particle; Russian and Arabic: a whole word as written) and reports how often the
  sentence is found at all and in the first 10 (BM25), the index size and search p95.
- ``life``: the sample life (English), ingested into an encrypted memory: items,
  chunks, the word index's size, ``Memory.search`` and lexical ``Memory.retrieve`` p50
  and p95. Run it on the code before a change (``PYTHONPATH=old/src python
  src/lifelog/bench/words.py life``) and after, on the same machine.
"""

from __future__ import annotations

import argparse
import gettext
import random
import re
import sqlite3
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

LOCALES = Path("/usr/share/locale")
LANGUAGES = ("zh_CN", "ja", "ko", "ru", "ar")
QUESTIONS = 400


def sentences(language: str, limit: int = 20000, seed: int = 1) -> list[str]:
    """Up to ``limit`` distinct translated messages of ``language`` on this machine."""
    found: set[str] = set()
    for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.mo")):
        try:
            with path.open("rb") as handle:
                catalog = gettext.GNUTranslations(handle)
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        messages: dict[object, object] = getattr(catalog, "_catalog", {})  # the messages
        for key, value in messages.items():
            if key and isinstance(value, str) and len(value.strip()) > 8 and "%" not in value:
                found.add(value.strip())
    ordered = sorted(found)
    random.Random(seed).shuffle(ordered)
    return ordered[:limit]


_CJK = re.compile(r"[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]{2,}")


def questions(language: str, texts: list[str], count: int, seed: int = 2) -> list[tuple[str, int]]:
    """(word, index of the sentence it comes from): words from the middle of sentences."""
    rng = random.Random(seed)
    out: list[tuple[str, int]] = []
    while len(out) < count:
        n = rng.randrange(len(texts))
        text = texts[n]
        if language == "ko":
            phrases = [w for w in re.findall(r"[\uac00-\ud7a3]+", text) if len(w) >= 2]
            if phrases:
                phrase = rng.choice(phrases)
                out.append((phrase[: max(2, len(phrase) - 1)], n))
        elif language in ("zh_CN", "ja"):
            runs = _CJK.findall(text)
            if runs:
                run = rng.choice(runs)
                size = min(len(run), rng.choices((1, 2, 3, 4), (10, 50, 25, 15))[0])
                start = rng.randrange(len(run) - size + 1)
                out.append((run[start : start + size], n))
        else:
            # whole words as written, marks included
            words = [w.strip(".,;:!?()[]«»\"'،؛؟") for w in text.split()]
            words = [
                w
                for w in words
                if sum(c.isalpha() for c in w) >= 4
                and w.isalpha()
                or any(unicodedata.combining(c) for c in w)
            ]
            if words:
                out.append((rng.choice(words), n))
    return out


def _old_fold(word: str) -> str:
    """How lifelog folded a question's word before (NFKD, every mark dropped)."""
    folded = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


def _fold(word: str) -> str:
    from lifelog.index.text import fold

    return fold(word)


def _quoted(terms: list[str]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


class Scheme:
    """One way of feeding the word index and asking it."""

    def __init__(
        self,
        name: str,
        feed: Callable[[str], str],
        ask: Callable[[str], str],
        trigram: bool = False,
    ) -> None:
        self.name, self.feed, self.ask, self.trigram = name, feed, ask, trigram


def schemes() -> list[Scheme]:
    from lifelog.index import text as words

    def old_ask(word: str) -> str:
        return _quoted([_old_fold(m) for m in re.findall(r"\w+", word)])

    def bigrams_only(text: str) -> str:
        before = words.INDEX_UNIGRAMS
        words.INDEX_UNIGRAMS = False
        try:
            return words.index_text(text)
        finally:
            words.INDEX_UNIGRAMS = before

    def new_ask(word: str) -> str:
        return _quoted(words.tokens(word))

    def folded_only(text: str) -> str:
        return words.fold(text)

    return [
        Scheme("before: raw text, NFKD questions", lambda t: t, old_ask),
        Scheme("bigrams", bigrams_only, new_ask),
        Scheme("bigrams + characters (chosen)", words.index_text, new_ask),
        Scheme("trigram table beside the words", folded_only, new_ask, trigram=True),
    ]


def measure(scheme: Scheme, texts: list[str], asked: list[tuple[str, int]]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "index.db"
        conn = sqlite3.connect(path)
        conn.execute(
            "CREATE VIRTUAL TABLE w USING fts5 (body, content = '',"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        rows = [(n + 1, scheme.feed(t)) for n, t in enumerate(texts)]
        conn.executemany("INSERT INTO w (rowid, body) VALUES (?, ?)", rows)
        if scheme.trigram:
            conn.execute(
                "CREATE VIRTUAL TABLE g USING fts5 (body, content = '', tokenize = 'trigram')"
            )
            conn.executemany("INSERT INTO g (rowid, body) VALUES (?, ?)", rows)
        conn.commit()
        conn.execute("VACUUM")
        size = path.stat().st_size
        found = top = 0
        times: list[float] = []
        for word, n in asked:
            table, match = "w", scheme.ask(word)
            if scheme.trigram and _CJK.search(word + word):
                # CJK words go to the trigram table, which cannot match under 3 characters
                table, match = "g", _quoted([_fold(word)]) if len(word) >= 3 else ""
            started = time.perf_counter()
            ids = (
                [
                    r[0]
                    for r in conn.execute(
                        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table})",
                        (match,),
                    )
                ]
                if match
                else []
            )
            times.append((time.perf_counter() - started) * 1000)
            found += (n + 1) in ids
            top += (n + 1) in ids[:10]
        conn.close()
    times.sort()
    return {
        "found": 100 * found / len(asked),
        "top10": 100 * top / len(asked),
        "kib": size / 1024,
        "p95": times[int(0.95 * len(times))],
    }


def scripts_markdown() -> str:
    lines = [
        "| language | sentences | scheme | found | in first 10 | index size | search p95 |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for language in LANGUAGES:
        texts = sentences(language)
        if not texts:
            continue
        asked = questions(language, texts, QUESTIONS)
        for scheme in schemes():
            r = measure(scheme, texts, asked)
            lines.append(
                f"| {language} | {len(texts):,} | {scheme.name} | {r['found']:.1f} % |"
                f" {r['top10']:.1f} % | {r['kib'] / 1024:.2f} MiB | {r['p95']:.2f} ms |"
            )
    return "\n".join(lines)


def life_markdown(scale: float, count: int = 300, repeat: int = 5) -> str:
    from lifelog import Memory
    from lifelog.bench.retrieval import bench_questions
    from lifelog.samplelife import FACTS, generate

    with tempfile.TemporaryDirectory() as work:
        life = generate(Path(work) / "life", seed=7, scale=scale)
        with Memory.init(Path(work) / "memory") as memory:
            started = time.perf_counter()
            memory.ingest(life.root, embed=False)
            ingest_s = time.perf_counter() - started
            conn = memory.store.conn
            fts = conn.execute("SELECT sum(length(block)) FROM chunks_fts_data").fetchone()[0]
            fts += conn.execute("SELECT count(*) * 16 FROM chunks_fts_idx").fetchone()[0]
            stats = memory.stats()
            asked = [f.question for f in FACTS] + bench_questions(memory, count)
            timings: dict[str, list[float]] = {"search": [], "retrieve": []}
            calls: dict[str, Callable[[str], object]] = {
                "search": lambda q: memory.search(q, limit=10),
                "retrieve": lambda q: memory.retrieve(q, now=life.now, limit=10, mode="lexical"),
            }
            for question in asked:
                for name, call in calls.items():
                    # the fastest of ``repeat`` runs: a shared machine's noise left out
                    best = float("inf")
                    for _ in range(repeat):
                        started = time.perf_counter()
                        call(question)
                        best = min(best, (time.perf_counter() - started) * 1000)
                    timings[name].append(best)
    p = {k: sorted(v) for k, v in timings.items()}

    def q(k: str, share: float) -> float:
        return p[k][int(share * len(p[k]))]

    return (
        f"| {stats.items:,} | {stats.chunks:,} | {ingest_s:.1f} s | {fts / 1024:,.0f} KiB |"
        f" {q('search', 0.5):.1f} / {q('search', 0.95):.1f} ms |"
        f" {q('retrieve', 0.5):.1f} / {q('retrieve', 0.95):.1f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("part", choices=("scripts", "life"))
    parser.add_argument("--scale", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=5, help="runs per question (fastest kept)")
    args = parser.parse_args()
    print(
        scripts_markdown()
        if args.part == "scripts"
        else life_markdown(args.scale, repeat=args.repeat)
    )


if __name__ == "__main__":
    main()
