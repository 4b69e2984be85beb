"""The UVM object model: persistent objects with slots, their maps, and the runtime's values.

A ``UvmObject`` keeps its slots in a plain ``dict`` inside its own persistent state
(``_slots``: name -> value, in slot order) with a parallel ``_kinds`` dict (name -> kind
code). A plain dict in the object's own state is one record per object and no extra
Persistent attribute lookup per read (a separate ``PersistentMapping`` would be both: the
language-core issue measured about 120 ns against 41 ns per read, and twice the image
size). The price is the seed's Persistence Covenant: Persistent cannot see writes inside
the dict, so every slot write here sets ``_p_changed`` itself.

Each object also has a *map* (Self's hidden class), kept in the volatile ``_v_map``: the
slot layout plus the identity of its constant and parent slot values. Objects with equal
maps answer every message the same way, so lookup results are cached per map
(``Map.targets``). Maps are rebuilt after an object is (re)loaded.
"""
from __future__ import annotations

import weakref

from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

# Slot kind codes, stored in the image (keep them stable).
CONSTANT = 0
ASSIGNABLE = 1
PARENT = 2  # flag, or-ed with CONSTANT / ASSIGNABLE


class Map:
    """Shared, immutable description of objects with the same layout and constant values.

    ``targets`` caches selector -> callable(receiver, *args); the runtime empties entries
    when slots change (see ``uvm.runtime.send``)."""

    __slots__ = ("kinds", "parents", "pins", "targets", "__weakref__")

    def __init__(self, kinds: dict, parents: tuple, pins: tuple):
        self.kinds = kinds
        self.parents = parents      # names of parent slots, in slot order
        self.pins = pins            # constant/parent values: keeps their ids valid
        self.targets: dict = {}


_maps: "weakref.WeakValueDictionary[tuple, Map]" = weakref.WeakValueDictionary()

class Confined:
    """The innermost model-written method running (``call``: receiver, granted object
    ids, arguments; see uvm.runtime.confinement). While one runs, every object made is
    noted in ``made`` (id -> object): its write policy lets it change what it made."""
    __slots__ = ("call", "made", "depth")

    def __init__(self):
        self.call = None
        self.made = {}
        self.depth = 0    # model-written calls nested inside one another


confined = Confined()


def all_maps() -> list[Map]:
    return list(_maps.values())


def map_of(obj: "UvmObject") -> Map:
    """The object's map, computed (and interned) when missing."""
    m = instance_dict(obj).get("_v_map")
    if m is not None:
        return m
    kinds = obj._kinds
    slots = obj._slots
    pins = tuple(slots[n] for n, k in kinds.items() if k != ASSIGNABLE)
    key = (tuple(kinds.items()), tuple(map(id, pins)))
    m = _maps.get(key)
    if m is None:
        m = Map(dict(kinds), tuple(n for n, k in kinds.items() if k & PARENT), pins)
        _maps[key] = m
    obj._v_map = m
    return m


class UvmObject(Persistent):
    """A Self-style object: named slots, some of them parents, living in the image.

    From Python, slots read and write like attributes (``obj.x``, ``obj.x = 3``) and
    messages can be sent (``obj.send('at:Put:', 1, 2)`` or ``obj.at_Put_(1, 2)``).
    Beware: since a missing attribute is a message send, ``getattr(obj, name)`` and
    ``hasattr`` run UVM code; tools that must not run code read ``_slots`` instead."""

    def __init__(self):
        self._slots = {}
        self._kinds = {}
        if confined.call is not None:
            confined.made[id(self)] = self

    # --- slot access used by the runtime -------------------------------------------------
    def define_slot(self, name: str, value, kind: int, annotations: tuple = ()) -> None:
        """Add or replace a slot (the ``_AddSlots:`` primitive and the compiler use this)."""
        old_kind = self._kinds.get(name)
        old_value = self._slots.get(name, _MISSING)
        self._slots[name] = value
        self._kinds[name] = kind
        old_annotations = self.__dict__.get("_annotations") or {}
        if annotations or name in old_annotations:
            ann = dict(old_annotations)
            if annotations:
                ann[name] = tuple(annotations)
            else:
                del ann[name]
            self._annotations = ann
        self._p_changed = True
        if old_kind != kind or (kind != ASSIGNABLE and old_value is not value):
            self._layout_changed(name, parent=bool(kind & PARENT) or bool((old_kind or 0) & PARENT))

    def remove_slot(self, name: str) -> None:
        kind = self._kinds.pop(name)
        del self._slots[name]
        ann = self.__dict__.get("_annotations")
        if ann and name in ann:
            ann = dict(ann)
            del ann[name]
            self._annotations = ann
        self._p_changed = True
        self._layout_changed(name, parent=bool(kind & PARENT))

    def set_slot(self, name: str, value) -> None:
        """Write an existing assignable slot (the covenant: mark the object changed)."""
        self._slots[name] = value
        self._p_changed = True
        if self._kinds[name] & PARENT:
            self._layout_changed(name, parent=True)

    def _layout_changed(self, name: str, parent: bool) -> None:
        self.__dict__.pop("_v_map", None)
        from uvm.runtime import send  # late: send depends on this module
        if parent:
            send.invalidate_all()
        else:
            send.invalidate(name)

    def slot_names(self) -> list[str]:
        return list(self._slots)

    def annotations_of(self, name: str) -> tuple:
        self._p_activate()  # __dict__ alone does not load a ghost
        return (self.__dict__.get("_annotations") or {}).get(name, ())

    def object_annotation(self) -> str | None:
        """The ``{} = '...'`` annotation of the object itself, if any."""
        self._p_activate()
        return self.__dict__.get("_annotation")

    def clone(self) -> "UvmObject":
        """Shallow copy: same slots and values, same map."""
        new = UvmObject.__new__(type(self))
        Persistent.__init__(new)
        new._slots = dict(self._slots)
        new._kinds = dict(self._kinds)  # (this read loaded self if it was a ghost)
        ann = self.__dict__.get("_annotations")
        if ann:
            new._annotations = ann
        notes = self.__dict__.get("_intents")  # what the model is told (uvm.runtime.intents)
        if notes:
            new._intents = notes
        m = instance_dict(self).get("_v_map")
        if m is not None:
            new._v_map = m
        if confined.call is not None:
            confined.made[id(new)] = new
        return new

    # --- the Python face -----------------------------------------------------------------
    def send(self, selector: str, *args):
        from uvm.runtime.send import send
        return send(self, selector, *args)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # Persistent's and ours; UVM slots never start with _
            raise AttributeError(name)
        from uvm.runtime.send import python_attribute
        return python_attribute(self, name)

    def __setattr__(self, name: str, value) -> None:
        if name.startswith("_"):
            Persistent.__setattr__(self, name, value)
            return
        kind = self._kinds.get(name)
        if kind is None:
            self.define_slot(name, value, ASSIGNABLE)
        elif kind & ASSIGNABLE:
            self.set_slot(name, value)
        else:
            raise AttributeError(f"slot {name!r} is a constant slot")

    def __repr__(self) -> str:
        from uvm.runtime.printing import describe
        return f"<UvmObject {describe(self)}>"


_MISSING = object()

# Persistent's attribute access converts every name to bytes before it looks; the runtime's
# hot paths read the instance dict directly instead (a ghost's dict is empty: load it first).
instance_dict = UvmObject.__dict__["__dict__"].__get__
mark_changed = Persistent.__dict__["_p_changed"].__set__


def slots_of(obj: UvmObject) -> dict:
    try:
        return instance_dict(obj)["_slots"]
    except KeyError:
        obj._p_activate()
        return instance_dict(obj)["_slots"]


class Method:
    """A method held in a slot: UVM source (compiled to Python on first use) or Python
    source (the form the model writes). Plain picklable state; the compiled function lives
    in ``_fn`` and is never stored."""

    __slots__ = ("selector", "language", "source", "arg_names", "file", "line", "col",
                 "provenance", "core", "_fn", "__weakref__")

    def __init__(self, selector: str, language: str, source: str, arg_names=(),
                 file: str = "<input>", line: int = 1, col: int = 1,
                 provenance: dict | None = None, core: bool = False):
        self.selector = selector
        self.language = language          # "uvm" or "python"
        self.source = source
        self.arg_names = tuple(arg_names)
        self.file = file
        self.line = line
        self.col = col
        self.provenance = provenance
        self.core = core
        self._fn = None

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__ if k not in ("_fn", "__weakref__")}

    def __setstate__(self, state):
        for k in self.__slots__[:-2]:
            setattr(self, k, state.get(k))
        self._fn = None

    def __repr__(self) -> str:
        return f"<Method {self.selector} ({self.language})>"


class Block:
    """A closure made from a block literal. Lives only while the program runs."""

    __slots__ = ("fn", "arity", "span")

    def __init__(self, fn, arity: int, span=None):
        self.fn = fn
        self.arity = arity
        self.span = span

    def __reduce__(self):
        from uvm.runtime.errors import UvmError
        raise UvmError("a block cannot be stored in the image (blocks live only while "
                       "their program runs)")


class UvmList(PersistentList):
    """UVM's growable sequence; persistent, so in-place changes are saved."""

    def __init__(self, initlist=None):
        PersistentList.__init__(self, initlist)
        if confined.call is not None:
            confined.made[id(self)] = self


class UvmDict(PersistentMapping):
    """UVM's mapping; keeps insertion order like Python's dict."""

    def __init__(self, *args, **kwargs):
        PersistentMapping.__init__(self, *args, **kwargs)
        if confined.call is not None:
            confined.made[id(self)] = self


class UvmTree(Persistent):
    """A large sorted mapping: a BTree (buckets load on demand, so a million entries cost
    nothing until touched) with a separate length, since counting a BTree walks it."""

    def __init__(self):
        from BTrees.Length import Length
        from BTrees.OOBTree import OOBTree
        self._tree = OOBTree()
        self._length = Length()


class Collector:
    """What ``a & b & c`` builds; ``asList`` turns it into a list."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items

    def __getstate__(self):
        return {"items": self.items}

    def __setstate__(self, state):
        self.items = state["items"]
