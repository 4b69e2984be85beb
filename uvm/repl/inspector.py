"""``:inspect``: an object laid open -- its slots, its parents, its methods' source and, for
methods a model wrote, their provenance.

It reads slots directly and sends no messages, so inspecting an object whose
``printString`` is broken still works.
"""
from __future__ import annotations

from uvm.runtime import send
from uvm.runtime.objects import ASSIGNABLE, PARENT, Method, UvmObject, instance_dict, slots_of
from uvm.repl.display import kind_of, short
from uvm.runtime.naming import ObjectNames
from uvm.runtime.provenance import example_text, summary

_METHOD_LINES = 12   # lines of a method's source shown before it is cut


def inspect_value(value, names: ObjectNames) -> str:
    """The text ``:inspect`` shows for ``value``."""
    if not isinstance(value, UvmObject):
        return _inspect_host(value, names)
    slots_of(value)  # load a ghost before reading its dictionary
    title = names.name(value) or "an object"
    lines = [f"{title}: {short(value, None, 200)}"]
    note = instance_dict(value).get("_annotation")
    if note:
        lines.append(f"  {{}} = {note!r}")
    parents = [(n, v) for n, v in value._slots.items() if value._kinds[n] & PARENT]
    lines.append("parents: " + (", ".join(f"{n}* = {short(v, names)}" for n, v in parents)
                                if parents else "none (only its own slots answer messages)"))
    chain = _parent_chain(value, names)
    if len(chain) > 1:
        lines.append("lookup:  " + " -> ".join(chain))
    if not value._kinds:
        lines.append("no slots")
    else:
        lines.append(f"slots ({len(value._kinds)}):")
    for name, kind in value._kinds.items():
        lines.extend(_slot_lines(value, name, kind, names))
    lines.extend(_facet_lines(value))
    lines.extend(_thought_lines(value))
    lines.extend(_memory_lines(value, names))
    return "\n".join(lines)


def _thought_lines(obj: UvmObject) -> list[str]:
    """A thought's trace: its states with their seconds, facets, gate results."""
    from uvm.cognition import thoughts
    if not thoughts.is_thought(obj):
        return []
    return ["trace:"] + ["  " + line for line in thoughts.describe(thoughts.trace_of(obj))]


def _facet_lines(obj: UvmObject) -> list[str]:
    """A persona's facets: which the model has written, which are still only intents."""
    from uvm.cognition.personas import is_persona
    if not is_persona(obj):
        return []
    from uvm.cognition.facets import facet_status
    states = facet_status(obj)
    if not states:
        return ["facets: none (no pillars)"]
    lines = [f"facets ({sum(s.written for s in states)} of {len(states)} written):"]
    for s in states:
        what = "written" if s.written else "only an intent: " + short(s.pillar.intent, None, 70)
        lines.append(f"  {s.selector:<16} {s.pillar.name}: {what}")
    return lines


def _memory_lines(obj: UvmObject, names: ObjectNames) -> list[str]:
    """A memory's links: the memories of its graph (and why), then other objects."""
    from uvm.cognition.memory.store import is_memory
    if not is_memory(obj):
        return []
    from uvm.cognition.memory.bridge import describe, links_with_reasons
    rows = links_with_reasons(obj)
    lines = [describe(obj), "links: none" if not rows else f"links ({len(rows)}):"]
    for target, why in rows:
        lines.append(f"  {why}: {describe(target) if is_memory(target) else short(target, names, 70)}")
    return lines


def _slot_lines(obj: UvmObject, name: str, kind: int, names: ObjectNames) -> list[str]:
    value = obj._slots[name]
    annotations = obj.annotations_of(name)
    tag = f"  {{{' '.join(map(str, annotations))}}}" if annotations else ""
    if type(value) is Method:
        return _method_lines(value, tag, names.name(obj))
    star = "*" if kind & PARENT else ""
    arrow = "<-" if kind & ASSIGNABLE else "="
    return [f"  {name}{star} {arrow} {short(value, names)}{tag}"]


def method_header(method: Method) -> str:
    """``at: i Put: v`` for a method's selector and argument names."""
    sel, args = method.selector, list(method.arg_names)
    if not args:
        return sel
    if not sel[0].isalpha() and sel[0] != "_":          # binary
        return f"{sel} {args[0]}"
    parts = [p + ":" for p in sel.split(":") if p]
    return " ".join(f"{p} {a}" for p, a in zip(parts, args))


def _method_lines(method: Method, tag: str, holder_name: str | None = None) -> list[str]:
    where = f"{method.file}:{method.line}:{method.col}"
    origin = "python method" if method.language == "python" else "method"
    lines = [f"  {method_header(method)} = {origin} ({where}){tag}"]
    if method.provenance:
        lines.append("      written " + summary(method.provenance))
        sent = example_text(method.provenance, method.selector, holder_name)
        if sent:
            lines.append(f"      first sent as: {sent}")
    source = method.source.rstrip("\n").split("\n")
    shown = source[:_METHOD_LINES]
    lines.extend("      " + line for line in shown)
    if len(source) > len(shown):
        lines.append(f"      ... ({len(source) - len(shown)} more lines)")
    return lines


def _parent_chain(obj: UvmObject, names: ObjectNames, limit: int = 8) -> list[str]:
    """The first-parent chain, the path most lookups take: ``point -> traits clonable ->
    lobby``."""
    chain, seen = [], set()
    while isinstance(obj, UvmObject) and id(obj) not in seen and len(chain) < limit:
        seen.add(id(obj))
        chain.append(names.name(obj) or short(obj, None, 30))
        parents = [n for n, k in obj._kinds.items() if k & PARENT]
        obj = obj._slots[parents[0]] if parents else None
    return chain


def _inspect_host(value, names: ObjectNames) -> str:
    trait = send.trait_of(value)
    selectors = selectors_through(trait)
    lines = [f"{short(value, names, 200)}: {kind_of(value)}",
             f"behaviour from {names.name(trait) or short(trait)} "
             f"({len(selectors)} messages, lookup: {' -> '.join(_parent_chain(trait, names))})"]
    own = [s for s in trait._kinds]
    if own:
        lines.append("its trait's own messages: " + " ".join(own))
    return "\n".join(lines)


def selectors_through(start: UvmObject) -> list[str]:
    """Every selector ``start`` answers through its slots and parents (no code runs)."""
    out: dict[str, None] = {}
    seen: set[int] = set()

    def walk(obj) -> None:
        if not isinstance(obj, UvmObject) or id(obj) in seen:
            return
        seen.add(id(obj))
        for name, kind in obj._kinds.items():
            out.setdefault(name)
            if kind & ASSIGNABLE:
                out.setdefault(name + ":")
        for name, kind in obj._kinds.items():
            if kind & PARENT:
                walk(obj._slots[name])

    walk(start)
    return list(out)
