"""Language-model backend benchmarks (issue 5), each against a baseline in the same run:

(a) tokens per second through the embedded backend vs the same model's ``generate``
    called directly (ratio; target >= 0.9);
(c) start-up: ``uvm -c "3 + 4"`` (must not import torch) next to ``python -c pass``;
(d) a fresh process's first model answer, with an empty derived-form cache (reads the GGUF
    from the image's BLOB) and with the cache filled.

Run: .venv/bin/python benchmarks/llm_backend.py
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import uvm

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
PROMPT = [{"role": "user", "content": "Write three sentences about the sea."}]
TOKENS = 48


def best(fn, n=3):
    return min(fn() for _ in range(n))


def tokens_per_second(image):
    import torch
    from uvm.llm.settings import make_backend
    backend = make_backend("embedded", image)
    loaded = backend.load()
    model, tok = loaded.model, loaded.tokenizer
    inputs = tok.apply_chat_template(PROMPT, add_generation_prompt=True, return_tensors="pt",
                                     return_dict=True)
    n_in = inputs["input_ids"].shape[1]

    def direct():
        t = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=TOKENS, do_sample=False,
                                 min_new_tokens=TOKENS, pad_token_id=tok.eos_token_id)
        return (out.shape[1] - n_in) / (time.perf_counter() - t)

    def through():
        t = time.perf_counter()
        text = backend.complete(PROMPT, max_tokens=TOKENS)
        n = len(tok(text, add_special_tokens=False)["input_ids"])
        return n / (time.perf_counter() - t)

    direct()
    rates_d, rates_b = [], []
    for _ in range(3):  # interleaved, so drift hits both
        rates_d.append(direct())
        rates_b.append(through())
    d, b = max(rates_d), max(rates_b)
    print(f"(a) tokens/s: direct generate {d:.1f}, through the backend {b:.1f}, "
          f"ratio {b / d:.2f} (target >= 0.9)")
    backend.close()


def startup():
    def run(args):
        t = time.perf_counter()
        subprocess.run(args, check=True, cwd=HERE, capture_output=True)
        return time.perf_counter() - t
    uvm_cmd = [PY, "-m", "uvm.cli", "--memory", "-c", "3 + 4"]
    p = best(lambda: run([PY, "-c", "pass"]), 5)
    u = best(lambda: run(uvm_cmd), 5)
    check = subprocess.run([PY, "-c", "import sys; from uvm.cli import main; "
                            "main(['--memory', '-c', '3 + 4']); print('torch' in sys.modules)"],
                           capture_output=True, text=True, cwd=HERE).stdout.strip()
    print(f"(c) start-up: python -c pass {p * 1000:.0f} ms, uvm -c '3 + 4' {u * 1000:.0f} ms, "
          f"torch imported: {check}")


def first_answer(image_path, cache):
    env = {**os.environ, "UVM_CACHE_DIR": cache}
    cmd = [PY, "-m", "uvm.cli", "model", "ask", "--image", image_path, "--max-tokens", "8",
           "Say hello."]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    cold = time.perf_counter() - t
    warm = best(lambda: _timed(cmd, env), 2)
    print(f"(d) fresh process, first answer: {cold:.1f} s with an empty cache (GGUF from the "
          f"BLOB), {warm:.1f} s with the derived form cached ({cold / warm:.1f}x)")


def _timed(cmd, env):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    return time.perf_counter() - t


def main():
    tmp = tempfile.mkdtemp(prefix="uvm-bench-")
    try:
        path = os.path.join(tmp, "bench.fs")
        cache = os.path.join(tmp, "cache")
        os.environ["UVM_CACHE_DIR"] = cache
        startup()
        with uvm.open(path) as image:
            from uvm.llm.pllm import awaken
            awaken(image)
        first_answer(path, cache)
        with uvm.open(path) as image:
            tokens_per_second(image)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
