"""The primitives: the only behaviour written in Python. Everything else in the core world
is UVM source in ``uvm/stdlib`` that calls these.

A primitive is sent like a message whose selector starts with ``_`` (``_Clone``,
``_AddSlots: x``); the compiler calls the Python function directly with the receiver and
the arguments. A primitive given the wrong kind of value raises a UvmError naming itself.
"""
from __future__ import annotations

import importlib
import math
import sys

from transaction.interfaces import TransientError

from uvm.runtime import equality
from uvm.runtime.errors import UvmError, as_uvm_error
from uvm.runtime.objects import (FAST_KEY_TYPES, Block, Collector, Key, Method, UvmDict,
                                 UvmList, UvmObject, UvmSet, UvmTree)
from uvm.runtime.printing import (describe_value, in_message, message_description,
                                  number_string, print_string, string_literal)
from uvm.runtime import send as send_mod
from uvm.runtime.send import Message, send

PRIMITIVES: dict = {}


def primitive(selector: str):
    def register(fn):
        PRIMITIVES[selector] = fn
        return fn
    return register


def _fail(selector: str, why: str):
    raise UvmError(f"primitive {selector} failed: {why}")


# --- objects ------------------------------------------------------------------------------------

@primitive("_Identical:")
def _identical(a, b):
    if type(a) in (int, float, str) and type(a) is type(b):
        return a == b
    return a is b


@primitive("_Clone")
def _clone(obj):
    if isinstance(obj, UvmObject):
        return obj if send_mod.world is not None and obj is send_mod.world.lobby else obj.clone()  # the lobby is an oddball
    if type(obj) is UvmList:
        return UvmList(obj.data)
    if type(obj) is UvmDict:
        return UvmDict(obj.entries())
    if type(obj) is UvmSet:
        return UvmSet(obj.elements())
    return obj


@primitive("_AddSlots:")
def _add_slots(obj, source):
    if not isinstance(obj, UvmObject) or not isinstance(source, UvmObject):
        _fail("_AddSlots:", "receiver and argument must be objects")
    for name, kind in source._kinds.items():
        obj.define_slot(name, source._slots[name], kind, source.annotations_of(name))
    note = source.object_annotation()
    if note is not None:  # the object annotation {} = '...' travels with the slots
        obj._annotation = note
    return obj


@primitive("_RemoveSlot:")
def _remove_slot(obj, name):
    if not isinstance(obj, UvmObject) or name not in obj._kinds:
        _fail("_RemoveSlot:", f"no slot named {name!r}")
    obj.remove_slot(name)
    return obj


@primitive("_Intend:As:")
def _intend_as(obj, selector, text):
    from uvm.runtime import intents
    if not isinstance(obj, UvmObject) or type(selector) is not str or type(text) is not str:
        _fail("_Intend:As:", "an object, a selector string and a text string are needed")
    intents.note_intent(obj, selector, text)
    return obj


@primitive("_Intend:Example:Gives:")
def _intend_example(obj, selector, expression, value):
    from uvm.runtime import intents
    if not isinstance(obj, UvmObject) or type(selector) is not str or type(expression) is not str:
        _fail("_Intend:Example:Gives:", "an object, a selector string and an expression "
              "string are needed")
    intents.note_example(obj, selector, expression, value)
    return obj


@primitive("_SlotNames")
def _slot_names(obj):
    return UvmList(list(obj._kinds) if isinstance(obj, UvmObject) else [])


@primitive("_ObjectPrintString")
def _object_print_string(obj):
    if type(obj) is Message:
        return message_description(obj)
    return describe_value(obj)


@primitive("_IdentityHash")
def _identity_hash(obj):
    return equality.identity_hash(obj)


@primitive("_Hash")
def _hash(value):
    return hash(value) if type(value) in (int, float, str) else equality.identity_hash(value)


@primitive("_Write:")
def _write(obj, text):
    if type(text) is not str:
        _fail("_Write:", "the argument must be a string")
    sys.stdout.write(text)
    return obj


@primitive("_Error:")
def _error(obj, message):
    raise UvmError(message if type(message) is str else print_string(message))


@primitive("_DoesNotUnderstand:")
def _does_not_understand(obj, message: Message):
    """The default doesNotUnderstand:. With a synthesizer installed (a model is configured;
    see ``send.synthesizer``) the missing method is written instead of failing."""
    if send_mod.synthesizer is not None and not message.selector.startswith("_"):
        return send_mod.synthesizer(obj, message)
    from uvm.runtime.typos import did_you_mean
    raise UvmError(f"doesNotUnderstand: #{message.selector}, sent to {_short(obj)}"
                   + did_you_mean(obj, message.selector), selector=message.selector, receiver=obj)


_short = in_message


@primitive("_With:")
def _with(a, b):
    return Collector([a, b])


# --- numbers ----------------------------------------------------------------------------------------

def _too_large(selector: str, a, b=None):
    shown = _short(a) if b is None else f"{_short(a)} {selector} {_short(b)}"
    raise UvmError(f"{selector}: the result of {shown} is too large for a float")


def _numeric(selector, op, name):
    def prim(a, b):
        if type(b) not in (int, float) or type(a) not in (int, float):
            _fail(selector, f"{_short(a if type(a) not in (int, float) else b)} is not a number")
        try:
            return op(a, b)
        except OverflowError:
            _too_large(name, a, b)
    PRIMITIVES[selector] = prim


def _divide(a, b):
    if b == 0:
        raise UvmError("division by zero")
    if type(a) is int and type(b) is int:
        q, r = divmod(a, b)
        return q if r == 0 else a / b
    return a / b


def _floor_div(a, b):
    if b == 0:
        raise UvmError("division by zero")
    return a // b


def _remainder(a, b):
    """Self's ``%``: the remainder of division truncated toward zero, so it has the sign
    of the receiver (``-7 % 2`` is ``-1``, ``7 % -2`` is ``1``)."""
    if b == 0:
        raise UvmError("division by zero")
    if type(a) is int and type(b) is int:
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    return math.fmod(a, b)


def _power(a, b):
    try:
        return a ** b
    except ZeroDivisionError:
        raise UvmError("division by zero (0 ** a negative number)") from None
    except OverflowError:
        _too_large("**", a, b)


for _sel, _op, _name in (
    ("_Add:", lambda a, b: a + b, "+"), ("_Sub:", lambda a, b: a - b, "-"),
    ("_Mul:", lambda a, b: a * b, "*"), ("_Div:", _divide, "/"),
    ("_FloorDiv:", _floor_div, "//"), ("_Mod:", _remainder, "%"), ("_Pow:", _power, "**"),
    ("_Lt:", lambda a, b: a < b, "<"), ("_Gt:", lambda a, b: a > b, ">"),
    ("_Le:", lambda a, b: a <= b, "<="), ("_Ge:", lambda a, b: a >= b, ">="),
):
    _numeric(_sel, _op, _name)


@primitive("_NumEq:")
def _num_eq(a, b):
    return type(b) in (int, float) and a == b


@primitive("_Gcd:")
def _gcd(a, b):
    if type(a) is not int or type(b) is not int:
        _fail("gcd:", f"{_short(b)} is not an integer")
    return math.gcd(a, b)


@primitive("_Abs")
def _abs(a):
    return abs(a)


@primitive("_Negated")
def _negated(a):
    return -a


@primitive("_Sqrt")
def _sqrt(a):
    if a < 0:
        _fail("_Sqrt", "square root of a negative number")
    try:
        return math.sqrt(a)
    except OverflowError:  # an integer too large for a float may still have a float root
        try:
            return float(math.isqrt(a))
        except OverflowError:
            raise UvmError(f"sqrt: the square root of {_short(a)} is too large for a float") from None


@primitive("_AsFloat")
def _as_float(a):
    try:
        return float(a)
    except OverflowError:
        raise UvmError(f"asFloat: {_short(a)} is too large for a float") from None
    except (ValueError, TypeError):
        _fail("_AsFloat", f"{_short(a)} is not a number")


@primitive("_AsInteger")
def _as_integer(a):
    try:
        if type(a) is str:
            from uvm.syntax.integers import parse_integer
            return parse_integer(a.strip())
        return int(a)
    except (ValueError, OverflowError, TypeError):
        _fail("_AsInteger", f"{_short(a)} is not an integer")


@primitive("_NumPrintString")
def _num_print_string(a):
    return number_string(a) if type(a) in (int, float) else describe_value(a)


# --- booleans -------------------------------------------------------------------------------------

def _selector_for(n: int) -> str:
    return "value" if not n else "value:" + "With:" * (n - 1)


def too_few_arguments(block: Block, given: int):
    raise UvmError(f"wrong number of arguments: this block takes {block.arity}, it was "
                   f"given {given}")


def call_block(block, *args):
    """Run a block (or anything that answers value...) with arguments, Self's way: a
    block ignores arguments beyond those it declares; fewer is an error. (The usual
    arities are spelled out: a call with ``*args`` would cost C stack, see stack.py.)"""
    if type(block) is Block:
        k = block.arity
        if k <= len(args):
            fn = block.fn
            if k == 0:
                return fn()
            if k == 1:
                return fn(args[0])
            if k == 2:
                return fn(args[0], args[1])
            return fn(*args[:k])
        too_few_arguments(block, len(args))
    return send(block, _selector_for(len(args)), *args)


def caller(block, n: int):
    """A function of ``n`` arguments that runs ``block`` with them (see ``call_block``):
    the block's own function when it takes exactly ``n``, so loops call it directly."""
    if type(block) is Block:
        k = block.arity
        fn = block.fn
        if k == n:
            return fn
        if k == 0:
            return lambda *args: fn()
        if k == 1:
            return lambda a, *rest: fn(a)
        if k < n:
            return lambda *args: fn(*args[:k])
        too_few_arguments(block, n)
    selector = _selector_for(n)
    return lambda *args: send(block, selector, *args)


def _bool(selector, value):
    if value is not True and value is not False:
        _fail(selector, "the receiver must be a boolean")
    return value


@primitive("_IfTrue:False:")
def _if_true_false(cond, then, otherwise):
    return call_block(then) if _bool("_IfTrue:False:", cond) else call_block(otherwise)


@primitive("_Not")
def _not(value):
    return not _bool("_Not", value)


@primitive("_BoolPrintString")
def _bool_print_string(value):
    if value is True or value is False:
        return "true" if value else "false"
    return describe_value(value)


@primitive("_NilPrintString")
def _nil_print_string(value):
    return "nil" if value is None else describe_value(value)


# --- blocks ----------------------------------------------------------------------------------------

# value, value:, ... one function per arity: no *args call, so no C stack (see stack.py).

def _block_of(selector: str, block) -> Block:
    if type(block) is not Block:
        _fail(selector, "the receiver must be a block")
    return block


@primitive("_Value")
def _value0(block):
    return call_block(block) if _block_of("_Value", block).arity else block.fn()


@primitive("_Value:")
def _value1(block, a):
    k = _block_of("_Value:", block).arity
    return block.fn(a) if k == 1 else call_block(block, a)


@primitive("_Value:With:")
def _value2(block, a, b):
    k = _block_of("_Value:With:", block).arity
    return block.fn(a, b) if k == 2 else call_block(block, a, b)


@primitive("_Value:With:With:")
def _value3(block, a, b, c):
    k = _block_of("_Value:With:With:", block).arity
    return block.fn(a, b, c) if k == 3 else call_block(block, a, b, c)


@primitive("_Value:With:With:With:")
def _value4(block, a, b, c, d):
    k = _block_of("_Value:With:With:With:", block).arity
    return block.fn(a, b, c, d) if k == 4 else call_block(block, a, b, c, d)


@primitive("_NumArgs")
def _num_args(block):
    return block.arity


@primitive("_BlockPrintString")
def _block_print_string(block):
    return "a block" if type(block) is Block else describe_value(block)


def _while(selector: str, until: bool):
    def loop(cond, body):
        test, run = caller(cond, 0), caller(body, 0)
        while True:
            c = test()
            if c is until:
                return None
            if c is not (not until):
                _fail(selector, "the condition must answer a boolean")
            run()
    PRIMITIVES[f"_{selector[0].upper()}{selector[1:]}"] = loop


_while("whileTrue:", until=False)
_while("whileFalse:", until=True)


@primitive("_OnError:")
def _on_error(block, handler):
    try:
        return call_block(block)
    except TransientError:
        raise  # a write conflict belongs to the image, which retries the evaluation
    except Exception as exc:  # noqa: BLE001 -- every UVM-level error, by design
        err = as_uvm_error(exc)
        return call_block(handler, err)


@primitive("_Ensure:")
def _ensure(block, after):
    try:
        return call_block(block)
    finally:
        call_block(after)


@primitive("_To:Do:")
def _to_do(start, end, block):
    run = caller(block, 1)
    i = start
    while i <= end:
        run(i)
        i += 1
    return start


@primitive("_To:By:Do:")
def _to_by_do(start, end, step, block):
    if step == 0:
        _fail("to:By:Do:", "the step must not be zero")
    run = caller(block, 1)
    i = start
    while (i <= end) if step > 0 else (i >= end):
        run(i)
        i += step
    return start


@primitive("_TimesRepeat:")
def _times_repeat(n, block):
    run = caller(block, 0)
    for _ in range(n):
        run()
    return n


# --- errors -----------------------------------------------------------------------------------------

@primitive("_ErrorMessage")
def _error_message(err):
    if not isinstance(err, UvmError):
        _fail("message", f"{_short(err)} is not an error")
    return err.message


@primitive("_ErrorPrintString")
def _error_print_string(err):
    return f"an error: {err.message}" if isinstance(err, UvmError) else describe_value(err)


# --- strings ----------------------------------------------------------------------------------------

def _str(selector, value):
    if type(value) is not str:
        _fail(selector, f"{_short(value)} is not a string")
    return value


@primitive("_StrConcat:")
def _str_concat(a, b):
    if type(b) is not str:
        raise UvmError(f", needs a string argument, not {_short(b)} (send it printString "
                       f"first)")
    return a + b


@primitive("_Size")
def _size(a):
    return len(a)


def _index(selector: str, seq, index) -> int:
    if type(index) is not int:
        _fail(selector, f"index {_short(index)} is not an integer")
    if not 0 <= index < len(seq):
        raise UvmError(f"{selector} index {index} out of bounds (size {len(seq)})")
    return index


@primitive("_At:")
def _at(seq, index):
    return seq[_index("at:", seq, index)]


@primitive("_StrUpper")
def _upper(s):
    return s.upper()


@primitive("_StrLower")
def _lower(s):
    return s.lower()


@primitive("_Reversed")
def _reversed(s):
    return s[::-1] if type(s) is str else UvmList(list(reversed(s.data)))


@primitive("_StrPrintString")
def _str_print_string(s):
    return string_literal(s) if type(s) is str else describe_value(s)


@primitive("_StrIncludes:")
def _str_includes(s, sub):
    return _str("includesSubstring:", sub) in s


@primitive("_CopyFrom:UpTo:")
def _copy_from_up_to(seq, start, end):
    if type(start) is not int or type(end) is not int or start < 0 or end < 0:
        _fail("copyFrom:UpTo:", f"the bounds {_short(start)} and {_short(end)} must be "
                                "integers of at least 0")
    part = seq[start:end]
    return part if type(seq) is str else UvmList(part)


@primitive("_StrEq:")
def _str_eq(a, b):
    return type(b) is str and a == b


@primitive("_StrLt:")
def _str_lt(a, b):
    return a < _str("<", b)


# --- lists ------------------------------------------------------------------------------------------

@primitive("_ListAdd:")
def _list_add(lst, x):
    lst.append(x)
    return lst


@primitive("_ListAt:Put:")
def _list_at_put(lst, index, value):
    lst[_index("at:Put:", lst, index)] = value
    return value


def _items(c) -> list:
    """The elements of a list (or of what ``do:`` may be sent to), for iterating."""
    t = type(c)
    if t is UvmList:
        return c.data
    if t is UvmSet:
        return c.elements()
    if t is Collector:
        return c.items
    if t is UvmDict:
        return c.values()
    _fail("do:", f"{_short(c)} is not a collection")


# Iteration passes each element and its index (Self's do: passes the element and its key);
# a block that declares fewer arguments gets fewer (see call_block). The loops are written
# out per arity so that the usual block is called directly, one frame per element.

@primitive("_Do:")
def _do(lst, block):
    items = list(_items(lst))
    k = block.arity if type(block) is Block else 2
    if k == 1:
        fn = block.fn
        for x in items:
            fn(x)
    elif k == 0:
        fn = block.fn
        for x in items:
            fn()
    else:
        fn = caller(block, 2)
        keys = items if type(lst) is UvmSet else range(len(items))  # a set's key: itself
        for x, key in zip(items, keys):
            fn(x, key)
    return lst


@primitive("_WithIndexDo:")
def _with_index_do(lst, block):
    fn = caller(block, 2)
    for i, x in enumerate(list(_items(lst))):
        fn(x, i)
    return lst


# (Plain loops rather than comprehensions: a comprehension is one more frame per level of a
# recursion that goes through it.)

@primitive("_Collect:")
def _collect(lst, block):
    out = []
    add = out.append
    if type(block) is Block and block.arity == 1:
        fn = block.fn
        for x in _items(lst):
            add(fn(x))
    else:
        fn = caller(block, 2)
        for i, x in enumerate(_items(lst)):
            add(fn(x, i))
    return UvmList(out)


def _filter(keep: bool):
    def filter_(lst, block):
        out = []
        add = out.append
        if type(block) is Block and block.arity == 1:
            fn = block.fn
            for x in _items(lst):
                if (fn(x) is True) is keep:
                    add(x)
        else:
            fn = caller(block, 2)
            for i, x in enumerate(_items(lst)):
                if (fn(x, i) is True) is keep:
                    add(x)
        return UvmList(out)
    return filter_


PRIMITIVES["_Select:"] = _filter(True)
PRIMITIVES["_Reject:"] = _filter(False)


@primitive("_Detect:IfNone:")
def _detect(lst, block, none):
    fn = caller(block, 2)
    for i, x in enumerate(_items(lst)):
        if fn(x, i) is True:
            return x
    return call_block(none)


@primitive("_Inject:Into:")
def _inject(lst, acc, block):
    fn = caller(block, 2)
    for x in _items(lst):
        acc = fn(acc, x)
    return acc


@primitive("_Includes:")
def _includes(lst, x):
    if type(lst) is UvmSet:
        return x in lst
    return equality.index_of(_items(lst), x) >= 0


@primitive("_IndexOf:")
def _index_of(lst, x):
    return equality.index_of(lst.data, x)


@primitive("_ListRemove:IfAbsent:")
def _list_remove(lst, x, absent):
    i = equality.index_of(lst.data, x)
    if i < 0:
        return call_block(absent, x)
    del lst[i]
    return lst


@primitive("_ListEq:")
def _list_eq(lst, other):
    return equality.lists_equal(lst, other)


@primitive("_ListHash")
def _list_hash(lst):
    return equality.list_hash(lst)


@primitive("_RemoveFirst")
def _remove_first(lst):
    if not lst:
        raise UvmError("removeFirst: the list is empty")
    return lst.pop(0)


@primitive("_RemoveLast")
def _remove_last(lst):
    if not lst:
        raise UvmError("removeLast: the list is empty")
    return lst.pop()


@primitive("_Sorted")
def _sorted(lst):
    return UvmList(equality.sorted_values(_items(lst)))


class _BlockOrder:
    """A sort key: ``a`` goes before ``b`` when the block answers true for (a, b)."""

    __slots__ = ("value", "before")

    def __init__(self, value, before):
        self.value, self.before = value, before

    def __lt__(self, other) -> bool:
        answer = self.before(self.value, other.value)
        if answer is True or answer is False:
            return answer
        raise UvmError("sortedBy: the block must answer a boolean")


@primitive("_SortedBy:")
def _sorted_by(lst, block):
    before = caller(block, 2)
    return UvmList(sorted(_items(lst), key=lambda x: _BlockOrder(x, before)))


@primitive("_ListPrintString")
def _list_print_string(lst):
    if type(lst) is not UvmList:
        return describe_value(lst)
    return "list(" + ", ".join(print_string(x) for x in lst.data) + ")"


@primitive("_AsList")
def _as_list(c):
    return UvmList(list(_items(c)))


@primitive("_CollectorAdd:")
def _collector_add(c, x):
    return Collector(c.items + [x])


@primitive("_CollectorPrintString")
def _collector_print_string(c):
    if type(c) is not Collector:
        return describe_value(c)
    return _list_print_string(UvmList(c.items))


# --- dictionaries --------------------------------------------------------------------------------
#
# The index maps key_of(key) to the value (see uvm.runtime.objects): strings and numbers are
# their own index keys, so the fast path is one type test and one dict lookup.

_ABSENT = object()


@primitive("_DictAt:IfAbsent:")
def _dict_at_if_absent(d, k, absent):
    value = d.index().get(k if type(k) in FAST_KEY_TYPES else Key(k), _ABSENT)
    if value is not _ABSENT:
        return value
    # (outside any except clause: a recursion through here must not chain exceptions)
    if type(absent) is Block and absent.arity == 0:
        return absent.fn()
    return call_block(absent, k)


@primitive("_DictAt:")
def _dict_at(d, k):
    try:
        return d.index()[k if type(k) in FAST_KEY_TYPES else Key(k)]
    except KeyError:
        raise UvmError(f"at: key {_short(k)} not found") from None


@primitive("_DictAt:Put:")
def _dict_at_put(d, k, v):
    d.index()[k if type(k) in FAST_KEY_TYPES else Key(k)] = v
    d._p_changed = True
    return v


@primitive("_DictIncludesKey:")
def _dict_includes_key(d, k):
    return (k if type(k) in FAST_KEY_TYPES else Key(k)) in d.index()


@primitive("_DictIncludes:")
def _dict_includes(d, v):
    return equality.index_of(d.values(), v) >= 0


@primitive("_DictRemoveKey:")
def _dict_remove_key(d, k):
    try:
        value = d.index().pop(k if type(k) in FAST_KEY_TYPES else Key(k))
    except KeyError:
        raise UvmError(f"removeKey: key {_short(k)} not found") from None
    d._p_changed = True
    return value


@primitive("_DictKeys")
def _dict_keys(d):
    return UvmList(d.keys())


@primitive("_DictValues")
def _dict_values(d):
    return UvmList(d.values())


@primitive("_DictKeysAndValuesDo:")
def _dict_kv_do(d, block):
    fn = caller(block, 2)
    for k, v in d.entries():
        fn(k, v)
    return d


@primitive("_DictDo:")
def _dict_do(d, block):
    """Self's do: on a dictionary: each value, then its key."""
    fn = caller(block, 2)
    for k, v in d.entries():
        fn(v, k)
    return d


@primitive("_DictPrintString")
def _dict_print_string(d):
    if type(d) is not UvmDict:
        return describe_value(d)
    return "dictionary(" + ", ".join(f"{print_string(k)} -> {print_string(v)}"
                                     for k, v in d.entries()) + ")"


# --- sets ------------------------------------------------------------------------------------------

@primitive("_EmptySet")
def _empty_set(obj):
    return UvmSet()


@primitive("_SetAdd:")
def _set_add(st, x):
    idx = st.index()
    key = x if type(x) in FAST_KEY_TYPES else Key(x)
    if key not in idx:
        idx[key] = None
        st._p_changed = True
    return st


@primitive("_SetRemove:IfAbsent:")
def _set_remove(st, x, absent):
    idx = st.index()
    key = x if type(x) in FAST_KEY_TYPES else Key(x)
    if key not in idx:
        return call_block(absent, x)
    del idx[key]
    st._p_changed = True
    return st


@primitive("_SetPrintString")
def _set_print_string(st):
    if type(st) is not UvmSet:
        return describe_value(st)
    return "set(" + ", ".join(print_string(x) for x in st.elements()) + ")"


# --- the Python bridge -------------------------------------------------------------------------

def from_python(value):
    """A value coming back from Python, as a UVM value."""
    if type(value) in (list, tuple):
        return UvmList(list(value))
    if type(value) is dict:
        return UvmDict(value)
    return value


def to_python(value):
    if type(value) is UvmList:
        return list(value.data)
    if type(value) is UvmDict:
        return dict(value.entries())
    if type(value) is UvmSet:
        return set(value.elements())
    if type(value) is Block:
        return lambda *args: call_block(value, *args)
    return value


@primitive("_PyImport:")
def _py_import(obj, name):
    try:
        return importlib.import_module(_str("import:", name))
    except ImportError as e:
        raise UvmError(f"python import: {e}") from None


@primitive("_PyForward:")
def _py_forward(obj, message: Message):
    parts = message.selector.split(":")
    name = parts[0]
    try:
        attr = getattr(obj, name)
    except AttributeError:
        raise UvmError(f"doesNotUnderstand: #{message.selector}, sent to {_short(obj)}",
                       selector=message.selector, receiver=obj) from None
    args = [to_python(a) for a in message.arguments]
    try:
        if not args:
            return from_python(attr() if callable(attr) else attr)
        keywords = {p[0].lower() + p[1:]: a for p, a in zip(parts[1:-1], args[1:])}
        return from_python(attr(args[0], **keywords))
    except UvmError:
        raise
    except Exception as e:  # noqa: BLE001 -- a Python error becomes a UVM error
        raise UvmError(f"python {message.selector} failed: {type(e).__name__}: {e}") from None


@primitive("_EmptyList")
def _empty_list(obj):
    return UvmList()


@primitive("_EmptyDictionary")
def _empty_dictionary(obj):
    return UvmDict()


# --- trees (large sorted mappings) ---------------------------------------------------------------

def _tree_key(k):
    if type(k) not in (int, str, float):
        _fail("tree", f"keys of a tree are numbers or strings, not {_short(k)}")
    return k


@primitive("_EmptyTree")
def _empty_tree(obj):
    return UvmTree()


@primitive("_TreeAt:IfAbsent:")
def _tree_at_if_absent(t, k, absent):
    try:
        value = t._tree.get(_tree_key(k), _ABSENT)
    except TypeError:
        _fail("tree", "numbers and strings cannot be mixed as keys of one tree")
    return value if value is not _ABSENT else call_block(absent, k)


@primitive("_TreeAt:Put:")
def _tree_at_put(t, k, v):
    try:
        if t._tree.insert(_tree_key(k), v):
            t._length.change(1)
        else:
            t._tree[k] = v
    except TypeError:
        _fail("tree", "numbers and strings cannot be mixed as keys of one tree")
    return v


@primitive("_TreeRemoveKey:")
def _tree_remove_key(t, k):
    try:
        value = t._tree.pop(_tree_key(k))
    except KeyError:
        raise UvmError(f"removeKey: key {_short(k)} not found") from None
    t._length.change(-1)
    return value


@primitive("_TreeSize")
def _tree_size(t):
    return t._length()


@primitive("_TreeKeysFrom:To:")
def _tree_keys_from_to(t, lo, hi):
    return UvmList(list(t._tree.keys(_tree_key(lo), _tree_key(hi))))


@primitive("_TreeKeysAndValuesDo:")
def _tree_kv_do(t, block):
    fn = caller(block, 2)
    for k, v in t._tree.items():
        fn(k, v)
    return t


@primitive("_TreePrintString")
def _tree_print_string(t):
    if type(t) is not UvmTree:
        return describe_value(t)
    return f"tree({t._length()} entries)"


@primitive("_TreeCopy")
def _tree_copy(t):
    new = UvmTree()
    new._tree.update(t._tree)
    new._length.change(t._length())
    return new
