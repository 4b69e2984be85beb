"""Dictionaries and sets keyed by UVM equality, across commits and reloads.

The index of a dictionary or set is volatile (UVM hashes are only valid in the process
that computed them), so what matters is that a reloaded container finds its keys again,
that containers written before core version 5 still load, and that redefining a host
type's ``=``/``hash`` rebuilds the indexes built under the old rules."""
from __future__ import annotations

import pytest

import uvm
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import UvmDict

SETUP = """
lobby _AddSlots: (| pair = (| parent* = traits clonable. a <- 0. b <- 0.
  a: x B: y = (| p | p: clone. p a: x. p b: y. p).
  = o = ((o _SlotNames includes: 'b') && [(a = o a) && [b = o b]]).
  hash = (a hash + b hash) |) |).
lobby _AddSlots: (| store <- nil. bag <- nil |).
store: dictionary copy.
store at: true Put: 'T'. store at: 1 Put: 'one'. store at: (1 & 2) asList Put: 'list'.
store at: (pair a: 1 B: 2) Put: 'pair'. store at: nil Put: 'nil'.
bag: set copy. bag add: (pair a: 3 B: 4). bag add: 1. bag add: true
"""


def test_keys_are_found_again_after_the_image_is_reopened(tmp_path):
    path = str(tmp_path / "keys.fs")
    with uvm.open(path) as im:
        im.eval(SETUP)
    with uvm.open(path) as im:  # a new process would see the same: nothing was cached
        assert im.eval("store size") == 5
        assert im.eval("store printString") == \
            "dictionary(true -> 'T', 1 -> 'one', list(1, 2) -> 'list', (| parent*. a. b. a:B:. =. hash |) -> 'pair', nil -> 'nil')"
        assert im.eval("store at: true") == "T"
        assert im.eval("store at: 1") == "one"
        assert im.eval("store at: (1 & 2) asList") == "list"
        assert im.eval("store at: (pair a: 1 B: 2)") == "pair"
        assert im.eval("store at: nil") == "nil"
        assert im.eval("(bag includes: (pair a: 3 B: 4)) && [(bag includes: 1) && [bag size = 3]]")
        im.eval("store at: 1 Put: 'uno'. bag add: (pair a: 3 B: 4)")
    with uvm.open(path) as im:
        assert im.eval("(store at: 1) , (store at: true)") == "unoT"
        assert im.eval("bag size") == 3


def test_an_aborted_change_leaves_the_index_as_committed(run, image):
    run("lobby _AddSlots: (| d <- dictionary copy |). d at: 'k' Put: 1")
    with pytest.raises(UvmError):
        run("d at: 'k' Put: 2. d at: true Put: 3. error: 'undo all that'")
    assert run("((d at: 'k') = 1) && [(d includesKey: true) not]") is True


def test_a_dictionary_stored_before_core_version_5_still_loads():
    """Before core version 5 a UvmDict was a PersistentMapping: its state was {'data':
    {...}}. The keys of such a state are read as UVM keys."""
    d = UvmDict.__new__(UvmDict)
    d.__setstate__({"data": {"one": 1, 2: "two"}})
    assert d.get("one") == 1 and d[2] == "two" and list(d) == ["one", 2]
    assert d.__getstate__() == {"items": [("one", 1), (2, "two")]}


def test_redefining_string_equality_rekeys_existing_dictionaries(run):
    run("lobby _AddSlots: (| d <- dictionary copy |). d at: 'Key' Put: 1")
    assert run("d includesKey: 'KEY'") is False
    run("traits string _AddSlots: (| = s = (asLowercase _StrEq: s asLowercase). "
        "hash = (asLowercase _Hash) |)")
    assert run("d at: 'KEY'") == 1  # the index was rebuilt under the new rules
    assert run("((list copy) add: 'ABC') includes: 'abc'") is True


def test_a_hash_that_is_not_an_integer_is_a_clear_error(run):
    run("lobby _AddSlots: (| odd = (| parent* = traits clonable. hash = ('h') |) |)")
    with pytest.raises(UvmError, match="hash must answer an integer"):
        run("dictionary copy at: odd Put: 1")
