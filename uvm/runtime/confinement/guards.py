"""The names RestrictedPython's rewritten code calls (``_getattr_``, ``_write_``...) and
the builtins model code gets: the policy as a few small functions."""
from __future__ import annotations

import builtins
import operator
import sys

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from uvm.runtime.confinement import bounds
from uvm.runtime.confinement.membrane import (DictView, Facade, ListView, attribute, covenant,
                                              refuse)
from uvm.runtime.confinement.policy import EXCEPTIONS
from uvm.runtime.send import lookup

# Host values whose public attributes model code may read (minus bounds' refusals).
_ATTRIBUTE_TYPES = frozenset((int, float, complex, str, bool, list, tuple, dict, set,
                              frozenset, range, slice))
_ITEM_TYPES = frozenset((str, list, tuple, dict, range, ListView, DictView))
_WRITABLE = frozenset((list, dict, set, Facade, ListView, DictView))
_VIEW_OF = {ListView: list, DictView: dict}


def guarded_getattr(ob, name, *default):
    t = type(ob)
    if type(name) is not str or name[:1] == "_":
        refuse(f"read the attribute {name!r} (names starting with _ are not reachable)")
    if t is Facade:
        return attribute(ob._t, name)
    if t is ListView or t is DictView:
        return getattr(ob, name)
    if t in _ATTRIBUTE_TYPES:
        if t is str:
            if name in bounds.STRING_REFUSED:
                refuse(f"use str.{name}")
            bounded = bounds.STRING_METHODS.get(name)
            if bounded is not None:
                return lambda *args: bounded(ob, *args)
        elif name in bounds.INT_REFUSED and t in (int, bool):
            refuse(f"use int.{name}")
        try:
            return getattr(ob, name)
        except AttributeError:
            if default:
                return default[0]
            raise
    if isinstance(ob, BaseException) and name == "args":
        return ob.args
    refuse(f"read attributes of {_kind(ob)}")


def guarded_hasattr(ob, name) -> bool:
    """Whether ``ob`` has ``name`` -- for a UVM object, whether it understands the
    message, found by lookup: nothing is sent."""
    if type(name) is not str or name[:1] == "_":
        return False
    if type(ob) is Facade:
        from uvm.runtime.objects import UvmObject
        target = ob._t
        if not isinstance(target, UvmObject):
            return False
        selector = name.replace("_", ":") if name.endswith("_") else name
        return lookup(target, selector) is not None
    if type(ob) in _ATTRIBUTE_TYPES or type(ob) in _VIEW_OF:
        return hasattr(ob, name) and name not in bounds.STRING_REFUSED
    return False


def _kind(ob) -> str:
    if callable(ob):
        return "a function"
    return f"a Python {type(ob).__name__}"


def guarded_getitem(ob, index):
    if type(ob) in _ITEM_TYPES:
        return ob[index]
    refuse(f"index {_kind(ob)}")


def guarded_write(ob):
    if type(ob) in _WRITABLE:
        return ob
    refuse(f"change {_kind(ob)}")


def guarded_apply(f, *args, **kwargs):
    return f(*args, **kwargs)


def confined_isinstance(obj, classes) -> bool:
    """``isinstance``, where a view of a UVM list counts as a list (and a dictionary's as
    a dict): model code tests for the Python types it knows."""
    emulated = _VIEW_OF.get(type(obj))
    if emulated is None:
        return isinstance(obj, classes)
    return any(c is emulated for c in (classes if type(classes) is tuple else (classes,)))


class _Printer:
    """RestrictedPython's ``print``: the text goes to standard output, as UVM's does."""

    def __init__(self, _getattr=None):
        pass

    def _call_print(self, *objects, sep=" ", end="\n", **ignored):
        sys.stdout.write(sep.join(str(o) for o in objects) + end)

    def __call__(self):
        return ""


_PLAIN = ("abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate", "filter",
          "float", "frozenset", "hash", "int", "len", "list", "map", "max", "min", "next",
          "ord", "repr", "reversed", "round", "set", "slice", "sorted", "str", "tuple", "zip",
          "True", "False", "None")


def _builtins(bounded: bool) -> dict:
    names = {name: getattr(builtins, name) for name in _PLAIN + EXCEPTIONS}
    names.update(getattr=guarded_getattr, hasattr=guarded_hasattr, isinstance=confined_isinstance)
    if bounded:
        names.update(range=bounds.bounded_range, pow=bounds.bounded_pow, sum=bounds.bounded_sum,
                     iter=bounds.bounded_iter)
    else:
        names.update(range=range, pow=pow, sum=sum, iter=iter)
    return names


BOUNDED_BUILTINS = _builtins(True)
TRUSTED_BUILTINS = _builtins(False)


def namespace(bounded: bool = True) -> dict:
    """The globals of one compiled model-written method."""
    ops = (bounds.mul, bounds.power, bounds.lshift, bounds.mod, bounds.inplace) if bounded else \
        (operator.mul, pow, operator.lshift, operator.mod, _plain_inplace)
    return {
        "__builtins__": BOUNDED_BUILTINS if bounded else TRUSTED_BUILTINS,
        "__name__": "<model>",
        "_getattr_": guarded_getattr, "_getitem_": guarded_getitem, "_getiter_": iter,
        "_write_": guarded_write, "_apply_": guarded_apply, "_print_": _Printer,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_mul_": ops[0], "_pow_": ops[1], "_lshift_": ops[2], "_mod_": ops[3],
        "_inplacevar_": ops[4], "_covenant_": covenant,
    }


_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
            "<<=": operator.ilshift, ">>=": operator.irshift, "&=": operator.iand,
            "|=": operator.ior, "^=": operator.ixor}


def _plain_inplace(op, x, y):
    return _INPLACE[op](x, y)
