"""Send-heavy UVM programs against the same algorithms in plain Python, in one process.

Prints, per benchmark, the best-of-N time of each and the ratio UVM / Python (the target
is at most 3; a tree-walking interpreter lands at 50-100). Times are this process's CPU
time (time.process_time), not wall-clock time: on a shared machine other processes'
work then does not count, which keeps the ratios steady (wall-clock best-of-N here varied
by 4x between runs under load). Run:

    python benchmarks/sends.py [--repeat N]
"""
from __future__ import annotations

import argparse
import time

import uvm

# Each benchmark: (name, UVM definitions, UVM expression to time, Python function to time).
SETUP = """
traits integer _AddSlots: (|
  fib = (self < 2 ifTrue: [self] False: [(self - 1) fib + (self - 2) fib]).
|).
lobby _AddSlots: (|
  bench = (| parent* = traits clonable.
    sumTo: n = (| s <- 0 | 1 to: n Do: [| :i | s: s + i]. s).
    whileTo: n = (| s <- 0. i <- 0 | [i < n] whileTrue: [s: s + i. i: i + 1]. s).
    blockCalls: n = (| s <- 0. add | add: [| :x | s: s + x]. 1 to: n Do: [| :i | add value: i]. s).
    strings: n = (| s <- '' | 1 to: n Do: [| :i | s: s , 'x']. s size).
  |).
  point = (| parent* = traits clonable. x <- 0. y <- 0 |).
  slots = (| parent* = traits clonable.
    run: n With: p = (1 to: n Do: [| :i | p x: p x + 1. p y: p x]. p y).
  |).
  base = (| parent* = traits clonable. depth = (1) |).
|).
lobby _AddSlots: (| level1 = (| parent* = base |) |).
lobby _AddSlots: (| level2 = (| parent* = level1 |) |).
lobby _AddSlots: (| level3 = (| parent* = level2 |) |).
lobby _AddSlots: (| level4 = (| parent* = level3 |) |).
lobby _AddSlots: (|
  chain = (| parent* = traits clonable.
    run: n On: o = (| s <- 0 | 1 to: n Do: [| :i | s: s + o depth]. s).
  |).
|).
"""


def py_fib(n):
    return n if n < 2 else py_fib(n - 1) + py_fib(n - 2)


def py_sum_to(n):
    s = 0
    for i in range(1, n + 1):
        s = s + i
    return s


def py_while_to(n):
    s = i = 0
    while i < n:
        s = s + i
        i = i + 1
    return s


def py_block_calls(n):
    s = 0

    def add(x):
        nonlocal s
        s = s + x
    for i in range(1, n + 1):
        add(i)
    return s


def py_strings(n):
    s = ""
    for _ in range(n):
        s = s + "x"
    return len(s)


class PyPoint:
    def __init__(self):
        self.x = 0
        self.y = 0


def py_slots(n, p):
    for _ in range(n):
        p.x = p.x + 1
        p.y = p.x
    return p.y


class PyBase:
    def depth(self):
        return 1


class PyL1(PyBase): pass
class PyL2(PyL1): pass
class PyL3(PyL2): pass
class PyL4(PyL3): pass


def py_chain(n, o):
    s = 0
    for _ in range(n):
        s = s + o.depth()
    return s


BENCHMARKS = [
    ("fib 22 (recursive sends)", "22 fib", lambda: py_fib(22)),
    ("to:Do: loop, 200k", "bench sumTo: 200000", lambda: py_sum_to(200000)),
    ("whileTrue: loop, 200k", "bench whileTo: 200000", lambda: py_while_to(200000)),
    ("block calls, 200k", "bench blockCalls: 200000", lambda: py_block_calls(200000)),
    ("slot reads/writes, 100k", "slots run: 100000 With: point clone", lambda: py_slots(100000, PyPoint())),
    ("sends up a 5-deep parent chain, 100k", "chain run: 100000 On: level4 clone",
     lambda: py_chain(100000, PyL4())),
    ("string building, 20k", "bench strings: 20000", lambda: py_strings(20000)),
]


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    opts = ap.parse_args()
    with uvm.open(memory=True) as image:
        image.eval(SETUP, "<benchmarks>")
        from uvm.runtime.compiler import compile_program
        from uvm.syntax import parse
        print(f"{'benchmark':42} {'uvm ms':>9} {'python ms':>10} {'ratio':>6}")
        ratios = []
        for name, code, py in BENCHMARKS:
            run = compile_program(parse(code, "<bench>"))  # time the sends, not the parse
            lobby = image.lobby
            expected = py()
            got = run(lobby)
            assert got == expected, (name, got, expected)
            t_uvm = best_of(lambda: run(lobby), opts.repeat)
            t_py = best_of(py, opts.repeat)
            ratios.append(t_uvm / t_py)
            print(f"{name:42} {t_uvm * 1e3:9.2f} {t_py * 1e3:10.2f} {t_uvm / t_py:6.2f}")
        image.tm.abort()
        print(f"{'max ratio':42} {'':9} {'':10} {max(ratios):6.2f}")


if __name__ == "__main__":
    main()
