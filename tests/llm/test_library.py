"""The method library and the near-copy check: every seed method passes the guardian and
gives its example's value; the check finds a task's answer with one name, operator or
constant changed, and the synthesis benchmark refuses to run when it is given one."""
from __future__ import annotations

import importlib
import os
import sys

import pytest

import uvm
from uvm.llm.synthesis import library
from uvm.llm.synthesis.answer import same_value
from uvm.llm.synthesis.nearcopy import Reference, near_copies, normalised_tokens
from uvm.llm.synthesis.receiver import (describe_value, holder_for, messages_understood,
                                        source_of, type_name)
from uvm.llm.synthesis.sandbox import compile_audited
from uvm.runtime import send as send_mod
from uvm.runtime.compiler import compile_program
from uvm.runtime.objects import Method
from uvm.syntax import parse

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")


@pytest.mark.parametrize("row", library.seed_rows(), ids=lambda r: r["selector"])
def test_every_seed_method_runs_on_its_example(row):
    """Built from the row (the object as ``it``), installed as the pipeline would, run on
    its example; the brief's description of it is what the worked example shows."""
    with uvm.open(memory=True) as im:
        slots = row.get("slots") or {}
        im.eval("lobby _AddSlots: (| it = (| parent* = traits clonable. %s |) |)"
                % ". ".join([f"{n} <- nil" for n in slots] + [row.get("methods", "")]))
        for name, value in slots.items():
            im.eval(f"it {name}: {source_of(value)}")
        receiver = im.eval("it" if row["receiver"] is None else source_of(row["receiver"]))
        holder = holder_for(receiver, im.lobby)
        fn = compile_audited(row["source"])  # the guardian accepts it as it stands

        def install():
            m = Method(row["selector"], "python", row["source"], (), "<seed>", 1, 1, core=False)
            m._fn = fn
            holder.define_slot(row["selector"], m, 0)
            send_mod.invalidate_all()
        im.run(install, "seed", "test")
        shown = next(e for e in library.seed() if e.selector == row["selector"])
        args = [im.eval(source_of(a)) for a in row["args"]]
        assert shown.args == tuple((describe_value(a), type_name(a)) for a in args)
        assert list(shown.understands) == messages_understood(receiver, row["selector"], im.lobby)
        expr, expected = row["example"]
        code = compile_program(parse(expr, "<seed example>"))
        got = []  # compared inside the transaction, while the objects are live
        im.run(lambda: got.append(same_value(code(im.lobby), expected)), expr, "test")
        assert got == [True], f"{expr} did not give {expected!r}"


def test_near_copies_differ_in_one_name_operator_or_constant():
    refs = [Reference("triple", "triple", "def triple(self):\n    return self * 3\n"),
            Reference("count", "increment",
                      "def increment(self):\n    self.count = self.count + 1\n    return self.count\n")]
    entries = [
        ("constant", "doubled", "def doubled(self):\n    return self * 2\n"),
        ("operator", "plusThree", "def plusThree(self):\n    return self + 3\n"),
        ("a name, everywhere", "bump",
         "def bump(self):\n    self.total = self.total + 1\n    return self.total\n"),
        ("renamed locals", "up", "def up(self):\n    '''doc'''\n    self.count = self.count + 1\n"
                                 "    self._p_changed = True\n    return self.count\n"),
        ("same selector", "triple", "def triple(self):\n    return 3 * self + 0\n"),
        ("two changes", "minusHalf", "def minusHalf(self):\n    return self - 0.5 * 2\n"),
        ("two changes", "down",
         "def down(self):\n    self.count = self.count - 2\n    return self.count\n"),
    ]
    found = {c.entry: c for c in near_copies(entries, refs)}
    assert set(found) == {"constant", "operator", "a name, everywhere", "renamed locals",
                          "same selector"}
    assert found["constant"].reference == "triple" and "near-copy" in found["constant"].why
    assert found["same selector"].why == "the same selector as"
    assert normalised_tokens("def f(self, n):\n    return n\n") == \
        normalised_tokens("def g(self, x):\n    return x\n")
    assert normalised_tokens("not python") is None


@pytest.fixture
def benchmark(monkeypatch):
    monkeypatch.syspath_prepend(BENCHMARKS)
    yield importlib.import_module("synthesis")
    for name in ("synthesis", "synthesis_dev", "synthesis_heldout", "synthesis_tasks"):
        sys.modules.pop(name, None)


def test_the_benchmark_refuses_a_near_copy_and_accepts_the_seed_library(benchmark):
    benchmark.refuse_near_copies(benchmark.given_at_run_time())  # the shipped library passes
    task = benchmark.HELDOUT[0]
    body = task.reference.replace("4", "5")  # quadrupled's answer with one constant changed
    sneaked = [("timesFive", body)]
    with pytest.raises(benchmark.Refused, match=r"timesFive is a near-copy"):
        benchmark.refuse_near_copies(benchmark.given_at_run_time(sneaked))
