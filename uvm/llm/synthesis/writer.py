"""The method writer: a LoRA adapter of the embedded model, trained by UVM itself to write
the methods doesNotUnderstand asks for (``uvm train methods``; ``make method-writer``
rebuilds the bundled one).

Training data is made here, never downloaded: the practice tasks of
``uvm.llm.synthesis.practice`` (thousands, none a near-copy of a benchmark task), each
rendered in the exact prompt the pipeline builds, with its reference method as the
answer. Then rounds of expert iteration: the model (the base model in the first round,
the adapter after) writes several candidates for fresh practice tasks in one batched
generation; the candidates that give what the reference gives on every send are kept
(rejection sampling) and the adapter trains on them and on the references again.

The adapter ships beside the persona adapters (``uvm/llm/adapters/methods.safetensors``,
float16) with every training answer in ``methods.sources.jsonl.gz``, whose digest its
metadata records: the synthesis benchmark reads it to refuse to run when one is a
near-copy of a benchmark task. The image imports it as ``METHODS``, like a persona.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import time
from dataclasses import dataclass, field

from uvm.llm.errors import LLMError
from uvm.llm.pllm import BUNDLED_ADAPTERS, METHOD_WRITER

BUNDLED = os.path.join(BUNDLED_ADAPTERS, "methods.safetensors")
SOURCES_SUFFIX = ".sources.jsonl.gz"
MODE_SHARES = {"plain": 0.4, "intent": 0.3, "examples": 0.3}
SHOT_SHARES = {0: 0.4, 1: 0.6}   # the pipeline shows one worked example; some rows none
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class Settings:
    """How the adapter is trained (``uvm train methods --help`` names each)."""
    tasks: int = 3000            # practice tasks made (their references: the first data)
    steps: int = 200             # steps on the references
    batch: int = 8
    lr: float = 5e-4
    rank: int = 16
    alpha: int = 32
    layers: tuple = tuple(range(18, 30))   # the top 12 of SmolLM2-135M's 30: a short backward
    rounds: int = 1              # expert-iteration rounds (the bundled adapter: one)
    round_tasks: int = 80        # fresh practice tasks a round tries
    round_steps: int = 40
    candidates: int = 4
    temperature: float = 0.8
    seed: int = 0
    bf16: bool = True


@dataclass
class Report:
    """What each stage did, for the adapter's metadata and the person running it."""
    stages: list = field(default_factory=list)

    def add(self, **what) -> None:
        self.stages.append(what)


# --- what to avoid ---------------------------------------------------------------------------------

def read_avoid(paths):
    """(a NearCopyIndex, selectors) from JSON Lines files of ``{"name", "selector",
    "reference"}`` (``benchmarks/synthesis.py --write-avoid FILE`` writes both sets')."""
    from uvm.llm.synthesis.nearcopy import NearCopyIndex, Reference
    refs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    d = json.loads(line)
                    refs.append(Reference(d["name"], d["selector"], d["reference"]))
    return NearCopyIndex(refs), {r.selector for r in refs}


# --- rows ---------------------------------------------------------------------------------------

def _pick(rng, shares: dict):
    return rng.choices(list(shares), list(shares.values()))[0]


def reference_rows(image, tasks, rng) -> list[dict]:
    """One training row per task, in a mode and with a number of worked examples drawn by
    their shares, in the pipeline's exact prompt."""
    from uvm.llm.synthesis.practice import render
    rows = []
    for task in tasks:
        mode = _pick(rng, MODE_SHARES)
        rendered = render(image, task, mode, _pick(rng, SHOT_SHARES)) or \
            render(image, task, "plain", 0)
        if rendered is not None:
            rows.append({"messages": rendered.messages, "answer": rendered.answer,
                         "selector": task.selector, "source": task.reference(), "mode": mode})
    return rows


def candidates_for(backend, messages, settings: Settings, adapter: str | None) -> list[str]:
    from uvm.llm.synthesis.answer import method_ended
    from uvm.llm.synthesis.pipeline import MAX_TOKENS, STOP
    return backend.complete_batch(messages, settings.candidates, greedy_first=True,
                                  until=method_ended, max_tokens=MAX_TOKENS,
                                  temperature=settings.temperature, stop=STOP,
                                  seed=settings.seed, adapter=adapter)


def expert_rows(backend, image, tasks, settings: Settings, adapter: str | None, avoid, rng,
                log=None) -> tuple[list[dict], dict]:
    """Rejection sampling: the model's own candidates for ``tasks`` that pass every send
    of their task (at most two different ones a task), none a near-copy of ``avoid``."""
    from uvm.llm.synthesis.answer import code_from_answer, with_covenant_line
    from uvm.llm.synthesis.pipeline import WRITER_SHOTS
    from uvm.llm.synthesis.practice import judge, render
    rows, tried, solved, started = [], 0, 0, time.monotonic()
    for i, task in enumerate(tasks):
        mode = _pick(rng, MODE_SHARES)
        rendered = render(image, task, mode, WRITER_SHOTS)
        if rendered is None:
            continue
        start = rendered.messages[-1]["content"]
        signature = task.signature()
        codes = []
        for answer in candidates_for(backend, rendered.messages, settings, adapter):
            code = with_covenant_line(code_from_answer(answer, signature, start))
            if code.startswith(start) and code not in codes:
                codes.append(code)
        tried += 1
        kept = 0
        for code, ok in zip(codes, judge(image, task, codes)):
            if ok and kept < 2 and (avoid is None or avoid.find("", code) is None):
                rows.append({"messages": rendered.messages, "answer": code[len(start):],
                             "selector": task.selector, "source": code, "mode": mode})
                kept += 1
        solved += kept > 0
        if log is not None and ((i + 1) % 10 == 0 or i + 1 == len(tasks)):
            log(f"expert iteration: {i + 1}/{len(tasks)} tasks, {solved} solved, "
                f"{len(rows)} answers kept ({time.monotonic() - started:.0f} s)")
    return rows, {"tried": tried, "solved": solved, "kept": len(rows),
                  "seconds": round(time.monotonic() - started)}


# --- the adapter's files ------------------------------------------------------------------------

def sources_path(adapter_path: str) -> str:
    return adapter_path[:-len(".safetensors")] + SOURCES_SUFFIX if \
        adapter_path.endswith(".safetensors") else adapter_path + SOURCES_SUFFIX


def write_sources(adapter_path: str, rows: list[dict]) -> str:
    """Every answer the adapter was trained on (selector and source), deduplicated;
    returns the file's sha256."""
    seen, lines = set(), []
    for r in rows:
        key = (r["selector"], r["source"])
        if key not in seen:
            seen.add(key)
            lines.append(json.dumps({"selector": r["selector"], "source": r["source"]}) + "\n")
    raw = "".join(sorted(lines)).encode()
    with gzip.GzipFile(sources_path(adapter_path), "wb", mtime=0) as f:
        f.write(raw)
    return hashlib.sha256(raw).hexdigest()


def training_sources(adapter_path: str) -> list[tuple[str, str]]:
    """(selector, source) of every answer the adapter was trained on, checked against the
    digest in its metadata (so nothing the adapter learnt is left out of a check)."""
    from uvm.llm.safetensors_meta import read_metadata
    meta = json.loads(read_metadata(adapter_path).get("uvm.training", "{}"))
    path = sources_path(adapter_path)
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise LLMError(f"the method writer's training answers are missing ({path}: "
                       f"{e.strerror or e})") from None
    if hashlib.sha256(raw).hexdigest() != meta.get("sources_sha256"):
        raise LLMError(f"{path} is not the data {adapter_path} was trained on (digest differs)")
    return [(d["selector"], d["source"]) for d in map(json.loads, raw.decode().splitlines()) if d]


# --- training ---------------------------------------------------------------------------------

def train(image, out: str, avoid_paths, settings: Settings, log=print,
          rounds_dir: str | None = None) -> Report:
    """Make the method writer: references first, then ``settings.rounds`` rounds of
    expert iteration; writes ``out`` (and its training answers beside it), and each
    round's adapter into ``rounds_dir`` when given."""
    from uvm.llm import pllm as P
    from uvm.llm.local import TransformersBackend, image_loader
    from uvm.llm.memory import AdapterInfo
    import uvm
    from uvm.llm.synthesis.practice import generate
    from uvm.llm.train import lora_model, train_lora
    avoid, avoid_selectors = read_avoid(avoid_paths)
    rng = random.Random(settings.seed)
    report = Report()
    made = generate(settings.tasks + settings.rounds * settings.round_tasks, settings.seed,
                    avoid, avoid_selectors)
    tasks = made.tasks
    rng.shuffle(tasks)
    practice_image = uvm.open(memory=True)
    fresh_count = min(settings.rounds * settings.round_tasks, len(tasks) // 3)
    first, later = tasks[:len(tasks) - fresh_count], tasks[len(tasks) - fresh_count:]
    t0 = time.monotonic()
    rows = reference_rows(practice_image, first, rng)
    report.add(stage="references", tasks=len(first), rows=len(rows), dropped=made.dropped,
               seconds=round(time.monotonic() - t0))
    log(f"{len(made.tasks)} practice tasks ({made.dropped}); {len(rows)} reference rows")
    if P.get_pllm(image) is None:
        P.awaken(image, adapters={})
    loaded = image_loader(image)()   # a model of its own: training changes it
    peft_model, _ = lora_model(loaded.model, settings.rank, settings.alpha, TARGETS,
                               list(settings.layers))
    common = dict(batch=settings.batch, lr=settings.lr, bf16=settings.bf16, by_length=True,
                  peft_model=peft_model)

    def step_log(step, steps, loss):
        if step == steps or step % 10 == 0:
            log(f"  step {step}/{steps}  loss {loss:.3f}")
    tensors, config, stats = train_lora(peft_model, loaded.tokenizer, rows, steps=settings.steps,
                                        seed=settings.seed, log=step_log, **common)
    report.add(stage="train", round=0, **stats)
    all_rows = list(rows)
    generator = TransformersBackend("embedded", image_loader(image))
    for r in range(1, settings.rounds + 1):
        path = _save(out if rounds_dir is None else os.path.join(rounds_dir, f"round{r - 1}.safetensors"),
                     tensors, config, stats, all_rows, report)
        adapter = None
        if r > 1:  # the first round samples the base model, as rejection sampling starts
            generator.load()
            generator.memory.add(AdapterInfo(METHOD_WRITER, os.path.getsize(path), config, path))
            adapter = METHOD_WRITER
        fresh = later[(r - 1) * settings.round_tasks:r * settings.round_tasks]
        kept, found = expert_rows(generator, practice_image, fresh, settings, adapter, avoid, rng,
                                  log=lambda m: log("  " + m))
        report.add(stage="expert iteration", round=r, sampled_by=adapter or "the base model", **found)
        all_rows += kept
        mixture = kept * 2 + rng.sample(rows, min(len(rows), max(len(kept) * 2, settings.batch * 8)))
        tensors, config, stats = train_lora(peft_model, loaded.tokenizer, mixture,
                                            steps=settings.round_steps, seed=settings.seed + r,
                                            log=step_log, **common)
        report.add(stage="train", round=r, **stats)
    if rounds_dir is not None:
        _save(os.path.join(rounds_dir, f"round{settings.rounds}.safetensors"), tensors, config,
              stats, all_rows, report)
    _save(out, tensors, config, stats, all_rows, report)
    generator.close()
    practice_image.close()
    return report


def _save(path: str, tensors, config, stats, rows, report: Report) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    digest = write_sources(path, rows)
    from uvm.llm.train import save_adapter
    save_adapter(path, tensors, config, METHOD_WRITER,
                 {**stats, "stages": report.stages, "answers": len(rows), "sources_sha256": digest},
                 half=True)
    return path
