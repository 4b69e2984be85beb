"""Finding what an expression denotes without running it.

Completion (and ``:inspect`` of a plain path) must never run user code, so a receiver is
only resolved when reading slots is enough: a literal (``3``, ``'abc'``, a block), ``self``
or ``lobby``, and a chain of unary sends that each read a *data* slot (``traits integer``,
``point x``). A send that would run a method, a binary or keyword send, a local variable
whose value is unknown: all of these make the expression not static.
"""
from __future__ import annotations

from uvm.runtime import send
from uvm.runtime.objects import Block, Method, UvmObject
from uvm.syntax.lexer import ScanError, Scanner

OPEN = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
CLOSE = {v: k for k, v in OPEN.items()}
OPERAND_END = frozenset({"INTEGER", "FLOAT", "STRING", "SELF", "NAME", "RPAR", "RSQB"})


class NotStatic(Exception):
    """The expression's value cannot be known without running code."""


def scan(text: str):
    """(tokens, state) for ``text``: the tokens the scanner hands out before any error, and
    'code' (scanned cleanly), 'open' (a bracket is still open), 'literal' (the text ends
    inside a string, comment or Python literal) or 'error' (a lexical error)."""
    scanner = Scanner(text)
    tokens = []
    try:
        for tok in scanner.tokens():
            tokens.append(tok)
    except ScanError as err:
        if not err.incomplete:
            return tokens, "error"
        return tokens, "open" if err.message.startswith("unmatched") else "literal"
    return tokens, "code"


def matching_open(tokens: list, close_index: int) -> int:
    """Index of the bracket that the closing bracket at ``close_index`` closes (-1: none)."""
    depth = 0
    for i in range(close_index, -1, -1):
        kind = tokens[i].type
        if kind in CLOSE:
            depth += 1
        elif kind in OPEN:
            depth -= 1
            if depth == 0:
                return i
    return -1


def resolve(tokens: list, lobby: UvmObject, local_names=()) -> object:
    """The value of the expression ``tokens`` (a primary and unary sends), or NotStatic."""
    if not tokens:
        raise NotStatic("nothing to resolve")
    first = tokens[0]
    rest = 1
    if first.type in ("INTEGER", "FLOAT", "STRING"):
        value = first.value
    elif first.type == "SELF":
        value = lobby
    elif first.type == "NAME":
        if first.value in local_names:
            raise NotStatic(f"{first.value} is a local variable")
        value = _data_slot(lobby, first.value)
    elif first.type in ("LPAR", "LSQB"):
        end = _closing(tokens, 0)
        inner = tokens[1:end]
        if first.type == "LSQB":
            value = Block(None, 0)                  # any block: only its trait matters
        elif inner and inner[0].type == "VBAR":
            raise NotStatic("an object literal")
        else:
            value = resolve(inner, lobby, local_names)
        rest = end + 1
    else:
        raise NotStatic(f"{first.value!r} starts no static expression")
    for tok in tokens[rest:]:
        if tok.type != "NAME":
            raise NotStatic(f"{tok.value!r} is not a unary send")
        value = _data_slot(value, tok.value)
    return value


def _closing(tokens: list, open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(tokens)):
        kind = tokens[i].type
        if kind in OPEN:
            depth += 1
        elif kind in CLOSE:
            depth -= 1
            if depth == 0:
                return i
    raise NotStatic("an unclosed bracket")


def _data_slot(receiver, name: str):
    """The value of the data slot ``name`` answers for ``receiver``, found by lookup."""
    found = send.lookup(receiver, name)
    if found is None:
        raise NotStatic(f"{name} is not understood")
    holder, slot, is_assignment = found
    value = holder._slots[slot]
    if is_assignment or type(value) is Method:
        raise NotStatic(f"{name} is a method: it would have to run")
    return value


def resolve_text(text: str, lobby: UvmObject) -> object:
    """The value of a whole expression such as ``traits integer`` (NotStatic otherwise)."""
    tokens, state = scan(text)
    tokens = [t for t in tokens if t.type not in ("_NL",)]
    if state != "code":
        raise NotStatic("unfinished text")
    if tokens and tokens[-1].type == "_DOT":
        tokens = tokens[:-1]
    return resolve(tokens, lobby)


def lookup_start(value) -> UvmObject:
    """The object where lookup of messages to ``value`` starts."""
    return value if isinstance(value, UvmObject) else send.trait_of(value)
