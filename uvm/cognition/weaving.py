"""The prompts of a thought and the reading of their answers: DECOMPOSING's meta-prompt and
its parser, SYNTHESIZING's Cognitive Weaving Protocol, and the orchestrator's weave of
several personas' answers.

A small model answers a request for "one sub-question per line" in many shapes (numbered
lines, bullets, "Sage: ...", a preamble, one line for all); ``parse_subqueries`` takes what
it can, pillar by pillar, and gives any pillar it could not read the query itself -- the
seed's fallback, so a thought never stops for want of a sub-question.
"""
from __future__ import annotations

import re

from uvm.cognition.personas import Codex, Pillar

DECOMPOSE_INSTRUCTION = ("Write one short sub-question of the question above for each of these "
                         "perspectives, as a numbered list, one line each:")
WEAVE_INSTRUCTION = ("Answer the user in two or three sentences of your own, drawing on each of "
                     "these thoughts of yours without copying any one of them:")
MIND_WEAVE_INSTRUCTION = ("Answer the question above in two or three sentences of your own, "
                          "combining the best of these answers:")
MEMORY_HEADING = "Things you remember that may help:"
MAX_SUBQUERY_CHARS = 300


def _memories(memories: list[str]) -> str:
    return (MEMORY_HEADING + "\n" + "\n".join(f"- {m}" for m in memories) + "\n\n") if memories else ""


def persona_system(codex: Codex) -> str:
    """Who is thinking: the persona's mandate as its system prompt."""
    return f"You are {codex.name}. {codex.mandate}".strip()


def decomposition_messages(codex: Codex, query: str, memories: list[str]) -> list[dict]:
    perspectives = "\n".join(f"{i}. {p.name}: {first_sentence(p.intent)}"
                             for i, p in enumerate(codex.pillars, 1))
    user = f"{_memories(memories)}Question: {query}\n\n{DECOMPOSE_INSTRUCTION}\n{perspectives}"
    return [{"role": "system", "content": persona_system(codex)}, {"role": "user", "content": user}]


def first_sentence(text: str) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    return m.group(1) if m else text.strip()


_ITEM = re.compile(r"^\s*(?:\(?\d+[.):]|[-*\u2022]|[a-z][.)])\s*(.+?)\s*$")


def parse_subqueries(text: str, pillars: tuple[Pillar, ...], query: str) -> list[tuple[Pillar, str, bool]]:
    """(pillar, its sub-question, whether it came from the model) for each pillar, in order.

    A line that names a pillar ("Sage: ..." or "1. Sage: ...") goes to that pillar; the other
    list items (numbered or bulleted) go, in order, to the pillars still without one; a
    pillar left over gets the query itself."""
    items: list[str] = []
    named: dict[str, str] = {}
    for raw in _lines(text or ""):
        m = _ITEM.match(raw)
        line = m.group(1) if m else raw.strip()
        if not line:
            continue
        for p in pillars:
            head = re.match(rf"\*{{0,2}}{re.escape(p.name)}\*{{0,2}}\s*[:\-\u2013]\s*(.+)", line, re.I)
            if head and p.name not in named:
                named[p.name] = _clean(head.group(1))
                break
        else:
            if m:
                items.append(_clean(line))
    out, queue = [], [i for i in items if _usable(i)]
    for p in pillars:
        sub = named.get(p.name)
        if sub is not None and _usable(sub):
            out.append((p, sub, True))
        elif queue:
            out.append((p, queue.pop(0), True))
        else:
            out.append((p, query, False))
    return out


def _lines(text: str) -> list[str]:
    """The answer's lines, a numbered list run into one line ("a; 2. b; 3. c") split up."""
    out = []
    for line in text.splitlines():
        out += [part for part in re.split(r"[;,]?\s+(?=\(?\d+[.)]\s)", line) if part.strip()]
    return out


def _clean(text: str) -> str:
    return text.strip().strip("*").strip().strip('"').strip()[:MAX_SUBQUERY_CHARS]


def _usable(text: str) -> bool:
    """A sub-question has a few words; the model's own headings ("Perspectives:") do not."""
    words = re.findall(r"[A-Za-z']+", text)
    return len(words) >= 3 and not text.rstrip().endswith(":")


def weave_messages(codex: Codex, query: str, partials: list[tuple[str, str]],
                   memories: list[str], reason: str | None = None) -> list[dict]:
    """The Cognitive Weaving Protocol: the persona, its facets' answers, the query; on the
    retry, what the gate found wrong with the first weave."""
    voices = "\n".join(f"- {text.strip()}" for _, text in partials)
    system = f"{persona_system(codex)}\n\n{_memories(memories)}{WEAVE_INSTRUCTION}\n{voices}"
    if reason:
        system += f"\n\n(Your last answer was rejected: {reason}. Write a better one.)"
    return [{"role": "system", "content": system}, {"role": "user", "content": query}]


def mind_weave_messages(query: str, answers: list[tuple[str, str]], reason: str | None = None) -> list[dict]:
    minds = "\n".join(f"- {text.strip()}" for _, text in answers)
    user = f"{query}\n\n{MIND_WEAVE_INSTRUCTION}\n{minds}"
    if reason:
        user += f"\n\n(Your last answer was rejected: {reason}. Write a better one.)"
    return [{"role": "user", "content": user}]


def instructions_of(codex: Codex | None = None) -> list[str]:
    """The texts of ours in a thought's prompts, for the gate's leak check: the persona's
    system prompt, the instructions, the pillars' intents (not the facets' answers or the
    query, which an answer may well repeat)."""
    texts = [WEAVE_INSTRUCTION, MIND_WEAVE_INSTRUCTION, DECOMPOSE_INSTRUCTION, MEMORY_HEADING]
    if codex is not None:
        texts += [persona_system(codex)] + [p.intent for p in codex.pillars]
    return texts
