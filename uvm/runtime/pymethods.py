"""Python methods: slots whose method is Python source (the form the model writes).

The source is one ``def`` whose first parameter is the receiver. It is compiled on first
use after the image is opened. A method a person wrote gets a small set of builtins (no
``open``, ``exec``, ``__import__``...): user code reaches Python modules through the
``python`` object instead. A method the model wrote is compiled and run confined, on
every call (``uvm.runtime.confinement``).
"""
from __future__ import annotations

import ast
import builtins

from uvm.runtime.errors import UvmError
from uvm.runtime.objects import Method

SAFE_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "format",
    "frozenset", "hash", "int", "isinstance", "len", "list", "map", "max", "min", "next",
    "pow", "range", "repr", "reversed", "round", "set", "slice", "sorted", "str", "sum",
    "tuple", "zip", "True", "False", "None", "ValueError", "TypeError", "KeyError",
    "IndexError", "ZeroDivisionError", "ArithmeticError", "Exception", "StopIteration",
    "print",
)}


def compile_python_method(method: Method):
    if (method.provenance or {}).get("synthesized"):
        from uvm.runtime import confinement
        return confinement.compile_method(method)
    try:
        tree = ast.parse(method.source, filename=method.file)
    except SyntaxError as e:
        raise UvmError(f"Python method {method.selector}: {e.msg} (line {e.lineno})") from None
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if len(defs) != 1 or len(tree.body) != 1:
        raise UvmError(f"Python method {method.selector}: the source must be exactly one def")
    ast.increment_lineno(tree, method.line)
    namespace: dict = {"__builtins__": SAFE_BUILTINS}
    exec(compile(tree, method.file, "exec"), namespace)
    return namespace[defs[0].name]
