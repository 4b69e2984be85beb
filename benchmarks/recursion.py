"""How deep UVM code can recurse, by the path the recursion takes, and what one level costs.

For each shape of recursion (plain sends; through do:, at:IfAbsent:, a non-inlined
ifTrue:False:, collect:, sortedBy:, a Python method), this finds the deepest recursion that
still answers (bisecting; every attempt runs in a fresh process, so a crash is seen as a
crash, not as the end of this script), and reports Python frames per level of UVM
recursion (the deepest Python stack at two depths, after a first run compiled the methods). Then it runs each shape far past its limit and
checks that the answer is UVM's clean "stack overflow" error -- never a crash.

    python benchmarks/recursion.py [--max N]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

SETUP = """
lobby _AddSlots: (| deep = (| parent* = traits clonable.
  one = ((1 & 1) asList copyFrom: 0 UpTo: 1).
  pair = ((1 & 2) asList).
  empty = (dictionary copy).
  plain: n = (n = 0 ifTrue: [0] False: [(plain: n - 1) + 1]).
  do: n = (n = 0 ifTrue: [^ 0]. one do: [| :e | ^ (do: n - 1) + 1]. 0).
  absent: n = (n = 0 ifTrue: [^ 0]. empty at: n IfAbsent: [(absent: n - 1) + 1]).
  blocks: n = (| t. f | t: [0]. f: [(blocks: n - 1) + 1]. (n = 0) ifTrue: t False: f).
  collect: n = (n = 0 ifTrue: [^ 0]. (one collect: [| :e | (collect: n - 1) + 1]) first).
  sorted: n = (| r <- 0 | n = 0 ifTrue: [^ 0]. pair sortedBy: [| :a. :b | r: (sorted: n - 1) + 1. true]. r).
  python: = py'''
    def python_(self, n):
        return 0 if n == 0 else self.python_(n - 1) + 1
  '''.
  memo <- dictionary copy.
  fib: n = (n < 2 ifTrue: [^ n]. memo at: n IfAbsent: [| v | v: (fib: n - 1) + (fib: n - 2). memo at: n Put: v. v]).
|) |).
"""
SHAPES = ["plain", "do", "absent", "blocks", "collect", "sorted", "python", "fib"]

CHILD = r"""
import json, sys
import uvm
from uvm.runtime.errors import UvmError
shape, n = sys.argv[1], int(sys.argv[2])
with uvm.open(memory=True) as image:
    image.eval(SETUP, "<recursion>")
    try:
        src = f"deep fib: {n}" if shape == "fib" else f"deep {shape}: {n}"
        value = image.eval(src, "<recursion>")
        print(json.dumps({"ok": True, "value": value if shape != "fib" else value.bit_length()}))
    except UvmError as e:
        print(json.dumps({"ok": False, "error": e.message}))
"""


def attempt(shape: str, n: int) -> dict:
    code = "SETUP = " + json.dumps(SETUP) + "\n" + CHILD
    p = subprocess.run([sys.executable, "-c", code, shape, str(n)], capture_output=True,
                       text=True, timeout=600)
    if p.returncode != 0:
        return {"ok": False, "crash": p.returncode, "stderr": p.stderr[-300:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def frames_per_level(shape: str) -> float:
    """Python frames one level of this recursion costs (traceback length at two depths)."""
    code = "SETUP = " + json.dumps(SETUP) + r"""
import sys, uvm
shape = sys.argv[1]
with uvm.open(memory=True) as image:
    image.eval(SETUP, "<recursion>")
    def depth_at(n):
        sys.setrecursionlimit(10_000_000)
        best = 0
        def tracer(frame, event, arg):
            nonlocal best
            if event == "call":
                d, f = 0, frame
                while f is not None:
                    d, f = d + 1, f.f_back
                best = max(best, d)
        sys.setprofile(tracer)
        try:
            image.eval(f"deep fib: {n}" if shape == "fib" else f"deep {shape}: {n}", "<recursion>")
        finally:
            sys.setprofile(None)
        return best
    depth_at(5)  # compiles the methods first (the compiler's own frames would count)
    a, b = depth_at(20), depth_at(40)
    print((b - a) / 20)
"""
    p = subprocess.run([sys.executable, "-c", code, shape], capture_output=True, text=True,
                       timeout=600)
    return float(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else float("nan")


def deepest(shape: str, top: int) -> tuple[int, str]:
    """The deepest n that answers (bisecting in [0, top]); and what happens past it."""
    lo, hi = 0, top
    if attempt(shape, top).get("ok"):
        return top, "answers at the top of the range"
    while hi - lo > max(50, lo // 100):
        mid = (lo + hi) // 2
        if attempt(shape, mid).get("ok"):
            lo = mid
        else:
            hi = mid
    past = attempt(shape, top)
    how = "crash (exit %s)" % past["crash"] if "crash" in past else past.get("error", "?")
    return lo, how


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=int, default=200_000, help="deepest recursion tried")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    opts = ap.parse_args()
    print(f"{'recursion through':20} {'frames/level':>12} {'deepest':>9}  past the limit")
    for shape in opts.shapes.split(","):
        fpl = frames_per_level(shape)
        depth, how = deepest(shape, opts.max)
        print(f"{shape:20} {fpl:12.1f} {depth:9d}  {how}")


if __name__ == "__main__":
    main()
