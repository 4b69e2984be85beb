"""The router benchmark's labelled queries (data/router_queries.jsonl, written by
data/make_router_queries.py) and the check that keeps them apart from the codex.

A labelled query is a near-copy of a codex text (a pillar intent, a mandate or an example
utterance) when the two share a run of four words, or when most of their content words are
the same (Jaccard similarity of the word sets at least 0.5). The benchmark refuses to run
and a test fails when one is found.
"""
from __future__ import annotations

import json
import os
import re

QUERIES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "router_queries.jsonl")
STOP = {"the", "a", "an", "of", "to", "and", "or", "is", "it", "in", "on", "for", "my", "me",
        "i", "you", "we", "our", "this", "that", "what", "how", "do", "does", "be", "with",
        "about", "are", "am", "can", "me", "your", "its", "at", "by", "as", "from", "so", "if",
        "just", "there", "their", "they", "them", "was", "were", "has", "have", "had", "not"}


def load_queries(path: str = QUERIES) -> list[dict]:
    """[{text, persona, split}], split being dev or heldout."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[:-len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {stem(w) for w in tokens(text) if w not in STOP}


def near_copy(a: str, b: str, run: int = 4, jaccard: float = 0.5) -> str | None:
    """Why ``a`` is a near-copy of ``b``, or None."""
    ta, tb = tokens(a), tokens(b)
    grams = {tuple(tb[i:i + run]) for i in range(len(tb) - run + 1)}
    for i in range(len(ta) - run + 1):
        if tuple(ta[i:i + run]) in grams:
            return f"shares the words {' '.join(ta[i:i + run])!r}"
    wa, wb = content_words(a), content_words(b)
    if wa and wb and len(wa & wb) / len(wa | wb) >= jaccard:
        return f"shares most of its words ({', '.join(sorted(wa & wb))})"
    return None


def near_copies(queries: list[dict], codex_texts: list[str]) -> list[str]:
    """Every (query, codex text) pair that is too close, as readable lines."""
    out = []
    for q in queries:
        for t in codex_texts:
            why = near_copy(q["text"], t)
            if why:
                out.append(f"{q['text']!r} ~ {t!r}: {why}")
    return out
