"""Compiled code must behave exactly like the language reference says, on the inlined fast
paths and on the fallbacks the guards fall back to."""
from __future__ import annotations

import pytest

from uvm.runtime.errors import UvmError, format_error


def test_arithmetic_follows_the_reference(run):
    assert run("7 / 2") == 3.5
    assert run("8 / 2") == 4 and type(run("8 / 2")) is int
    assert run("7 // 2") == 3
    assert run("-7 // 2") == -4
    assert run("2 ** 100") == 2 ** 100
    assert run("16rFF + 2r1010") == 265
    assert run("10 sqrt") == 10 ** 0.5
    assert run("-3.7 asInteger") == -3


def test_division_by_zero_is_a_uvm_error(run):
    with pytest.raises(UvmError, match="division by zero"):
        run("1 / 0")
    with pytest.raises(UvmError, match="division by zero"):
        run("1 // 0")


def test_mixed_int_float_takes_the_fallback_path(run):
    assert run("1 + 0.5") == 1.5
    assert run("0.5 < 1") is True
    assert run("(| s <- 0 | 0.5 to: 2 Do: [| :i | s: s + i]. s)") == 0.5 + 1.5


def test_strings_are_not_numbers(run):
    with pytest.raises(UvmError, match="doesNotUnderstand: #\\+"):
        run("'a' + 'b'")
    assert run("'a' , 'b'") == "ab"
    with pytest.raises(UvmError, match=", needs a string argument, not 3"):
        run("'a' , 3")                     # as in Self: , needs a string
    assert run("'a' , 3 printString") == "a3"


def test_redefining_integer_plus_takes_effect_everywhere(run):
    run("traits integer _AddSlots: (| double = (self + self) |)")
    assert run("3 double") == 6
    run("traits integer _AddSlots: (| + x = ((_Add: x) _Add: 100) |)")
    assert run("3 double") == 106          # recompiled without the inlined +
    assert run("1 + 1") == 102


def test_if_true_on_a_user_object_is_a_real_send(run):
    run("lobby _AddSlots: (| maybe = (| ifTrue: b False: c = ('maybe: ', b value) |) |)")
    assert run("maybe ifTrue: ['yes'] False: ['no']") == "maybe: yes"


def test_if_true_on_a_non_boolean_fails_clearly(run):
    with pytest.raises(UvmError, match="ifTrue:"):
        run("3 ifTrue: [4]")


def test_fallback_blocks_share_variables_with_their_method(run):
    # `to:Do:` on floats goes through the fallback; its block must update the method's local.
    run("lobby _AddSlots: (| m = (| parent* = traits clonable. sum: n = (| s <- 0 | 1 to: n Do: [| :i | s: s + i]. s) |) |)")
    assert run("m sum: 10") == 55
    assert run("m sum: 3.5") == 6


def test_closures_made_in_a_loop_capture_each_iteration(run):
    run("lobby _AddSlots: (| blocks = (| parent* = traits clonable. make = (| l <- list copy | 1 to: 3 Do: [| :i | l add: [i * 10]]. l) |) |)")
    assert run("(blocks make collect: [| :b | b value]) sum") == 60


def test_closures_keep_their_own_state(run):
    run("lobby _AddSlots: (| counter = (| n <- 0 | [n: n + 1. n]) |)")
    assert run("(| a. b | a: counter. b: counter. a value. a value. b value. (a value * 10) + b value)") == 32


def test_non_local_return_leaves_the_method(run):
    run("lobby _AddSlots: (| f = (| parent* = traits clonable. first: l = (l do: [| :x | x > 2 ifTrue: [^ x]]. nil) |) |)")
    assert run("f first: (1 & 5 & 3) asList") == 5
    assert run("f first: (1 & 2) asList") is None


def test_non_local_return_from_a_dead_method_is_an_error(run):
    run("lobby _AddSlots: (| f = (| parent* = traits clonable. escape = ([^ 1]) |) |)")
    with pytest.raises(UvmError, match="already returned"):
        run("f escape value")


def test_ensure_runs_before_the_handler(run):
    assert run("(| log <- '' | [[error: 'x'] ensure: [log: log , 'E']] onError: [| :e | log: log , 'H' , e message]. log)") == "EHx"


def test_on_error_catches_dnu_and_primitive_failures(run):
    assert run("[nil zork] onError: [| :e | e message]").startswith("doesNotUnderstand: #zork")
    assert "out of bounds" in run("[(list copy) at: 3] onError: [| :e | e message]")


def test_block_arity_is_checked(run):
    with pytest.raises(UvmError, match="wrong number of arguments"):
        run("(| b | b: [| :x | x]. b value)")


def test_deep_recursion_works(run):
    run("traits integer _AddSlots: (| down = (self = 0 ifTrue: [0] False: [(self - 1) down + 1]) |)")
    assert run("5000 down") == 5000
    run("lobby _AddSlots: (| r = (| parent* = traits clonable. down: n = (n = 0 ifTrue: [0] False: [(down: n - 1) + 1]) |) |)")
    assert run("r down: 5000") == 5000


def test_runaway_recursion_is_a_clear_error(run):
    run("traits integer _AddSlots: (| forever = (self forever) |)")
    with pytest.raises(UvmError, match="stack overflow") as info:
        run("1 forever")
    text = format_error(info.value)
    assert "times]" in text and len(text.splitlines()) < 30


def test_backtrace_points_at_uvm_source(image):
    source = "lobby _AddSlots: (| t = (| parent* = traits clonable.\n  go = (self boom).\n  boom = (error: 'bad') |) |).\nt go"
    with pytest.raises(UvmError) as info:
        image.eval(source, "trace.uvm")
    frames = info.value.frames
    assert [f.name for f in frames if not f.core][:3] == ["boom", "go", "<top level>"]
    assert (frames[0].file, frames[0].line) == ("trace.uvm", 3) or frames[0].core
    text = format_error(info.value)
    assert text.startswith("Error: bad\n  at trace.uvm:3:")
    assert "Traceback" not in text


def test_resend_and_directed_resend(run):
    run("lobby _AddSlots: (| a = (| parent* = traits clonable. hi = ('a') |). b = (| hi = ('b') |) |)")
    run("lobby _AddSlots: (| c = (| pa* = a. pb* = b. hi = (resend.hi , pb.hi , pa.hi) |) |)")
    assert run("c hi") == "aba"


def test_python_method_slot(run):
    run("traits integer _AddSlots: (| triple = py'''\ndef triple(self):\n    return self * 3\n''' |)")
    assert run("5 triple") == 15


def test_python_bridge(run):
    assert run("(python import: 'math') floor: 2.5") == 2
    assert run("(python import: 'textwrap') shorten: 'hello world' Width: 8 Placeholder: '...'") == "hello..."
    assert run("((python import: 'datetime') date: 2020 Month: 1 Day: 2) printString") \
        == "<python datetime.date(2020, 1, 2)>"
    with pytest.raises(UvmError, match="import"):
        run("python import: 'no_such_module_xyz'")


def test_collections(run):
    assert run("((3 & 1 & 2) asList sortedBy: [| :a. :b | a > b]) printString") == "list(3, 2, 1)"
    assert run("(| d | d: dictionary copy. d at: 'b' Put: 1. d at: 'a' Put: 2. d keys printString)") == "list('b', 'a')"
    assert run("(1 & 2 & 3) asList inject: 0 Into: [| :a. :b | a + b]") == 6
    assert run("((1 & 2 & 3 & 4) asList select: [| :x | x even]) printString") == "list(2, 4)"
    assert run("(1 & 2) asList includes: 2") is True
    assert run("(| l | l: (1 & 2) asList. l withIndexDo: [| :x. :i | l at: i Put: x * 10]. l printString)") == "list(10, 20)"


def test_printing(run):
    assert run("(| x. y. p* = traits clonable |) printString") == "(| x. y. p* |)"
    assert run("'a\\'b' printString") == "'a\\'b'"
    assert run("3.0 printString") == "3.0"
    assert run("(0.1 + 0.2) printString") == "0.30000000000000004"
    assert run("nil printString") == "nil"


def test_integer_methods_are_customized_yet_work_for_any_receiver(run):
    # fib gets a body compiled for int receivers; an object inheriting traits integer
    # (whose own - and < answer objects) must still run the generic body.
    run("traits integer _AddSlots: (| countdown = (self < 1 ifTrue: [0] False: [(self - 1) countdown + 1]) |)")
    assert run("30 countdown") == 30
    run("lobby _AddSlots: (| fake = (| parent* = traits integer. n <- 3. "
        "< x = (n < x). - x = (_Clone n: n - x) |) |)")
    assert run("fake countdown") == 3
    assert run("fake n") == 3
