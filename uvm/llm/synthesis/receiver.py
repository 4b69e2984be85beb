"""What the synthesis pipeline knows about a failed send's receiver: what it understands
(so a typo is not taken for an intent), where a new method for it goes, and how its
values read in a prompt or a message."""
from __future__ import annotations

from uvm.runtime import send as send_mod
from uvm.runtime.objects import Method, UvmDict, UvmObject
# the typo check lives with the runtime (its "did you mean" works without a model too)
from uvm.runtime.typos import parent_chain, start_of, typo_of, understood_selectors  # noqa: F401


def core_objects(lobby: UvmObject) -> set[int]:
    ids = {id(lobby)}
    for name in ("globals", "defaultBehavior", "traits", "mixins"):
        v = lobby._slots.get(name)
        if isinstance(v, UvmObject):
            ids.add(id(v))
    traits = lobby._slots.get("traits")
    if isinstance(traits, UvmObject):
        ids.update(id(v) for v in traits._slots.values() if isinstance(v, UvmObject))
    return ids


def holder_for(receiver, lobby: UvmObject) -> UvmObject:
    """Where the new method goes: a host value's trait; else the nearest user-made object on
    the receiver's parent chain; else the receiver."""
    if not isinstance(receiver, UvmObject):
        return send_mod.trait_of(receiver)
    core = core_objects(lobby)
    for obj in parent_chain(receiver)[1:]:  # a user-made parent is shared by its children
        if id(obj) in core:
            continue
        if any(isinstance(v, Method) and getattr(v, "core", False) for v in obj._slots.values()):
            continue
        return obj
    return receiver


def describe_value(value) -> str:
    from uvm.runtime.printing import describe, number_string, string_literal
    try:
        if isinstance(value, UvmObject):
            s = describe(value)
        elif type(value) in (int, float):
            s = number_string(value)
        elif type(value) is str:
            s = string_literal(value)
        elif value is None:
            s = "nil"
        elif type(value) is bool:
            s = "true" if value else "false"
        elif isinstance(value, UvmDict):  # shown as Python shows a dict (the code sees one)
            s = repr(dict(value.items()))
        else:
            s = repr(value)
    except Exception:  # noqa: BLE001
        s = object.__repr__(value)
    return s if len(s) <= 60 else s[:57] + "..."


def literal_of(value) -> str | None:
    """UVM source that evaluates to ``value`` again, for plain values; else None."""
    from uvm.runtime.printing import number_string, string_literal
    if type(value) in (int, float):
        return number_string(value)
    if type(value) is str:
        return string_literal(value)
    if type(value) is bool:
        return "true" if value else "false"
    if value is None:
        return "nil"
    return None


def example_of(receiver, args: tuple) -> dict:
    """The send as data, so the method can be written again (``uvm methods regenerate``):
    the receiver's and arguments' UVM literals, None where a value has none."""
    return {"receiver": literal_of(receiver), "args": [literal_of(a) for a in args]}


def type_name(value) -> str:
    from collections.abc import Mapping
    if isinstance(value, UvmObject):
        return "object"
    if isinstance(value, (Mapping, UvmDict)):
        return "dictionary"
    if isinstance(value, (list, tuple)) or type(value).__name__ == "UvmList":
        return "list"
    return {int: "integer", float: "float", str: "string", bool: "boolean",
            type(None): "nil"}.get(type(value), type(value).__name__)


def source_of(value) -> str | None:
    """UVM source that makes ``value`` again: a plain value's literal, or an expression
    building a list or a dictionary of such values; None for anything else."""
    from collections.abc import Mapping
    if isinstance(value, (Mapping, UvmDict)):
        puts = []
        for k, v in value.items():
            ks, vs = source_of(k), source_of(v)
            if ks is None or vs is None:
                return None
            puts.append(f"d at: {ks} Put: {vs}.")
        return f"(| d <- dictionary copy | {' '.join(puts)} d)"
    if isinstance(value, (list, tuple)) or type(value).__name__ == "UvmList":
        items = [source_of(v) for v in value]
        if None in items:
            return None
        if len(items) < 2:
            return f"(list copy add: {items[0]})" if items else "list copy"
        return "(" + " & ".join(items) + ") asList"
    return literal_of(value)


def messages_understood(receiver, selector: str, lobby: UvmObject) -> list[str]:
    """The user-made methods the receiver understands, as a Python method sends them
    (``self.area``, ``self.priceOf_(item)``), for a method that should send them."""
    core = core_objects(lobby)
    out, seen = [], {selector}
    for obj in parent_chain(start_of(receiver)):
        if id(obj) in core:
            continue
        for name, value in obj._slots.items():
            if not isinstance(value, Method) or value.core or name in seen or name.startswith("_"):
                continue
            seen.add(name)
            if not name[:1].isalpha():
                continue  # a binary selector has no Python name
            if ":" not in name:
                out.append(f"self.{name}")
            else:
                params = ", ".join(value.arg_names) or ", ".join(
                    f"arg{i + 1}" for i in range(name.count(":")))
                out.append(f"self.{name.replace(':', '_')}({params})")
    return out
