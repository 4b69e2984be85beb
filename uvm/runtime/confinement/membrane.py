"""The membrane: what model-written code holds instead of UVM's objects, and the guards
RestrictedPython's rewritten code calls.

Model code never holds a ``UvmObject``, the lobby, a connection or a Python module. A
UVM object reaches it as a ``Facade``: reading ``f.name`` sends the unary message
``name``, ``f.at_Put_(1, 2)`` sends ``at:Put:``, ``f.send('+', 3)`` sends any selector,
``f.x = v`` assigns slot ``x``; what comes back is wrapped the same way. UVM lists and
dictionaries come as ``ListView`` / ``DictView``: Python's sequence and mapping protocol
(``len``, ``in``, indexing, iteration, ``append``...) over the real collection, elements
wrapped as they come out, plus UVM sends for any other name. Host values (numbers,
strings, booleans, nil) pass through. Going the other way, facades and views become
their objects again and plain Python lists, tuples and dicts become UVM lists and
dictionaries.

Refused, whatever the spelling or aliasing (the check runs on the actual selector and
object at the time of the send): selectors starting with ``_`` (primitives), the selector
``python``, ``import:`` to the ``python`` bridge or anything that inherits its
``import:``, the bridge as an argument, and any value that is not a UVM value (a module,
a function, a host object) coming back from a send. Attribute reads on anything else are
limited to public attributes of host values, minus those that read attributes by name or
build much bigger values than they were given (``bounds``).

Writes (``policy of the call``): a confined call may change its receiver, its arguments,
the lists and dictionaries they hold, and objects made during the call; anything else
only if the user approved that object for this method (``grants``). Direct writes
through a facade or a view are checked before they happen (``ConfinementError``). A
write that happens inside a UVM method the model code sent to is seen when the changed
object registers with the image's connection: the write has happened, so the refusal is
``ConfinementBreach``, a ``BaseException`` that neither model code nor ``onError:`` can
catch, and the evaluation is rolled back. Not seen that way: an object that was already
changed earlier in the same transaction, or one made earlier in this evaluation and not
stored yet (neither is part of the committed image before this evaluation).

Granted capabilities (issue 16 builds on this): ``CAPABILITIES`` is the one place where
the policy can be widened. A capability is a callable ``(target, selector) -> bool``;
when one answers true for a send, that send runs as ordinary UVM code would (its writes
are not checked against the call's policy). None are registered by default; a persona's
``infer:System:`` is an ordinary send and needs none: its Python runs ``trusted``.
"""
from __future__ import annotations

from uvm.runtime import objects
from uvm.runtime import send as send_mod
from uvm.runtime.confinement import bounds
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import (Block, Collector, UvmDict, UvmList, UvmObject, UvmTree,
                                 instance_dict)

HOST = frozenset((int, float, str, bool, type(None)))
CONTAINERS = (UvmList, UvmDict, list, dict)
LIST_MUTATORS = frozenset(("add:", "at:Put:", "removeFirst", "removeLast", "remove:",
                           "addAll:", "addFirst:", "removeAll", "removeKey:", "at:IfAbsentPut:"))

# Callables (target, selector) -> bool; see the module docstring. Issue 16's tools
# register theirs here.
CAPABILITIES: list = []


class ConfinementError(UvmError):
    """Model-written code tried something the membrane refuses; nothing was done."""


class ConfinementBreach(BaseException):
    """A write the policy refuses has already happened (inside a UVM method the model
    code sent to): the evaluation must roll back, so nothing in it may catch this."""
    reported_as_is = True  # uvm.runtime.errors.as_uvm_error shows the message alone


def refuse(why: str):
    raise ConfinementError(f"model-written code cannot {why}")


# --- the calls in progress and their write policy ---------------------------------------------

# The innermost confined call: objects.confined.call is (receiver, granted ids, *arguments).
confined = objects.confined
# Set while writes are being recorded rather than refused (approval mode's first run):
# id -> object changed that the policy would have refused.
recording: dict | None = None


def may_change(obj) -> bool:
    """Whether the innermost confined call may change ``obj``."""
    call = confined.call
    if call is None:
        return True
    receiver, grants, *args = call
    if obj is receiver or any(obj is a for a in args):
        return True
    if confined.made.get(id(obj)) is obj:
        return True
    if grants and getattr(obj, "_p_oid", None) in grants:
        return True
    if isinstance(obj, CONTAINERS) and _held_by(obj, (receiver, *args)):
        return True
    if recording is not None:
        recording[id(obj)] = obj
        return True
    return False


def _held_by(obj, roots, depth: int = 3) -> bool:
    """Whether ``obj`` is a collection held by one of ``roots`` (in a slot or as an
    element of a collection they hold, a few levels down)."""
    for root in roots:
        if isinstance(root, UvmObject):
            values = root._slots.values()
        elif isinstance(root, (UvmList, list)):
            values = root
        elif isinstance(root, (UvmDict, dict)):
            values = root.values()
        else:
            continue
        inner = []
        for v in values:
            if v is obj:
                return True
            if isinstance(v, CONTAINERS):
                inner.append(v)
        if inner and depth > 1 and _held_by(obj, inner, depth - 1):
            return True
    return False


def check_write(obj) -> None:
    if not may_change(obj):
        refuse(f"change {_name(obj)}: a model-written method may change only its receiver, "
               f"its arguments and what it made (approve the method for that object in "
               f"approval mode to allow it)")


def _name(obj) -> str:
    from uvm.runtime.naming import ObjectNames
    from uvm.runtime.printing import describe
    lobby = send_mod.world.lobby if send_mod.world is not None else None
    try:
        name = ObjectNames(lobby).name(obj) if lobby is not None else None
    except Exception:  # noqa: BLE001 -- naming is a courtesy
        name = None
    if name:
        return name
    if isinstance(obj, UvmObject):
        return describe(obj)
    return "a list" if isinstance(obj, (UvmList, list)) else "a dictionary"


class RegisterGuard:
    """Wraps a connection's ``register`` (called when a stored object changes for the
    first time in a transaction): during a confined call, a change the policy refuses
    is a breach. The object is registered first, so the rollback restores it."""

    def __init__(self, original):
        self.original = original

    def __call__(self, obj):
        self.original(obj)
        if confined.call is not None and not _registered_ok(obj):
            raise ConfinementBreach(
                f"model-written code changed {_name(obj)} through a UVM send; a model-written "
                f"method may change only its receiver, its arguments and what it made")


_tree_call = None  # the call whose write to a tree guarded_send allowed


def _registered_ok(obj) -> bool:
    if isinstance(obj, (UvmObject, UvmList, UvmDict)):
        return may_change(obj)
    # the buckets of a tree, which the send that changed it was checked for
    return type(obj).__module__.startswith("BTrees") and _tree_call is confined.call


def guard_connection(jar) -> None:
    """Install ``RegisterGuard`` on ``jar`` (once)."""
    if jar is not None and not isinstance(jar.__dict__.get("register"), RegisterGuard):
        jar.register = RegisterGuard(jar.register)


# --- sends ---------------------------------------------------------------------------------

_bridge: tuple = (None, None)   # (world, the compiled import: of the python bridge)


def _bridge_import():
    global _bridge
    world = send_mod.world
    if _bridge[0] is not world:
        fn = None
        try:
            py = world.lobby._slots["globals"]._slots["python"]
            fn = send_mod.target_for(py, "import:")
        except (KeyError, AttributeError):
            pass
        _bridge = (world, fn)
    return _bridge[1]


def is_bridge(obj) -> bool:
    """The ``python`` object, a clone of it, or anything inheriting its ``import:``."""
    return isinstance(obj, UvmObject) and send_mod.target_for(obj, "import:") is _bridge_import()


def guarded_send(target, selector, args: tuple):
    """Send ``selector`` from model code: check it, unwrap the arguments, wrap the answer."""
    if type(selector) is not str or not selector:
        refuse("send a message whose selector is not a string")
    if selector[0] == "_":
        refuse(f"send the primitive {selector} (primitives are not reachable from "
               f"model-written code)")
    if selector == "python":
        refuse("reach the python object (it is granted to user code only)")
    if args:
        real_args = tuple([a if type(a) in HOST else unwrap(a) for a in args])
        for a in real_args:
            if type(a) is UvmObject and is_bridge(a):
                refuse("pass the python object on (it is granted to user code only)")
    else:
        real_args = args
    if CAPABILITIES and any(cap(target, selector) for cap in CAPABILITIES):
        return wrap(_unconfined_send(target, selector, real_args))
    if type(target) is UvmObject:
        fn = send_mod.object_target(target, selector)
        if selector == "import:" and fn is _bridge_import():
            refuse("import Python modules (the python object is granted to user code only)")
        data = getattr(fn, "data_slot", None)
        if data is not None and real_args:  # an assignment: to the receiver or a holder
            check_write(data[0] or target)
        elif real_args and selector.endswith(":") and selector.count(":") == 1 \
                and getattr(fn, "__name__", "") == "set_":  # a parent slot's assignment
            found = send_mod.lookup(target, selector)
            check_write(found[0] if found else target)
        return wrap(fn(target, *real_args))
    if type(target) in (list, dict):
        refuse("send UVM messages to a Python list or dict")
    if selector in LIST_MUTATORS and isinstance(target, (UvmList, UvmDict, UvmTree)):
        check_write(target)
        if type(target) is UvmTree:  # its buckets register as they change: let them
            global _tree_call
            _tree_call = confined.call
    return wrap(send_mod.send(target, selector, *real_args))


def _unconfined_send(target, selector, args):
    saved, confined.call = confined.call, None
    try:
        return send_mod.send(target, selector, *args)
    finally:
        confined.call = saved


def _keyword_selector(target, name: str) -> str:
    """``at_Put_`` -> ``at:Put:``; a selector whose parts hold ``_`` resolves like the
    runtime's Python face does (``send.python_attribute``)."""
    selector = name.replace("_", ":")
    if name.count("_") > 1 and isinstance(target, UvmObject) \
            and send_mod.lookup(target, selector) is None:
        last = name[:-1] + ":"
        if send_mod.lookup(target, last) is not None:
            selector = last
    return selector


class Sender:
    """A keyword message waiting for its arguments (``f.at_Put_``), or ``f.send``."""

    __slots__ = ("_target", "_selector")

    def __init__(self, target, selector):
        self._target, self._selector = target, selector

    def __call__(self, *args):
        if self._selector is None:  # f.send(selector, *args)
            if not args:
                refuse("send without a selector")
            return guarded_send(self._target, args[0], args[1:])
        return guarded_send(self._target, self._selector, args)

    def __repr__(self):
        return f"<send {self._selector or ''}>"


# --- facades --------------------------------------------------------------------------------

class Facade:
    """A UVM object as model code sees it: attributes and calls are UVM sends."""

    __slots__ = ("_t",)

    def __init__(self, target):
        object.__setattr__(self, "_t", target)

    def __getattr__(self, name: str):
        return attribute(self._t, name)

    def __setattr__(self, name: str, value) -> None:
        set_slot(self._t, name, value)

    def __delattr__(self, name: str) -> None:
        refuse(f"remove the slot {name!r}")

    def __eq__(self, other):
        return type(other) is type(self) and other._t is self._t

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._t) if not isinstance(self._t, UvmObject) else id(self._t)

    def __repr__(self):
        return _print_string(self._t)

    __str__ = __repr__

    def __call__(self, *args):
        if type(self._t) is Block:
            return guarded_send(self._t, _value_selector(len(args)), args)
        refuse("call an object (send it a message instead)")


def _binary(selector):
    def op(self, other):
        return guarded_send(self._t, selector, (other,))
    return op


for _dunder, _selector in (("__add__", "+"), ("__sub__", "-"), ("__mul__", "*"),
                           ("__truediv__", "/"), ("__floordiv__", "//"), ("__mod__", "%"),
                           ("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">=")):
    setattr(Facade, _dunder, _binary(_selector))


def _value_selector(n: int) -> str:
    return "value" if n == 0 else "value:" + "With:" * (n - 1)


def _print_string(target) -> str:
    s = send_mod.send(target, "printString")
    return s if type(s) is str else "an object"


def attribute(target, name: str):
    if name[:1] == "_":
        refuse(f"read {name!r} (names starting with _ are not reachable)")
    if name == "send":
        return Sender(target, None)
    if name[-1] == "_":
        return Sender(target, _keyword_selector(target, name))
    return guarded_send(target, name, ())


def set_slot(target, name: str, value) -> None:
    if name[:1] == "_":
        refuse(f"assign {name!r} (names starting with _ are not reachable)")
    if not isinstance(target, UvmObject):
        refuse("assign a slot of a value that is not an object")
    check_write(target)
    real = value if type(value) in HOST else unwrap(value)
    if type(real) is UvmObject and is_bridge(real):
        refuse("store the python object (it is granted to user code only)")
    UvmObject.__setattr__(target, name, real)


def covenant(receiver) -> None:
    """``self._p_changed = True``: mark the receiver changed (the Persistence Covenant)."""
    target = receiver._t if type(receiver) is Facade else receiver
    if isinstance(target, UvmObject):
        check_write(target)
        objects.mark_changed(target, True)


# --- views of collections ------------------------------------------------------------------

def _data(target):
    """The Python list behind a UVM list; a UVM dictionary is a mapping itself (its keys
    compare with UVM equality)."""
    return target.data if isinstance(target, UvmList) else target


class ListView:
    """A UVM list (or a Python list held in a slot) as model code sees it."""

    __slots__ = ("_t",)

    def __init__(self, target):
        object.__setattr__(self, "_t", target)

    def __len__(self):
        return len(_data(self._t))

    def __iter__(self):
        for x in list(_data(self._t)):
            yield x if type(x) in HOST else wrap(x)

    def __reversed__(self):
        for x in reversed(list(_data(self._t))):
            yield x if type(x) in HOST else wrap(x)

    def __contains__(self, x):
        return (x if type(x) in HOST else unwrap(x)) in _data(self._t)

    def __getitem__(self, i):
        data = _data(self._t)
        if type(i) is slice:
            return [x if type(x) in HOST else wrap(x) for x in data[i]]
        x = data[i]
        return x if type(x) in HOST else wrap(x)

    def __setitem__(self, i, value):
        check_write(self._t)
        if type(i) is slice:
            self._t[i] = [unwrap(v) for v in value]
        else:
            self._t[i] = value if type(value) in HOST else unwrap(value)
        _changed(self._t)

    def __delitem__(self, i):
        check_write(self._t)
        del self._t[i]
        _changed(self._t)

    def __eq__(self, other):
        return list(self) == (list(other) if isinstance(other, (ListView, list, tuple)) else other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __bool__(self):
        return len(self) > 0

    def __add__(self, other):
        return list(self) + list(other)

    def __radd__(self, other):
        return list(other) + list(self)

    def __mul__(self, n):
        return bounds.mul(list(self), n)

    def __iadd__(self, other):
        self.extend(other)
        return self

    def __repr__(self):
        return _print_string(self._t)

    __str__ = __repr__

    def __getattr__(self, name):
        method = _LIST_READS.get(name)
        if method is not None:
            return lambda *a: method(self, *a)
        method = _LIST_WRITES.get(name)
        if method is not None:
            return lambda *a: _mutate(self._t, method, a)
        return attribute(self._t, name)

    def __setattr__(self, name, value):
        refuse("assign an attribute of a list")


def _changed(target) -> None:
    if isinstance(target, (list, dict)):  # a plain container held in a slot: the covenant
        return
    objects.mark_changed(target, True)


def _mutate(target, method, args):
    check_write(target)
    result = method(target, *[a if type(a) in HOST else unwrap(a) for a in args])
    _changed(target)
    return result if type(result) in HOST else wrap(result)


_LIST_READS = {
    "count": lambda v, x: list(v).count(x),
    "index": lambda v, x, *a: list(v).index(x, *a),
    "copy": lambda v: list(v),
}
_LIST_WRITES = {
    "append": lambda t, x: t.append(x),
    "extend": lambda t, xs: t.extend(list(xs)),
    "insert": lambda t, i, x: t.insert(i, x),
    "pop": lambda t, *i: t.pop(*i),
    "remove": lambda t, x: t.remove(x),
    "clear": lambda t: t.clear() if hasattr(t, "clear") else t.__delitem__(slice(None)),
    "reverse": lambda t: t.reverse(),
    "sort": lambda t, key=None, reverse=False: t.sort(
        key=None if key is None else (lambda x: key(wrap(x))), reverse=reverse),
}


class DictView:
    """A UVM dictionary (or a Python dict held in a slot) as model code sees it."""

    __slots__ = ("_t",)

    def __init__(self, target):
        object.__setattr__(self, "_t", target)

    def __len__(self):
        return len(_data(self._t))

    def __iter__(self):
        for k in list(_data(self._t)):
            yield k if type(k) in HOST else wrap(k)

    def __contains__(self, k):
        return (k if type(k) in HOST else unwrap(k)) in _data(self._t)

    def __getitem__(self, k):
        v = _data(self._t)[k if type(k) in HOST else unwrap(k)]
        return v if type(v) in HOST else wrap(v)

    def __setitem__(self, k, v):
        check_write(self._t)
        self._t[k if type(k) in HOST else unwrap(k)] = v if type(v) in HOST else unwrap(v)
        _changed(self._t)

    def __delitem__(self, k):
        check_write(self._t)
        del self._t[k if type(k) in HOST else unwrap(k)]
        _changed(self._t)

    def __eq__(self, other):
        return dict(self.items()) == (dict(other.items()) if isinstance(other, (DictView, dict))
                                      else other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __bool__(self):
        return len(self) > 0

    def __repr__(self):
        return _print_string(self._t)

    __str__ = __repr__

    def keys(self):
        return list(self)

    def values(self):
        return [wrap(v) for v in list(_data(self._t).values())]

    def items(self):
        return [(wrap(k), wrap(v)) for k, v in list(_data(self._t).items())]

    def get(self, k, default=None):
        v = _data(self._t).get(k if type(k) in HOST else unwrap(k), _MISSING)
        return default if v is _MISSING else wrap(v)

    def copy(self):
        return dict(self.items())

    def __getattr__(self, name):
        method = _DICT_WRITES.get(name)
        if method is not None:
            return lambda *a: _mutate(self._t, method, a)
        return attribute(self._t, name)

    def __setattr__(self, name, value):
        refuse("assign an attribute of a dictionary")


_MISSING = object()
_DICT_WRITES = {
    "pop": lambda t, k, *d: t.pop(k, *d),
    "setdefault": lambda t, k, d=None: t.setdefault(k, d),
    "update": lambda t, other=(): t.update(other),
    "clear": lambda t: t.clear(),
    "popitem": lambda t: t.popitem(),
}


# --- wrapping and unwrapping ----------------------------------------------------------------

_VIEWS = (Facade, ListView, DictView)


def wrap(value):
    """A UVM value as model code may hold it (refused when it is no UVM value)."""
    t = type(value)
    if t in HOST or t in _VIEWS:
        return value
    if t is UvmList or t is list:
        return ListView(value)
    if t is UvmDict or t is dict:
        return DictView(value)
    if isinstance(value, UvmObject):
        d = instance_dict(value)
        f = d.get("_v_facade")
        if f is None:
            f = d["_v_facade"] = Facade(value)
        return f
    if t in (Block, Collector, UvmTree) or isinstance(value, UvmError):
        return Facade(value)
    if t is tuple:
        return tuple(wrap(v) for v in value)
    from uvm.runtime.printing import describe
    refuse(f"hold {describe(value) if isinstance(value, UvmObject) else 'a Python object'} "
           f"(only UVM values reach model-written code)")


def unwrap(value, _seen=None):
    """What model code hands back, as a UVM value: facades and views become their
    objects, plain lists, tuples, sets and dicts new UVM lists and dictionaries."""
    t = type(value)
    if t in HOST:
        return value
    if t in _VIEWS:
        return object.__getattribute__(value, "_t")
    if t in (list, tuple, set, frozenset, range):
        _seen = _seen if _seen is not None else {}
        made = _seen.get(id(value))
        if made is None:
            made = _seen[id(value)] = UvmList()
            made.extend(v if type(v) in HOST else unwrap(v, _seen) for v in value)
        return made
    if t is dict:
        _seen = _seen if _seen is not None else {}
        made = _seen.get(id(value))
        if made is None:
            made = _seen[id(value)] = UvmDict()
            for k, v in value.items():
                made[unwrap(k, _seen)] = unwrap(v, _seen)
        return made
    if t in (map, filter, zip, enumerate, reversed) or t.__name__ in ("generator", "list_iterator"):
        return unwrap(list(value), _seen)
    if isinstance(value, BaseException):
        refuse("hand back an exception object (raise it instead)")
    refuse("hand back a Python function or object (only UVM values leave model-written code)")

