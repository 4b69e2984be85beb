"""The quality gate SYNTHESIZING passes before a thought may complete (the seed's Table 4,
"automated Quality Gate validation").

Five checks, each a small function of plain text that answers a ``Check`` (passed, and
why not): the answer is not empty; its length is within bounds; it is not a verbatim copy
of one facet's answer; it leaks no prompt text (an instruction of ours or a chat-template
marker, which a small model echoes when it loses the thread); and it is relevant to the
query: the cosine similarity of their sentence embeddings (all-MiniLM-L6-v2,
``uvm.llm.embedding``) is at least ``RELEVANCE_THRESHOLD`` (or the image's own threshold,
once a self-improvement mission has re-calibrated it: ``threshold_for``), calibrated on
labelled pairs by ``python benchmarks/gate.py --calibrate`` (the dev half; the report is
on the held-out half). The checks run in this order and all of them run, so the trace shows every
result; the first that fails is the reason given to the retry.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

MIN_WORDS = 3            # fewer is not an answer ("Yes.")
MAX_CHARS = 2_000        # a weave is asked for a paragraph; far longer has run away
COPY_RATIO = 0.9         # this similar (difflib) to one facet's answer is a copy of it
LEAK_WORDS = 8           # this many words in a row from an instruction are a leak
RELEVANCE_THRESHOLD = 0.29  # calibrated: benchmarks/gate.py --calibrate (see its docstring)
SETTINGS_KEY = "uvm.gate.settings"  # an image's own threshold, once re-calibrated
TEMPLATE_MARKERS = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "[INST]", "<<SYS>>")


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str = ""

    def to_json(self) -> dict:
        return {"check": self.name, "passed": self.passed, "detail": self.detail}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _normal(text: str) -> str:
    return " ".join(_words(text))


def not_empty(answer: str) -> Check:
    ok = bool(re.search(r"[A-Za-z0-9]", answer or ""))
    return Check("not empty", ok, "" if ok else "the answer has no words")


def length_bounds(answer: str, min_words: int = MIN_WORDS, max_chars: int = MAX_CHARS) -> Check:
    n, chars = len(_words(answer)), len(answer.strip())
    if n < min_words:
        return Check("length", False, f"{n} word{'s' if n != 1 else ''}; at least {min_words} needed")
    if chars > max_chars:
        return Check("length", False, f"{chars} characters; at most {max_chars}")
    return Check("length", True, f"{n} words")


def not_a_copy(answer: str, partials: list[tuple[str, str]], ratio: float = COPY_RATIO) -> Check:
    """``partials``: (pillar, its facet's answer). A weave that is one facet's answer again
    (or nearly: the same words with a few changed) has drawn on nothing else."""
    mine = _normal(answer)
    for pillar, text in partials:
        theirs = _normal(text)
        if not theirs:
            continue
        similar = difflib.SequenceMatcher(None, mine, theirs, autojunk=False).ratio()
        if mine == theirs or similar >= ratio:
            return Check("not a copy", False, f"{similar:.2f} similar to the {pillar} facet's answer")
    return Check("not a copy", True)


def no_leaked_prompt(answer: str, instructions: list[str], n: int = LEAK_WORDS) -> Check:
    """``instructions``: the texts of ours the model was given (the system prompt, the
    weaving instruction, the pillars' intents) -- not the facets' answers, which a weave
    may well quote."""
    for marker in TEMPLATE_MARKERS:
        if marker in answer:
            return Check("no leaked prompt", False, f"the chat template's {marker!r}")
    words = _words(answer)
    grams = {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
    for text in instructions:
        ws = _words(text)
        for i in range(len(ws) - n + 1):
            if tuple(ws[i:i + n]) in grams:
                return Check("no leaked prompt", False, f"repeats the prompt: {' '.join(ws[i:i + n])!r}")
    return Check("no leaked prompt", True)


def relevance(query: str, answer: str, threshold: float = RELEVANCE_THRESHOLD,
              similarity=None) -> Check:
    """The cosine similarity of the query's and the answer's embeddings, at least
    ``threshold``. ``similarity(a, b)`` defaults to the embedding model's."""
    score = (similarity or embedding_similarity)(query, answer)
    ok = score >= threshold
    return Check("relevance", ok, f"similarity {score:.2f} {'>=' if ok else '<'} {threshold:.2f}")


def embedding_similarity(a: str, b: str) -> float:
    from uvm.llm.embedding import embedder
    va, vb = embedder().embed([a, b])
    return float(va @ vb)


def run_gate(query: str, answer: str, partials: list[tuple[str, str]], instructions: list[str],
             similarity=None, threshold: float = RELEVANCE_THRESHOLD) -> list[Check]:
    """Every check's result, in order (relevance is skipped for an empty answer: there is
    nothing to embed)."""
    checks = [not_empty(answer), length_bounds(answer), not_a_copy(answer, partials),
              no_leaked_prompt(answer, instructions)]
    if checks[0].passed:
        checks.append(relevance(query, answer, threshold, similarity))
    return checks


def threshold_for(image) -> float:
    """The image's relevance threshold: the calibrated one, unless a self-improvement
    mission re-calibrated it (``uvm.cognition.cem.missions``)."""
    saved = image.connection.root().get(SETTINGS_KEY) if image is not None else None
    return float(saved["relevance_threshold"]) if saved else RELEVANCE_THRESHOLD


def first_failure(checks: list[Check]) -> Check | None:
    return next((c for c in checks if not c.passed), None)
