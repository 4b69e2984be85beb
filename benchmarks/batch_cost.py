"""What n candidates in one batched generation cost, against one answer, in the same run
(issue 11: the pipeline's batch size is chosen by this on the 2-core machine).

The prompt is a real synthesis prompt (a dev task's brief, one worked example); each size
generates the same number of tokens in every row (no early stop), so the ratio is the
cost of the batch itself. Reported: seconds per batch (best of --repeat) and the ratio to
n = 1, and the seconds per candidate.

Run: .venv/bin/python benchmarks/batch_cost.py [--sizes 1,2,4,6,8] [--tokens 40] [--repeat 2]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uvm  # noqa: E402
from synthesis_dev import DEV  # noqa: E402
from uvm.llm.synthesis.pipeline import WRITER_SHOTS  # noqa: E402
from uvm.llm.synthesis.prompt import Brief  # noqa: E402


def prompt():
    task = next(t for t in DEV if t.name == "percent:Of:")
    with uvm.open(memory=True) as image:
        image.eval(task.setup)
        calc = image.eval("calc")
        return Brief.for_send(calc, task.selector, (25, 200), image).messages([], shots=WRITER_SHOTS)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1,2,4,6,8")
    p.add_argument("--tokens", type=int, default=40)
    p.add_argument("--repeat", type=int, default=2)
    opts = p.parse_args(argv)
    from uvm.llm.settings import make_backend
    backend = make_backend("embedded", None)
    backend.load()
    msgs = prompt()
    tok = backend.loaded.tokenizer
    n_prompt = len(tok.apply_chat_template(msgs[:-1], add_generation_prompt=True, tokenize=False))
    print(f"prompt: {n_prompt} characters; {opts.tokens} tokens per row; load average "
          f"{os.getloadavg()[0]:.1f}")
    never = lambda text: False  # noqa: E731 -- every row runs to the token limit
    sizes = [int(x) for x in opts.sizes.split(",")]
    backend.complete_batch(msgs, 1, max_tokens=4, temperature=0.7)  # warm up
    base = None
    for n in sizes:
        best = float("inf")
        for r in range(opts.repeat):
            t = time.perf_counter()
            backend.complete_batch(msgs, n, max_tokens=opts.tokens, temperature=0.7, seed=r,
                                   until=never)
            best = min(best, time.perf_counter() - t)
        base = base or best
        print(f"n={n}: {best:6.2f} s per batch, ratio {best / base:4.2f}, "
              f"{best / n:5.2f} s per candidate", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
