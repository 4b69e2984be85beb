"""Calibrating the quality gate's relevance threshold (issue 13).

Data: data/gate_pairs.jsonl, 24 questions each with an on-topic answer written for it (in
the personas' styles). The off-topic pairs are the same answers given to another question
(each question with the answer of the question 12 rows on, a different topic). The first
12 questions are dev, the last 12 held-out; each off-topic pair belongs to the half of its
question.

``--calibrate`` picks the threshold on dev only: just above the highest off-topic
similarity (rounded up to 0.01) when every on-topic pair is above it, else the value with
the best dev accuracy (every candidate tried is printed). Not the midpoint between the two
groups: the embedded model's real answers are weaker than these written ones, and the
gate is there to refuse an answer to another question, not a plain one. The report is the held-out accuracy
of the threshold in uvm/cognition/gate.py (the one shipped), beside the baseline of no
relevance check (every answer passes: 50 % on these pairs by construction).

Run: .venv/bin/python benchmarks/gate.py [--calibrate]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "gate_pairs.jsonl")


def pairs(rows: list[dict], part: range) -> list[tuple[str, str, bool]]:
    n = len(rows)
    out = []
    for i in part:
        out.append((rows[i]["query"], rows[i]["answer"], True))
        out.append((rows[i]["query"], rows[(i + n // 2) % n]["answer"], False))
    return out


def similarities(items):
    from uvm.cognition.gate import embedding_similarity
    return [(embedding_similarity(q, a), ok) for q, a, ok in items]


def accuracy(scored, threshold: float) -> float:
    return sum((s >= threshold) == ok for s, ok in scored) / len(scored)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calibrate", action="store_true", help="choose the threshold on dev")
    opts = p.parse_args()
    with open(DATA, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    half = len(rows) // 2
    dev, held = similarities(pairs(rows, range(half))), similarities(pairs(rows, range(half, len(rows))))
    from uvm.cognition.gate import RELEVANCE_THRESHOLD
    if opts.calibrate:
        on = [s for s, ok in dev if ok]
        off = [s for s, ok in dev if not ok]
        print(f"dev: on-topic similarity min {min(on):.3f} mean {sum(on) / len(on):.3f}; "
              f"off-topic max {max(off):.3f} mean {sum(off) / len(off):.3f}")
        candidates = sorted({round(s, 3) for s, _ in dev})
        for t in candidates:
            print(f"  threshold {t:.3f}: dev accuracy {accuracy(dev, t):.3f}")
        if min(on) > max(off):
            chosen = math.ceil(max(off) * 100 + 1e-9) / 100
        else:
            chosen = max(candidates, key=lambda t: accuracy(dev, t))
        print(f"chosen on dev: {chosen:.3f} (dev accuracy {accuracy(dev, chosen):.3f})")
    print(f"held-out ({len(held)} pairs): threshold {RELEVANCE_THRESHOLD:.2f} accuracy "
          f"{accuracy(held, RELEVANCE_THRESHOLD):.3f}; on-topic passed "
          f"{sum(s >= RELEVANCE_THRESHOLD for s, ok in held if ok)}/{sum(ok for _, ok in held)}, "
          f"off-topic refused {sum(s < RELEVANCE_THRESHOLD for s, ok in held if not ok)}/"
          f"{sum(not ok for _, ok in held)}; baseline (no check) accuracy "
          f"{accuracy(held, float('-inf')):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
