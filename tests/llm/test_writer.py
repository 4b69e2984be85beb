"""The method writer: its training data are the pipeline's own prompts for practice tasks
that copy no benchmark answer, and the adapter it ships is loaded from the image's BLOB
and made hot when the pipeline writes a method."""
from __future__ import annotations

import importlib
import json
import os
import sys

import pytest

import uvm
from uvm.llm.doubles import ScriptBackend
from uvm.llm.synthesis import pipeline
from uvm.llm.synthesis.nearcopy import NearCopyIndex, normalised_tokens
from uvm.llm.synthesis.practice import generate, judge, render
from uvm.runtime import send as send_mod

from .conftest import needs_ml

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")


@pytest.fixture(scope="module")
def benchmark_answers():
    sys.path.insert(0, BENCHMARKS)
    try:
        refs = importlib.import_module("synthesis").references()
    finally:
        sys.path.remove(BENCHMARKS)
        for name in ("synthesis", "synthesis_dev", "synthesis_heldout", "synthesis_tasks"):
            sys.modules.pop(name, None)
    return refs


def test_practice_tasks_copy_no_benchmark_answer_and_their_references_pass(benchmark_answers):
    index = NearCopyIndex(benchmark_answers)
    made = generate(240, seed=7, avoid=index, avoid_selectors={r.selector for r in benchmark_answers})
    assert len(made.tasks) == 240 and made.dropped  # some were left out...
    assert {t.kind for t in made.tasks} == {"arithmetic", "string", "list", "dictionary", "state",
                                            "self-send"}
    for t in made.tasks:  # ...and none that is left copies a benchmark task
        assert index.find(t.selector, t.reference()) is None, t.selector
    with uvm.open(memory=True) as im:
        sample = made.tasks[::40]
        assert all(judge(im, t, [t.reference()]) == [True] for t in sample)
        wrong = sample[0].reference().replace("return ", "return 1 + ", 1)
        assert judge(im, sample[0], [wrong]) == [False]


def test_training_prompts_are_exactly_what_the_pipeline_asks(tmp_path):
    task = next(t for t in generate(60, seed=3).tasks if t.receiver is None and t.args)
    with uvm.open(memory=True) as im:
        rendered = render(im, task, "intent", pipeline.WRITER_SHOTS)
        assert rendered is not None and normalised_tokens(task.signature().source() + "\n    "
                                                          + rendered.answer)
        script = tmp_path / "answers.jsonl"
        script.write_text(json.dumps({"text": rendered.answer}) + "\n")
        backend = ScriptBackend(f"script:{script}", str(script))
        backend.adapter_names = lambda: ("METHODS",)  # as if the method writer were there
        send_mod.synthesizer = pipeline.Synthesizer(im, backend=backend)
        try:
            slots = ". ".join(f"{n} <- nil" for n, _ in task.slots)
            from uvm.llm.synthesis.receiver import source_of
            im.eval(f"lobby _AddSlots: (| {task.name} = (| parent* = traits clonable. {slots}"
                    f"{'. ' + task.methods if task.methods else ''} |) |)")
            for n, v in task.slots:
                im.eval(f"{task.name} {n}: {source_of(v)}")
            im.eval(f"{task.name} intend: '{task.selector}' As: '{task.intent}'")
            im.eval(task.send_source())
        finally:
            pipeline.uninstall()
        asked = [{"role": r, "content": c} for r, c in backend.requests[0].messages]
        assert asked == rendered.messages
        assert backend.requests[0].adapter == "METHODS"


@needs_ml
def test_the_method_writer_is_loaded_from_the_images_blob_and_made_hot(awake):
    from uvm.llm.pllm import METHOD_WRITER, bundled_adapters, get_pllm
    image, backend = awake
    proxy = get_pllm(image).adapters[METHOD_WRITER]
    assert proxy.path() != bundled_adapters()[METHOD_WRITER]  # a BLOB of the image...
    info = backend.memory.adapters[METHOD_WRITER]
    assert info.path == proxy.path()                           # ...which the backend reads
    with uvm.open(memory=True) as im:
        assert pipeline.Synthesizer(im, backend=backend).writer_for(backend) == METHOD_WRITER
    texts = backend.complete_batch([{"role": "user", "content": "Say hi."}], 2, max_tokens=3,
                                   temperature=0.7, adapter=METHOD_WRITER)
    assert len(texts) == 2
    assert backend.memory.tier(METHOD_WRITER) == "hot" and backend.memory.active == METHOD_WRITER
