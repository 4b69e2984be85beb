"""What a person told the model about a method not written yet: its intent
(``calc intend: 'triple:' As: 'three times n'``) and examples it must answer
(``calc intend: 'triple:' Example: 'calc triple: 2' Gives: 6``).

They are notes about the object, not slots of it: kept in a side table in the object's own
state (``_intents``: selector -> {"intent": text, "examples": [[expression, value]...]}),
so they never show in its printout, its completion or its slot list. Clones carry them.
Images made before core version 6 kept them in ``intents`` and ``examples`` slots;
``move_aside`` brings those over.
"""
from __future__ import annotations

from uvm.runtime.objects import UvmDict, UvmList, UvmObject, instance_dict

OLD_SLOTS = ("intents", "examples")


def notes(obj) -> dict:
    """selector -> its notes (empty for anything but an object with notes)."""
    if not isinstance(obj, UvmObject):
        return {}
    obj._p_activate()
    return instance_dict(obj).get("_intents") or {}


def intent(obj, selector: str) -> str | None:
    text = notes(obj).get(selector, {}).get("intent")
    return text if isinstance(text, str) else None


def examples(obj, selector: str) -> list[tuple[str, object]]:
    """(expression, value) pairs noted for ``selector``."""
    return [(e[0], e[1]) for e in notes(obj).get(selector, {}).get("examples", ())
            if len(e) == 2 and isinstance(e[0], str)]


def _update(obj: UvmObject, selector: str, **changes) -> None:
    table = dict(notes(obj))           # a new dict each time: the object sees the change
    entry = dict(table.get(selector, {}))
    for key, value in changes.items():
        entry[key] = value
    table[selector] = entry
    obj._intents = table


def note_intent(obj: UvmObject, selector: str, text: str) -> None:
    _update(obj, selector, intent=text)


def note_example(obj: UvmObject, selector: str, expression: str, value) -> None:
    old = list(notes(obj).get(selector, {}).get("examples", ()))
    _update(obj, selector, examples=old + [[expression, value]])


def move_aside(lobby: UvmObject) -> int:
    """Turn the ``intents``/``examples`` slots older images kept into side-table notes, in
    every object reachable from ``lobby`` through slots; how many objects changed."""
    moved, seen, todo = 0, {id(lobby)}, [lobby]
    while todo:
        obj = todo.pop()
        obj._p_activate()
        old = {name: obj._slots[name] for name in OLD_SLOTS
               if isinstance(obj._slots.get(name), UvmDict)}
        for selector, text in (old.get("intents") or {}).items():
            if isinstance(text, str):
                note_intent(obj, selector, text)
        for selector, pairs in (old.get("examples") or {}).items():
            for pair in pairs if isinstance(pairs, UvmList) else ():
                if len(pair) == 2:
                    note_example(obj, selector, pair[0], pair[1])
        for name in old:
            obj.remove_slot(name)
        moved += bool(old)
        for value in list(obj._slots.values()):
            if isinstance(value, UvmObject) and id(value) not in seen:
                seen.add(id(value))
                todo.append(value)
    return moved
