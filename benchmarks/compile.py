"""Compile time and memory against program size: is it linear?

For scripts of N top-level statements (each `(I printString , 'x') size`: three sends) and
for a single string literal of M megabytes, this parses and compiles the script (as
`uvm FILE` does, without running it) in a fresh process and reports the time per statement
or per megabyte, and the peak memory (ru_maxrss) above a process that only opened an image,
per megabyte of source. Linear means the per-statement column stays flat as N grows.

    python benchmarks/compile.py [--sizes 5000,20000,100000] [--megabytes 5]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
import uvm
from uvm.runtime.compiler import compile_program
from uvm.syntax import parse
im = uvm.open(memory=True)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
source = open(sys.argv[1]).read() if sys.argv[1] != "-" else ""
t0 = time.perf_counter()
program = parse(source, sys.argv[1])
t1 = time.perf_counter()
compile_program(program)
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"parse": t1 - t0, "compile": t2 - t1, "extra_kb": peak - before,
                  "source": len(source)}))
"""


def measure(path: str) -> dict:
    p = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True,
                       timeout=3600)
    if p.returncode != 0:
        raise SystemExit(p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,20000,100000")
    ap.add_argument("--megabytes", type=float, default=5)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'program':32} {'parse s':>8} {'compile s':>9} {'us/stmt':>8} {'MB peak/MB src':>15}")
        for n in map(int, opts.sizes.split(",")):
            path = os.path.join(tmp, f"s{n}.uvm")
            with open(path, "w") as f:
                f.write("".join(f"({i} printString , 'x') size.\n" for i in range(n)))
            r = measure(path)
            mb = r["source"] / 2 ** 20
            print(f"{f'{n} statements ({mb:.1f} MB)':32} {r['parse']:8.2f} {r['compile']:9.2f} "
                  f"{(r['parse'] + r['compile']) / n * 1e6:8.0f} {r['extra_kb'] / 1024 / mb:15.1f}")
        path = os.path.join(tmp, "string.uvm")
        size = int(opts.megabytes * 2 ** 20)
        with open(path, "w") as f:
            f.write("'" + "x" * size + "' size\n")
        r = measure(path)
        mb = r["source"] / 2 ** 20
        print(f"{f'a {opts.megabytes:g} MB string literal':32} {r['parse']:8.2f} "
              f"{r['compile']:9.2f} {'':8} {r['extra_kb'] / 1024 / mb:15.1f}")


if __name__ == "__main__":
    main()
