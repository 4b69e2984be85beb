"""``infer:`` throughput (issue 12): tokens per second through ``robin infer:`` (a UVM send:
the bridge, the persona's codex, the memory manager's switch, the streamed generation with
its time limit, the transaction record and commit) against the same model's ``generate``
called directly with the same adapter hot, the same messages and the same greedy decoding,
so both produce the same tokens; ``generate`` runs in a thread of its own, as the
streaming backend runs it (on a loaded machine a generation on the main thread and one
in a worker thread were seen to differ by a factor of four, which would swamp the
comparison). Interleaved runs, best of each; target ratio >= 0.9.

Run: nice -n 10 .venv/bin/python benchmarks/infer.py [--runs N] [--persona NAME]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time

import uvm
from uvm.cognition.personas import INFER_MAX_TOKENS, count_tokens
from uvm.llm import settings
from uvm.runtime.printing import string_literal

PROMPT = "Tell me about the sea, in a few sentences."


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--persona", default="ROBIN")
    opts = ap.parse_args()
    import torch
    tmp = tempfile.mkdtemp(prefix="uvm-infer-")
    try:
        image = uvm.open(os.path.join(tmp, "infer.fs"))
        settings.configure_run("embedded")
        backend = settings.evaluation_backend(image)
        loaded = backend.load()
        tok = loaded.tokenizer
        inputs = tok.apply_chat_template([{"role": "user", "content": PROMPT}],
                                         add_generation_prompt=True, return_tensors="pt",
                                         return_dict=True)
        n_in = inputs["input_ids"].shape[1]

        def direct() -> tuple[float, int]:
            out = []

            def run(model):  # in a thread of its own, as the streaming backend generates
                with torch.inference_mode():
                    out.append(model.generate(**inputs, max_new_tokens=INFER_MAX_TOKENS,
                                              do_sample=False, pad_token_id=tok.eos_token_id))

            with backend.memory.use(opts.persona) as model:  # the same adapter, hot
                t0 = time.perf_counter()
                worker = threading.Thread(target=run, args=(model,))
                worker.start()
                worker.join()
                seconds = time.perf_counter() - t0
            n = len(tok(tok.decode(out[0][0][n_in:], skip_special_tokens=True),
                        add_special_tokens=False)["input_ids"])
            return n / seconds, n

        send = f"{opts.persona.lower()} infer: {string_literal(PROMPT)}"

        def through() -> tuple[float, int]:
            t0 = time.perf_counter()
            text = image.eval(send)
            seconds = time.perf_counter() - t0
            n = count_tokens(backend, text)
            return n / seconds, n

        through()  # the adapter's first promotion and the first record, not measured
        direct()
        rd, rt = [], []
        for _ in range(opts.runs):
            rd.append(direct())
            rt.append(through())
        d, t = max(r for r, _ in rd), max(r for r, _ in rt)
        print(f"{opts.persona}: {rt[0][1]} tokens through infer:, {rd[0][1]} direct")
        print(f"tokens/s: direct generate with the adapter hot {d:.2f}, through `{send[:40]}...` "
              f"{t:.2f}; ratio {t / d:.3f} (target >= 0.9)")
        print("runs (direct, infer:): " + ", ".join(f"({a:.2f}, {b:.2f})" for (a, _), (b, _) in zip(rd, rt)))
        image.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
