"""What the synthesis pipeline knows about a failed send's receiver: what it understands
(so a typo is not taken for an intent), where a new method for it goes, and how its
values read in a prompt or a message."""
from __future__ import annotations

from uvm.runtime import send as send_mod
from uvm.runtime.objects import Method, UvmObject
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
    if isinstance(value, UvmObject):
        return "object"
    return {int: "integer", float: "float", str: "string", bool: "boolean",
            type(None): "nil"}.get(type(value), type(value).__name__)
