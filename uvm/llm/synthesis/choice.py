"""Choosing among candidate methods by the evidence of their runs (CodeT, AlphaCode).

The pipeline samples several candidates in one batched generation and runs each in the
sandbox, inside a savepoint that is rolled back; the ones that raise on the sent
arguments, or answer nothing and change nothing, are out. Among the rest:

- with the user's examples (``intend:...Example:``), only candidates that pass them all
  are left, and the largest group of candidates that agree on the send wins;
- without, candidates are grouped by what the send answered (and, for a method that
  changes ``self``, the receiver's slots after it) -- AlphaCode's clustering. When the
  groups disagree, the model writes a few checks from the selector and the send (CodeT:
  ``calc tripleOf: 4 -> 12``); a group's score is its size times the checks it passes,
  so the candidates that agree with the most checks, and the checks that agree with the
  most candidates, win.

Ties go to the earliest candidate (the first of the batch is the greedy one).
"""
from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field

from uvm.llm.synthesis.receiver import describe_value, source_of
from uvm.runtime.objects import Method, UvmObject

CHECKS_SYSTEM = ("You write examples of how a message is used: other sends of the same "
                 "message, with other arguments, and what each answers.")
CHECKS_ASK = ("Write three other sends of `{selector}` and what each answers, one a line, "
              "as: send -> answer")
# one worked example of the form (from the seed library's isTeen, not a benchmark task)
CHECKS_SHOT = ("The message `isTeen` is sent like this: 15 isTeen\n"
               "What it should do: answer whether the receiver is from 13 to 19\n"
               + CHECKS_ASK.format(selector="isTeen"),
               "13 isTeen -> true\n40 isTeen -> false\n19 isTeen -> true\n")
CHECKS_TOKENS = 72
_LITERAL = re.compile(r"-?\d+(\.\d+)?|'([^'\\]|\\.)*'|true|false|nil")


@dataclass
class Candidate:
    """One candidate method and what its trial run showed."""
    index: int                  # its place in the batch (0 is the greedy one)
    code: str
    outcome: str = ""           # what the send answered (and the receiver's state after)
    passed: int = 0             # model-written checks it passed
    changes_self: bool = False


@dataclass
class Choice:
    candidate: Candidate
    how: str
    groups: list = field(default_factory=list)


@contextlib.contextmanager
def quiet():
    """Trial runs of candidates are rolled back; what they print is dropped with them."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def outcome_of(value, receiver) -> str:
    """What a trial's send showed, for grouping candidates that agree: the answer, and
    an object receiver's slots after the send."""
    shown = _canonical(value)
    if isinstance(receiver, UvmObject):
        shown += " | " + ", ".join(f"{n}={_canonical(v)}" for n, v in sorted(receiver._slots.items())
                                   if not n.startswith("_") and not isinstance(v, (Method, UvmObject)))
    return shown


def _canonical(value) -> str:
    from collections.abc import Mapping
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_canonical(k)}: {_canonical(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)) or type(value).__name__ == "UvmList":
        return "[" + ", ".join(_canonical(v) for v in value) + "]"
    if type(value) is float and value.is_integer():
        return repr(int(value))
    return describe_value(value) if isinstance(value, UvmObject) else repr(value)


def send_text(receiver, selector: str, args: tuple, lobby) -> str | None:
    """UVM source of this send (for the model's own checks), when every part has one."""
    from uvm.runtime.naming import ObjectNames
    head = ObjectNames(lobby).name(receiver) if isinstance(receiver, UvmObject) else source_of(receiver)
    parts = [source_of(a) for a in args]
    if not head or None in parts:
        return None
    if not args:
        return f"{head} {selector}"
    words = [w for w in selector.split(":") if w]
    return head + " " + " ".join(f"{w}: {p}" for w, p in zip(words, parts))


def groups_of(candidates: list[Candidate]) -> list[list[Candidate]]:
    """Candidates grouped by outcome, each group in batch order, groups by first member."""
    out: dict[str, list[Candidate]] = {}
    for c in candidates:
        out.setdefault(c.outcome, []).append(c)
    return sorted(out.values(), key=lambda g: g[0].index)


def by_agreement(candidates: list[Candidate], with_examples: bool) -> Choice:
    groups = groups_of(candidates)
    best = max(groups, key=lambda g: (len(g), -g[0].index))
    n, total = len(best), len(candidates)
    evidence = "its examples, " if with_examples else ""
    how = (f"{evidence}the only candidate left" if total == 1 else
           f"{evidence}all {total} candidates agreed" if len(groups) == 1 else
           f"{evidence}{n} of {total} candidates agreed")
    return Choice(best[0], how, groups)


def by_checks(candidates: list[Candidate], checks: int) -> Choice:
    """CodeT's dual agreement: a group scores its size times the checks it passes."""
    groups = groups_of(candidates)
    best = max(groups, key=lambda g: (len(g) * g[0].passed, len(g), -g[0].index))
    if best[0].passed == 0:
        choice = by_agreement(candidates, False)
        choice.how += f" (no candidate passed the model's {checks} checks)"
        return choice
    return Choice(best[0], f"{best[0].passed} of the model's {checks} checks, "
                           f"{len(best)} of {len(candidates)} candidates agreed", groups)


def checks_messages(selector: str, send: str, intent: str | None) -> list[dict]:
    """The prompt for the model's own checks (CodeT)."""
    ask = f"The message `{selector}` is sent like this: {send}\n"
    if intent:
        ask += f"What it should do: {intent}\n"
    ask += CHECKS_ASK.format(selector=selector)
    return [{"role": "system", "content": CHECKS_SYSTEM},
            {"role": "user", "content": CHECKS_SHOT[0]},
            {"role": "assistant", "content": CHECKS_SHOT[1]},
            {"role": "user", "content": ask}]


def parse_checks(text: str, selector: str, send: str) -> list[tuple[str, str]]:
    """(UVM send, UVM literal) pairs from the model's lines ``send -> answer``: the send
    must be this message (not the original send again) and the answer a plain literal."""
    words = [p for p in selector.split(":") if p]
    out = []
    for line in text.splitlines():
        left, arrow, right = line.strip().strip("`").partition("->")
        left, right = left.strip().strip("`").strip(), right.strip().strip("`").strip().rstrip(".")
        if not arrow or not left or left == send.strip():
            continue
        if not all(re.search(rf"\b{re.escape(w)}\b", left) for w in words):
            continue
        if not _LITERAL.fullmatch(right):
            continue
        if (left, right) not in out:
            out.append((left, right))
    return out[:5]
