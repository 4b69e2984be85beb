"""Router benchmark (issue 12): which persona should answer, on held-out labelled queries.

The labelled set (data/router_queries.jsonl: 120 queries, 30 per persona, dev and held-out
halves) is checked first to be apart from the codex (no near-copies of a pillar intent, a
mandate or an example utterance, lexically and by embedding). Then, in one run, on the
held-out half:

router    uvm/cognition/router.py as UVM runs it: the image's personas, the codex
          embeddings cached in the image, the settings fitted on the dev half
          (``--fit`` fits them again and writes uvm/cognition/router-settings.json,
          printing every configuration tried, all on dev).
keyword   a keyword baseline: each persona's words (the same codex texts the router
          embeds), a query's score for a persona the summed IDF of the query's words it
          shares (ties go to the persona listed first).
model     asking the embedded model (SmolLM2-135M, no adapter, greedy) which of the four
          should answer, each described by its mandate, its answer begun with "The helper
          who should answer is"; the first persona it names counts (--no-model skips it).
          Three prompts were tried on four dev queries: the roster as a system prompt
          (the model answered the question itself, naming nobody), the roster and the
          question in the user's turn (it listed several names), and that with the
          answer begun (it named one: this one is used).

Reported: top-1 accuracy of each, per persona for the router, the router's picked-set F1
and personas picked per query, and milliseconds per routing after load (``mind route:``'s
path: embed the query, score against the cached codex), p50 / p90 / mean.

Run: .venv/bin/python benchmarks/router.py [--fit] [--no-model] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uvm  # noqa: E402
from router_data import content_words, load_queries, near_copies  # noqa: E402
from uvm.cognition import router as R  # noqa: E402
from uvm.cognition.personas import codex_of, personas_of  # noqa: E402

EMBEDDING_NEAR_COPY = 0.9  # a query this similar to a codex text would be a near-copy


def keyword_baseline(codexes, queries) -> list[str]:
    words = {c.name: set().union(*(content_words(t) for t in c.route_texts())) for c in codexes}
    df = Counter(w for ws in words.values() for w in ws)
    idf = {w: math.log(1 + len(codexes) / n) for w, n in df.items()}
    out = []
    for q in queries:
        qw = content_words(q["text"])
        scores = [(sum(idf[w] for w in qw & words[c.name]), -i, c.name) for i, c in enumerate(codexes)]
        out.append(max(scores)[2])
    return out


def model_baseline(codexes, queries, backend) -> list[str | None]:
    roster = "\n".join(f"{c.name}: {c.mandate}" for c in codexes)
    names = ", ".join(c.name for c in codexes[:-1]) + f" or {codexes[-1].name}"
    out = []
    for q in queries:
        ask = f"Four helpers:\n{roster}\n\nQuestion: {q['text']}\nWhich helper should answer it: {names}?"
        answer = backend.complete([{"role": "user", "content": ask},
                                   {"role": "assistant", "content": "The helper who should answer is"}],
                                  max_tokens=8, temperature=0.0).upper()
        found = [(answer.find(c.name), c.name) for c in codexes if c.name in answer]
        out.append(min(found)[1] if found else None)
    return out


def accuracy(predicted, queries) -> float:
    return sum(p == q["persona"] for p, q in zip(predicted, queries)) / len(queries)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fit", action="store_true", help="fit the settings on dev and save them")
    ap.add_argument("--no-model", action="store_true", help="skip asking the embedded model")
    ap.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    opts = ap.parse_args()

    image = uvm.open(memory=True)
    persons = personas_of(image.lobby)
    codexes = [codex_of(p) for p in persons]
    queries = load_queries()
    dev = [q for q in queries if q["split"] == "dev"]
    held = [q for q in queries if q["split"] == "heldout"]
    texts = [t for c in codexes for t in c.route_texts() + [c.mandate]]
    copies = near_copies(queries, texts)
    if copies:
        print("the labelled set has near-copies of the codex:\n  " + "\n  ".join(copies))
        return 1
    print(f"labelled queries: {len(queries)} ({len(dev)} dev, {len(held)} held out; "
          + ", ".join(f"{n} {sum(q['persona'] == n for q in queries)}" for n in [c.name for c in codexes])
          + "); no lexical near-copies of the codex's " + f"{len(texts)} texts")

    from uvm.llm.embedding import embedder
    t0 = time.perf_counter()
    embedder().embed(["load"])
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    routes = R.codex_vectors(image, codexes)          # embedded once, cached in the image
    codex_s = time.perf_counter() - t0
    qv = embedder().embed([q["text"] for q in queries])
    closest = float((qv @ embedder().embed(texts).T).max())
    print(f"embedding model loaded in {load_s:.2f} s; codex ({sum(len(v) for v in routes.values())} "
          f"texts) embedded in {codex_s:.2f} s; closest query-codex cosine {closest:.3f} "
          f"(a near-copy would be >= {EMBEDDING_NEAR_COPY})")
    if closest >= EMBEDDING_NEAR_COPY:
        return 1
    dev_v = qv[[i for i, q in enumerate(queries) if q["split"] == "dev"]]
    held_v = qv[[i for i, q in enumerate(queries) if q["split"] == "heldout"]]

    if opts.fit:
        settings, tried = R.fit(routes, dev_v, [q["persona"] for q in dev],
                                fitted_on=f"the {len(dev)} dev queries of "
                                          "benchmarks/data/router_queries.jsonl")
        print("\nfit on dev, every configuration tried:")
        for t in tried:
            print(f"  top_k {t['top_k']}  margin {t['margin']:<5} quantile {str(t['quantile']):<5}"
                  f"  dev top-1 {t['top1']:.3f}  F1 {t['f1']:.3f}  picked {t['picked']:.2f}")
        with open(R.SETTINGS_FILE, "w", encoding="utf-8") as f:
            json.dump(settings.to_json(), f, indent=2)
            f.write("\n")
        print(f"chose top_k {settings.top_k}, margin {settings.margin}, thresholds "
              f"{settings.thresholds}; wrote {os.path.relpath(R.SETTINGS_FILE)}")
    settings = R.settings_for(image)
    router = R.Router(routes, settings)

    labels = [q["persona"] for q in held]
    result = R.evaluate(router, held_v, labels)
    dev_result = R.evaluate(router, dev_v, [q["persona"] for q in dev])
    ranked = [router.rank_vector(v)[0][0] for v in held_v]
    by_persona = {c.name: accuracy([p for p, q in zip(ranked, held) if q["persona"] == c.name],
                                   [q for q in held if q["persona"] == c.name]) for c in codexes}
    keyword = accuracy(keyword_baseline(codexes, held), held)

    times, bare = [], []
    for q in held:  # mind route:'s path after load: one embedding, the cached codex
        t0 = time.perf_counter()
        R.route(image, q["text"])
        times.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()  # the baseline: the embedding model on the query alone
        embedder().embed_one(q["text"])
        bare.append((time.perf_counter() - t0) * 1000)
    ms = {"p50": statistics.median(times), "p90": sorted(times)[int(0.9 * len(times)) - 1],
          "mean": statistics.fmean(times), "embedding_p50": statistics.median(bare)}

    model = None
    if not opts.no_model:
        from uvm.llm.settings import make_backend
        backend = make_backend("embedded")
        t0 = time.perf_counter()
        predicted = model_baseline(codexes, held, backend)
        model = {"top1": accuracy(predicted, held), "unnamed": sum(p is None for p in predicted),
                 "named": dict(Counter(p or "none" for p in predicted)),
                 "seconds_per_query": (time.perf_counter() - t0) / len(held)}

    print(f"\nsettings: top_k {settings.top_k}, margin {settings.margin}, thresholds {settings.thresholds}")
    print(f"held-out top-1 ({len(held)} queries):")
    print(f"  router   {result['top1']:.3f}   (dev {dev_result['top1']:.3f}; by persona "
          + ", ".join(f"{n} {a:.2f}" for n, a in by_persona.items())
          + f"; picked-set F1 {result['f1']:.3f}, {result['picked']:.2f} personas per query)")
    print(f"  keyword  {keyword:.3f}")
    if model is not None:
        print(f"  model    {model['top1']:.3f}   (SmolLM2-135M asked to name one; named "
              f"{model['named']}; {model['seconds_per_query']:.2f} s per query)")
    print(f"router minus keyword: {100 * (result['top1'] - keyword):+.1f} points")
    import torch
    print(f"ms per routing after load: p50 {ms['p50']:.1f}, p90 {ms['p90']:.1f}, mean {ms['mean']:.1f} "
          f"(embedding the query alone: p50 {ms['embedding_p50']:.1f}; torch threads "
          f"{torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as f:
            json.dump({"router": result, "router_dev": dev_result, "by_persona": by_persona,
                       "keyword": keyword, "model": model, "ms": ms, "load_s": load_s,
                       "settings": settings.to_json(), "closest_cosine": closest}, f, indent=2)
    image.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
