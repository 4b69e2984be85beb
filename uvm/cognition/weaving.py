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

DECOMPOSE_INSTRUCTION = ("Split the question below into one short sub-question for each "
                         "perspective listed, so that each perspective can answer its own part. "
                         "Answer with numbered lines only, one sub-question per line, in the "
                         "order of the perspectives.")
WEAVE_INSTRUCTION = ("Weave the answers of your inner voices below into one warm, clear answer "
                     "to the question, in your own words. Draw on each voice, do not copy any "
                     "one of them, and do not mention the voices. Answer in one short paragraph.")
MIND_WEAVE_INSTRUCTION = ("Several minds answered the question below. Combine the best of their "
                          "answers into one clear answer in your own words, in one short paragraph.")
MEMORY_HEADING = "Things you remember that may help:"
MAX_SUBQUERY_CHARS = 300


def _memories(memories: list[str]) -> str:
    return (MEMORY_HEADING + "\n" + "\n".join(f"- {m}" for m in memories) + "\n\n") if memories else ""


def persona_system(codex: Codex) -> str:
    """Who is thinking: the persona's mandate as its system prompt."""
    return f"You are {codex.name}. {codex.mandate}".strip()


def decomposition_messages(codex: Codex, query: str, memories: list[str]) -> list[dict]:
    perspectives = "\n".join(f"{i}. {p.name}: {_first_sentence(p.intent)}"
                             for i, p in enumerate(codex.pillars, 1))
    user = (f"{DECOMPOSE_INSTRUCTION}\n\nPerspectives:\n{perspectives}\n\n"
            f"{_memories(memories)}Question: {query}")
    return [{"role": "system", "content": persona_system(codex)}, {"role": "user", "content": user}]


def _first_sentence(text: str) -> str:
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
    for raw in (text or "").splitlines():
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
    voices = "\n".join(f"- {pillar}: {text.strip()}" for pillar, text in partials)
    user = (f"{WEAVE_INSTRUCTION}\n\n{_memories(memories)}Inner voices:\n{voices}\n\n"
            f"Question: {query}")
    if reason:
        user += f"\n\n(Your last answer was rejected: {reason}. Write a better one.)"
    return [{"role": "system", "content": persona_system(codex)}, {"role": "user", "content": user}]


def mind_weave_messages(query: str, answers: list[tuple[str, str]], reason: str | None = None) -> list[dict]:
    minds = "\n".join(f"- {name}: {text.strip()}" for name, text in answers)
    user = f"{MIND_WEAVE_INSTRUCTION}\n\nAnswers:\n{minds}\n\nQuestion: {query}"
    if reason:
        user += f"\n\n(Your last answer was rejected: {reason}. Write a better one.)"
    return [{"role": "user", "content": user}]


def instructions_of(messages: list[dict], codex: Codex | None = None) -> list[str]:
    """The texts of ours in a prompt, for the gate's leak check: the system prompt, the
    instruction, the pillars' intents (the voices' answers and the query are not ours)."""
    texts = [m["content"] for m in messages if m["role"] == "system"]
    texts += [WEAVE_INSTRUCTION, MIND_WEAVE_INSTRUCTION, DECOMPOSE_INSTRUCTION]
    if codex is not None:
        texts += [p.intent for p in codex.pillars]
    return texts
