"""The membrane's cost: a model-written method's call, confined, against the same method
installed unguarded (plain Python, as a person's Python method is), in one process.

Two methods, each sent from a UVM loop: ``triple:`` (arithmetic on its argument) and
``doubled`` (reads a slot of its receiver). Each is installed twice in one image, once
with the provenance of a model-written method (compiled by ``uvm.runtime.confinement``:
RestrictedPython's guards, the membrane, the per-call limits) and once as a plain Python
method. Printed: the best-of-N time per send of each, the loop alone, and the ratios
confined / unguarded (target: at most 2), both per send and with the loop's own time
taken off. Interleaved, so that a busy machine slows both alike; short runs, many of
them (a run that a busy machine preempts is discarded by the best-of); still noisy on a
shared machine: compare ratios, not seconds.

Run: .venv/bin/python benchmarks/membrane.py [--repeat N] [--sends N]
"""
from __future__ import annotations

import argparse
import time

import uvm
from uvm.runtime import send as send_mod
from uvm.runtime.objects import Method

SETUP = """lobby _AddSlots: (|
  plain = (| parent* = traits clonable. n <- 5 |).
  confined = (| parent* = traits clonable. n <- 5 |).
  bench = (| parent* = traits clonable.
    arithmetic: k On: c = (| s <- 0 | 1 to: k Do: [| :i | s: s + (c triple: i)]. s).
    slotRead: k On: c = (| s <- 0 | 1 to: k Do: [| :i | s: s + c doubled]. s).
    loop: k On: c = (| s <- 0 | 1 to: k Do: [| :i | s: s + i]. s) |) |)"""
METHODS = {"triple:": "def triple_(self, n):\n    return n * 3\n",
           "doubled": "def doubled(self):\n    return self.n * 2\n"}
CASES = (("arithmetic", "arithmetic:"), ("slot read", "slotRead:"))


def build():
    image = uvm.open(memory=True)
    image.eval(SETUP)

    def install():
        for holder, provenance in (("plain", None), ("confined", {"synthesized": True})):
            obj = image.lobby._slots[holder]
            for selector, source in METHODS.items():
                obj.define_slot(selector, Method(selector, "python", source, (), "<bench>", 1, 1,
                                                 provenance=provenance), 0)
        send_mod.invalidate_all()
    image.run(install, "install the benchmark's methods", "benchmark")
    return image


def timed(image, expr: str) -> float:
    started = time.perf_counter()
    image.eval(expr)
    return time.perf_counter() - started


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--sends", type=int, default=5_000)
    opts = p.parse_args(argv)
    image = build()
    n = opts.sends
    print(f"{n} sends per run, best of {opts.repeat}; ns per send")
    for name, selector in CASES:
        best = {"loop": 1e9, "plain": 1e9, "confined": 1e9}
        for _ in range(opts.repeat):
            best["loop"] = min(best["loop"], timed(image, f"bench loop: {n} On: plain"))
            for who in ("plain", "confined"):
                best[who] = min(best[who], timed(image, f"bench {selector} {n} On: {who}"))
        ns = {k: v / n * 1e9 for k, v in best.items()}
        call_plain, call_confined = ns["plain"] - ns["loop"], ns["confined"] - ns["loop"]
        print(f"{name:11} unguarded {ns['plain']:6.0f}  confined {ns['confined']:6.0f}  "
              f"loop {ns['loop']:5.0f}   ratio {ns['confined'] / ns['plain']:4.2f}x per send, "
              f"{call_confined / call_plain:4.2f}x without the loop")
    image.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
