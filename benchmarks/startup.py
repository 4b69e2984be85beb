"""Start-up: ``uvm --memory --no-llm -c "3 + 4"`` against importing its own dependencies.

    python benchmarks/startup.py [--rounds N]

Each round runs, in a shuffled order, fresh processes of

    base      python -c 'import ZODB, lark'          (what the run cannot do without)
    pass      python -c pass                         (the interpreter alone)
    uvm       uvm --memory --no-llm -c "3 + 4"       (the prebuilt core world, warm)
    cold      the same with an empty cache directory (the world is built and saved)
    file      uvm --image FILE --no-llm -c "3 + 4"   (an image file that exists)

and prints each one's median and best wall time and the ratios of the medians to
``base`` -- the target is uvm/base <= 1.1. It also lists which of the modules a ``-c`` run
must not import (prompt_toolkit, pygments, ZEO, the REPL, torch) were imported.

Python is run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` removed), as on an
ordinary installation; a first untimed round writes the caches. Absolute times on a
shared machine are noisy: compare the ratios, measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

FORBIDDEN = ("prompt_toolkit", "pygments", "ZEO", "uvm.repl", "torch", "transformers",
             "uvm.llm.synthesis", "BTrees")
PROBE = ("import sys, runpy; sys.argv = ['uvm', '--memory', '--no-llm', '-c', '3 + 4']\n"
         "try:\n    runpy.run_module('uvm.cli', run_name='__main__')\n"
         "except SystemExit:\n    pass\n"
         "print(' '.join(sorted({{m if m.startswith('uvm') else m.split('.')[0] for m in "
         "sys.modules if m.split('.')[0] in {f} or m in {f}}})), file=sys.stderr)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=20)
    opts = p.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["UVM_LLM"] = "none"
    uvm_exe = os.path.join(os.path.dirname(sys.executable), "uvm")
    if not os.path.exists(uvm_exe):
        uvm_exe = None
    uvm_cmd = [uvm_exe] if uvm_exe else [sys.executable, "-m", "uvm.cli"]
    with tempfile.TemporaryDirectory(prefix="uvm-startup-") as tmp:
        image = os.path.join(tmp, "bench.fs")
        warm_cache = os.path.join(tmp, "cache")
        env["UVM_CACHE_DIR"] = warm_cache
        subprocess.run(uvm_cmd + ["--image", image, "-c", "1"], env=env, check=True)
        commands = {
            "base": [sys.executable, "-c", "import ZODB, lark"],
            "pass": [sys.executable, "-c", "pass"],
            "uvm": uvm_cmd + ["--memory", "--no-llm", "-c", "3 + 4"],
            "cold": uvm_cmd + ["--memory", "--no-llm", "-c", "3 + 4"],
            "file": uvm_cmd + ["--image", image, "--no-llm", "-c", "3 + 4"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(opts.rounds + 1):
            order = list(commands)
            random.shuffle(order)
            for name in order:
                run_env = dict(env)
                if name == "cold":
                    run_env["UVM_CACHE_DIR"] = tempfile.mkdtemp(dir=tmp)
                t0 = time.perf_counter()
                subprocess.run(commands[name], env=run_env, check=True,
                               stdout=subprocess.DEVNULL)
                if round_:             # round 0 writes the bytecode caches
                    times[name].append(time.perf_counter() - t0)
        probe = subprocess.run([sys.executable, "-c", PROBE.format(f=set(FORBIDDEN))],
                               env=env, capture_output=True, text=True)
    base = statistics.median(times["base"])
    print(f"{opts.rounds} rounds, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; median and best wall time of a fresh process")
    for name, command in commands.items():
        med, best = statistics.median(times[name]), min(times[name])
        shown = " ".join(command[1:] if command[0] == sys.executable else
                         ["uvm"] + command[1:])
        print(f"  {name:5} {med * 1000:7.1f} ms  best {best * 1000:7.1f} ms  "
              f"ratio to base {med / base:5.2f}   {shown}")
    imported = probe.stderr.split("\n")[-2] if probe.stderr.strip() else ""
    print(f"uvm/base = {statistics.median(times['uvm']) / base:.2f} (target <= 1.1); "
          f"modules a -c run must not import, imported: {imported or 'none'}")


if __name__ == "__main__":
    main()
