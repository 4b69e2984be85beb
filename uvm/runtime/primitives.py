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

from uvm.runtime.errors import UvmError, as_uvm_error
from uvm.runtime.objects import Block, Collector, Method, UvmDict, UvmList, UvmObject, UvmTree
from uvm.runtime.printing import describe, number_string, string_literal
from uvm.runtime import send as send_mod
from uvm.runtime.send import Message, send

PRIMITIVES: dict = {}


def primitive(selector: str):
    def register(fn):
        PRIMITIVES[selector] = fn
        return fn
    return register


def _print_string(value) -> str:
    s = send(value, "printString")
    return s if type(s) is str else str(s)


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
        return UvmDict(obj.data)
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
    if isinstance(obj, UvmObject):
        return describe(obj)
    if isinstance(obj, Method):
        return f"<method {obj.selector}>"
    return f"<python {obj!r}>"


@primitive("_Write:")
def _write(obj, text):
    if type(text) is not str:
        _fail("_Write:", "the argument must be a string")
    sys.stdout.write(text)
    return obj


@primitive("_Error:")
def _error(obj, message):
    raise UvmError(message if type(message) is str else _print_string(message))


@primitive("_DoesNotUnderstand:")
def _does_not_understand(obj, message: Message):
    """The default doesNotUnderstand:. With a synthesizer installed (a model is configured;
    see ``send.synthesizer``) the missing method is written instead of failing."""
    if send_mod.synthesizer is not None and not message.selector.startswith("_"):
        return send_mod.synthesizer(obj, message)
    from uvm.runtime.typos import did_you_mean
    raise UvmError(f"doesNotUnderstand: #{message.selector}, sent to {_short(obj)}"
                   + did_you_mean(obj, message.selector), selector=message.selector, receiver=obj)


def _short(value) -> str:
    try:
        s = _print_string(value)
    except Exception:
        s = object.__repr__(value)
    return s if len(s) <= 60 else s[:57] + "..."


@primitive("_With:")
def _with(a, b):
    return Collector([a, b])


# --- numbers ----------------------------------------------------------------------------------------

def _numeric(selector, op):
    def prim(a, b):
        if type(b) not in (int, float) or type(a) not in (int, float):
            _fail(selector, f"{_short(b)} is not a number")
        return op(a, b)
    PRIMITIVES[selector] = prim


def _divide(a, b):
    if b == 0:
        raise UvmError("division by zero")
    if type(a) is int and type(b) is int:
        return a // b if a % b == 0 else a / b
    return a / b


def _floor_div(a, b):
    if b == 0:
        raise UvmError("division by zero")
    return a // b


def _modulo(a, b):
    if b == 0:
        raise UvmError("division by zero")
    return a % b


def _power(a, b):
    try:
        return a ** b
    except (OverflowError, ZeroDivisionError) as e:
        raise UvmError(f"** failed: {e}") from None


for _sel, _op in {
    "_Add:": lambda a, b: a + b, "_Sub:": lambda a, b: a - b, "_Mul:": lambda a, b: a * b,
    "_Div:": _divide, "_FloorDiv:": _floor_div, "_Mod:": _modulo, "_Pow:": _power,
    "_Lt:": lambda a, b: a < b, "_Gt:": lambda a, b: a > b,
    "_Le:": lambda a, b: a <= b, "_Ge:": lambda a, b: a >= b,
}.items():
    _numeric(_sel, _op)


@primitive("_NumEq:")
def _num_eq(a, b):
    return type(b) in (int, float) and a == b


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
    return math.sqrt(a)


@primitive("_AsFloat")
def _as_float(a):
    try:
        return float(a)
    except (ValueError, OverflowError):
        _fail("_AsFloat", f"{_short(a)} is not a number")


@primitive("_AsInteger")
def _as_integer(a):
    try:
        return int(a) if type(a) is not str else int(a.strip())
    except (ValueError, OverflowError):
        _fail("_AsInteger", f"{_short(a)} is not an integer")


@primitive("_NumPrintString")
def _num_print_string(a):
    return number_string(a)


# --- booleans -------------------------------------------------------------------------------------

def call_block(block, *args):
    """Run a block (or anything that answers value...) with arguments."""
    if type(block) is Block and block.arity == len(args):
        return block.fn(*args)
    selector = "value" if not args else "value:" + "With:" * (len(args) - 1)
    return send(block, selector, *args)


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


# --- blocks ----------------------------------------------------------------------------------------

def _value(n):
    selector = "_Value" if n == 0 else "_Value:" + "With:" * (n - 1)

    def prim(block, *args):
        if type(block) is not Block:
            _fail(selector, "the receiver must be a block")
        if block.arity != len(args):
            raise UvmError(f"wrong number of arguments: this block takes {block.arity}, "
                           f"it was given {len(args)}")
        return block.fn(*args)
    PRIMITIVES[selector] = prim


for _n in range(5):
    _value(_n)


@primitive("_NumArgs")
def _num_args(block):
    return block.arity


def _while(selector: str, until: bool):
    def loop(cond, body):
        while True:
            c = call_block(cond)
            if c is until:
                return None
            if c is not (not until):
                _fail(selector, "the condition must answer a boolean")
            call_block(body)
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
        if type(handler) is Block and handler.arity == 0:
            return handler.fn()
        return call_block(handler, err)


@primitive("_Ensure:")
def _ensure(block, after):
    try:
        return call_block(block)
    finally:
        call_block(after)


@primitive("_To:Do:")
def _to_do(start, end, block):
    i = start
    while i <= end:
        call_block(block, i)
        i += 1
    return start


@primitive("_To:By:Do:")
def _to_by_do(start, end, step, block):
    if step == 0:
        _fail("to:By:Do:", "the step must not be zero")
    i = start
    while (i <= end) if step > 0 else (i >= end):
        call_block(block, i)
        i += step
    return start


@primitive("_TimesRepeat:")
def _times_repeat(n, block):
    for _ in range(n):
        call_block(block)
    return n


# --- errors -----------------------------------------------------------------------------------------

@primitive("_ErrorMessage")
def _error_message(err):
    return err.message


# --- strings ----------------------------------------------------------------------------------------

def _str(selector, value):
    if type(value) is not str:
        _fail(selector, f"{_short(value)} is not a string")
    return value


@primitive("_StrConcat:")
def _str_concat(a, b):
    return a + (b if type(b) is str else _print_string(b))


@primitive("_Size")
def _size(a):
    return len(a)


@primitive("_At:")
def _at(seq, index):
    if type(index) is not int:
        _fail("at:", f"index {_short(index)} is not an integer")
    try:
        return seq[index]
    except IndexError:
        raise UvmError(f"at: index {index} out of bounds (size {len(seq)})") from None


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
    return string_literal(s)


@primitive("_StrIncludes:")
def _str_includes(s, sub):
    return _str("includesSubstring:", sub) in s


@primitive("_CopyFrom:UpTo:")
def _copy_from_up_to(seq, start, end):
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
    try:
        lst[index] = value
    except (IndexError, TypeError):
        raise UvmError(f"at:Put: index {_short(index)} out of bounds (size {len(lst)})") from None
    return value


def _items(c):
    return c.data if type(c) is UvmList else list(c)


@primitive("_Do:")
def _do(lst, block):
    for x in list(_items(lst)):
        call_block(block, x)
    return lst


@primitive("_WithIndexDo:")
def _with_index_do(lst, block):
    for i, x in enumerate(list(_items(lst))):
        call_block(block, x, i)
    return lst


@primitive("_Collect:")
def _collect(lst, block):
    return UvmList([call_block(block, x) for x in _items(lst)])


@primitive("_Select:")
def _select(lst, block):
    return UvmList([x for x in _items(lst) if call_block(block, x) is True])


@primitive("_Reject:")
def _reject(lst, block):
    return UvmList([x for x in _items(lst) if call_block(block, x) is not True])


@primitive("_Detect:IfNone:")
def _detect(lst, block, none):
    for x in _items(lst):
        if call_block(block, x) is True:
            return x
    return call_block(none)


@primitive("_Inject:Into:")
def _inject(lst, acc, block):
    for x in _items(lst):
        acc = call_block(block, acc, x)
    return acc


@primitive("_Includes:")
def _includes(lst, x):
    return any(_identical(x, y) or (type(x) is type(y) and x == y) for y in _items(lst))


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
    try:
        return UvmList(sorted(_items(lst)))
    except TypeError:
        _fail("sorted", "the elements cannot be compared")


@primitive("_SortedBy:")
def _sorted_by(lst, block):
    import functools

    def compare(a, b):
        if call_block(block, a, b) is True:
            return -1
        return 1 if call_block(block, b, a) is True else 0
    return UvmList(sorted(_items(lst), key=functools.cmp_to_key(compare)))


@primitive("_ListPrintString")
def _list_print_string(lst):
    return "list(" + ", ".join(_print_string(x) for x in _items(lst)) + ")"


@primitive("_AsList")
def _as_list(c):
    return UvmList(c.items if type(c) is Collector else _items(c))


@primitive("_CollectorAdd:")
def _collector_add(c, x):
    return Collector(c.items + [x])


# --- dictionaries --------------------------------------------------------------------------------

def _key(k):
    try:
        hash(k)
    except TypeError:
        _fail("dictionary", f"{_short(k)} cannot be a key")
    return k


@primitive("_DictAt:IfAbsent:")
def _dict_at_if_absent(d, k, absent):
    try:
        return d.data[_key(k)]
    except KeyError:
        return call_block(absent)


@primitive("_DictAt:")
def _dict_at(d, k):
    try:
        return d.data[_key(k)]
    except KeyError:
        raise UvmError(f"at: key {_short(k)} not found") from None


@primitive("_DictAt:Put:")
def _dict_at_put(d, k, v):
    d[_key(k)] = v
    return v


@primitive("_DictIncludesKey:")
def _dict_includes_key(d, k):
    return _key(k) in d.data


@primitive("_DictRemoveKey:")
def _dict_remove_key(d, k):
    try:
        return d.pop(_key(k))
    except KeyError:
        raise UvmError(f"removeKey: key {_short(k)} not found") from None


@primitive("_DictKeys")
def _dict_keys(d):
    return UvmList(list(d.data))


@primitive("_DictValues")
def _dict_values(d):
    return UvmList(list(d.data.values()))


@primitive("_DictKeysAndValuesDo:")
def _dict_kv_do(d, block):
    for k, v in list(d.data.items()):
        call_block(block, k, v)
    return d


@primitive("_DictPrintString")
def _dict_print_string(d):
    return "dictionary(" + ", ".join(f"{_print_string(k)} -> {_print_string(v)}"
                                     for k, v in d.data.items()) + ")"


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
        return dict(value.data)
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
        return t._tree[_tree_key(k)]
    except KeyError:
        return call_block(absent)
    except TypeError:
        _fail("tree", "numbers and strings cannot be mixed as keys of one tree")


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
    for k, v in t._tree.items():
        call_block(block, k, v)
    return t


@primitive("_TreeCopy")
def _tree_copy(t):
    new = UvmTree()
    new._tree.update(t._tree)
    new._length.change(t._length())
    return new
