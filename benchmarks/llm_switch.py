"""(b) Persona adapter switch latency on the embedded model, in milliseconds per switch,
for each tier move of the memory manager, next to PEFT's plain calls as the baseline:
``set_adapter`` between two loaded adapters, and ``load_adapter`` of an adapter from RAM.
Targets: hot -> hot < 1 ms, warm -> hot < 10 ms, cold -> hot < 100 ms.

Run: .venv/bin/python benchmarks/llm_switch.py   (needs the four bundled adapters)
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time

import uvm


def ms(fn, n=20):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    from uvm.llm.memory import COLD, WARM, lora_config
    from uvm.llm.settings import make_backend
    import safetensors.torch
    with uvm.open(memory=True) as image:
        from uvm.llm.pllm import awaken
        awaken(image)
        backend = make_backend("embedded", image)
        backend.load()
        m = backend.memory
        names = sorted(m.adapters)
        a, b = names[:2]
        size = max(x.size for x in m.adapters.values())
        m.hot_limit = len(names) * size
        for n in names:
            m.promote(n)

        flip = iter(range(10**9))
        hot_hot = ms(lambda: m.promote(a if next(flip) % 2 else b), 200)

        def warm_hot():
            m.demote(a, to=WARM)
            t = time.perf_counter()
            m.promote(a)
            return (time.perf_counter() - t) * 1000

        def cold_hot():
            m.demote(a, to=COLD)
            t = time.perf_counter()
            m.promote(a)
            return (time.perf_counter() - t) * 1000

        w = statistics.median(warm_hot() for _ in range(20))
        c = statistics.median(cold_hot() for _ in range(20))

        # Baselines: PEFT's own calls.
        peft = m.peft
        flip2 = iter(range(10**9))
        slots = list(m.hot.values())[:2]
        set_adapter = ms(lambda: peft.set_adapter(slots[next(flip2) % 2]), 50)
        info = m.adapters[a]
        with open(info.path, "rb") as f:
            tensors = safetensors.torch.load(f.read())
        tmp = tempfile.mkdtemp()
        safetensors.torch.save_file(tensors, os.path.join(tmp, "adapter_model.safetensors"))
        lora_config(info.config).save_pretrained(tmp)

        def load_delete():
            t = time.perf_counter()
            peft.load_adapter(tmp, adapter_name="bench", is_trainable=False)
            took = (time.perf_counter() - t) * 1000
            peft.delete_adapter("bench")
            return took

        load = statistics.median(load_delete() for _ in range(10))
        m._activate(m.hot[a])
        print(f"adapter size {size / 1e6:.1f} MB, {len(names)} personas, median of runs (ms):")
        print(f"  hot  -> hot   {hot_hot:8.3f}   target < 1     (PEFT set_adapter: {set_adapter:.3f})")
        print(f"  warm -> hot   {w:8.3f}   target < 10    (PEFT load_adapter from disk: {load:.1f})")
        print(f"  cold -> hot   {c:8.3f}   target < 100")
        backend.close()


if __name__ == "__main__":
    main()
