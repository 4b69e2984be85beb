r"""The CEM and the autotelic loop, measured (issue 15).

Default: a simulated run of ``--thoughts`` (50) thoughts through the real cycle, router,
gate, embeddings and CEM, answered by ``ThoughtDouble`` (the test double in
tests/cognition/thought_double.py, which answers by a request's shape): the questions
all ask for comfort, so the router sends every one to ROBIN -- a rut of one persona and
its facets. The loop (``uvm.cognition.cem.live.run``) audits every 10 thoughts. Printed:
each window's mean components and CEM, the missions with their signals, and H_cog in the
window before and after the first mission.

``--image PATH`` reports the same from an image's own series instead (a real-model
``uvm live`` run), simulating nothing. The real run of the closing note:

    .venv/bin/uvm --llm embedded live --image live.fs \
        --questions benchmarks/data/live_questions.txt --practice 14 --every 10

Both report which H_sol formula is steadier on the run's answers: the per-thought
1 - max cosine against the earlier answers, and the Vendi score (rescaled) of a sliding
window of 10 -- steadiness as the mean absolute change between consecutive thoughts and
the standard deviation.

``--calibrate`` prints REL_LOW and REL_HIGH (uvm/cognition/cem/metrics.py): the mean
cosine of the off-topic and the on-topic pairs of the gate's dev half
(data/gate_pairs.jsonl, as benchmarks/gate.py splits it).

    .venv/bin/python benchmarks/cem.py [--thoughts 50] [--plot cem.png] [--json out.json]
    .venv/bin/python benchmarks/cem.py --image live.fs [--plot live.png]
    .venv/bin/python benchmarks/cem.py --calibrate
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "benchmarks"))
os.environ.setdefault("UVM_LLM", "none")

COMFORT = ["I feel lonely tonight.", "My friend forgot my birthday and I am sad.",
           "I failed my exam and feel awful.", "I miss my grandmother.",
           "I am anxious about tomorrow.", "Nobody listens to me at home.",
           "I lost my keys again and I want to cry.", "My cat is sick and I am scared.",
           "I feel overwhelmed by everything.", "I broke up with my partner.",
           "I feel invisible at work.", "I cannot sleep because I worry.",
           "My best friend moved away.", "I feel like a failure.", "I am grieving my dog.",
           "I had a fight with my sister.", "I feel so tired of trying.",
           "My parents are getting divorced.", "I was left out of the party.",
           "I am afraid of being alone forever.", "I cried at work today.",
           "I feel homesick in this new city.", "My team lost and I let them down.",
           "I feel ashamed of what I said.", "I feel empty on Sundays."]


def calibrate() -> None:
    from gate import DATA, pairs
    from uvm.llm.embedding import embedder
    with open(DATA, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    on, off = [], []
    for q, a, good in pairs(rows, range(len(rows) // 2)):
        vq, va = embedder().embed([q, a])
        (on if good else off).append(float(vq @ va))
    print(f"dev pairs: {len(on)} on-topic, {len(off)} off-topic")
    print(f"REL_LOW = {statistics.mean(off):.2f}  (mean off-topic cosine; max {max(off):.2f})")
    print(f"REL_HIGH = {statistics.mean(on):.2f}  (mean on-topic cosine; min {min(on):.2f})")


def simulate(path: str, n: int) -> None:
    import uvm
    from tests.cognition.thought_double import ThoughtDouble
    from uvm.cognition.cem import live
    from uvm.llm import settings
    from uvm.llm.synthesis import pipeline
    settings.configure_run("script:" + os.devnull)
    with uvm.open(path) as im:
        pipeline.install(im)
        settings.use_backend(im, ThoughtDouble())
        questions = [COMFORT[i % len(COMFORT)] for i in range(n)]
        live.run(im, questions, every=10, practice=0, say=lambda line: None
                 if line.startswith("  ") and "[CEM" in line else print(line, flush=True))
        pipeline.uninstall()


def steadiness(values: list[float]) -> dict:
    steps = [abs(b - a) for a, b in zip(values, values[1:])]
    return {"mean_abs_change": round(statistics.mean(steps), 4) if steps else 0.0,
            "stdev": round(statistics.pstdev(values), 4) if values else 0.0}


def report(path: str, plot: str | None, out: dict) -> None:
    import numpy as np
    import uvm
    from uvm.cognition.cem import metrics, missions, series, view
    with uvm.open(path, read_only=True) as im:
        root = im.connection.root()
        found = series.records(root)
        done = missions.missions(root)
        windows = []
        for start in range(0, len(found), series.WINDOW):
            win = found[start:start + series.WINDOW]
            row = {"thoughts": f"{start + 1}-{start + len(win)}",
                   "cem": round(statistics.mean(r["cem"] for r in win), 3),
                   **{k: round(statistics.mean(r["components"][k] for r in win), 3)
                      for k in metrics.COMPONENTS},
                   "personas": sorted({p for r in win for p in r["personas"]})}
            windows.append(row)
            print(f"thoughts {row['thoughts']:>6}: CEM {row['cem']:.3f}  "
                  + "  ".join(f"H_{k} {row[k]:.3f}" for k in metrics.COMPONENTS)
                  + f"  personas {', '.join(row['personas'])}")
        for m in done:
            print(f"mission {m['id']}: {missions.describe(m)}")
        out.update({"thoughts": len(found), "windows": windows,
                    "missions": [{k: m[k] for k in ("id", "mission", "persona", "signal", "changed")}
                                 for m in done]})
        if done:
            first = done[0]["id"]
            before = [r["components"]["cog"] for r in found if r["id"] < first][-series.WINDOW:]
            after = [r["components"]["cog"] for r in found if r["id"] > first][:series.WINDOW]
            if before and after:
                out["h_cog_before"], out["h_cog_after"] = (round(statistics.mean(before), 3),
                                                           round(statistics.mean(after), 3))
                print(f"H_cog: {out['h_cog_before']:.3f} in the {len(before)} thoughts before the "
                      f"first mission, {out['h_cog_after']:.3f} in the {len(after)} after")
        vecs = [np.frombuffer(r["vector"], dtype=np.float32) for r in found]
        max_cos = [metrics.solution_novelty(v, vecs[:i]) for i, v in enumerate(vecs)][1:]
        vendi = [metrics.vendi(vecs[max(0, i - series.WINDOW + 1):i + 1]) for i in range(1, len(vecs))]
        out["h_sol_stability"] = {"one_minus_max_cosine": steadiness(max_cos),
                                  "vendi_window": steadiness(vendi)}
        print("H_sol steadiness (lower is steadier): 1 - max cos "
              f"{out['h_sol_stability']['one_minus_max_cosine']}, Vendi over a window of "
              f"{series.WINDOW} {out['h_sol_stability']['vendi_window']}")
        if plot:
            print(f"drew {view.plot(root, plot)}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--thoughts", type=int, default=50)
    p.add_argument("--image", help="report this image's series (simulate nothing)")
    p.add_argument("--plot", help="draw the series (.png or .svg)")
    p.add_argument("--json", help="write the figures as JSON")
    p.add_argument("--calibrate", action="store_true")
    opts = p.parse_args()
    if opts.calibrate:
        calibrate()
        return 0
    out: dict = {}
    path = opts.image
    if path is None:
        path = os.path.join(tempfile.mkdtemp(prefix="uvm-cem-"), "cem.fs")
        simulate(path, opts.thoughts)
        out["simulated"] = {"thoughts": opts.thoughts, "image": path}
    report(path, opts.plot, out)
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
