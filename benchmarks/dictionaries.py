"""The cost of ``dictionary at:`` (and ``at:Put:``) on string and integer keys.

Since core version 5 dictionaries find keys by UVM equality (the keys' own ``=`` and
``hash``); strings and numbers keep a fast path. This prints, per operation, the time of a
UVM loop doing it, the same loop without it, and so the nanoseconds one operation costs,
beside a Python dict doing the same. To compare two versions of UVM, run this file with
each (``PYTHONPATH=OTHER_CHECKOUT python benchmarks/dictionaries.py``) in one session and
compare the ns/op column; the machine is noisy, so use ``--repeat`` and ``nice``.

    python benchmarks/dictionaries.py [--repeat N] [--n N]
"""
from __future__ import annotations

import argparse
import time

import uvm

SETUP = """
lobby _AddSlots: (| dbench = (| parent* = traits clonable.
  empty: n With: d Key: k = (| s <- 0 | 1 to: n Do: [| :i | s: s + 1]. s).
  at: n With: d Key: k = (| s <- 0 | 1 to: n Do: [| :i | s: s + (d at: k)]. s).
  put: n With: d Key: k = (1 to: n Do: [| :i | d at: k Put: i]. d size).
|) |).
"""


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--n", type=int, default=100_000)
    opts = ap.parse_args()
    n = opts.n
    with uvm.open(memory=True) as image:
        image.eval(SETUP, "<benchmarks>")
        from uvm.runtime.send import send
        bench = image.lobby._slots["dbench"]
        print(f"uvm from {uvm.__file__}")
        print(f"{'operation':28} {'loop ms':>9} {'empty ms':>9} {'ns/op':>7} {'python ns/op':>13}")
        for kind, key in (("string", "key50"), ("integer", 50)):
            d = image.eval("dictionary copy")
            for i in range(100):
                send(d, "at:Put:", f"key{i}" if kind == "string" else i, i)
            pyd = {(f"key{i}" if kind == "string" else i): i for i in range(100)}
            empty = best_of(lambda: bench.send("empty:With:Key:", n, d, key), opts.repeat)
            for op, selector in (("at:", "at:With:Key:"), ("at:Put:", "put:With:Key:")):
                t = best_of(lambda: bench.send(selector, n, d, key), opts.repeat)
                if op == "at:":
                    def py(pyd=pyd, key=key):
                        s = 0
                        for _ in range(n):
                            s = s + pyd[key]
                        return s
                    def py_empty():
                        s = 0
                        for _ in range(n):
                            s = s + 1
                        return s
                else:
                    def py(pyd=pyd, key=key):
                        for i in range(n):
                            pyd[key] = i
                    py_empty = lambda: None  # noqa: E731
                t_py = best_of(py, opts.repeat) - best_of(py_empty, opts.repeat)
                ns = (t - empty) / n * 1e9
                print(f"{kind + ' ' + op:28} {t * 1e3:9.2f} {empty * 1e3:9.2f} {ns:7.0f} "
                      f"{t_py / n * 1e9:13.0f}")
        image.tm.abort()


if __name__ == "__main__":
    main()
