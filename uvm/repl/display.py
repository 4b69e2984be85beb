"""How values look in the REPL without running any UVM code, and how long output is cut.

``short`` is for places that must not send messages (completion menus, ``:inspect`` rows,
graph labels): a user's ``printString`` could loop or fail there. Results of evaluations
use the real printString (see ``session.py``) and then ``truncate``.
"""
from __future__ import annotations

from uvm.runtime.objects import Block, Collector, Method, UvmDict, UvmList, UvmObject
from uvm.runtime.printing import describe, number_string, string_literal

MAX_LINES = 40       # lines of a result shown before it is cut
MAX_CHARS = 4000     # characters of a result shown before it is cut


def truncate(text: str, max_lines: int = MAX_LINES, max_chars: int = MAX_CHARS) -> str:
    """``text`` cut to ``max_lines`` lines and ``max_chars`` characters, saying how much
    was left out and how to see all of it."""
    lines = text.split("\n")
    cut_lines = max(len(lines) - max_lines, 0)
    shown = "\n".join(lines[:max_lines])
    cut_chars = max(len(shown) - max_chars, 0)
    if cut_chars:
        shown = shown[:max_chars]
    if not cut_lines and not cut_chars:
        return text
    left = f"{cut_lines} more lines" if cut_lines else f"{len(text) - len(shown)} more characters"
    return f"{shown}\n... ({left}; `printLine` shows everything)"


def short(value, names=None, width: int = 60) -> str:
    """A one-line picture of ``value`` that never sends a message."""
    if isinstance(value, UvmObject):
        name = names.name(value) if names is not None else None
        text = name if name else describe(value)
    elif value is None:
        text = "nil"
    elif value is True or value is False:
        text = "true" if value else "false"
    elif type(value) in (int, float):
        text = number_string(value)
    elif type(value) is str:
        text = string_literal(value)
    elif type(value) is Method:
        text = f"<{value.language} method {value.selector}>"
    elif isinstance(value, UvmList):
        text = f"a list of {len(value)}"
    elif isinstance(value, UvmDict):
        text = f"a dictionary of {len(value)}"
    elif isinstance(value, Collector):
        text = f"a collector of {len(value.items)}"
    elif isinstance(value, Block):
        text = f"a block of {value.arity} arguments"
    else:
        text = f"<python {type(value).__name__}>"
    return text if len(text) <= width else text[:width - 3] + "..."


def kind_of(value) -> str:
    """'an integer', 'a string', ... for host values; 'an object' for UvmObjects."""
    for test, word in ((lambda v: v is None, "nil"), (lambda v: type(v) is bool, "a boolean"),
                       (lambda v: type(v) is int, "an integer"),
                       (lambda v: type(v) is float, "a float"),
                       (lambda v: type(v) is str, "a string"),
                       (lambda v: isinstance(v, UvmList), "a list"),
                       (lambda v: isinstance(v, UvmDict), "a dictionary"),
                       (lambda v: isinstance(v, Block), "a block"),
                       (lambda v: isinstance(v, Collector), "a collector"),
                       (lambda v: isinstance(v, UvmObject), "an object")):
        if test(value):
            return word
    return f"a Python {type(value).__name__}"
