"""The Synaptic Cycle on the embedded model (issue 13): seconds per thought by state, the
batching gain in DELEGATING, and atomicity per state.

Timing. A fresh file image is awakened (SmolLM2-135M and the persona adapters as BLOBs);
the model writes ROBIN's three facets first, in one committed evaluation (a failed
thought would doom the facets it wrote: each thought would write them again), reported
on its own, not in the figures. Then ROBIN thinks about each of
the QUESTIONS below (``robin ask:``, no router: one adapter, so the figures are about the
cycle), each thought committed. Reported: per state, p50 and p90 of the seconds over the
questions, and of the whole thought.

Batching. For the first ``--gain N`` questions, the same three sub-questions of that
thought's DELEGATING are answered again by the facets twice, in alternating order: one
after another (the baseline, the default path) and in one batch (``UVM_THOUGHT_BATCH=1``'s
path), each in an evaluation that is rolled back. Reported: seconds of each, p50, and the
ratio baseline / batched measured in the same run.

Atomicity. On a script-backend image (the test double: no model time), a fault is injected
in each of the six states (``uvm.cognition.cycle.inject_fault``; for FAILED, a thought that
fails in DECOMPOSING and then faults while failing) under an ``onError:`` that catches it;
the committed file's bytes are compared before and after, and the image then evaluates
``3 + 4``. Reported: n of 6 unchanged and alive.

The machine is shared (2 cores, other engineers' runs): absolute seconds are noisy, the
ratio is measured in the same run. Run with ``nice -n 10``:

    UVM_LLM_TIMEOUT=900 nice -n 10 .venv/bin/python benchmarks/thought.py [--questions 10] [--gain 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WARM_UP = "I had a long week and I feel tired."
SELECTORS = ["sage:", "simpleHeart:", "joyfulSpark:"]
QUESTIONS = [
    "My sister forgot my birthday and I feel hurt.",
    "I failed my driving test today.",
    "How do I stop comparing myself to my friends?",
    "I am nervous about starting a new job on Monday.",
    "It rained all weekend and I feel gloomy.",
    "My plants keep dying and it makes me sad.",
    "I said something rude to a colleague and regret it.",
    "How can I enjoy a quiet evening alone?",
    "I miss the town where I grew up.",
    "I have too many things to do and feel stuck.",
    "My old friend moved abroad and I feel left behind.",
    "Why do small mistakes bother me so much?",
]


def pct(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def timing(n_questions: int, n_gain: int, out: dict) -> None:
    """The thoughts run with the run's setting of ``UVM_THOUGHT_BATCH`` (off by default)."""
    import uvm
    from uvm.cognition.commands import _literal
    from uvm.cognition import cycle
    from uvm.llm import settings
    from uvm.llm.pllm import awaken
    from uvm.llm.synthesis import pipeline
    folder = tempfile.mkdtemp(prefix="uvm-thought-bench-")
    image = uvm.open(os.path.join(folder, "live_image.fs"))
    awaken(image)
    settings.configure_run("embedded")
    backend = settings.backend_for(image)
    pipeline.install(image)
    t0 = time.monotonic()
    backend.load()
    out["load_seconds"] = round(time.monotonic() - t0, 1)
    t0 = time.monotonic()
    image.eval(" ".join(f"robin {sel} {_literal(WARM_UP)}." for sel in SELECTORS), "<bench>", "facets")
    out["facets_written_seconds"] = round(time.monotonic() - t0, 1)
    print(f"facets written in {out['facets_written_seconds']} s", flush=True)
    rows = []
    for q in QUESTIONS[:n_questions]:
        row = _think(image, q, cycle)
        rows.append(row)
        print(f"{row['outcome']:8} {row['seconds']:6.1f} s  {row.get('states')}  {q}"
              + (f"  [{row['failure']}]" if row.get("failure") else f"  -> {row['answer']!r}"),
              flush=True)
    out["thoughts"] = rows
    by_state: dict[str, list[float]] = {}
    for row in rows:
        for state, secs in row["states"]:
            by_state.setdefault(state, []).append(secs)
    out["by_state"] = {s: {"p50": round(pct(v, .5), 2), "p90": round(pct(v, .9), 2), "n": len(v)}
                       for s, v in by_state.items()}
    whole = [r["seconds"] for r in rows]
    out["whole"] = {"p50": round(pct(whole, .5), 2), "p90": round(pct(whole, .9), 2), "n": len(whole)}
    out["completed"] = sum(r["outcome"] == "COMPLETE" for r in rows)
    gains = []
    for i, row in enumerate(rows[:n_gain]):
        subs = row.get("subqueries") or []
        if len(subs) < 2:
            continue
        order = ("sequential", "batched") if i % 2 == 0 else ("batched", "sequential")
        secs = {}
        for how in order:
            secs[how] = _delegate_again(image, subs, how, cycle)
        gains.append(secs)
        print(f"DELEGATING again: one by one {secs['sequential']:.1f} s, in one batch "
              f"{secs['batched']:.1f} s", flush=True)
    out["batching"] = gains
    if gains:
        seq = [g["sequential"] for g in gains]
        bat = [g["batched"] for g in gains]
        out["batching_summary"] = {"sequential_p50": round(pct(seq, .5), 2),
                                   "batched_p50": round(pct(bat, .5), 2),
                                   "ratio_of_sums": round(sum(seq) / sum(bat), 2), "n": len(gains)}
    image.close()


def _think(image, query, cycle) -> dict:
    from uvm.cognition.commands import _literal
    from uvm.runtime.errors import UvmError
    try:
        image.eval(f"robin ask: {_literal(query)}", "<bench>", "thought")
    except UvmError:
        pass
    t = cycle.last_trace
    c = t["personas"][0] if t["personas"] else {}
    return {"query": query, "outcome": t["outcome"], "seconds": t["seconds"],
            "states": [(s["state"], s["seconds"]) for s in c.get("states", [])],
            "subqueries": [s["text"] for s in c.get("subqueries", [])],
            "gate_attempts": len(c.get("gate", [])),
            "failure": (t["failure"] or {}).get("reason"),
            "answer": t["answer"]}


def _delegate_again(image, subs: list[str], how: str, cycle) -> float:
    """The facets' answers to ``subs`` again, one after another or in one batch, timed; the
    evaluation is rolled back (nothing is kept)."""
    from uvm.cognition import personas
    from uvm.runtime import send as send_mod
    robin = image.eval("robin")
    selectors = SELECTORS

    image.tm.begin()
    try:
        started = time.monotonic()
        if how == "sequential":
            for sel, text in zip(selectors, subs):
                send_mod.send(robin, sel, text)
        else:
            with personas.deferring() as d:
                for sel, text in zip(selectors, subs):
                    send_mod.send(robin, sel, text)
            d.answer(image)
            assert d.batched, "the embedded backend should batch"
        return time.monotonic() - started
    finally:
        image.tm.abort()


def atomicity(out: dict) -> None:
    import uvm
    from uvm.cognition import cycle
    from uvm.llm import settings
    from uvm.llm.synthesis import pipeline
    from uvm.runtime.errors import UvmError
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
    from tests.cognition.test_cycle import QUERY, first_thought
    folder = tempfile.mkdtemp(prefix="uvm-thought-atom-")
    script = os.path.join(folder, "answers.jsonl")
    results = {}
    for state in cycle.STATES:
        with open(script, "w") as f:
            f.writelines(json.dumps({"text": a}) + "\n" for a in first_thought())
        path = os.path.join(folder, f"{state}.fs")
        settings.configure_run("script:" + script)
        settings._backends.clear()
        with uvm.open(path) as im:
            pipeline.install(im)
            with open(path, "rb") as f:
                before = f.read()
            original = cycle.doom
            if state == "FAILED":
                cycle.inject_fault = "DECOMPOSING"

                def doom_then_fault(image, cyc):
                    cycle.inject_fault = "FAILED"
                    return original(image, cyc)
                cycle.doom = doom_then_fault
            else:
                cycle.inject_fault = state
            try:
                im.eval(f"[robin ask: '{QUERY}'] onError: [| :e | 'caught']")
                refused = False
            except UvmError:
                refused = True
            finally:
                cycle.doom, cycle.inject_fault = original, None
            with open(path, "rb") as f:
                same = f.read() == before
            alive = im.eval("3 + 4") == 7
        results[state] = {"refused": refused, "unchanged": same, "alive": alive}
        pipeline.uninstall()
        print(f"fault in {state:12}: commit refused {refused}, file unchanged {same}, image alive {alive}",
              flush=True)
    out["atomicity"] = results
    out["atomicity_ok"] = sum(r["unchanged"] and r["alive"] for r in results.values())
    print(f"atomicity: {out['atomicity_ok']}/6", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", type=int, default=10)
    p.add_argument("--gain", type=int, default=5, help="questions whose DELEGATING is re-measured")
    p.add_argument("--no-model", action="store_true", help="only the atomicity check")
    p.add_argument("--skip-atomicity", action="store_true")
    p.add_argument("--json", metavar="FILE")
    opts = p.parse_args()
    out: dict = {}
    if not opts.skip_atomicity:
        atomicity(out)
    if not opts.no_model:
        timing(opts.questions, opts.gain, out)
        print("seconds by state (p50 / p90 over the questions):")
        for state, v in out["by_state"].items():
            print(f"  {state:12} {v['p50']:7.2f} {v['p90']:7.2f}  (n={v['n']})")
        print(f"  {'thought':12} {out['whole']['p50']:7.2f} {out['whole']['p90']:7.2f}  "
              f"completed {out['completed']}/{len(out['thoughts'])}")
        if out.get("batching_summary"):
            b = out["batching_summary"]
            print(f"DELEGATING: one by one p50 {b['sequential_p50']:.1f} s, one batch p50 "
                  f"{b['batched_p50']:.1f} s, baseline/batched {b['ratio_of_sums']:.2f}x (n={b['n']})")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
