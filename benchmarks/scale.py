"""Scale of the living image: a million small objects in a tree, and commit throughput.

Reports (see issue "The living image", item 9):
  * time to build the image (chunks of one transaction each) and its size on disk;
  * in a fresh process: time to open the image and evaluate one expression, time to
    reach one object by key, and resident memory after that (objects must stay ghosts
    until touched);
  * commit throughput of tiny evaluations against raw ZODB commits of the same change,
    in the same run, as a ratio (target: at least 0.5).

Run:  python benchmarks/scale.py [--objects N] [--dir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import uvm

PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
import uvm
image = uvm.open(sys.argv[1])
size = image.eval("store size")
t1 = time.perf_counter()
k = image.eval("(store at: %d) k" % int(sys.argv[2]))
t2 = time.perf_counter()
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1])
print(json.dumps({"open_and_eval_s": t1 - t0, "reach_by_key_s": t2 - t1, "size": size,
                  "key": k, "rss_mb": rss / 1024, "cache_objects": len(image.connection._cache)}))
"""


def build(path: str, n: int, chunk: int) -> float:
    t0 = time.perf_counter()
    with uvm.open(path) as image:
        image.eval("lobby _AddSlots: (| store <- tree copy. "
                   "item = (| parent* = traits clonable. k <- 0. label <- 'item' |) |)")
        for start in range(0, n, chunk):
            end = min(n, start + chunk) - 1
            image.eval(f"{start} to: {end} Do: [| :i | store at: i Put: (item clone k: i)]")
    return time.perf_counter() - t0


def throughput(path: str, commits: int) -> tuple[float, float]:
    """Evaluations per second of `counter bump`, and raw ZODB commits per second of the
    same change (the slot write and the commit, no UVM), alternating to share the noise."""
    with uvm.open(path) as image:
        image.eval("lobby _AddSlots: (| counter = (| parent* = traits clonable. n <- 0. "
                   "bump = (n: n + 1) |) |)")
        counter = image.lobby._slots["counter"]
        uvm_time = raw_time = 0.0
        for _ in range(commits // 50):
            t0 = time.perf_counter()
            for _ in range(50):
                image.eval("counter bump")
            t1 = time.perf_counter()
            for _ in range(50):
                image.tm.begin()
                counter._slots["n"] += 1
                counter._p_changed = True
                image.tm.commit()
            t2 = time.perf_counter()
            uvm_time += t1 - t0
            raw_time += t2 - t1
        done = (commits // 50) * 50
        assert image.eval("counter n") == 2 * done
    return done / uvm_time, done / raw_time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--commits", type=int, default=500)
    ap.add_argument("--dir", default=None, help="where to build the image (default: a temp dir)")
    opts = ap.parse_args()
    work = opts.dir or tempfile.mkdtemp(prefix="uvm-scale-")
    path = os.path.join(work, "scale.fs")
    build_s = build(path, opts.objects, opts.chunk)
    size_mb = os.path.getsize(path) / 1e6
    print(f"built {opts.objects:,} objects in {build_s:.1f} s; image {size_mb:.0f} MB")
    probe = json.loads(subprocess.run([sys.executable, "-c", PROBE, path, str(opts.objects * 3 // 4)],
                                      capture_output=True, text=True, check=True).stdout)
    assert probe["size"] == opts.objects and probe["key"] == opts.objects * 3 // 4
    print(f"fresh process: open + `store size` {probe['open_and_eval_s'] * 1e3:.0f} ms; "
          f"reach one object by key {probe['reach_by_key_s'] * 1e3:.1f} ms; "
          f"resident memory {probe['rss_mb']:.0f} MB with {probe['cache_objects']} objects loaded")
    uvm_rate, raw_rate = throughput(path, opts.commits)
    print(f"commits: {uvm_rate:.0f} evaluations/s vs raw ZODB {raw_rate:.0f} commits/s "
          f"(ratio {uvm_rate / raw_rate:.2f}, target >= 0.5)")


if __name__ == "__main__":
    main()
