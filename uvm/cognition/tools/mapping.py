"""Selectors that spell an operation, the methods generated for them, and the tool audit.

A selector maps to an operation of the capability's document without the model when its
keyword parts spell the operationId and its required parameters in their declared order
(``getBook:`` -> getBook(bookId); ``convertCurrency:From:To:`` -> convertCurrency(amount,
from, to); ``addBook:Author:`` -> addBook with a JSON body whose required properties are
title and author), optionally followed by optional parameters in any order
(``searchBooks:Limit:``); an operation with no required parameter is a unary selector
(``listBooks``). The method generated for it is Python that calls only the capability:

    def getBook_(self, bookId):
        return self.call_With_('getBook', {'bookId': bookId})

Every method of a tool proxy -- generated here or written by the model -- passes the
guardian's audit and then ``audit_tool_method``: ``self`` is used only to call the
proxy's operations and its doors (``call:With:``, ``get:``, ``post:Body:``...), so a
tool's method reaches nothing but its capability.
"""
from __future__ import annotations

import ast

from uvm.cognition.tools import spec as specs
from uvm.llm.synthesis.guardian import CovenantViolationError, Signature

# The proxy's doors to its capability (traits tool), as Python attribute names.
DOORS = {"call:With:": "call_With_", "get:": "get_", "get:Query:": "get_Query_",
         "post:Body:": "post_Body_", "put:Body:": "put_Body_", "patch:Body:": "patch_Body_",
         "delete:": "delete_"}


def selector_parts(op: dict) -> tuple[list[str], list[dict]]:
    """The keyword parts of an operation's selector and the parameter each stands for."""
    req = specs.required(op)
    if not req:
        return [op["name"]], []
    return [op["name"]] + [specs.keyword_part(p["name"]) for p in req[1:]], req


def operation_for(operations, selector: str) -> tuple[dict, list[dict]] | None:
    """(operation, the parameters in the selector's order) for a selector that spells
    one, else None."""
    parts = [p for p in selector.split(":") if p] if selector.endswith(":") else [selector]
    unary = not selector.endswith(":")
    for op in operations:
        if not op.get("id"):
            continue
        base, params = selector_parts(op)
        if unary:
            if not params and selector == op["name"]:
                return op, []
            continue
        if not params or parts[:len(base)] != base:
            continue
        rest = parts[len(base):]
        optional = {specs.keyword_part(p["name"]): p for p in specs.optional(op)}
        if len(set(rest)) == len(rest) and all(r in optional for r in rest):
            return op, params + [optional[r] for r in rest]
    return None


def selectors_of(operations) -> list[str]:
    """The selector each mapped operation answers (its required parameters only)."""
    out = []
    for op in operations:
        if op.get("id"):
            base, params = selector_parts(op)
            out.append("".join(p + ":" for p in base) if params else base[0])
    return out


def generated_source(selector: str, op: dict, params: list[dict]) -> tuple[str, Signature]:
    """The Python method for ``selector``, calling the capability's operation, and its
    signature."""
    names = [specs.python_name(p["name"]) for p in params]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):  # two parameters that read alike (path id, body id)
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[i] = f"{n}{seen[n]}"
    signature = Signature.for_selector(selector, tuple(names))
    pairs = ", ".join(f"{p['name']!r}: {n}" for p, n in zip(params, names))
    return (f"{signature.source()}\n    return self.call_With_({op['id']!r}, {{{pairs}}})\n",
            signature)


def allowed_calls(operations) -> tuple[set[str], set[str]]:
    """What a tool method may use on ``self``: the keyword operations' methods and the
    doors (called), and the unary operations (read: a unary send)."""
    called, read = set(DOORS.values()), set()
    for s in selectors_of(operations):
        (called if s.endswith(":") else read).add(Signature.for_selector(s).name)
    return called, read


def audit_tool_method(code: str, operations) -> None:
    """``self`` only as ``self.<keyword operation or door>(...)`` or ``self.<unary
    operation>``; raises CovenantViolationError."""
    fn = ast.parse(code).body[0]
    called, read = allowed_calls(operations)
    funcs = {id(n.func) for n in ast.walk(fn) if isinstance(n, ast.Call)}
    uses = set()
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "self"):
            continue
        uses.add(id(node.value))
        ok = node.attr in called if id(node) in funcs else node.attr in read
        if not ok:
            shown = ", ".join(sorted(f"self.{a}(...)" for a in called - set(DOORS.values()))[:6]
                              + sorted(f"self.{a}" for a in read)[:4])
            raise CovenantViolationError(
                "a tool's method may use self only to call its tool's operations",
                node.lineno, f"self.{node.attr}{'(...)' if id(node) in funcs else ''} is not "
                f"one (they are: {shown or 'none'}; or self.call_With_(operationId, arguments))")
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id == "self" and id(node) not in uses:
            raise CovenantViolationError("a tool's method uses self only to call its "
                                         "operations (it may not pass self on)",
                                         getattr(node, "lineno", 1))
