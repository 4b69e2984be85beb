"""The PersistenceGuardian and the sandbox against hostile model answers."""
from __future__ import annotations

import pytest

import uvm
from uvm.llm.synthesis.guardian import (CovenantViolationError, Signature, add_covenant_line, audit,
                              changes_self)
from uvm.llm.synthesis.sandbox import SandboxTimeout, compile_audited, run_limited

SIG = Signature.for_selector("triple:", ("n",))


def ok(src: str, sig: Signature = SIG):
    return compile_audited(src, sig)


def rejected(src: str, rule: str, sig: Signature = SIG):
    with pytest.raises(CovenantViolationError, match=rule) as info:
        audit(src, sig)
    assert info.value.line >= 1
    return info.value


def test_signatures_follow_the_selector():
    assert Signature.for_selector("at:Put:", ("i", "v")).source() == "def at_Put_(self, i, v):"
    assert Signature.for_selector("size").source() == "def size(self):"
    assert Signature.for_selector("+").params == ("self", "arg1")


def test_plain_methods_pass():
    f = ok("def triple_(self, n):\n    return n * 3\n")
    assert f(None, 4) == 12


@pytest.mark.parametrize("src, rule", [
    ("def triple_(self, n):\n    import os\n    return 1\n", "imports"),
    ("def triple_(self, n):\n    from os import system\n", "imports"),
    ("def triple_(self, n):\n    return ().__class__.__bases__[0].__subclasses__()\n", "'_'"),
    ("def triple_(self, n):\n    return open('/etc/passwd').read()\n", "open is not allowed"),
    ("def triple_(self, n):\n    return eval('1')\n", "eval is not allowed"),
    ("def triple_(self, n):\n    return getattr(n, 'real' + '')\n", "constant, public name"),
    ("def triple_(self, n):\n    g = getattr\n    return g(n, 'x')\n", "getattr is not allowed"),
    ("def triple_(self, n):\n    global x\n    x = 1\n", "global"),
    ("def triple_(self, n):\n    try:\n        return 1\n    except:\n        return 2\n", "bare except"),
    ("def triple_(self, n):\n    try:\n        return 1\n    except BaseException:\n        return 2\n", "BaseException"),
    ("def triple_(self, n):\n    while True:\n        try:\n            pass\n        finally:\n            continue\n", "inside finally"),
    ("def triple_(self, n):\n    try:\n        pass\n    finally:\n        return 3\n", "return inside finally"),
    ("def triple_(self, n):\n    try:\n        pass\n    except ValueError:\n        while True:\n            pass\n", "loops inside except"),
    ("def triple_(self, n):\n    return '{0.__class__}'.format(n)\n", "'format' is not allowed"),
    ("def triple_(self, n):\n    return '{0.__class__}' % n\n", "'__'"),
    ("def triple_(self, n):\n    return (x for x in []).gi_frame.f_back\n", "'f_back' is not allowed"),
    ("def triple_(self, n):\n    return (x for x in []).gi_frame\n", "'gi_frame' is not allowed"),
    ("def triple_(self, n):\n    return self.python\n", "'python'"),
    ("def triple_(self, n):\n    return self.send('py' + 'thon')\n", "send needs a constant"),
    ("def wrong(self, n):\n    return n\n", "requested signature"),
    ("def triple_(self):\n    return 1\n", "requested signature"),
    ("Sure! Here is the method you asked for.", "not valid Python"),
    ("def triple_(self, n)\n    return n\n", "not valid Python"),
    ("x = 1\ndef triple_(self, n):\n    return n\n", "exactly one function"),
    ("def triple_(self, n):\n    self.items.append(n)\n    return self\n", "Persistence Covenant"),
    ("def triple_(self, n):\n    self.table[n] = 1\n", "Persistence Covenant"),
    ("def triple_(self, n):\n    class A:\n        pass\n", "classes"),
    ("def triple_(self, n):\n" + "    n = n + 1\n" * 800, "too large"),
])
def test_hostile_code_is_rejected(src, rule):
    rejected(src, rule)


def test_the_covenant_line_is_allowed_and_required_last():
    ok("def triple_(self, n):\n    self.items.append(n)\n    self._p_changed = True\n    return self\n")
    rejected("def triple_(self, n):\n    self._p_jar = None\n", "'_'")
    rejected("def triple_(self, n):\n    self._p_changed = True\n    self.items.append(n)\n", "Covenant")


def test_assigning_a_slot_needs_no_covenant():
    ok("def triple_(self, n):\n    self.total = n * 3\n    return self\n")


@pytest.mark.parametrize("src, fixed", [
    ("def push_(self, n):\n    self.items.append(n)\n",
     "def push_(self, n):\n    self.items.append(n)\n    self._p_changed = True\n"),
    ("def push_(self, n):\n    self.items.append(n)\n    return self\n",
     "def push_(self, n):\n    self.items.append(n)\n    self._p_changed = True\n    return self\n"),
    ("def push_(self, n):\n    return self.items.append(n)\n",
     "def push_(self, n):\n    self._p_changed = True\n    return self.items.append(n)\n"),
])
def test_a_forgotten_covenant_line_is_added_where_the_audit_wants_it(src, fixed):
    with pytest.raises(CovenantViolationError, match="Covenant"):
        audit(src)
    assert add_covenant_line(src) == fixed
    audit(fixed)


def test_code_that_keeps_the_covenant_or_needs_none_is_left_alone():
    kept = "def push_(self, n):\n    self.items.append(n)\n    self._p_changed = True\n"
    plain = "def twice_(self, n):\n    return n * 2\n"
    assert add_covenant_line(kept) == kept and add_covenant_line(plain) == plain


def test_changes_self_sees_slot_writes_and_in_place_changes():
    assert changes_self("def f(self):\n    self.count = self.count + 1\n")
    assert changes_self("def f(self, n):\n    self.items.append(n)\n")
    assert changes_self("def f(self):\n    self.total += 1\n")
    assert not changes_self("def f(self, n):\n    items = []\n    items.append(n)\n    return items\n")


def test_runaway_loops_are_stopped():
    f = ok("def triple_(self, n):\n    while True:\n        n = n + 1\n")
    with pytest.raises(SandboxTimeout):
        run_limited(f, (None, 1), seconds=0.2)


def test_an_exception_handler_cannot_swallow_the_time_limit():
    f = ok("def triple_(self, n):\n    while True:\n        try:\n            n = n + 1\n        except Exception:\n            n = 0\n")
    with pytest.raises(SandboxTimeout):
        run_limited(f, (None, 1), seconds=0.2)


def test_a_memory_bomb_fails_at_once():
    f = ok("def triple_(self, n):\n    return 'x' * n\n")
    with pytest.raises(MemoryError):
        run_limited(f, (None, 3_000_000_000), seconds=5, memory_bytes=256 * 1024 * 1024)
    assert run_limited(f, (None, 3), seconds=5) == "xxx"      # and the limit was lifted


def test_restricted_builtins():
    f = ok("def triple_(self, n):\n    return len(str(n)) + sum([1, 2])\n")
    assert f(None, 100) == 6


def test_model_code_sees_slots_through_self():
    with uvm.open(memory=True) as image:
        obj = image.eval("(| parent* = traits clonable. count <- 2 |)")
        f = ok("def triple_(self, n):\n    self.count = self.count * n\n    return self.count\n")
        assert run_limited(f, (obj, 3)) == 6
        assert obj.count == 6
