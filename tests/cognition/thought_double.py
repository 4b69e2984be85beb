"""A test double for whole runs of thoughts (the CEM's tests and ``benchmarks/cem.py``):
a backend that answers each request by its shape instead of from a file in order, so a
run may take any path -- the router picking one persona or two, facets written on first
use, a mission's prompt, a practice question -- without a script written for that path.

It is no model: its answers are built from the request's own words (the facet a facet
request names, the sub-questions the perspectives ask for, a weave that restates the
question with the voices). ``repetitive=True`` makes every weave the same sentence, a rut
of answers; ``requests`` keeps what was asked, as the script backend does.
"""
from __future__ import annotations

import re

from uvm.cognition import weaving
from uvm.llm.backend import Backend, Request

PRACTICE = ["What should I do when my plans fall apart?", "How can I tell a friend I am hurt?",
            "Why does the night feel so long when I worry?", "What is a small joy I can find today?",
            "How do I start again after a mistake at work?", "What makes a home feel warm?"]


class ThoughtDouble(Backend):
    """Test double: answers a thought's requests by their shape (module docstring)."""

    def __init__(self, repetitive: bool = False):
        super().__init__("thought-double")
        self.repetitive = repetitive
        self.requests: list[Request] = []
        self.practice = 0

    def _complete(self, request: Request) -> str:
        self.requests.append(request)
        system = next((c for r, c in request.messages if r == "system"), "")
        user = [c for r, c in request.messages if r == "user"][-1]
        if system.startswith("You write one Python method"):
            return self._facet_code(user)
        if weaving.DECOMPOSE_INSTRUCTION in user:
            return self._split(user)
        if weaving.WEAVE_INSTRUCTION in system:
            return self._weave(user, system)
        if weaving.MIND_WEAVE_INSTRUCTION in user:
            question = user.split("\n\n")[0].strip().rstrip("?.!")
            return (f"Put together: {question} calls for patience with yourself first, "
                    "then for one person you trust to hear it.")
        if "Fuse two of them" in user:
            return ("What if a lost key were a kind of tea ceremony: each search a slow cup, "
                    "each drawer a leaf to read?")
        if "Answer with the question only." in user:
            self.practice += 1
            return PRACTICE[(self.practice - 1) % len(PRACTICE)]
        return self._facet_answer(user, system)

    def describe(self) -> dict:
        return {"backend": self.spec, "kind": "thought double (test double)",
                "answers": f"{len(self.requests)} given"}

    @staticmethod
    def _facet_code(user: str) -> str:
        pillar = re.findall(r"the method for its pillar (.+?)\.\n", user)[-1]
        name = re.findall(r"def (\w+)\(self, query\):", user)[-1]
        return f'def {name}(self, query):\n    return self.infer_Pillar_(query, "{pillar}")\n'

    @staticmethod
    def _split(user: str) -> str:
        question = re.search(r"Question: (.+)", user).group(1).strip().rstrip("?.!")
        names = re.findall(r"^\d+\. ([^:\n]+):", user, re.M)
        return "\n".join(f"{i}. What would the {n} notice in this: {question}?"
                         for i, n in enumerate(names, 1))

    @staticmethod
    def _facet_answer(user: str, system: str) -> str:
        tone = " ".join(re.findall(r"[A-Za-z]+", system)[1:4]).lower()
        topic = user.split(":")[-1].strip().rstrip("?")
        return f"Seen with {tone}: {topic} is worth a second, slower look."

    def _weave(self, query: str, prompt: str) -> str:
        if self.repetitive:
            return "Everything passes, and so will this; rest now and begin again tomorrow."
        voices = [v[2:].split(":")[0] for v in prompt.splitlines() if v.startswith("- ")]
        return (f"{query.strip().rstrip('?.!')}: that is worth care. "
                f"{' Also, '.join(voices[:2])}, and one small step today helps.")
