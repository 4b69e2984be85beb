"""Memory benchmark (issue 14): evidence recall of hybrid recall against vector-only and
BM25-only, in one run, on the same image.

The data (``memory_data``): 12 multi-session dialogues (624 memories, 120 questions
labelled with evidence ids and kinds: fact, update, multi-hop, temporal), even
dialogues dev, odd held-out, with 10,000 distractor memories of other people mixed in.
All are ingested into one in-memory image through the real path (``remember_many``:
the real embedding model, batched; the curator off). Each question is recalled with
``touch=False`` (so questions do not change each other's recency).

Reported: evidence recall@5 and @10 (the share of a question's evidence memories among
the first k), by split and kind, for

    hybrid          the default weights (uvm/cognition/memory/recall-settings.json)
    vector          vector similarity alone (exact cosine over all memories)
    lexical         BM25 alone (bm25s)
    X + speaker     one method plus who said it (a metadata filter, as vector stores have)
    hybrid - X      hybrid with one part switched off (graph, speaker, time, lexical, ...)

``--tune`` searches weights on the dev split only and prints the best (``--write`` puts
them in recall-settings.json); the held-out figures are then read once.

Run: .venv/bin/python benchmarks/memory.py [--tune [--write]] [--json FILE]
Embeddings of the texts are cached in benchmarks/.cache (delete it to embed again).
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import memory_data  # noqa: E402
import uvm  # noqa: E402
from uvm.cognition.memory import api  # noqa: E402
from uvm.cognition.memory.recall import default_weights, recall  # noqa: E402

CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")
KS = (5, 10)
# The single methods given who said what (what a vector database with a metadata filter
# would do): the hybrid scorer with everything but that method and the speaker switched off.
_OFF = {"lexical": 0.0, "vector": 0.0, "graph": 0.0, "time": 0.0, "recency": 0.0,
        "importance": 0.0, "updateSimilarity": 2.0}
SPEAKER_BASELINES = {"vector + speaker": {**_OFF, "vector": 1.0, "speaker": 1.0},
                     "lexical + speaker": {**_OFF, "lexical": 1.0, "speaker": 1.0}}
ABLATIONS = {"graph": {"graph": 0.0}, "speaker": {"speaker": 0.0}, "time": {"time": 0.0},
             "lexical": {"lexical": 0.0}, "vector": {"vector": 0.0},
             "recency": {"recency": 0.0}, "update rule": {"updateSimilarity": 2.0}}


def embed_cached(texts: list[str], name: str) -> np.ndarray:
    """The real embedding model's vectors for ``texts``, each distinct text embedded once
    and cached on disk (``name`` names the cache file)."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"{name}.npz")
    known: dict[str, np.ndarray] = {}
    if os.path.exists(path):
        data = np.load(path)
        known = dict(zip(data["keys"].tolist(), data["vectors"]))
    key = lambda t: hashlib.sha1(t.encode()).hexdigest()  # noqa: E731
    todo = sorted({t for t in texts if key(t) not in known})
    if todo:
        t0 = time.perf_counter()
        vs = api.embed(todo)
        dt = time.perf_counter() - t0
        print(f"embedded {len(todo)} distinct texts in {dt:.1f} s "
              f"({1000 * dt / len(todo):.1f} ms a text, batched)", file=sys.stderr)
        known.update({key(t): v for t, v in zip(todo, vs)})
        np.savez(path, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[key(t)] for t in texts]).astype(np.float32)


def build(n_distractors: int = 10000):
    dialogues = memory_data.dialogues()
    records = [m for d in dialogues for m in d["memories"]]
    others = memory_data.distractors(n_distractors)
    # the dialogues' memories are spread among the distractors, in time order of ingest
    mixed = sorted(records + others, key=lambda r: r["time"])
    vecs = embed_cached([r["text"] for r in mixed], "memory-benchmark")
    image = uvm.open(memory=True)
    image.tm.begin()
    store = api.store_for(image)
    store.settings["liveBound"] = 0
    t0 = time.perf_counter()
    api.remember_many(store, mixed, vecs, curate=False)
    image.tm.commit()
    print(f"ingested {len(mixed)} memories in {time.perf_counter() - t0:.1f} s "
          "(embeddings cached)", file=sys.stderr)
    return image, store, dialogues


def evaluate(store, questions, vectors, mode="hybrid", weights=None) -> dict:
    """Mean evidence recall@k over ``questions``, overall and by kind."""
    per: dict[str, list[list[float]]] = {}
    for q, qv in zip(questions, vectors):
        got = [r.id for r in recall(store, q["question"], max(KS), mode=mode, weights=weights,
                                    touch=False, query_vector=qv)]
        ev = set(q["evidence"])
        scores = [len(ev & set(got[:k])) / len(ev) for k in KS]
        for group in ("all", q["kind"]):
            per.setdefault(group, []).append(scores)
    return {g: {f"@{k}": round(100 * float(np.mean([s[i] for s in v])), 1) for i, k in enumerate(KS)}
            | {"n": len(v)} for g, v in per.items()}


def tune(store, questions, vectors) -> dict:
    """A coarse grid over the main weights, on dev; the best mean of @5 and @10."""
    base = default_weights()
    grid = {"lexical": [0.3, 0.6], "graph": [0.1, 0.25, 0.5], "speaker": [0.5, 1.0, 2.0],
            "time": [0.5, 1.0], "updateSimilarity": [0.5, 0.7]}
    best, best_w = -1.0, None
    tried = 0
    for values in itertools.product(*grid.values()):
        w = dict(zip(grid, values))
        r = evaluate(store, questions, vectors, weights=w)["all"]
        score = (r["@5"] + r["@10"]) / 2
        tried += 1
        if score > best:
            best, best_w = score, w
            print(f"  dev {score:.1f}  {w}", file=sys.stderr)
    print(f"tried {tried} weightings on dev; best {best:.1f}: {best_w}", file=sys.stderr)
    return {**base, **best_w}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tune", action="store_true", help="search weights on dev")
    ap.add_argument("--write", action="store_true", help="with --tune: store them in recall-settings.json")
    ap.add_argument("--distractors", type=int, default=10000)
    ap.add_argument("--json", metavar="FILE")
    opts = ap.parse_args()
    image, store, dialogues = build(opts.distractors)
    splits = {s: [q for d in dialogues if d["split"] == s for q in d["questions"]]
              for s in ("dev", "held-out")}
    qvecs = {s: embed_cached([q["question"] for q in qs], "memory-questions") for s, qs in splits.items()}
    if opts.tune:
        w = tune(store, splits["dev"], qvecs["dev"])
        if opts.write:
            path = os.path.join(os.path.dirname(api.__file__), "recall-settings.json")
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            doc["weights"] = w
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=2)
                f.write("\n")
            print(f"wrote {path}", file=sys.stderr)
        weights = w
    else:
        weights = None
    results = {}
    for split in ("dev", "held-out"):
        qs, qv = splits[split], qvecs[split]
        rows = {"hybrid": evaluate(store, qs, qv, "hybrid", weights),
                "vector": evaluate(store, qs, qv, "vector"),
                "lexical": evaluate(store, qs, qv, "lexical")}
        for name, only in SPEAKER_BASELINES.items():
            rows[name] = evaluate(store, qs, qv, "hybrid", only)
        for name, off in ABLATIONS.items():
            rows[f"hybrid - {name}"] = evaluate(store, qs, qv, "hybrid", {**(weights or {}), **off})
        results[split] = rows
    t0 = time.perf_counter()
    for q, v in zip(splits["held-out"], qvecs["held-out"]):
        recall(store, q["question"], 10, touch=False, query_vector=v)
    per_q = (time.perf_counter() - t0) / len(splits["held-out"])
    kinds = ["all", "fact", "update", "multi-hop", "temporal"]
    for split, rows in results.items():
        n = rows["hybrid"]["all"]["n"]
        print(f"\n{split} ({n} questions, {store.live_count} memories): evidence recall@5 / @10")
        print(f"{'':18}" + "".join(f"{k:>16}" for k in kinds))
        for name, r in rows.items():
            print(f"{name:18}" + "".join(f"{r[k]['@5']:>8.1f}{r[k]['@10']:>8.1f}" for k in kinds))
    held = results["held-out"]
    single = max(held["vector"]["all"]["@5"], held["lexical"]["all"]["@5"])
    gap = held["hybrid"]["all"]["@5"] - single
    filtered = max(held[n]["all"]["@5"] for n in SPEAKER_BASELINES)
    print(f"\nheld-out @5: hybrid {held['hybrid']['all']['@5']:.1f}, better single method "
          f"{single:.1f}: {gap:+.1f} points (target +10); better single method with the speaker "
          f"filter {filtered:.1f}: {held['hybrid']['all']['@5'] - filtered:+.1f} points; "
          f"hybrid recall {1000 * per_q:.1f} ms a question (query embedded before)")
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as f:
            json.dump({"results": results, "gap_at_5": gap, "ms_per_recall": 1000 * per_q}, f, indent=2)
    image.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
