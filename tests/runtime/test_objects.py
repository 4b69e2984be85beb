"""The object model, stated twice where it helps: what Python would do, and what UVM does.

In the manner of Bolz's "A Simple Object Model": each behaviour pinned by a small test."""
from __future__ import annotations

import pytest

from uvm.runtime.errors import UvmError
from uvm.runtime.objects import ASSIGNABLE, CONSTANT, PARENT, UvmObject, map_of


def test_slots_read_and_write_like_attributes(run):
    # Python: class P: x = 0; p = P(); p.x = 3
    p = run("(| parent* = traits clonable. x <- 0 |)")
    assert p.x == 0
    p.x = 3
    assert p.x == 3
    assert run_send(p, "x") == 3


def run_send(obj, selector, *args):
    return obj.send(selector, *args)


def test_keyword_send_from_python(run):
    d = run("dictionary copy")
    run_obj = run("(| parent* = traits clonable. put: k Value: v = (k , v) |)")
    assert run_obj.put_Value_("a", "b") == "ab"
    assert run_obj.send("put:Value:", "c", "d") == "cd"
    assert d is not None


def test_inherited_slot_is_read_through_the_parent(run):
    # Python: class A: v = 1; class B(A): pass; B().v == 1
    run("lobby _AddSlots: (| a = (| parent* = traits clonable. v <- 1 |) |)")
    b = run("(| parent* = a |)")
    assert b.v == 1
    run("a v: 2")
    assert b.v == 2


def test_lookup_is_depth_first_in_slot_order(run):
    run("lobby _AddSlots: (| left = (| who = ('left') |). right = (| who = ('right'). only = ('r') |) |)")
    assert run("(| l* = left. r* = right |) who") == "left"
    assert run("(| r* = right. l* = left |) who") == "right"
    assert run("(| l* = left. r* = right |) only") == "r"


def test_lookup_terminates_on_cycles(run):
    run("lobby _AddSlots: (| c1 = (| parent* = traits clonable. p* <- nil |). c2 = (| q* <- nil |) |)")
    run("c1 p: c2. c2 q: c1")
    with pytest.raises(UvmError, match="doesNotUnderstand: #nowhere"):
        run("c1 nowhere")


def test_clone_is_shallow_and_independent(run):
    run("lobby _AddSlots: (| pt = (| parent* = traits clonable. x <- 0. items <- list copy |) |)")
    assert run("(| a. b | a: pt clone. b: pt clone. a x: 5. b x) ") == 0
    assert run("(| a | a: pt clone. a items add: 1. pt items size)") == 1  # shallow


def test_clones_share_a_map_until_their_layout_differs(run):
    proto = run("(| parent* = traits clonable. x <- 0 |)")
    a, b = proto.clone(), proto.clone()
    assert map_of(a) is map_of(b)
    a.x = 42                      # data slots do not change the map
    assert map_of(a) is map_of(b)
    a.define_slot("y", 1, CONSTANT)
    assert map_of(a) is not map_of(b)


def test_adding_a_slot_invalidates_cached_lookups(run):
    run("lobby _AddSlots: (| base = (| parent* = traits clonable. greet = ('hello') |) |)")
    run("lobby _AddSlots: (| kid = (| parent* = base |) |)")
    assert run("kid greet") == "hello"
    run("kid _AddSlots: (| greet = ('hi') |)")
    assert run("kid greet") == "hi"
    run("kid _RemoveSlot: 'greet'")
    assert run("kid greet") == "hello"


def test_assigning_a_parent_changes_inheritance_at_once(run):
    run("lobby _AddSlots: (| on = (| state = ('on') |). off = (| state = ('off') |) |)")
    run("lobby _AddSlots: (| sw = (| parent* = traits clonable. mode* <- on |) |)")
    assert run("(| r <- '' | 3 timesRepeat: [r: r , sw state. sw mode: ((sw state = 'on') ifTrue: [off] False: [on])]. r)") == "onoffon"


def test_python_attribute_names_starting_with_underscore_belong_to_persistent():
    o = UvmObject()
    with pytest.raises(AttributeError):
        o._v_missing
    with pytest.raises(AttributeError):
        o.__missing__


def test_constant_slots_cannot_be_assigned_from_python(run):
    o = run("(| k = 1 |)")
    with pytest.raises(AttributeError):
        o.k = 2


def test_slot_kinds_are_recorded(run):
    o = run("(| a = 1. b <- 2. p* = traits clonable |)")
    assert o._kinds == {"a": CONSTANT, "b": ASSIGNABLE, "p": CONSTANT | PARENT}
