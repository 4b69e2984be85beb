"""Facet benchmark (issue 12): every pillar's facet written on its first send, by the
embedded model, through the one synthesis pipeline.

For each of the twelve pillars of the shipped codex, in one file image (not awakened: the
embedded package's model and the bundled adapters, as a fresh image uses them), the
persona is sent the pillar's facet selector twice with the same query:

first    doesNotUnderstand -> the facet brief -> the model writes the method -> the
         guardian and the facet audit -> the method runs: the persona's inference with the
         pillar's intent as the system prompt;
second   the installed facet runs; nothing is written.

A pillar passes when the first send leaves a facet that passed the audit and both sends
answer non-empty text. Reported per pillar: pass, attempts, seconds of each send and of the
persona's inference inside it (from the transaction's inference record); then passes,
attempts, and the second send's cost against the first: all of it, and the part beyond the
persona's own answer (the same query, so the same answer, both times).

Run: nice -n 10 .venv/bin/python benchmarks/facets.py [--only sage:,guide:] [--json FILE]
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

import uvm
from uvm.cognition.personas import INFERENCES, codex_of, personas_of
from uvm.llm import settings
from uvm.llm.synthesis import pipeline
from uvm.runtime.errors import UvmError
from uvm.runtime.printing import string_literal

QUERIES = {  # one per persona, not taken from the codex or the router's labelled set
    "ROBIN": "My plans fell through and I feel let down.",
    "BRICK": "Our garden shed is full of junk. What now?",
    "BABS": "What should I know about the moon landings?",
    "ALFRED": "I want to rebuild my website over the weekend.",
}


def inference_seconds(image) -> float:
    records = image.db.undoLog(0, 1)[0].get(INFERENCES, [])
    return sum(r["seconds"] for r in records)


def timed_send(image, source: str):
    t0 = time.perf_counter()
    try:
        value = image.eval(source)
    except UvmError as e:
        return None, time.perf_counter() - t0, str(e).splitlines()[0]
    return value, time.perf_counter() - t0, None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated facet selectors")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--timeout", type=float, help="seconds one generation may take "
                    "($UVM_LLM_TIMEOUT; the default 120 s is too short on a crowded machine)")
    opts = ap.parse_args()
    if opts.timeout:
        os.environ["UVM_LLM_TIMEOUT"] = str(opts.timeout)
    tmp = tempfile.mkdtemp(prefix="uvm-facets-")
    rows = []
    try:
        image = uvm.open(os.path.join(tmp, "facets.fs"))
        settings.configure_run("embedded")
        backend = settings.evaluation_backend(image)
        t0 = time.perf_counter()
        backend.load()
        print(f"model loaded in {time.perf_counter() - t0:.1f} s ({backend.loaded.name})")
        pipeline.install(image)
        only = set(opts.only.split(",")) if opts.only else None
        for persona in personas_of(image.lobby):
            codex = codex_of(persona)
            for pillar in codex.pillars:
                if only and pillar.selector not in only:
                    continue
                send = f"{codex.name.lower()} {pillar.selector} {string_literal(QUERIES[codex.name])}"
                calls = backend.calls
                first, first_s, why = timed_send(image, send)
                calls = backend.calls - calls
                first_infer = inference_seconds(image) if why is None else 0.0
                method = persona._slots.get(pillar.selector)
                row = {"facet": f"{codex.name} {pillar.selector}", "first_s": first_s,
                       "first_infer_s": first_infer, "why": why,
                       # a facet written: its attempts; none: every model call was one
                       "attempts": (method.provenance or {}).get("attempts") if method else calls,
                       "source": getattr(method, "source", None)}
                if why is None:
                    second, second_s, why2 = timed_send(image, send)
                    row.update(second_s=second_s, second_infer_s=inference_seconds(image) if why2 is None else 0.0,
                               passed=bool(method) and isinstance(first, str) and first.strip() != ""
                               and isinstance(second, str) and second.strip() != "",
                               answer=first[:120] if isinstance(first, str) else None, why=why2)
                else:
                    row.update(passed=False)
                rows.append(row)
                print(f"{row['facet']:<24} {'pass' if row['passed'] else 'FAIL'}  attempts "
                      f"{row['attempts']}  first {first_s:6.1f} s (answer {first_infer:5.1f} s)"
                      + (f"  second {row['second_s']:6.1f} s (answer {row['second_infer_s']:5.1f} s)"
                         if "second_s" in row else f"  {why}"), flush=True)
        image.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    passed = [r for r in rows if r["passed"]]
    print(f"\npassed {len(passed)} / {len(rows)}; attempts {sum(r['attempts'] or 0 for r in rows)} "
          f"(mean {statistics.fmean([r['attempts'] or 0 for r in rows]):.2f}); "
          f"first sends {sum(r['first_s'] for r in rows):.0f} s in all")
    if passed:
        whole = statistics.fmean(r["second_s"] / r["first_s"] for r in passed)
        beyond = statistics.fmean((r["second_s"] - r["second_infer_s"]) / (r["first_s"] - r["first_infer_s"])
                                  for r in passed)
        print(f"second send / first send: {100 * whole:.1f} % of the whole first send; "
              f"{100 * beyond:.2f} % of its cost beyond the persona's answer (writing the facet)")
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2)
    return 0 if len(passed) == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
