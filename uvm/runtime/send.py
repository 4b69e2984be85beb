"""Lookup and send: how a message finds its slot, and the caches that make that cheap.

Lookup is Self's: the receiver's own slots, then its parents in slot order, depth first,
first match wins, each object visited once. Host values (ints, strings, lists, blocks...)
start the lookup at their trait. A lookup result is turned into a *target*, a Python
callable ``target(receiver, *args)``, and cached:

* per map (``Map.targets``) for UvmObjects -- objects with one map behave alike;
* per host type (``_type_targets``) for host values;
* per call site (a ``Site`` in the generated code) for host values, so ``n fib`` on an int
  costs one type check and a call (none when the compiler knows the receiver is an int:
  ``Site.int_target``).

A slot change invalidates exactly the selectors it can affect (the slot's name and its
assignment selector); a parent change, an abort, or switching images empties everything.
"""
from __future__ import annotations

import weakref

from uvm.runtime.errors import UvmError
from uvm.runtime.objects import (ASSIGNABLE, PARENT, Block, Collector, Method, UvmDict,
                                 UvmList, UvmObject, UvmSet, UvmTree, all_maps, bag_of,
                                 instance_dict, map_of, mark_changed, slots_of)


class World:
    """The objects the runtime needs to know by role: the lobby, defaultBehavior and the
    trait of each kind of host value. Built by the image from its lobby."""

    def __init__(self, lobby: UvmObject):
        self.lobby = lobby
        self.refresh()

    def refresh(self) -> None:
        lobby = self.lobby
        traits = lobby._slots["traits"]
        t = traits._slots
        self.default_behavior = lobby._slots["defaultBehavior"]
        self.traits = traits
        self.trait_by_type = {
            int: t["integer"], float: t["float"], str: t["string"], bool: t["boolean"],
            type(None): t["nil"], Block: t["block"], UvmList: t["list"],
            UvmDict: t["dictionary"], Collector: t["collector"], UvmError: t["error"],
        }
        if "tree" in t:  # core version 2 (an older image read without upgrading lacks it)
            self.trait_by_type[UvmTree] = t["tree"]
        if "set" in t:  # core version 5
            self.trait_by_type[UvmSet] = t["set"]
        self.foreign_trait = t["python"]


world: World | None = None
_type_targets: dict[type, dict] = {}

# Called as synthesizer(receiver, message) by the default doesNotUnderstand: when a
# language model is configured (the llm layer installs it; the runtime never imports it).
synthesizer = None


def activate(new_world: World | None) -> None:
    """Make ``new_world`` the one sends resolve in (one image per process at a time)."""
    global world
    world = new_world
    invalidate_all()


def trait_of(value) -> UvmObject:
    """Where lookup starts for a value that is not a UvmObject."""
    t = world.trait_by_type.get(type(value))
    return t if t is not None else world.foreign_trait


# --- call-site caches ----------------------------------------------------------------------

class Site:
    """One send in compiled code: its selector and a monomorphic cache -- the last host
    type it saw, or the last object it saw (valid until an invalidation resets it).

    When that object's message reads or assigns a data slot, the site also remembers the
    holder's slot dictionary (``dobj``, ``slots``, and ``bag``, the same dictionary as an
    object's attributes), so the generated code touches the dictionary without a call (the key is the selector's slot name, which the generated
    code spells out). Two facts make that safe, and both end when a transaction or
    savepoint does: the dictionary stays the holder's (an object
    gets a new one when it is reloaded), and a write site's holder is already marked
    changed (the first, slow write marked it). So ``forget_objects`` must run after every
    commit, abort, savepoint and savepoint rollback."""

    __slots__ = ("type", "obj", "target", "selector", "dobj", "slots", "bag", "int_target",
                 "__weakref__")

    def __init__(self, selector: str):
        self.selector = selector
        self.reset()

    def reset(self) -> None:
        self.type = self.target = self.slots = self.bag = None
        self.obj = self.dobj = _NO_OBJECT
        # What a site whose receiver the compiler knows to be an int calls: until the
        # first send, a resolver that puts the target here (no type test per send).
        self.int_target = self.resolve_int

    def resolve_int(self, receiver, *args):
        target = site_miss(self, receiver)
        if type(receiver) is int:
            self.int_target = target
        return target(receiver, *args)


_NO_OBJECT = object()  # what a site's object cache holds when empty (None is a receiver)
_sites: dict[str, "weakref.WeakSet[Site]"] = {}
_slot_sites: list[Site] = []  # sites whose dobj is set


def new_site(selector: str) -> Site:
    site = Site(selector)
    _sites.setdefault(selector, weakref.WeakSet()).add(site)
    return site


def site_miss(site: Site, receiver):
    """The slow path of a call site: find the target, remember it for host types."""
    if isinstance(receiver, UvmObject):
        target = object_target(receiver, site.selector)
        site.type, site.obj = None, receiver
        data_slot = getattr(target, "data_slot", None)
        if data_slot is not None:
            holder = data_slot[0] or receiver
            site.dobj, site.slots, site.bag = receiver, slots_of(holder), bag_of(holder)
            _slot_sites.append(site)
    else:
        target = host_target(receiver, site.selector)
        site.type, site.obj = type(receiver), _NO_OBJECT
    site.target = target
    return target


# --- targets ---------------------------------------------------------------------------------

def object_target(obj: UvmObject, selector: str):
    m = map_of(obj)
    target = m.targets.get(selector)
    if target is None:
        target = m.targets[selector] = resolve(obj, selector, True)
    return target


def host_target(value, selector: str):
    cache = _type_targets.get(type(value))
    if cache is None:
        cache = _type_targets[type(value)] = {}
    target = cache.get(selector)
    if target is None:
        target = cache[selector] = resolve(trait_of(value), selector, False)
    return target


def target_for(receiver, selector: str):
    if isinstance(receiver, UvmObject):
        return object_target(receiver, selector)
    return host_target(receiver, selector)


def send(receiver, selector: str, *args):
    """Send a message from Python (primitives, the embedding API)."""
    return target_for(receiver, selector)(receiver, *args)


def _assignment_name(selector: str) -> str | None:
    if selector.endswith(":") and selector.count(":") == 1 and not selector.startswith("_"):
        return selector[:-1]
    return None


def _search(obj, selector: str, aname: str | None, seen: set, skip_self: bool = False):
    """Depth-first lookup. Returns (holder, slot name, is_assignment) or None."""
    if not isinstance(obj, UvmObject):
        obj = trait_of(obj)
    if id(obj) in seen:
        return None
    seen.add(id(obj))
    if not skip_self:
        kinds = obj._kinds
        if selector in kinds:
            return obj, selector, False
        if aname is not None and kinds.get(aname, 0) & ASSIGNABLE:
            return obj, aname, True
    slots = obj._slots
    for p in map_of(obj).parents:
        found = _search(slots[p], selector, aname, seen)
        if found is not None:
            return found
    return None


def lookup(start, selector: str):
    """(holder, slot name, is_assignment) for ``selector`` starting at ``start``, or None."""
    return _search(start, selector, _assignment_name(selector), set())


def resolve(start, selector: str, start_is_receiver: bool):
    found = lookup(start, selector)
    if found is None:
        return _dnu_target(selector)
    holder, name, is_assign = found
    return _make_target(holder, name, is_assign, start_is_receiver and holder is start)


def _make_target(holder: UvmObject, name: str, is_assign: bool, own: bool):
    if is_assign:
        if holder._kinds[name] & PARENT:
            return _parent_setter(name, None if own else holder)
        return _own_setter(name) if own else _holder_setter(holder, name)
    kind = holder._kinds[name]
    if kind & ASSIGNABLE:
        return _own_getter(name) if own else _holder_getter(holder, name)
    value = holder._slots[name]
    if type(value) is Method:
        return method_function(value)
    return lambda self, *args, _v=value: _v


def _own_getter(name):
    def get(self):
        try:
            return instance_dict(self)["_slots"][name]
        except KeyError:
            return slots_of(self)[name]
    get.data_slot = (None, name)
    return get


def _holder_getter(holder, name):
    def get(self):
        try:
            return instance_dict(holder)["_slots"][name]
        except KeyError:
            return slots_of(holder)[name]
    get.data_slot = (holder, name)
    return get


def _own_setter(name):
    def set_(self, value):
        try:
            instance_dict(self)["_slots"][name] = value
        except KeyError:
            slots_of(self)[name] = value
        mark_changed(self, True)
        return self
    set_.data_slot = (None, name)
    return set_


def _holder_setter(holder, name):
    def set_(self, value):
        try:
            instance_dict(holder)["_slots"][name] = value
        except KeyError:
            slots_of(holder)[name] = value
        mark_changed(holder, True)
        return self
    set_.data_slot = (holder, name)
    return set_


def _parent_setter(name, holder):
    """Assigning a parent slot changes inheritance: the object's map and every cache."""
    def set_(self, value):
        (holder or self).set_slot(name, value)
        return self
    return set_


def method_function(method: Method):
    """The compiled Python function of a method (compiled on first use)."""
    fn = method._fn
    if fn is None:
        from uvm.runtime.compiler import compile_method, compiled_methods
        fn = method._fn = compile_method(method)
        compiled_methods.add(method)
    return fn


# --- doesNotUnderstand -------------------------------------------------------------------------

class Message:
    """The reified failed send handed to ``doesNotUnderstand:``."""

    __slots__ = ("receiver", "selector", "arguments")

    def __init__(self, receiver, selector: str, arguments: tuple):
        self.receiver = receiver
        self.selector = selector
        self.arguments = arguments


def _dnu_target(selector: str):
    def not_understood(self, *args):
        start = self if isinstance(self, UvmObject) else trait_of(self)
        found = lookup(start, "doesNotUnderstand:")
        if found is None:
            found = lookup(world.default_behavior, "doesNotUnderstand:")
        holder, name, is_assign = found
        handler = _make_target(holder, name, is_assign, holder is self)
        return handler(self, Message(self, selector, args))
    return not_understood


# --- resend ------------------------------------------------------------------------------------

def _holder_of(start, method: Method, seen: set):
    if not isinstance(start, UvmObject):
        start = trait_of(start)
    if id(start) in seen:
        return None
    seen.add(id(start))
    if any(v is method for v in start._slots.values()):
        return start
    for p in map_of(start).parents:
        h = _holder_of(start._slots[p], method, seen)
        if h is not None:
            return h
    return None


def resend(receiver, method: Method, selector: str, parent: str | None, *args):
    """``resend.sel`` (parent None) or the directed ``p.sel`` from inside ``method``:
    the lookup starts above the method's holder, or at the object in its slot ``p``;
    ``self`` stays the receiver."""
    holder = _holder_of(receiver, method, set())
    if holder is None:
        raise UvmError(f"resend of {selector}: cannot find the method's holder")
    aname = _assignment_name(selector)
    if parent is None:
        found = _search(holder, selector, aname, set(), skip_self=True)
    else:
        # Self's rule (its languageTests' testDirectedResendToANonParent): the lookup
        # starts at the object in the holder's slot of that name, parent or not.
        if parent not in holder._kinds:
            raise UvmError(f"directed resend {parent}.{selector}: the method's holder has no "
                           f"slot {parent!r}")
        delegate = holder._slots[parent]
        if type(delegate) is Method:
            raise UvmError(f"directed resend {parent}.{selector}: slot {parent!r} holds a "
                           f"method, not an object to resend to")
        found = _search(delegate, selector, aname, {id(holder)})
    if found is None:
        return _dnu_target(selector)(receiver, *args)
    h, name, is_assign = found
    return _make_target(h, name, is_assign, False)(receiver, *args)


# --- the Python face of objects ------------------------------------------------------------------

def python_attribute(obj: UvmObject, name: str):
    """``obj.x`` reads slot x (or sends unary x); ``obj.at_Put_`` is a keyword sender."""
    if not name.endswith("_"):
        return send(obj, name)
    selector = name.replace("_", ":")
    if lookup(obj, selector) is None and name.count("_") > 1:
        last = name[:-1] + ":"
        if lookup(obj, last) is not None:
            selector = last
    return lambda *args: send(obj, selector, *args)


# --- invalidation ----------------------------------------------------------------------------

_inline_check = None  # set by the compiler: re-checks its inlining guards


def invalidate(name: str) -> None:
    """A slot called ``name`` appeared, vanished or changed its constant value."""
    is_identifier = name[:1].isalpha() or name[:1] == "_"
    selectors = (name, name + ":") if is_identifier and not name.endswith(":") else (name,)
    for m in all_maps():
        for s in selectors:
            m.targets.pop(s, None)
    for cache in _type_targets.values():
        for s in selectors:
            cache.pop(s, None)
    for s in selectors:
        for site in _sites.get(s, ()):
            site.reset()
    if _inline_check is not None:
        _inline_check(selectors)


def forget_objects() -> None:
    """Drop the sites' direct slot-dictionary caches (objects may have been reloaded)."""
    for site in _slot_sites:
        site.dobj, site.slots, site.bag = _NO_OBJECT, None, None
    _slot_sites.clear()


def invalidate_all() -> None:
    """Forget every cached lookup (parent changes, aborts, another image)."""
    for m in all_maps():
        m.targets.clear()
    _type_targets.clear()
    for group in _sites.values():
        for site in group:
            site.reset()
    _slot_sites.clear()
    if _inline_check is not None:
        _inline_check(None)
