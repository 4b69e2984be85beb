"""Pharo's browsing for the REPL: ``:implementors SELECTOR`` (which objects hold a method
for it) and ``:senders SELECTOR`` (which methods send it), over every object reachable
from the lobby through slots, core world included. No UVM code runs: method sources are
parsed (UVM) or searched (Python), never compiled.
"""
from __future__ import annotations

import dataclasses
import re

from uvm.image.fileout import walk_paths
from uvm.runtime.errors import source_line
from uvm.runtime.objects import Method, UvmObject
from uvm.syntax import UvmSyntaxError, parse
from uvm.syntax import ast as A


@dataclasses.dataclass
class Found:
    path: str          # the holder's path from the lobby
    selector: str      # the slot holding the method
    method: Method
    line: int          # the line in the method's file (of the send, for senders)
    text: str = ""     # that line's text (senders)

    @property
    def written_by_model(self) -> bool:
        return bool((self.method.provenance or {}).get("synthesized"))

    def describe(self) -> str:
        kind = "python method" if self.method.language == "python" else "method"
        mark = ", written by the model" if self.written_by_model else ""
        where = f"{self.method.file}:{self.line}"
        head = f"  {self.path} {self.selector}  ({kind}{mark}, {where})"
        return head + (f"\n      {self.text}" if self.text else "")


def _methods(lobby: UvmObject):
    """(path, selector, method) of every method reachable from the lobby."""
    for obj, path in walk_paths(lobby, limit=None):
        for name, value in list(obj._slots.items()):
            if type(value) is Method:
                yield path, name, value


def implementors(lobby: UvmObject, selector: str) -> list[Found]:
    return [Found(path, name, m, m.line) for path, name, m in _methods(lobby) if name == selector]


def senders(lobby: UvmObject, selector: str) -> list[Found]:
    found = []
    for path, name, method in _methods(lobby):
        for line, text in _sends_in(method, selector):
            found.append(Found(path, name, method, line, text))
    return found


def _sends_in(method: Method, selector: str) -> list[tuple[int, str]]:
    """(line in the method's file, its text) of each line of ``method`` that sends
    ``selector``."""
    lines = method.source.split("\n")
    if method.language == "python":
        # a Python method sends through attributes (self.at_Put_(...)) or send("at:Put:")
        pattern = re.compile(rf"(?<![\w]){re.escape(selector.replace(':', '_'))}(?![\w])"
                             rf"|['\"]{re.escape(selector)}['\"]")
        rel = [i + 1 for i, text in enumerate(lines) if pattern.search(text)]
    else:
        try:
            tree = parse(method.source, method.file)
        except UvmSyntaxError:
            return []
        rel = sorted({node.span.line for node in _nodes(tree)
                      if isinstance(node, A.Send) and node.selector == selector})
    first = method.line if method.language != "python" else method.line + 1
    # the line as its file has it (a REPL input's text is kept), else the method's own
    return [(first + n - 1, source_line(method.file, first + n - 1) or lines[n - 1].strip())
            for n in rel if 0 < n <= len(lines)]


def _nodes(node):
    """Every AST node under ``node``."""
    if isinstance(node, A.Node):
        yield node
        for field in dataclasses.fields(node):
            yield from _nodes(getattr(node, field.name))
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _nodes(item)


def report(found: list[Found], what: str, selector: str) -> str:
    if not found:
        return f"no {what} of {selector}"
    noun = what if len(found) != 1 else what.rstrip("s")
    return f"{len(found)} {noun} of {selector}\n" + "\n".join(f.describe() for f in found)
