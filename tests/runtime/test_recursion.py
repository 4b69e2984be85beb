"""No crash, whatever the recursion (issue 10, item 4; issue 17, item 10): the recursion
limit and the C stack are chosen together (uvm/runtime/stack.py), so a runaway recursion
through plain sends, blocks, sortedBy: (a C sort calling back), collect:, Python methods
(through __getattr__ and map) or model-written code ends in UVM's "stack overflow" error.

Each case runs in its own process: a crash there is a failed test, not a dead test run."""
from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from uvm.runtime import stack

OBJECT = """lobby _AddSlots: (| r = (| parent* = traits clonable.
  one = ((1 & 1) asList copyFrom: 0 UpTo: 1).
  pair = ((1 & 2) asList).
  plain: n = ((plain: n + 1) + 1).
  do: n = (one do: [| :e | ^ (do: n + 1) + 1]. 0).
  absent: n = (dictionary copy at: n IfAbsent: [(absent: n + 1) + 1]).
  sorted: n = (pair sortedBy: [| :a. :b | sorted: n + 1. true]. 0).
  collect: n = ((one collect: [| :e | collect: n + 1]) first).
  python: = py'''
    def python_(self, n):
        return self.python_(n + 1) + 1
  '''.
  mapped: = py'''
    def mapped_(self, n):
        return sum(map(lambda k: self.mapped_(k), [n + 1]))
  '''.
  sent: = py'''
    def sent_(self, n):
        return self.send('sent:', n + 1)
  '''.
|) |). """

CASES = ["plain", "do", "absent", "sorted", "collect", "python", "mapped", "sent"]


def run_uvm(args, timeout=300):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("shape", CASES)
def test_runaway_recursion_is_a_clean_stack_overflow(shape):
    p = run_uvm(["--memory", "--no-llm", "-c", OBJECT + f"r {shape}: 0"])
    assert p.returncode == 1, (p.returncode, p.stderr[-2000:])  # not a signal: no crash
    assert "Error: stack overflow" in p.stderr, p.stderr[-2000:]
    assert "Traceback" not in p.stderr and "Fatal Python error" not in p.stderr


def test_the_image_and_the_program_go_on_after_a_stack_overflow(tmp_path):
    """The overflow rolls its evaluation back; the next evaluation of the same process
    works (as the REPL's next input would)."""
    code = ("import uvm\n"
            "from uvm.runtime.errors import UvmError\n"
            f"im = uvm.open({str(tmp_path / 'i.fs')!r})\n"
            f"src = {OBJECT!r}\n"
            "try:\n"
            "    im.eval(src + 'lobby _AddSlots: (| ghost = 1 |). r sorted: 0')\n"
            "except UvmError as e:\n"
            "    print(e.message)\n"
            "print(im.eval(\"(lobby _SlotNames includes: 'ghost') printString\"))\n"
            "print(im.eval('3 + 4'))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.split("\n")[:3] == ["stack overflow: the program recursed too deeply",
                                        "false", "7"]


def test_model_written_code_that_recurses_ends_cleanly(tmp_path):
    """A method the model wrote (the script: test double answers for it), first run in
    the sandbox, then sent again far deeper than any stack holds."""
    answer = "def deep_(self, n):\n    return 0 if n == 0 else self.deep_(n - 1) + 1\n"
    script = tmp_path / "answers.jsonl"
    script.write_text(json.dumps({"text": answer}) + "\n")
    p = run_uvm(["--memory", "--llm", f"script:{script}", "-c",
                 "lobby _AddSlots: (| calc = (| parent* = traits clonable |) |). "
                 "(calc deep: 10) printLine. calc deep: 100000000"])
    assert p.stdout == "10\n", (p.stdout, p.stderr[-2000:])
    assert p.returncode == 1 and "Error: stack overflow" in p.stderr, p.stderr[-2000:]
    assert "Traceback" not in p.stderr


def test_the_limit_fits_the_stack():
    """The limit times the worst measured C stack per unit never exceeds the stack the
    main thread may grow to; in this process (pytest's main thread) both were raised."""
    import uvm
    with uvm.open(memory=True):
        limit = sys.getrecursionlimit()
    soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
    room = stack.room_below_stack()
    assert limit >= 60_000, limit  # 20,000 levels through do: blocks, with room to spare
    assert soft == resource.RLIM_INFINITY or limit * stack.BYTES_PER_UNIT <= soft
    assert room is None or limit * stack.BYTES_PER_UNIT <= room


def test_another_thread_gets_a_limit_its_stack_holds():
    code = ("import sys, threading\n"
            "from uvm.runtime import stack\n"
            "out = []\n"
            "t = threading.Thread(target=lambda: out.append(stack.configure()))\n"
            "t.start(); t.join()\n"
            "print(out[0], stack.thread_stack())\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    limit, size = map(int, p.stdout.split())
    assert limit * stack.BYTES_PER_UNIT <= max(size, stack.MIN_LIMIT * stack.BYTES_PER_UNIT)
