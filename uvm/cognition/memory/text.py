"""What recall reads in a text without a model: its terms (for BM25), the names it
mentions (for the graph), and the period a question asks about (for time).

Terms are lower-case words without English stop words, stemmed by the Snowball stemmer
(PyStemmer), so "moved" finds "moving". Names are capitalised words that are not stop
words ("Beth", "Lyon"): two memories that name the same person or place are linked.
"""
from __future__ import annotations

import calendar
import functools
import re
from datetime import datetime, timezone

_WORD = re.compile(r"[a-z0-9]+")
_NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_YEAR = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True))
                         + r")\.?,?\s+(?:of\s+)?(\d{4})\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
# Capitalised words that start sentences and name nobody.
_NOT_NAMES = {"yesterday", "today", "tomorrow", "tonight", "also", "thanks", "yes", "yeah",
              "okay", "well", "sure", "maybe", "just", "still", "last", "next", "this", "that",
              "what", "when", "where", "which", "who", "why", "how", "did", "does", "has",
              "have", "had", "was", "were", "will", "would", "could", "should", "can", "the",
              "and", "but", "for", "not", "all", "any", "some", "one", "two", "three", "our",
              "your", "their", "his", "her", "its", "they", "she", "him", "hey", "hello", "hi",
              "great", "good", "nice", "sorry", "please", "oh", "wow", "really", "actually",
              "remember", "anyway", "honestly", "then", "now", "after", "before", "since"}
_NOT_NAMES |= set(_MONTHS) | {d.lower() for d in calendar.day_name}


@functools.lru_cache(maxsize=1)
def _stopwords() -> frozenset:
    from bm25s.stopwords import STOPWORDS_EN
    return frozenset(STOPWORDS_EN)


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer
    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """The BM25 terms of ``text``: stemmed lower-case words, stop words left out."""
    stop = _stopwords()
    return _stemmer().stemWords([w for w in _WORD.findall(text.lower()) if w not in stop])


def terms_of_many(texts: list[str]) -> list[list[str]]:
    stop, stem = _stopwords(), _stemmer().stemWords
    return [stem([w for w in _WORD.findall(t.lower()) if w not in stop]) for t in texts]


def names(text: str) -> list[str]:
    """The names ``text`` mentions, lower-case, each once, in order."""
    stop = _stopwords()
    seen: dict[str, None] = {}
    for m in _NAME.findall(text):
        low = m.lower()
        if low not in stop and low not in _NOT_NAMES:
            seen.setdefault(low, None)
    return list(seen)


def period(question: str) -> tuple[float, float] | None:
    """The period (start, end as epoch seconds) a question names: a date (2023-05-14),
    a month and year (May 2023) or a year (in 2023); None when it names none."""
    m = _DATE.search(question)
    if m:
        y, mo, d = map(int, m.groups())
        try:
            start = datetime(y, mo, d, tzinfo=timezone.utc)
        except ValueError:
            return None
        return start.timestamp(), start.timestamp() + 86400
    m = _MONTH_YEAR.search(question)
    if m:
        mo, y = _MONTHS[m.group(1).lower()], int(m.group(2))
        start = datetime(y, mo, 1, tzinfo=timezone.utc)
        end = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=timezone.utc)
        return start.timestamp(), end.timestamp()
    m = _YEAR.search(question)
    if m:
        y = int(m.group(1))
        return (datetime(y, 1, 1, tzinfo=timezone.utc).timestamp(),
                datetime(y + 1, 1, 1, tzinfo=timezone.utc).timestamp())
    return None


def parse_time(value) -> float:
    """An ISO 8601 time (``2023-05-14``, ``2023-05-14T09:30``, with or without a zone;
    no zone is UTC) or epoch seconds -> epoch seconds. Raises ValueError."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"a time must be an ISO 8601 string, not {type(value).__name__}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 time (like 2023-05-14 or "
                         "2023-05-14T09:30:00)") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


def iso(epoch: float) -> str:
    """Epoch seconds as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
