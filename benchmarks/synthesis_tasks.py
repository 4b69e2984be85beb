"""The synthesis benchmark's tasks: what one task is, and the helpers the two sets use.

Two sets, written by hand for this benchmark: ``synthesis_dev.DEV`` (tune on it) and
``synthesis_heldout.HELDOUT`` (report it; its individual results are never shown). Each
covers six kinds: arithmetic, string, list, dictionary, state (methods that update
``self``) and self-send (methods that send other messages to ``self``).

A task is what a user does: make the receiver (``setup``), send the message (``send``);
the model writes the method there. It runs in three modes:

(a) ``plain``     the selector and the send only;
(b) ``intent``    and ``holder intend: 'sel' As: '...'`` before the send;
(c) ``examples``  and ``holder intend: 'sel' Example: '...' Gives: v`` instead of the intent.

Then the checker sends it again with other arguments (``checks``: UVM expression ->
expected Python value, run in order in the same image), so a method that only fits the
first send or the examples fails. ``reference`` is a correct method: the benchmark runs it
on every task before it runs anything else, and refuses to run when anything the system
is given (the seed library, the method writer's training data) is a near-copy of one.
"""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("arithmetic", "string", "list", "dictionary", "state", "self-send")
MODES = ("plain", "intent", "examples")
CALC = "lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)."


@dataclass(frozen=True)
class Task:
    name: str
    kind: str
    holder: str           # where intend: goes: the object or trait that gets the method
    selector: str
    send: str             # the first send: the model writes the method here
    intent: str
    examples: tuple       # ((UVM expression, expected Python value), ...)  -- mode (c)
    checks: tuple         # ((UVM expression, expected Python value), ...)  -- other arguments
    reference: str        # a correct method, as the pipeline's signature spells it
    setup: str = CALC


def _task(kind, holder, setup):
    def make(selector, send, intent, examples, checks, reference, name=None):
        return Task(name or selector, kind, holder, selector, send, intent, tuple(examples),
                    tuple(checks), reference.strip("\n") + "\n", setup)
    return make


num = _task("arithmetic", "traits integer", "")          # methods on integers
calc = _task("arithmetic", "calc", CALC)                 # methods of a user-made object
text = _task("string", "traits string", "")              # methods on strings
lst = _task("list", "calc", CALC)                        # list arguments
lst_self = _task("list", "traits list", "")              # methods on lists
dic = _task("dictionary", "calc", CALC)                  # dictionary arguments
text_dic = _task("dictionary", "traits string", "")      # strings answering dictionaries


def obj(kind: str, name: str, slots: str, then: str = ""):
    """Tasks on ``name``, an object made with ``slots`` (UVM slot list source), and
    ``then`` run after it."""
    return _task(kind, name, f"lobby _AddSlots: (| {name} = (| parent* = traits clonable. "
                             f"{slots} |) |). {then}".rstrip())


def L(*items) -> str:
    """UVM source for a list of numbers or strings."""
    from uvm.llm.synthesis.receiver import literal_of
    if len(items) == 1:
        return f"(list copy add: {literal_of(items[0])})"
    return "(" + " & ".join(literal_of(i) for i in items) + ") asList"


def D(**entries) -> str:
    """UVM source for a dictionary (insertion order kept)."""
    from uvm.llm.synthesis.receiver import literal_of
    puts = " ".join(f"d at: {literal_of(k)} Put: {literal_of(v)}." for k, v in entries.items())
    return f"(| d <- dictionary copy | {puts} d)"
