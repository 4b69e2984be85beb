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

import sys
import weakref

from persistent import Persistent
from persistent.list import PersistentList

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
        name = sys.intern(name)  # (see __setstate__)
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

    def __setstate__(self, state) -> None:
        """Loading: slot names become interned strings again. Generated code reads slots
        with interned names (``slots['x']``, ``bag.x``); Python's dictionary lookup and its
        specialized attribute access compare keys by identity first, and an unpickled name
        is a fresh string (a slot read took twice as long after a reload)."""
        Persistent.__setstate__(self, state)
        d = instance_dict(self)
        for attr in ("_slots", "_kinds"):
            table = d.get(attr)
            if table:
                d[attr] = {sys.intern(k): v for k, v in table.items()}

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

    def __repr__(self) -> str:  # UVM's form, even in a host traceback
        from uvm.runtime.printing import describe
        return describe(self)


_MISSING = object()

# Persistent's attribute access converts every name to bytes before it looks; the runtime's
# hot paths read the instance dict directly instead (a ghost's dict is empty: load it first).
instance_dict = UvmObject.__dict__["__dict__"].__get__
mark_changed = Persistent.__dict__["_p_changed"].__set__


class SlotBag:
    """An object whose ``__dict__`` is a UvmObject's slot dictionary: Python's attribute
    access on it (``bag.x``), which the interpreter specializes, costs about two thirds
    of a dictionary subscript (``slots['x']``). Call sites that keep reading or writing
    one object's data slot go through it (``send.Site``). Volatile, like the sites."""


def bag_of(obj: UvmObject) -> SlotBag:
    """The object's slot bag (made on first use; a reloaded object gets a new one)."""
    slots = slots_of(obj)
    bag = instance_dict(obj).get("_v_bag")
    if bag is None or bag.__dict__ is not slots:
        bag = SlotBag()
        bag.__dict__ = slots
        obj._v_bag = bag
    return bag


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
    """UVM's growable sequence; persistent, so in-place changes are saved.

    UVM code compares elements with UVM's ``=`` (see ``uvm.runtime.equality``), never
    with the host's ``==`` that PersistentList inherits (``1 == True`` there)."""

    def __init__(self, initlist=None):
        PersistentList.__init__(self, initlist)
        if confined.call is not None:
            confined.made[id(self)] = self


# --- collections keyed by UVM equality ---------------------------------------------------------
#
# Dictionaries and sets find their keys with the keys' own UVM ``hash`` and ``=`` (Self's
# rule), so ``true`` and ``1`` are two keys, a list can be a key and an object that defines
# ``=`` and ``hash`` is found by value. Values whose host equality and hashing agree with
# UVM's (``FAST_KEY_TYPES``: strings and numbers while their traits' ``=``/``hash`` are the
# core world's) are their own index key, so the common case costs one dict lookup; every
# other key is wrapped in a ``Key`` that asks UVM.
#
# A UVM hash is only valid in the process (and world) that computed it -- identity hashes
# are addresses, string hashes are salted -- so the index is volatile (``_v_index``): the
# image stores the (key, value) pairs in order and the index is rebuilt on first use after
# the object is loaded.

FAST_KEY_TYPES: set = {str, int, float}  # kept current by uvm.runtime.equality
_indexed: "weakref.WeakSet" = weakref.WeakSet()  # containers that have an index built


class Key:
    """A dictionary or set key that compares with UVM ``=`` and hashes with UVM ``hash``.
    As in Self, the probe is in control: ``probe = stored`` is what is asked."""

    __slots__ = ("value", "hash")

    def __init__(self, value):
        from uvm.runtime.equality import hash_of  # late: equality sends messages
        self.value = value
        self.hash = hash_of(value)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other) -> bool:
        if type(other) is not Key:
            return NotImplemented
        if self.value is other.value:
            return True
        from uvm.runtime.equality import equal
        return equal(other.value, self.value)


def key_of(value):
    """The index key of a UVM value."""
    return value if type(value) in FAST_KEY_TYPES else Key(value)


def value_of_key(key):
    return key.value if type(key) is Key else key


class Keyed(Persistent):
    """What dictionaries and sets share: an ordered index by UVM equality, rebuilt from
    the stored entries when needed (see above)."""

    def index(self) -> dict:
        """key_of(key) -> value, in insertion order."""
        idx = self._v_index
        if idx is None:
            idx = self._rebuild()
        return idx

    def _rebuild(self) -> dict:
        pending = self.__dict__.get("_v_pending") or ()
        idx = {}
        for k, v in pending:
            idx[key_of(k)] = v
        self._v_index = idx
        self._v_pending = None
        _indexed.add(self)
        return idx

    def entries(self) -> list:
        """The (key, value) pairs in order, keys as UVM sees them."""
        idx = self.__dict__.get("_v_index")
        if idx is None:
            self._p_activate()
            idx = self.__dict__.get("_v_index")
            if idx is None:
                return list(self.__dict__.get("_v_pending") or ())
        return [(value_of_key(k), v) for k, v in idx.items()]

    def forget_index(self) -> None:
        """Drop the index (the rules for fast keys changed); rebuilt on next use."""
        if self.__dict__.get("_v_index") is not None:
            self._v_pending = self.entries()
            self._v_index = None

    def __len__(self) -> int:
        return len(self.index())

    def __contains__(self, key) -> bool:
        return key_of(key) in self.index()


def rekey_all() -> None:
    """FAST_KEY_TYPES changed: every index built so far must be built again."""
    for container in list(_indexed):
        container.forget_index()
    _indexed.clear()


class UvmDict(Keyed):
    """UVM's mapping: keys found by UVM equality, insertion order kept (like Python's).
    The Python face is a small mapping API (``get``, ``items``, ``d[k]``...)."""

    def __init__(self, pairs=()):
        Persistent.__init__(self)
        items = pairs.items() if hasattr(pairs, "items") else pairs
        self._v_index = None
        self._v_pending = list(items)
        self._rebuild()
        if confined.call is not None:  # (model-written code may change what it made)
            confined.made[id(self)] = self

    def __getstate__(self):
        return {"items": self.entries()}

    def __setstate__(self, state):
        items = state.get("items")
        if items is None:  # an image written before core version 5: PersistentMapping's
            items = list((state.get("data") or state.get("_container") or {}).items())
        self._v_pending = items
        self._v_index = None

    # the Python face
    def get(self, key, default=None):
        return self.index().get(key_of(key), default)

    def __getitem__(self, key):
        return self.index()[key_of(key)]

    def __setitem__(self, key, value) -> None:
        self.index()[key_of(key)] = value
        self._p_changed = True

    def __delitem__(self, key) -> None:
        del self.index()[key_of(key)]
        self._p_changed = True

    def __iter__(self):
        return iter([value_of_key(k) for k in self.index()])

    def keys(self) -> list:
        return [value_of_key(k) for k in self.index()]

    def values(self) -> list:
        return list(self.index().values())

    def items(self) -> list:
        return self.entries()


class UvmSet(Keyed):
    """UVM's set: elements found by UVM equality (kept in insertion order)."""

    def __init__(self, elements=()):
        Persistent.__init__(self)
        self._v_index = None
        self._v_pending = [(e, None) for e in elements]
        self._rebuild()
        if confined.call is not None:  # (model-written code may change what it made)
            confined.made[id(self)] = self

    def __getstate__(self):
        return {"elements": [k for k, _ in self.entries()]}

    def __setstate__(self, state):
        self._v_pending = [(e, None) for e in state.get("elements") or ()]
        self._v_index = None

    def elements(self) -> list:
        return [value_of_key(k) for k in self.index()]


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
