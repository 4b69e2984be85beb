"""File-out: an object of the image written as readable UVM source that files back in.

The file defines the object at its path from the lobby if it is missing, then adds its
slots with ``_AddSlots:`` -- so filing in creates the object in a fresh image and updates
it in place in an image that has it. Slot values are written as literals where they have
one, as paths from the lobby (``traits clonable``) where the object lives elsewhere in
the image, and as nested object literals for objects only this one holds. Methods keep
their source; a model-written method keeps its provenance in a slot annotation (see
``uvm.runtime.provenance``), which filing in reads back, after a comment saying it in words.
"""
from __future__ import annotations

import datetime
from collections import deque
from typing import Iterator

import uvm
from uvm.runtime import intents
from uvm.runtime.objects import ASSIGNABLE, PARENT, Method, UvmDict, UvmList, UvmObject
from uvm.runtime.printing import number_string, string_literal
from uvm.runtime.provenance import as_annotation, summary
from uvm.syntax import ast as A
from uvm.syntax import parse


class FileOutError(Exception):
    """The path does not name an object, or a value cannot be written as source."""


def resolve_path(lobby: UvmObject, path: str) -> tuple[UvmObject, UvmObject, str]:
    """(object, holder, slot name) for a dotted path of slot names from the lobby."""
    names = [n for n in path.replace(" ", ".").split(".") if n]
    if not names:
        raise FileOutError("give the path of an object from the lobby, e.g. bank or traits.integer")
    holder, obj = None, lobby
    for i, name in enumerate(names):
        owner = _owner_of(obj, name, inherited=i == 0) if isinstance(obj, UvmObject) else None
        if owner is None:
            raise FileOutError(f"no object at {path!r}: {'.'.join(names[:i + 1])!r} is not a slot")
        holder, obj = owner, owner._slots[name]
    if not isinstance(obj, UvmObject):
        raise FileOutError(f"{path!r} holds {obj!r}, not an object")
    return obj, holder, names[-1]


def _owner_of(obj: UvmObject, name: str, inherited: bool) -> UvmObject | None:
    """The object holding slot ``name``: ``obj``, or (for the first name of a path, which
    reads unqualified like code at the top level) one of the lobby's parents."""
    if name in obj._slots:
        return obj
    if inherited:
        for parent, kind in obj._kinds.items():
            value = obj._slots[parent]
            if kind & PARENT and isinstance(value, UvmObject) and name in value._slots:
                return value
    return None


def walk_paths(lobby: UvmObject, inside: UvmObject | None = None,
               limit: int | None = 5) -> Iterator[tuple[UvmObject, str]]:
    """Each object reachable from the lobby through slot names, once (by identity), with the
    shortest send path that reaches it (``traits integer``), breadth first; not looking
    inside ``inside`` (the object being filed out writes its own parts) nor past ``limit``
    names. Lists, dictionaries and trees are not entered (a tree may hold millions)."""
    yield lobby, "lobby"
    seen = {id(lobby)}
    queue = deque()
    # the lobby's own slots and those it inherits from its parents read unqualified
    for source in [lobby] + [lobby._slots[p] for p, k in lobby._kinds.items() if k & PARENT]:
        for name, value in source._slots.items():
            if isinstance(value, UvmObject) and id(value) not in seen:
                seen.add(id(value))
                queue.append((value, name, 1))
    while queue:
        obj, path, depth = queue.popleft()
        yield obj, path
        if (limit is not None and depth >= limit) or obj is inside:
            continue
        for name, value in obj._slots.items():
            if isinstance(value, UvmObject) and id(value) not in seen and name.isidentifier():
                seen.add(id(value))
                queue.append((value, f"{path} {name}", depth + 1))


def _paths(lobby: UvmObject, inside: UvmObject | None = None, limit: int = 5) -> dict[int, str]:
    """id(object) -> its path (see ``walk_paths``)."""
    return {id(obj): path for obj, path in walk_paths(lobby, inside, limit)}


class Writer:
    def __init__(self, lobby: UvmObject, root: UvmObject, root_path: str):
        self.paths = _paths(lobby, inside=root)
        self.paths[id(root)] = root_path  # the file defines it before filling it in
        self.inlining: set[int] = set()

    def value(self, v) -> str:
        if v is None:
            return "nil"
        if v is True or v is False:
            return "true" if v else "false"
        if type(v) in (int, float):
            return number_string(v)
        if type(v) is str:
            return string_literal(v)
        # (a bare code literal in a slot would be a method: blocks make these expressions)
        if type(v) is UvmList:
            if len(v) > 1:
                return "(" + " & ".join(self.value(x) for x in v) + ") asList"
            adds = "".join(f" l add: {self.value(x)}." for x in v)
            return f"[| l | l: list copy.{adds} l] value"
        if type(v) is UvmDict:
            puts = "".join(f" d at: {self.value(k)} Put: {self.value(x)}." for k, x in v.items())
            return f"[| d | d: dictionary copy.{puts} d] value"
        if isinstance(v, UvmObject):
            path = self.paths.get(id(v))
            if path is not None:
                return path
            if id(v) in self.inlining:
                raise FileOutError("the object holds a cycle of objects that have no path from "
                                   "the lobby; give one of them a slot in the lobby first")
            self.inlining.add(id(v))
            try:
                return self.literal(v)
            finally:
                self.inlining.discard(id(v))
        raise FileOutError(f"{v!r} has no source form (only objects, numbers, strings, "
                           "booleans, nil, lists and dictionaries can be filed out)")

    def notes(self, obj: UvmObject, target: str) -> str:
        """The intents and examples noted on ``obj``, as the sends that note them."""
        out = []
        for selector, note in intents.notes(obj).items():
            sel = string_literal(selector)
            if note.get("intent"):
                out.append(f"{target} intend: {sel} As: {string_literal(note['intent'])}.\n")
            for expression, value in note.get("examples", ()):
                out.append(f"{target} intend: {sel} Example: {string_literal(expression)} "
                           f"Gives: {self.value(value)}.\n")
        return "\n" + "".join(out) if out else ""

    def literal(self, obj: UvmObject) -> str:
        body = self.slots(obj, "  ")
        return "(|\n" + body + "|)" if body else "(| |)"

    def slots(self, obj: UvmObject, indent: str) -> str:
        note = obj.object_annotation()
        head = f"{indent}{{}} = {string_literal(note)}.\n" if note else ""
        items = [(obj.annotations_of(name) + _provenance_of(obj._slots[name]),
                  self.slot(obj, name, kind)) for name, kind in obj._kinds.items()]
        return head + _grouped(items, 0, indent)

    def slot(self, obj: UvmObject, name: str, kind: int) -> str:
        value = obj._slots[name]
        star = "*" if kind & PARENT else ""
        if type(value) is Method:
            return method_source(value)
        arrow = "<-" if kind & ASSIGNABLE else "="
        return f"{name}{star} {arrow} {self.value(value)}"


def _provenance_of(value) -> tuple:
    """The annotation that keeps a model-written method's provenance, if it has one."""
    if type(value) is Method and value.language == "python" and value.provenance:
        return (as_annotation(value.provenance),)
    return ()


def _grouped(items: list[tuple[tuple, str]], depth: int, indent: str) -> str:
    """Slot texts, with runs of slots that share an annotation inside one ``{ '...' }``."""
    out, i = [], 0
    while i < len(items):
        ann = items[i][0][depth] if len(items[i][0]) > depth else None
        j = i
        while j < len(items) and (items[j][0][depth] if len(items[j][0]) > depth else None) == ann:
            j += 1
        if ann is None:
            out.extend(_indent(text, indent) + ".\n" for _, text in items[i:j])
        else:
            inner = _grouped(items[i:j], depth + 1, indent + "  ")
            out.append(f"{indent}{{ {string_literal(ann)}\n{inner}{indent}}}\n")
        i = j
    return "".join(out)


def _indent(text: str, by: str) -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def method_source(method: Method) -> str:
    """``selector-with-arguments = (source)`` (or a py''' literal with its provenance)."""
    if method.language == "python":
        head = ""
        if method.provenance:  # (the annotation around it keeps the provenance itself)
            words = f"{method.selector} was written {summary(method.provenance)}"
            head = '"' + words.replace('"', "'") + '"\n'
        body = method.source.rstrip("\n")
        return f"{head}{method.selector} = py'''\n{body}\n'''"
    literal = parse(method.source, "<method>").statements[0]
    own_args = isinstance(literal, A.ObjectLiteral) and any(
        s.kind is A.SlotKind.ARGUMENT for s in literal.slots)
    source = method.source
    if own_args or not method.arg_names:
        return f"{method.selector} = {source}"
    parts = [p + ":" for p in method.selector.split(":") if p]
    if len(parts) == 1 and not method.selector.endswith(":"):  # binary
        return f"{method.selector} {method.arg_names[0]} = {source}"
    return " ".join(f"{p} {a}" for p, a in zip(parts, method.arg_names)) + f" = {source}"


def file_out(lobby: UvmObject, path: str, image_name: str = "") -> str:
    """The UVM source of the object at ``path`` (dotted slot names from the lobby)."""
    obj, holder, name = resolve_path(lobby, path)
    holder_path = "lobby" if holder is lobby else _paths(lobby).get(id(holder))
    if holder_path is None:
        raise FileOutError(f"the object holding {name!r} has no path from the lobby")
    target = name if holder is lobby else f"{holder_path} {name}"
    writer = Writer(lobby, obj, target)
    arrow = "<-" if holder._kinds[name] & ASSIGNABLE else "="
    stamp = datetime.date.today().isoformat()
    return (
        f'"{target}: filed out{" of " + image_name if image_name else ""} by UVM '
        f'{uvm.__version__} on {stamp}. File it in with: uvm filein FILE"\n\n'
        f"({holder_path} _SlotNames includes: {string_literal(name)}) ifFalse: [\n"
        f"  {holder_path} _AddSlots: (| {name} {arrow} (| |) |) ].\n\n"
        f"{target} _AddSlots: (|\n{writer.slots(obj, '  ')}|).\n" + writer.notes(obj, target))
