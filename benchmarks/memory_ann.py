"""ANN libraries for the memory's vector search past ``annThreshold`` (issue 14): hnswlib
against faiss-cpu, both HNSW with the settings ``uvm/cognition/memory/index.py`` uses
(M 16, ef_construction 100, ef 64), against exact search with numpy, in one run.

The vectors: N unit vectors, each the normalised sum of two real all-MiniLM-L6-v2
embeddings of the memory benchmarks' texts (benchmarks/.cache; there are about 10,000
distinct texts, so pairs make N distinct points that lie where sentence embeddings lie).
The queries: the memory benchmark's 120 questions, embedded by the real model.

Reported for each: build seconds, search p50/p99 ms for one query at a time, recall@10
against the exact top 10, and the serialised index size. Every library runs on one
thread (the machine is shared; ratios matter, absolute seconds are noisy).

Run: nice -n 10 .venv/bin/python benchmarks/memory_ann.py [--n N]
(needs faiss-cpu, which UVM itself does not use: pip install faiss-cpu)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")
M, EF_CONSTRUCTION, EF, K = 16, 100, 64, 10


def cached(name: str) -> np.ndarray:
    path = os.path.join(CACHE, f"{name}.npz")
    if not os.path.exists(path):
        sys.exit(f"{path} is missing: run benchmarks/memory.py and memory_bounded.py first")
    return np.load(path)["vectors"].astype(np.float32)


def points(n: int) -> np.ndarray:
    real = np.vstack([cached("memory-benchmark"), cached("memory-bounded")])
    rng = np.random.default_rng(14)
    pairs = rng.integers(0, len(real), size=(n, 2))
    v = real[pairs[:, 0]] + real[pairs[:, 1]]
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def timed_queries(search, queries) -> tuple[list[np.ndarray], list[float]]:
    out, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        out.append(search(q))
        times.append(time.perf_counter() - t0)
    return out, times


def pct(xs, p) -> float:
    xs = sorted(xs)
    return 1000 * xs[min(len(xs) - 1, int(p * len(xs)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300000)
    opts = ap.parse_args()
    import faiss
    import hnswlib
    from threadpoolctl import threadpool_limits
    faiss.omp_set_num_threads(1)
    data, queries = points(opts.n), cached("memory-questions")
    rows = {}
    with threadpool_limits(1):
        exact, t = timed_queries(lambda q: np.argsort(-(data @ q))[:K], queries)
        rows["exact (numpy)"] = (0.0, t, 1.0, data.nbytes)
        truth = [set(e.tolist()) for e in exact]

        def rec(found) -> float:
            return float(np.mean([len(truth[i] & set(np.asarray(f).ravel().tolist())) / K
                                  for i, f in enumerate(found)]))

        t0 = time.perf_counter()
        h = hnswlib.Index(space="ip", dim=data.shape[1])
        h.init_index(max_elements=len(data), ef_construction=EF_CONSTRUCTION, M=M)
        h.add_items(data, np.arange(len(data)), num_threads=1)
        h.set_ef(EF)
        h.set_num_threads(1)
        build = time.perf_counter() - t0
        found, t = timed_queries(lambda q: h.knn_query(q[None, :], k=K)[0], queries)
        with tempfile.NamedTemporaryFile(suffix=".hnsw") as tmp:
            h.save_index(tmp.name)
            size = os.path.getsize(tmp.name)
        rows["hnswlib HNSW"] = (build, t, rec(found), size)
        del h

        t0 = time.perf_counter()
        f = faiss.IndexHNSWFlat(data.shape[1], M, faiss.METRIC_INNER_PRODUCT)
        f.hnsw.efConstruction = EF_CONSTRUCTION
        f.add(data)
        f.hnsw.efSearch = EF
        build = time.perf_counter() - t0
        found, t = timed_queries(lambda q: f.search(q[None, :], K)[1], queries)
        rows["faiss HNSWFlat"] = (build, t, rec(found), faiss.serialize_index(f).nbytes)
    print(f"{opts.n} vectors, {len(queries)} queries, one thread each (M {M}, "
          f"ef_construction {EF_CONSTRUCTION}, ef {EF})")
    print(f"{'':16}{'build s':>10}{'p50 ms':>10}{'p99 ms':>10}{'recall@10':>11}{'size MB':>10}")
    for name, (build, t, r, size) in rows.items():
        print(f"{name:16}{build:>10.1f}{pct(t, 0.5):>10.2f}{pct(t, 0.99):>10.2f}{r:>11.3f}"
              f"{size / 2**20:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
