"""UVM equality, hashing and ordering for the runtime's own algorithms.

``includes:``, ``indexOf:``, ``remove:``, dictionary keys, sets and ``sorted`` use the
elements' UVM ``=``, ``hash`` and ``<`` (Self's rule), never the host's ``==`` -- where
``1 == True`` and a list equals nothing but a list -- or Python's ordering.

Fast paths: for strings and numbers the host's equality, hashing and ordering are what the
core world's methods answer, so while those methods are in effect (``refresh_fast_types``,
called with the compiler's inline guards) the host's are used directly.
"""
from __future__ import annotations

from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import FAST_KEY_TYPES, UvmList, rekey_all

_HOST_VALUES = (int, float, str, bool, type(None))


def equal(a, b) -> bool:
    """UVM ``a = b`` (``a`` is in control)."""
    ta = type(a)
    if ta in FAST_KEY_TYPES:
        tb = type(b)
        if ta is str:
            return tb is str and a == b
        return (tb is int or tb is float) and a == b
    return send_mod.send(a, "=", b) is True


def hash_of(value) -> int:
    """UVM ``value hash``: an integer that agrees with ``=``."""
    if type(value) in FAST_KEY_TYPES:
        return hash(value)
    h = send_mod.send(value, "hash")
    if type(h) is not int:
        from uvm.runtime.printing import print_string
        raise UvmError(f"hash must answer an integer; {print_string(value)} answered "
                       f"{print_string(h)}")
    return h


def identity_hash(value) -> int:
    """The default ``hash``: agrees with ``==`` (values of the host compare by value)."""
    if type(value) in _HOST_VALUES:
        return hash(value)
    return object.__hash__(value)


def lists_equal(a: UvmList, b) -> bool:
    """Lists are ``=`` when their elements are ``=`` in order."""
    if type(b) is not UvmList:
        return False
    xs, ys = a.data, b.data
    return len(xs) == len(ys) and all(x is y or equal(x, y) for x, y in zip(xs, ys))


def list_hash(a: UvmList) -> int:
    return hash(tuple(hash_of(x) for x in a.data))


def index_of(items: list, x) -> int:
    """The index of the first element ``=`` to ``x`` (``x = e`` is asked), or -1."""
    tx = type(x)
    if tx is str and str in FAST_KEY_TYPES:
        for i, y in enumerate(items):
            if type(y) is str and y == x:
                return i
        return -1
    if (tx is int or tx is float) and tx in FAST_KEY_TYPES:
        for i, y in enumerate(items):
            ty = type(y)
            if (ty is int or ty is float) and y == x:
                return i
        return -1
    for i, y in enumerate(items):
        if y is x or equal(x, y):
            return i
    return -1


class _Ordered:
    """A sort key that orders by UVM ``<``."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __lt__(self, other: "_Ordered") -> bool:
        answer = send_mod.send(self.value, "<", other.value)
        if answer is True or answer is False:
            return answer
        raise UvmError("sorted: < must answer a boolean")


def sorted_values(items: list) -> list:
    """``items`` in the order of their UVM ``<``."""
    types = set(map(type, items))
    if (types <= {int, float} and types <= FAST_KEY_TYPES) or (types == {str} and str in FAST_KEY_TYPES):
        return sorted(items)
    return sorted(items, key=_Ordered)


def refresh_fast_types(host_rules_hold: dict) -> None:
    """``host_rules_hold``: type -> whether its trait's ``=``, ``hash`` and ``<`` are the
    core world's. Indexes built under other rules are rebuilt."""
    before = set(FAST_KEY_TYPES)
    for t, ok in host_rules_hold.items():
        if ok:
            FAST_KEY_TYPES.add(t)
        else:
            FAST_KEY_TYPES.discard(t)
    if FAST_KEY_TYPES != before:
        rekey_all()
