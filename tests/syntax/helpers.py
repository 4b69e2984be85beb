"""A compact, readable rendering of the AST, so tests can state trees in one line.

``(r sel arg)`` is a send (``_`` is the implicit receiver, ``resend.`` / ``p.`` a resend),
``(|slots| code)`` an object literal, ``[|slots| code]`` a block, ``^x`` a return.
"""
from __future__ import annotations

from uvm.syntax import ast, parse


def fmt(node) -> str:
    if isinstance(node, (ast.Integer, ast.Float, ast.String)):
        return repr(node.value)
    if isinstance(node, ast.Self):
        return "self"
    if isinstance(node, ast.PythonMethod):
        return f"py{node.source!r}"
    if isinstance(node, ast.Return):
        return "^" + fmt(node.value)
    if isinstance(node, ast.Send):
        receiver = "_" if node.receiver is None else fmt(node.receiver)
        if node.resend:
            receiver = node.resend + "."
        if not node.args:
            return f"({receiver} {node.selector})"
        if node.selector.endswith(":"):
            parts = node.selector[:-1].split(":")
            return "(" + receiver + " " + " ".join(
                f"{p}: {fmt(a)}" for p, a in zip(parts, node.args)) + ")"
        return f"({receiver} {node.selector} {fmt(node.args[0])})"
    if isinstance(node, ast.Slot):
        text = "".join("{%s}" % a for a in node.annotations) + node.name
        text += "*" if node.is_parent else ""
        if node.kind is ast.SlotKind.ARGUMENT:
            return ":" + text
        if node.value is None:
            return text
        return f"{text} {node.kind.value} {fmt(node.value)}"
    if isinstance(node, ast.ObjectLiteral):
        slots = ". ".join(fmt(s) for s in node.slots)
        code = "" if node.code is None else " " + ". ".join(fmt(s) for s in node.code)
        note = f" {{}}={node.annotation!r}" if node.annotation is not None else ""
        return f"(|{slots}{note}|{code})"
    if isinstance(node, ast.Block):
        slots = ". ".join(fmt(s) for s in node.slots)
        return f"[|{slots}| " + ". ".join(fmt(s) for s in node.code) + "]"
    raise TypeError(node)


def tree(source: str) -> str:
    """The statements of ``source``, rendered and joined with `` ;; ``."""
    return " ;; ".join(fmt(s) for s in parse(source, "t.uvm").statements)


def only(source: str):
    """The single statement ``source`` parses to."""
    statements = parse(source, "t.uvm").statements
    assert len(statements) == 1, statements
    return statements[0]
