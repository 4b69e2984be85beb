"""Bounded builtins and operators: what could start a long C-level loop or a huge
allocation is refused before it starts, because a C loop never returns to the time
limit's signal handler (``watchdog``).

The policy compiles ``*``, ``**``, ``<<`` and ``%`` in model code into the guards below,
and model code gets ``range``, ``pow``, ``sum`` and ``iter`` in these forms. Sizes are
counted in elements (characters of a string, items of a list) and bits of an integer.
"""
from __future__ import annotations

import builtins
import re

MAX_ITEMS = 10_000_000      # a string or list made by repetition, padding or joining
MAX_RANGE = 1_000_000       # the length of a range (sum, sorted, `in` on it loop in C)
MAX_INT_BITS = 1_000_000    # an integer made by *, ** or <<


class BoundError(MemoryError):
    """An operation whose result or loop would exceed a bound: refused before it runs
    (a MemoryError: the bounds are the memory bound's first line)."""


def _refuse(what: str, bound: int, unit: str):
    raise BoundError(f"{what} would exceed {bound:,} {unit} (model-written code is bounded)")


def _bits(n) -> int:
    return n.bit_length() if type(n) is int or type(n) is bool else 0


def _sized(x) -> bool:
    return type(x) in (str, list, tuple)


def mul(a, b):
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        if a.bit_length() + b.bit_length() > MAX_INT_BITS:
            _refuse("an integer product", MAX_INT_BITS, "bits")
    elif _sized(a) and tb in (int, bool):
        if len(a) * b > MAX_ITEMS:
            _refuse("a repetition", MAX_ITEMS, "items")
    elif _sized(b) and ta in (int, bool):
        if len(b) * a > MAX_ITEMS:
            _refuse("a repetition", MAX_ITEMS, "items")
    return a * b


def power(a, b, mod=None):
    if mod is None and type(b) is int and type(a) in (int, bool) and b > 0 and abs(a) > 1:
        if (a.bit_length() - 1) * b > MAX_INT_BITS:
            _refuse("a power", MAX_INT_BITS, "bits")
    if mod is not None:
        return builtins.pow(a, b, mod)
    return a ** b


def lshift(a, b):
    if type(b) is int and _bits(a) + b > MAX_INT_BITS:
        _refuse("a shift", MAX_INT_BITS, "bits")
    return a << b


_WIDTHS = re.compile(r"%[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")


def mod(a, b):
    if type(a) is str:
        for width, precision in _WIDTHS.findall(a):
            if "*" in (width, precision):
                raise BoundError("a '*' width in % formatting is not allowed in model-written code")
            if max(int(width or 0), int(precision or 0)) > MAX_ITEMS:
                _refuse("a % format width", MAX_ITEMS, "characters")
    return a % b


def inplace(op: str, x, y):
    """``x op= y`` (RestrictedPython's ``_inplacevar_``), bounded like the operators."""
    if op == "+=":
        x += y
        return x
    if op == "-=":
        return x - y
    if op == "*=":
        return mul(x, y)
    if op == "**=":
        return power(x, y)
    if op == "<<=":
        return lshift(x, y)
    if op == "%=":
        return mod(x, y)
    if op == "/=":
        return x / y
    if op == "//=":
        return x // y
    if op == ">>=":
        return x >> y
    if op == "&=":
        return x & y
    if op == "|=":
        return x | y
    if op == "^=":
        return x ^ y
    raise BoundError(f"the operator {op} is not allowed")


def bounded_range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        _refuse("a range", MAX_RANGE, "elements")
    return r


def bounded_pow(a, b, mod=None):
    return power(a, b, mod)


def bounded_sum(iterable, start=0):
    if type(start) not in (int, float, bool):
        raise BoundError("sum() adds numbers only in model-written code (join strings with "
                         "''.join, lists with a loop)")
    return builtins.sum(iterable, start)


def bounded_iter(obj, *sentinel):
    if sentinel:
        raise BoundError("iter(callable, sentinel) is not allowed (its loop runs in C)")
    return iter(obj)


# --- string methods that can make a much longer string than they were given ----------------

def _width(n) -> None:
    if type(n) is int and n > MAX_ITEMS:
        _refuse("a padded string", MAX_ITEMS, "characters")


def _padding(name):
    def pad(s, width, *fill):
        _width(width)
        return getattr(str, name)(s, width, *fill)
    return pad


def _replace(s, old, new, count=-1):
    if type(old) is str and type(new) is str and len(new) > len(old):
        times = s.count(old) if old else len(s) + 1
        if count >= 0:
            times = min(times, count)
        if len(s) + times * (len(new) - len(old)) > MAX_ITEMS:
            _refuse("a replace", MAX_ITEMS, "characters")
    return s.replace(old, new, count)


def _expandtabs(s, tabsize=8):
    if type(tabsize) is int and s.count("\t") * tabsize + len(s) > MAX_ITEMS:
        _refuse("expandtabs", MAX_ITEMS, "characters")
    return s.expandtabs(tabsize)


def _join(sep, items):
    items = list(items)
    total = len(sep) * max(len(items) - 1, 0)
    for item in items:
        total += len(item) if type(item) is str else 0
    if total > MAX_ITEMS:
        _refuse("a join", MAX_ITEMS, "characters")
    return sep.join(items)


STRING_METHODS = {"center": _padding("center"), "ljust": _padding("ljust"),
                  "rjust": _padding("rjust"), "zfill": lambda s, w: (_width(w), s.zfill(w))[1],
                  "replace": _replace, "expandtabs": _expandtabs, "join": _join}
STRING_REFUSED = {"format", "format_map", "encode", "translate", "maketrans"}
INT_REFUSED = {"to_bytes", "from_bytes"}
