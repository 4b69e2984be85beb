"""The membrane's widening for tools: what model-written code may send as user code would.

``uvm.runtime.confinement.membrane.CAPABILITIES`` is the one place where the policy of
model-written code can be widened. Tools widen it for two kinds of send: to a tool proxy
(any selector: the proxy's own methods and its capability's checks decide what happens),
and looking a tool up by name (``tools library``, a unary selector other than the
toolbox's own). Granting, revoking and setting secrets stay out of reach: model code
that tries them is refused by the membrane's write policy and by the toolbox itself.

It is registered when the tools' bridge is first imported, which every door of the
toolbox and of ``traits tool`` does (``_PyImport:``) before anything is sent: in a fresh
process, a stored model-written method that uses a tool widens the membrane by its first
send to one. It imports only the runtime.
"""
from __future__ import annotations

from uvm.runtime import send as send_mod
from uvm.runtime.objects import PARENT, UvmObject

TRAIT, TOOLBOX = "tool", "toolbox"


def trait(name: str):
    world = send_mod.world
    return world.traits._slots.get(name) if world is not None else None


def inherits(obj, parent) -> bool:
    if parent is None or not isinstance(obj, UvmObject):
        return False
    seen, todo = set(), [obj]
    while todo:
        o = todo.pop()
        if o is parent:
            return True
        if id(o) in seen or not isinstance(o, UvmObject):
            continue
        seen.add(id(o))
        todo += [o._slots[p] for p, k in o._kinds.items() if k & PARENT]
    return False


def capability_send(target, selector: str) -> bool:
    """For ``membrane.CAPABILITIES``: a send to a tool proxy, or a tool looked up by name."""
    if type(target) is not UvmObject:
        return False
    slots = target._slots
    if "toolName" in slots:
        return inherits(target, trait(TRAIT))
    if ":" in selector or selector in ("names", "granted", "outbox"):
        return False
    return any(slots[p] is trait(TOOLBOX) for p, k in target._kinds.items() if k & PARENT)


def register() -> None:
    from uvm.runtime.confinement import membrane
    if capability_send not in membrane.CAPABILITIES:
        membrane.CAPABILITIES.append(capability_send)
