"""Bounded live memory (issue 14): 200,000 memories ingested into a file image with the
Memory Curator on, in transactions of 1,000 (a live system's stream).

The stream starts with the benchmark's 12 dialogues (``memory_data``, their own 2023
dates) and goes on with distractor memories of other people, later in time, whose texts
are drawn from a pool of 30,000 (6,678 distinct: people repeat themselves; it keeps the
embedding cheap). The bound is 20,000 live memories; a curation brings them to 18,000
(``curateTo`` 0.9), so the live count saws between the two.
The dialogues are the oldest memories and nobody recalls them, so they are archived in
the first curations.

At 10k, 50k, 100k and 200k it reports: live and archived counts, process RSS, image size
(file and blobs), and recall latency p50/p99 over the 120 questions -- end to end
(embedding the question too) and the search alone (question embedded before); and
evidence recall@10 of the questions whose evidence is archived by then, against the
same questions' recall@10 at 10k, when all of it was live.

Run: nice -n 10 .venv/bin/python benchmarks/memory_bounded.py [--total N] [--json FILE]
(embeddings cached in benchmarks/.cache by benchmarks/memory.py's helper)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import memory_data  # noqa: E402
from memory import embed_cached  # noqa: E402
import uvm  # noqa: E402
from uvm.cognition.memory import api  # noqa: E402
from uvm.cognition.memory.recall import recall  # noqa: E402

CHECKPOINTS = (10_000, 50_000, 100_000, 200_000)
BATCH = 1000


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def image_mb(path: str) -> float:
    total = os.path.getsize(path)
    for root, _, files in os.walk(path[:-3] + ".blobs"):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total / 2**20


def stream(total: int):
    dialogues = memory_data.dialogues()
    records = sorted((m for d in dialogues for m in d["memories"]), key=lambda r: r["time"])
    others = memory_data.distractors(total - len(records), seed=1400, prefix="y", pool=30000)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()
    for i, r in enumerate(others):  # the stream goes on in time after the dialogues
        r["time"] = datetime.fromtimestamp(start + 60 * i, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    vecs = np.vstack([embed_cached([r["text"] for r in records], "memory-benchmark"),
                      embed_cached([r["text"] for r in others], "memory-bounded")])
    return records + others, vecs, [q for d in dialogues for q in d["questions"]]


def measure(image, store, questions, qvecs) -> dict:
    image.tm.begin()
    e2e, search, got = [], [], {}
    for q, v in zip(questions, qvecs):
        t0 = time.perf_counter()
        res = recall(store, q["question"], 10, touch=False, query_vector=v)
        search.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        recall(store, q["question"], 10, touch=False)
        e2e.append(time.perf_counter() - t0)
        got[q["id"]] = [r.id for r in res]
    archived = {q["id"] for q in questions
                if any(store.ids[e] not in store.live for e in q["evidence"])}
    live, n_archived = store.live_count, store.archived_count
    summaries = sum(1 for m in store.live.values() if m.is_summary)
    image.tm.abort()

    def pct(xs, p):
        xs = sorted(xs)
        return 1000 * xs[min(len(xs) - 1, int(p * len(xs)))]
    return {"live": live, "summaries": summaries, "archived": n_archived, "rss_mb": round(rss_mb(), 1),
            "recall_ms_p50": round(pct(e2e, 0.5), 1), "recall_ms_p99": round(pct(e2e, 0.99), 1),
            "search_ms_p50": round(pct(search, 0.5), 1), "search_ms_p99": round(pct(search, 0.99), 1),
            "got": got, "archived_questions": sorted(archived)}


def recall_at_10(questions, got, which) -> float:
    qs = [q for q in questions if q["id"] in which]
    if not qs:
        return float("nan")
    return 100 * statistics.mean(len(set(q["evidence"]) & set(got[q["id"]])) / len(q["evidence"]) for q in qs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--total", type=int, default=CHECKPOINTS[-1])
    ap.add_argument("--bound", type=int, default=20000)
    ap.add_argument("--json", metavar="FILE")
    opts = ap.parse_args()
    records, vecs, questions = stream(opts.total)
    qvecs = embed_cached([q["question"] for q in questions], "memory-questions")
    import torch
    torch.set_num_threads(1)  # on a shared machine one thread embeds a question fastest
    api.embed(["warm up"])  # the embedding model loaded before anything is timed
    folder = tempfile.mkdtemp(prefix="uvm-memory-bounded-")
    path = os.path.join(folder, "live_image.fs")
    rows, base = [], None
    ingest_s = curate_s = 0.0
    curations = 0
    try:
        with uvm.open(path) as image:
            image.eval(f"memory setting: 'liveBound' To: {opts.bound}")
            store = api.store_for(image)
            for start in range(0, opts.total, BATCH):
                part = slice(start, min(opts.total, start + BATCH))
                image.tm.begin()
                t0 = time.perf_counter()
                api.remember_many(store, records[part], vecs[part], curate=False)
                t1 = time.perf_counter()
                from uvm.cognition.memory import curator
                if curator.needs_curation(store):
                    curator.curate(store)
                    curations += 1
                t2 = time.perf_counter()
                image.tm.commit()
                ingest_s += (t1 - t0) + (time.perf_counter() - t2)
                curate_s += t2 - t1
                done = part.stop
                if done in CHECKPOINTS or done == opts.total:
                    m = measure(image, store, questions, qvecs)
                    m.update(memories=done, image_mb=round(image_mb(path), 1))
                    if base is None:
                        base = m
                    m["archived_evidence_questions"] = len(m["archived_questions"])
                    m["recall10_archived_now"] = round(recall_at_10(questions, m["got"], m["archived_questions"]), 1)
                    m["recall10_same_at_start"] = round(recall_at_10(questions, base["got"], m["archived_questions"]), 1)
                    rows.append(m)
                    print(f"{done:>7}: live {m['live']} ({m['summaries']} summaries), archived "
                          f"{m['archived']}, RSS {m['rss_mb']} MB, image {m['image_mb']} MB, recall "
                          f"p50/p99 {m['recall_ms_p50']}/{m['recall_ms_p99']} ms (search alone "
                          f"{m['search_ms_p50']}/{m['search_ms_p99']} ms); questions with archived "
                          f"evidence {m['archived_evidence_questions']}: recall@10 "
                          f"{m['recall10_archived_now']} (was {m['recall10_same_at_start']} live)",
                          flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"ingest {ingest_s:.1f} s for {opts.total} memories ({opts.total / ingest_s:.0f} a second, "
          f"embeddings cached), {curations} curations in {curate_s:.1f} s")
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as f:
            json.dump([{k: v for k, v in r.items() if k not in ("got", "archived_questions")} for r in rows]
                      + [{"ingest_s": ingest_s, "curate_s": curate_s, "curations": curations}], f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
