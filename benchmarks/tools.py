"""What a call through a capability costs, against the same request made directly with
``http.client``, to the same server (examples/library_api.py on loopback), in one process.

Two cases, each against its own baseline:

- read: ``tools library getBook: 1`` sent K times from one UVM loop (one evaluation;
  reads go at once), per call -- against ``GET /books/1`` plus ``json.loads`` in Python.
  What the capability adds: the proxy's send, the membrane of the generated method, the
  host, path, rate and size checks, the answer turned into UVM values, the audit log.
- write: one evaluation ``tools library addBook: 'Dune' Author: 'Frank Herbert'`` (its
  commit, the outbox's vote, the POST after the commit and the follow-up transaction that
  records the answer) -- against an evaluation that commits a change of a slot followed
  by a direct ``POST /books``.

Interleaved, best of N short runs, so that a busy machine slows both alike; still noisy on
a shared machine: compare ratios, not seconds. Uses a file image (a write is durable).

Run: .venv/bin/python benchmarks/tools.py [--repeat N] [--calls K]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time

import uvm
from uvm.cognition.tools import capability as caps

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "examples"))
from library_api import LibraryServer  # noqa: E402


def direct_get(port: int, path: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def direct_post(port: int, path: str, value):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, json.dumps(value), {"Content-Type": "application/json"})
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--calls", type=int, default=50, help="reads per run")
    opts = p.parse_args(argv)
    k = opts.calls
    with tempfile.TemporaryDirectory() as folder, LibraryServer() as server, \
            uvm.open(os.path.join(folder, "bench.fs")) as image:
        image.eval(f"tools grant: 'library' Url: '{server.url}' Spec: '{server.url}/openapi.json' "
                   "Allow: 'GET,POST'")

        def no_rate_limit():
            caps.registry(image.connection.root()).capabilities["library"].rate = (1_000_000, 1.0)
        image.run(no_rate_limit, "the benchmark's rate", "benchmark")
        image.eval("lobby _AddSlots: (| counter <- 0 |)")
        image.eval("tools library getBook: 1")       # the proxy and the method, generated once
        image.eval("tools library addBook: 'Warm' Author: 'Up'")
        read_expr = f"1 to: {k} Do: [| :i | tools library getBook: 1]"
        runs = {"read direct": [], "read tool": [], "write direct": [], "write tool": []}
        for _ in range(opts.repeat):
            runs["read direct"].append(timed(lambda: [direct_get(server.port, "/books/1")
                                                      for _ in range(k)]) / k)
            runs["read tool"].append(timed(lambda: image.eval(read_expr)) / k)

            def write_direct():
                image.eval("counter: counter + 1")
                direct_post(server.port, "/books", {"title": "Dune", "author": "Frank Herbert"})
            runs["write direct"].append(timed(write_direct))
            runs["write tool"].append(timed(
                lambda: image.eval("tools library addBook: 'Dune' Author: 'Frank Herbert'")))
        posts = server.count("POST")
        expected = 1 + 2 * opts.repeat
        best = {name: min(times) for name, times in runs.items()}
    print(f"{opts.repeat} runs, best of each; {k} reads per read run; one evaluation per write")
    for case in ("read", "write"):
        d, t = best[f"{case} direct"], best[f"{case} tool"]
        print(f"{case:5}  direct {d * 1e3:8.3f} ms   through the capability {t * 1e3:8.3f} ms"
              f"   ratio {t / d:5.2f}x")
    print(f"POSTs the server got: {posts} (expected {expected}: one per committed write)")
    return 0 if posts == expected else 1


if __name__ == "__main__":
    sys.exit(main())
